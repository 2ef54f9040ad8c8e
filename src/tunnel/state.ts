// A tunnel's folder (its socket, log and state) as the rest of us read it.
// The daemon owns the folder: it creates it, locks it for its life, writes
// state.json once ready and removes it all when it ends
// (wireguard-go/folder.go). Beside that, each container using the tunnel
// has an entry in containers/, written by its hook.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeBase } from '../paths.js';
import type { Applied } from './link.js';
import { netnsInodeOf } from './namespaces.js';

export interface TunnelState {
  /** added by the daemon */
  daemonPid: number;
  iface: string;
  netns: string;
  netnsInode: number;
  config: string;
  /** what the config makes the tunnel (configIdentity): another container may join only with the same */
  configIdentity: string;
  /** addresses, routes and MTU set on the interface, for reload */
  applied: Applied;
  /** the daemon's -reresolve list, fixed at its start */
  reresolve?: string[];
  /** the UAPI socket, when not <dir>/<iface>.sock (the original's --tmpdir) */
  socket?: string;
  /** the caller sets the link up, its addresses and routes (the original's command line): reload leaves them */
  linkByCaller?: boolean;
  /** the podman network and container it serves (the netavark plugin, src/netavark/) */
  network?: NetworkEntry;
  created: number;
  /** added by the daemon when the kernel capped its UDP buffers: which sysctl to raise (wireguard-go/udpbuffers.go) */
  udpBufferNotice?: string;
}

export interface NetworkEntry {
  name: string;
  containerId: string;
  containerName: string;
}

/** A container using a tunnel: its init process, and where its DNS went. */
export interface ContainerEntry {
  id: string;
  pid: number;
  /** the process's start time (/proc/PID/stat), which tells a reused pid */
  start: number;
  resolvConf?: string;
}

export const STATE_FILE = 'state.json';
const CONTAINERS = 'containers';

/** A tunnel's UAPI socket. */
export function socketOf(dir: string, state: Pick<TunnelState, 'iface' | 'socket'>): string {
  return state.socket ?? join(dir, `${state.iface}.sock`);
}

export function readState(dir: string): TunnelState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as TunnelState;
  } catch {
    return undefined;
  }
}

/** Rewrites state.json (reload), atomically: a reader sees the old or the new. */
export function writeState(dir: string, state: TunnelState): void {
  const tmp = join(dir, `.${STATE_FILE}.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, STATE_FILE));
}

/** Every tunnel folder of this user. */
export function tunnelDirs(base = runtimeBase()): string[] {
  try {
    return readdirSync(base)
      .filter((n) => /^\d+-/.test(n))
      .map((n) => join(base, n));
  } catch {
    return [];
  }
}

/** The start time of process pid (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/**
 * Records a container as using the tunnel; returns the undo. Fails when the
 * folder is gone: its daemon ended meanwhile.
 */
export function registerContainer(dir: string, entry: ContainerEntry): () => void {
  try {
    mkdirSync(join(dir, CONTAINERS), { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const file = join(dir, CONTAINERS, `${entry.id}.json`);
  writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/** Whether a container's init still runs in the namespace netnsInode. */
export function isLive(c: ContainerEntry, netnsInode: number): boolean {
  return processStart(c.pid) === c.start && netnsInodeOf(c.pid) === netnsInode;
}

/** The containers of a tunnel whose process still runs in its namespace, oldest first. */
export function liveContainers(dir: string, netnsInode: number): ContainerEntry[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, CONTAINERS));
  } catch {
    return [];
  }
  return names
    .flatMap((name) => {
      try {
        return [JSON.parse(readFileSync(join(dir, CONTAINERS, name), 'utf8')) as ContainerEntry];
      } catch {
        return [];
      }
    })
    .filter((c) => isLive(c, netnsInode))
    .sort((a, b) => a.start - b.start);
}

/** Tunnels of a container whose id starts with filter, or of the namespace of process filter (pidNetnsInode). */
export function selectTunnels<T extends { containers: string[]; netnsInode: number }>(
  tunnels: T[],
  filter: string,
  pidNetnsInode?: number,
): T[] {
  return tunnels.filter(
    (t) => t.containers.some((id) => id.startsWith(filter)) || (pidNetnsInode !== undefined && t.netnsInode === pidNetnsInode),
  );
}
