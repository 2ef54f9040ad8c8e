// A config named by a path inside the container ("container:PATH"): a
// Kubernetes Secret volume, a podman secret. The hook reads only what the
// container itself could read, and never any other host path:
//
//   - PATH must lie on one of the container's bind mounts (config.json's
//     mounts); the file is reached from that mount's source, one component
//     at a time, without following any symlink by itself (inroot.ts);
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
import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';
import { normalize } from 'node:path';
import { IN_CONTAINER } from '../annotations.js';
import { Failure } from '../errors.js';
import { fdPath, walkIn } from '../inroot.js';
import type { BundleSpec, IdMapping, Mount } from '../oci.js';
import { configFromBytes, errnoText, readLimited } from './read.js';
import type { Config, Rules } from './validate.js';

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
  return walkIn({ source: mount.source, dest: mount.destination }, path, {
    fail,
    enter: (st, here) => {
      if (!containerMay(spec, st, 1, overflow)) throw fail(`${here}: the container's user may not enter this folder`);
    },
  });
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
