// DNS= of the config, written into the container's /etc/resolv.conf: the
// file podman bind-mounts there, or else (with --network none podman mounts
// none) the one in the container's root filesystem.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, type Stats, unlinkSync, writeSync } from 'node:fs';
import { basename, join, posix, resolve } from 'node:path';
import { MAX_CONFIG_BYTES } from '../config/parse.js';
import { errnoText, readLimited } from '../config/read.js';
import type { Config } from '../config/validate.js';
import { Failure } from '../errors.js';
import { fdPath, O_PATH, type Root, walkIn } from '../inroot.js';
import type { BundleSpec } from '../oci.js';

const { dirname } = posix;
const ETC_RESOLV_CONF = '/etc/resolv.conf';

/**
 * The host path of the container's /etc/resolv.conf: the source of the
 * last mount there (the one the container sees), else the file in its
 * root filesystem. A read-only mount is never written: the container may
 * not write that file, and the hook (root, on a rootful node) writes
 * nothing the container could not, whatever a pod mounts there (a
 * hostPath). It is refused when the config has DNS (dnsWanted), and
 * otherwise leaves nothing for a later reload to write.
 */
export function resolvConfPath(spec: BundleSpec, dnsWanted: boolean): string | undefined {
  const mount = spec.mounts.filter((m) => m.destination === ETC_RESOLV_CONF).pop();
  if (mount?.source) {
    if (!mount.readOnly) return mount.source;
    if (!dnsWanted) return undefined;
    throw new Failure(
      `${spec.file}: the container's ${ETC_RESOLV_CONF} is a read-only mount of ${mount.source}, which the hook does not write; mount it read-write or leave DNS out of the config`,
    );
  }
  return spec.root ? join(spec.root, 'etc/resolv.conf') : undefined;
}

export function resolvConfText(config: Config): string {
  const lines = [`# written by wireguard4netns from ${config.file}`];
  for (const ns of config.dns) lines.push(`nameserver ${ns}`);
  if (config.dnsSearch.length > 0) lines.push(`search ${config.dnsSearch.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Where the file at this host path lies: the folder the writes never leave,
 * and its path there. ROOT/etc/resolv.conf (a root filesystem, where the
 * image owns /etc and all under it) is reached inside ROOT; any other file
 * (a runtime's bind-mount source, a --resolv-conf) inside its own folder.
 */
export function resolvConfRoot(path: string): { root: Root; inside: string } {
  const abs = resolve(path);
  if (abs.endsWith(ETC_RESOLV_CONF))
    return { root: { source: abs.slice(0, -ETC_RESOLV_CONF.length) || '/', dest: '/' }, inside: ETC_RESOLV_CONF };
  return { root: { source: dirname(abs), dest: '/' }, inside: `/${basename(abs)}` };
}

interface Opened {
  fd: number;
  st: Stats;
  created: boolean;
}

/**
 * Opens the file to read and write, resolved inside its root (inroot.ts):
 * an existing regular file, through symlinks that stay inside, or, with
 * create, a new one in its folder, never through a symlink. Nothing that is
 * not a regular file is ever opened (the checks go through an O_PATH handle,
 * which the open then reopens), and the open is non-blocking (a lease held
 * by the container): nothing here waits, and the walk ends within 40
 * symlinks. (A file system that itself hangs, FUSE or NFS under the root,
 * is not bounded: a synchronous call cannot be cancelled.) Undefined when
 * missing and not create.
 */
function openInRoot(path: string, create: boolean): Opened | undefined {
  const fail = (why: string) => new Failure(`${path}: ${why}`);
  const { root, inside } = resolvConfRoot(path);
  const name = basename(inside);
  const dir = walkIn(root, dirname(inside), { fail });
  try {
    if (!fstatSync(dir).isDirectory()) throw fail(`${dirname(inside)}: not a folder`);
    let handle: number;
    try {
      handle = openSync(fdPath(dir, name), O_PATH | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(errnoText(err));
      if (!create) return undefined;
      // O_EXCL never follows a symlink: one planted meanwhile fails the open.
      const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK;
      try {
        const fd = openSync(fdPath(dir, name), flags | constants.O_NOCTTY, 0o644);
        return { fd, st: fstatSync(fd), created: true };
      } catch (e) {
        throw fail(`cannot create it: ${errnoText(e)}`);
      }
    }
    if (fstatSync(handle).isSymbolicLink()) {
      closeSync(handle);
      // Resolved inside the root; a link to a missing file fails here: nothing is created through it.
      handle = walkIn(root, inside, { fail });
    }
    try {
      const st = fstatSync(handle);
      if (!st.isFile()) throw fail(`not a regular file (${kindOf(st)}); expected the container's resolv.conf`);
      let fd: number;
      try {
        fd = openSync(fdPath(handle), constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
      } catch (err) {
        throw fail(`cannot open it: ${errnoText(err)}`);
      }
      return { fd, st: fstatSync(fd), created: false };
    } finally {
      closeSync(handle);
    }
  } finally {
    closeSync(dir);
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a file';
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/** Replaces the whole content of an open file. */
function rewrite(fd: number, data: Buffer): void {
  ftruncateSync(fd, 0);
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at, at);
}

/**
 * Writes the file and returns its undo. The container's image owns the
 * root filesystem, and a running container can change it while we write
 * (reload): the file is reached inside the root only (openInRoot), and it
 * must be a regular file of at most 64 KiB.
 */
export function writeResolvConf(path: string, config: Config): () => void {
  const opened = openInRoot(path, true)!;
  let before: Buffer | undefined;
  try {
    if (!opened.created) {
      before = readLimited(opened.fd);
      if (before.length > MAX_CONFIG_BYTES) throw new Failure(`${path}: larger than 64 KiB; expected the container's resolv.conf`);
    }
    rewrite(opened.fd, Buffer.from(resolvConfText(config)));
  } finally {
    closeSync(opened.fd);
  }
  // The undo finds the file again the same way, and touches it only if it is still the one written.
  return () => {
    if (before === undefined) return removeInRoot(path, opened.st);
    const again = openInRoot(path, false);
    if (!again) return;
    try {
      if (sameFile(again.st, opened.st)) rewrite(again.fd, before);
    } finally {
      closeSync(again.fd);
    }
  };
}

/** Removes the file this start created, if it is still that one. */
function removeInRoot(path: string, created: Stats): void {
  const { root, inside } = resolvConfRoot(path);
  const dir = walkIn(root, dirname(inside), { fail: (why) => new Failure(`${path}: ${why}`) });
  try {
    const there = fdPath(dir, basename(inside));
    let handle: number;
    try {
      handle = openSync(there, O_PATH | constants.O_NOFOLLOW);
    } catch {
      return;
    }
    const st = fstatSync(handle);
    closeSync(handle);
    if (sameFile(st, created)) unlinkSync(there);
  } finally {
    closeSync(dir);
  }
}
