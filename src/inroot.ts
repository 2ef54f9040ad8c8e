// Resolving a path inside a folder that a container controls (a volume, its
// root filesystem) without ever leaving it. Node has no openat2 and its
// RESOLVE_IN_ROOT, so this walks: from the held handle of the root, one
// component at a time, each opened O_PATH|O_NOFOLLOW through the handle of
// the folder before it (/proc/self/fd/N/NAME). A component swapped for a
// symlink meanwhile is met as that symlink, never followed by the kernel.
// Symlinks are read and resolved as the container sees them (an absolute
// target from the container's "/"), and followed only while they stay
// under where the container sees the root. O_PATH opens nothing: no FIFO
// blocks it, no device sees an open.
import { closeSync, constants, fstatSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { normalize, posix } from 'node:path';
import { errnoText } from './config/read.js';
import type { Failure } from './errors.js';

/** open(2)'s O_PATH on Linux (x86_64 and arm64): a handle that reads nothing, opens no device. */
export const O_PATH = 0o10000000;
const MAX_LINKS = 40;

/** The path that reaches an open handle (or NAME in the folder it holds) whatever its name is now. */
export const fdPath = (fd: number, name?: string) => `/proc/self/fd/${fd}${name === undefined ? '' : `/${name}`}`;

/** A host folder, and where the container sees it. */
export interface Root {
  source: string;
  /** "/" for the container's root filesystem, a mount's destination for a volume */
  dest: string;
}

export interface WalkOptions {
  /** the error for why, naming what the caller looks for */
  fail: (why: string) => Failure;
  /** each folder on the way, with its path in the container; throws to refuse it */
  enter?: (st: Stats, here: string) => void;
}

/**
 * Opens (O_PATH) what path, a path in the container at or under root.dest,
 * names inside root, following symlinks only while they stay under it.
 * Returns the handle; the caller closes it.
 */
export function walkIn(root: Root, path: string, o: WalkOptions): number {
  const { fail } = o;
  const dest = root.dest.replace(/\/+$/, '') || '/';
  const inRoot = (p: string) => p === dest || p.startsWith(dest === '/' ? '/' : `${dest}/`);
  const parts = (p: string) => (p === dest ? [] : p.slice(dest === '/' ? 1 : dest.length + 1).split('/'));

  let links = 0;
  let todo = parts(path);
  const open: number[] = [];
  try {
    let here = dest; // where we are, as the container sees it
    try {
      open.push(openSync(root.source, O_PATH));
    } catch (err) {
      throw fail(`the source of its mount at ${dest}, ${root.source}: ${errnoText(err)}`);
    }
    for (;;) {
      const fd = open[open.length - 1];
      const st = fstatSync(fd);
      if (st.isDirectory()) o.enter?.(st, here);
      const next = todo.shift();
      if (next === undefined) return open.pop()!;
      if (!st.isDirectory()) throw fail(`${here}: not a folder`);
      if (next === '' || next === '.') continue;
      if (next === '..') {
        if (open.length === 1) throw fail(`a symlink leads out of the mount at ${dest}`);
        closeSync(open.pop()!);
        here = posix.dirname(here);
        continue;
      }
      const child = `${here === '/' ? '' : here}/${next}`;
      let h: number;
      try {
        h = openSync(fdPath(fd, next), O_PATH | constants.O_NOFOLLOW);
      } catch (err) {
        throw fail(`${child}: ${errnoText(err)}`);
      }
      if (!fstatSync(h).isSymbolicLink()) {
        open.push(h);
        here = child;
        continue;
      }
      closeSync(h);
      if (++links > MAX_LINKS) throw fail(`more than ${MAX_LINKS} symlinks`);
      let target: string;
      try {
        target = readlinkSync(fdPath(fd, next));
      } catch (err) {
        throw fail(`${child}: ${errnoText(err)}`);
      }
      const to = normalize(target.startsWith('/') ? target : `${here}/${target}`);
      if (!inRoot(to)) throw fail(`${child} is a symlink to ${target}, out of the mount at ${dest}; expected links that stay inside it`);
      // Walk again from the root to the link's target, then on.
      todo = [...parts(to), ...todo];
      while (open.length > 1) closeSync(open.pop()!);
      here = dest;
    }
  } finally {
    for (const fd of open.splice(0)) closeSync(fd);
  }
}
