// Reading a config file: path -> checked Config. The path comes from an
// annotation, which under rootful podman or CRI-O a user who is not root
// may set: every check happens before the file is read, on the file
// descriptor that is then read, and no error repeats its contents.
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { Failure } from '../errors.js';
import { decodeConfigBytes, MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
import { type Config, type Rules, validateConfig } from './validate.js';

export interface ReadPolicy {
  /** uids that may own the file: ours, and root (as seen from here) */
  owners: number[];
  /** when set, only files below these directories are read (rootful hooks) */
  allowedDirs?: string[];
}

export function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (
    {
      ENOENT: 'no such file',
      EACCES: 'permission denied',
      ELOOP: 'is a symlink; expected a regular file',
      ENOTDIR: 'a part of the path is not a directory',
    }[code ?? ''] ?? String(code ?? err)
  );
}

/** Opens file for reading after the path checks; returns its fd. */
function openChecked(file: string, policy: ReadPolicy): number {
  if (!isAbsolute(file)) throw new Failure(`config path ${JSON.stringify(file)}: expected an absolute path`);
  if (normalize(file) !== file) throw new Failure(`${file}: expected a normalised path (no "..", "." or "//")`);
  if (policy.allowedDirs && !policy.allowedDirs.some((d) => file.startsWith(`${d.replace(/\/$/, '')}/`))) {
    throw new Failure(`${file}: outside the directories this hook reads configs from (${policy.allowedDirs.join(', ')})`);
  }
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    throw new Failure(`${file}: cannot read the config: ${errnoText(err)}`);
  }
  if (real !== file)
    throw new Failure(`${file}: the path goes through a symlink (to ${real}); expected the real path, which cannot be swapped`);
  try {
    return openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw new Failure(`${file}: cannot read the config: ${errnoText(err)}`);
  }
}

function checkFile(file: string, fd: number, policy: ReadPolicy): Stats {
  const st = fstatSync(fd);
  if (!st.isFile()) throw new Failure(`${file}: not a regular file; expected a WireGuard config file`);
  if (!policy.owners.includes(st.uid)) {
    throw new Failure(`${file}: owned by uid ${st.uid}; expected the container's owner or root`);
  }
  const mode = st.mode & 0o777;
  if (mode & 0o077) {
    const octal = mode.toString(8).padStart(4, '0');
    throw new Failure(`${file}: permissions ${octal} are too open for a file holding a private key; run "chmod 600 ${file}"`);
  }
  return st;
}

/** Reads up to one byte more than allowed, which tells "too large" without reading a huge file. */
export function readLimited(fd: number): Buffer {
  const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
  let n = 0;
  while (n < buf.length) {
    const r = readSync(fd, buf, n, buf.length - n, null);
    if (r === 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}

function readChecked(file: string, policy: ReadPolicy): Buffer {
  const fd = openChecked(file, policy);
  try {
    checkFile(file, fd, policy);
    return readLimited(fd);
  } catch (err) {
    if (err instanceof Failure) throw err;
    throw new Failure(`${file}: cannot read the config: ${errnoText(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** The config in file, or on stdin for "-" (the original's command line allows it; errors then name "stdin"). */
export function loadConfig(file: string, policy: ReadPolicy, rules?: Rules): Config {
  const name = file === '-' ? 'stdin' : file;
  let bytes: Buffer;
  try {
    bytes = file === '-' ? readLimited(0) : readChecked(file, policy);
  } catch (err) {
    if (err instanceof Failure) throw err;
    throw new Failure(`stdin: cannot read the config: ${errnoText(err)}`);
  }
  return configFromBytes(name, bytes, rules);
}

/** A config file's bytes, checked; name is what errors call the file. */
export function configFromBytes(name: string, bytes: Buffer, rules?: Rules): Config {
  return validateConfig(name, parseConfigText(name, decodeConfigBytes(name, bytes)), rules);
}

/** uids that may own a config read by this process: ours, and root as we see it. */
export function defaultOwners(): number[] {
  const owners = [process.geteuid!(), 0];
  try {
    // In a user namespace that does not map the host's root, root's files show as the overflow uid.
    owners.push(Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim()));
  } catch {}
  return [...new Set(owners)];
}
