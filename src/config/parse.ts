// wg-quick style text -> sections of key/value entries with line numbers.
// The ini package would merge the several [Peer] sections into one and
// forget line numbers, so sections and lines are split here and ini only
// decodes each value (comments, surrounding white space).
import { unsafe as decodeIniValue } from 'ini';
import { Failure, quote } from '../errors.js';

export interface Entry {
  key: string;
  value: string;
  line: number;
}

export interface Section {
  name: 'Interface' | 'Peer';
  line: number;
  entries: Entry[];
}

export const MAX_CONFIG_BYTES = 64 * 1024;

/** Decodes and checks the raw bytes of a config file. */
export function decodeConfigBytes(file: string, bytes: Buffer): string {
  if (bytes.length === 0) throw new Failure(`${file}: the file is empty; expected a WireGuard config with an [Interface] section`);
  if (bytes.length > MAX_CONFIG_BYTES)
    throw new Failure(`${file}: the file is larger than ${MAX_CONFIG_BYTES} bytes; expected a WireGuard config of at most 64 KiB`);
  if (bytes.includes(0)) throw new Failure(`${file}: the file holds a NUL byte; expected text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Failure(`${file}: the file is not valid UTF-8; expected text`);
  }
  return text;
}

export function parseConfigText(file: string, text: string): Section[] {
  const sections: Section[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/#.*/, '').trim();
    if (content === '') return;
    const header = /^\[(.*)\]$/.exec(content);
    if (header) {
      const name = header[1].trim().toLowerCase();
      if (name !== 'interface' && name !== 'peer') {
        throw new Failure(`${file}:${line}: unknown section ${quote(`[${header[1].trim()}]`)}; expected [Interface] or [Peer]`);
      }
      sections.push({ name: name === 'interface' ? 'Interface' : 'Peer', line, entries: [] });
      return;
    }
    const eq = content.indexOf('=');
    if (eq <= 0) throw new Failure(`${file}:${line}: expected "Key = Value" or a [Section] header`);
    const current = sections[sections.length - 1];
    if (!current) throw new Failure(`${file}:${line}: expected an [Interface] or [Peer] header before the first key`);
    const key = content.slice(0, eq).trim();
    const value = decodeIniValue(content.slice(eq + 1));
    current.entries.push({ key, value, line });
  });
  return sections;
}
