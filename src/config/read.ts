// Reading a config file: path -> checked Config.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Failure } from '../errors.js';
import { decodeConfigBytes, MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
import { type Config, validateConfig } from './validate.js';

export function loadConfig(file: string): Config {
  if (!isAbsolute(file)) throw new Failure(`config path ${JSON.stringify(file)}: expected an absolute path`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file, { flag: 'r' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, expected a file' : String(code);
    throw new Failure(`${file}: cannot read the config: ${why}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES + 1) bytes = bytes.subarray(0, MAX_CONFIG_BYTES + 1);
  return validateConfig(file, parseConfigText(file, decodeConfigBytes(file, bytes)));
}
