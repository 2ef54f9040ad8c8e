// A config named by a path inside the container ("container:PATH"): a
// Kubernetes Secret volume, a podman secret. The hook reads only what the
// container itself could read, and never any other host path:
//
//   - PATH must lie on one of the container's bind mounts (config.json's
//     mounts); the file is reached from that mount's source, one component
//     at a time, without following any symlink by itself;
//   - symlinks are followed only where they stay inside that mount, as the
//     container sees them (kubelet's atomic writer: KEY -> ..data/KEY,
//     ..data -> ..2024_..., both inside the volume);
//   - every folder on the way must be searchable, and the file readable, by
//     the container's process (its uid, gids and the capabilities it holds
//     after exec, through its user namespace's mappings: oci.ts
//     capabilitiesAfterExec), and the file must be a regular file.
//
// The ownership and 0600 rules of host paths do not apply: the file is the
// container's own (kubelet's default Secret mode is 0644, owned by root),
// and a process of the container could read it anyway.
import { closeSync, constants, fstatSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { normalize, posix } from 'node:path';
import { IN_CONTAINER } from '../annotations.js';
import { Failure } from '../errors.js';
import type { BundleSpec, IdMapping, Mount } from '../oci.js';
import { configFromBytes, errnoText, readLimited } from './read.js';
import type { Config, Rules } from './validate.js';

/** open(2)'s O_PATH on Linux (x86_64 and arm64): a handle that reads nothing, opens no device. */
const O_PATH = 0o10000000;
const MAX_LINKS = 40;

const fdPath = (fd: number, name?: string) => `/proc/self/fd/${fd}${name === undefined ? '' : `/${name}`}`;

/** The mount that shows path in the container: the deepest bind mount over it, the last one of equal depth. */
export function mountOf(mounts: Mount[], path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const dest = m.destination.replace(/\/+$/, '') || '/';
    const over = path === dest || path.startsWith(dest === '/' ? '/' : `${dest}/`);
    if (over && (!best || dest.length >= best.destination.replace(/\/+$/, '').length)) best = m;
  }
  return best?.bind ? best : undefined;
}

/** Maps a container id to the id outside its user namespace; undefined when unmapped. */
function outside(id: number, mappings?: IdMapping[]): number | undefined {
  if (!mappings) return id;
  const m = mappings.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m && m.hostID + (id - m.containerID);
}

/** Whether an id seen here (outside the container's user namespace) has a name inside it. */
function mappedIn(id: number, mappings: IdMapping[] | undefined, overflow: number): boolean {
  if (!mappings) return id !== overflow;
  return mappings.some((x) => id >= x.hostID && id < x.hostID + x.size);
}

export interface Overflow {
  uid: number;
  gid: number;
}

/**
 * Whether the container's process may read (want 4) or search (want 1) a
 * file with these stats: CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH when the
 * file's owner and group are mapped in its user namespace, else the mode's
 * owner, group or other bits.
 */
export function containerMay(spec: BundleSpec, st: Pick<Stats, 'uid' | 'gid' | 'mode'>, want: 4 | 1, overflow: Overflow): boolean {
  const caps = spec.capabilities;
  if (
    (caps.includes('CAP_DAC_OVERRIDE') || caps.includes('CAP_DAC_READ_SEARCH')) &&
    mappedIn(st.uid, spec.uidMappings, overflow.uid) &&
    mappedIn(st.gid, spec.gidMappings, overflow.gid)
  )
    return true;
  const mode = st.mode;
  if (st.uid === outside(spec.uid, spec.uidMappings)) return ((mode >> 6) & want) !== 0;
  if (spec.gids.some((g) => outside(g, spec.gidMappings) === st.gid)) return ((mode >> 3) & want) !== 0;
  return (mode & want) !== 0;
}

/**
 * Opens (O_PATH) the file PATH names inside the container, walking from
 * its mount's source and following symlinks only within that mount.
 * Returns the handle; the caller closes it.
 */
function walk(spec: BundleSpec, path: string, overflow: Overflow): number {
  const name = `${IN_CONTAINER}${path}`;
  const fail = (why: string) => new Failure(`${name}: ${why}`);
  const mount = mountOf(spec.mounts, path);
  if (!mount)
    throw fail(
      `not on a bind mount of the container (${spec.file}); expected a file of a volume, such as a Kubernetes Secret or a podman secret`,
    );
  const dest = mount.destination.replace(/\/+$/, '') || '/';
  const inMount = (p: string) => p === dest || p.startsWith(dest === '/' ? '/' : `${dest}/`);
  const parts = (p: string) => (p === dest ? [] : p.slice(dest === '/' ? 1 : dest.length + 1).split('/'));

  let links = 0;
  let todo = parts(path);
  const open: number[] = [];
  const closeAll = () => {
    for (const fd of open.splice(0)) closeSync(fd);
  };
  try {
    let here = dest; // where we are, as the container sees it
    try {
      open.push(openSync(mount.source, O_PATH));
    } catch (err) {
      throw fail(`the source of its mount at ${dest}, ${mount.source}: ${errnoText(err)}`);
    }
    for (;;) {
      const fd = open[open.length - 1];
      const st = fstatSync(fd);
      if (st.isDirectory() && !containerMay(spec, st, 1, overflow)) throw fail(`${here}: the container's user may not enter this folder`);
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
      if (!inMount(to)) throw fail(`${child} is a symlink to ${target}, out of the mount at ${dest}; expected links that stay inside it`);
      // Walk again from the mount's root to the link's target, then on.
      todo = [...parts(to), ...todo];
      while (open.length > 1) closeSync(open.pop()!);
      here = dest;
    }
  } finally {
    closeAll();
  }
}

function overflowIds(): Overflow {
  const read = (f: string) => {
    try {
      const fd = openSync(f, constants.O_RDONLY);
      try {
        return Number(readLimited(fd).toString().trim());
      } finally {
        closeSync(fd);
      }
    } catch {
      return 65534;
    }
  };
  return { uid: read('/proc/sys/kernel/overflowuid'), gid: read('/proc/sys/kernel/overflowgid') };
}

/** The bytes of the file PATH names inside the container, under the rules above. */
export function readInContainer(spec: BundleSpec, path: string, overflow = overflowIds()): Buffer {
  const name = `${IN_CONTAINER}${path}`;
  if (!path.startsWith('/') || normalize(path) !== path)
    throw new Failure(`${name}: expected an absolute, normalised path inside the container (no "..", "." or "//")`);
  const handle = walk(spec, path, overflow);
  try {
    const st = fstatSync(handle);
    if (!st.isFile()) throw new Failure(`${name}: not a regular file; expected a WireGuard config file`);
    if (!containerMay(spec, st, 4, overflow)) {
      const octal = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new Failure(
        `${name}: the container's user (uid ${spec.uid}) may not read it (mode ${octal}); the hook reads only what the container could`,
      );
    }
    let fd: number;
    try {
      fd = openSync(fdPath(handle), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (err) {
      throw new Failure(`${name}: cannot read the config: ${errnoText(err)}`);
    }
    try {
      return readLimited(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(handle);
  }
}

/** The checked config a "container:PATH" annotation names; errors name "container:PATH". */
export function loadContainerConfig(spec: BundleSpec, path: string, rules?: Rules): Config {
  return configFromBytes(`${IN_CONTAINER}${path}`, readInContainer(spec, path), rules);
}
