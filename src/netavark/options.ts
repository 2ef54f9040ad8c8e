// The network's options (`podman network create -o KEY=VALUE`): which
// config, how long to wait for a first handshake, a verbose daemon log.
// Checked at create, so a bad one never becomes a network, and again at
// each setup, since the network file may have been edited since.
import { isAbsolute } from 'node:path';
import { MAX_WAIT_SECONDS, parseWait } from '../annotations.js';
import { Failure, quote } from '../errors.js';

export interface NetworkOptions {
  conf: string;
  waitSeconds?: number;
  verbose: boolean;
}

const KNOWN = ['conf', 'wait', 'verbose'];

export function parseOptions(network: string, options: Record<string, string> | null | undefined): NetworkOptions {
  const o = options ?? {};
  const unknown = Object.keys(o).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0) {
    throw new Failure(
      `network ${network}: option ${quote(unknown[0])} is not ours; expected ${KNOWN.map((k) => `-o ${k}=...`).join(', ')}`,
    );
  }
  if (!o.conf) throw new Failure(`network ${network}: expected -o conf=/absolute/path/of/wg.conf`);
  if (!isAbsolute(o.conf)) throw new Failure(`network ${network}: conf ${quote(o.conf)}: expected an absolute path`);
  let waitSeconds: number | undefined;
  try {
    waitSeconds = parseWait(o.wait);
  } catch {
    throw new Failure(`network ${network}: wait ${quote(o.wait ?? '')}: expected whole seconds from 1 to ${MAX_WAIT_SECONDS}`);
  }
  if (o.verbose !== undefined && !/^(1|true|yes|0|false|no)$/i.test(o.verbose)) {
    throw new Failure(`network ${network}: verbose ${quote(o.verbose)}: expected true or false`);
  }
  return { conf: o.conf, waitSeconds, verbose: /^(1|true|yes)$/i.test(o.verbose ?? '') };
}
