// A tunnel's state.json, beside its socket and log in the tunnel folder.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Applied } from './link.js';
import { runtimeBase } from './paths.js';

export interface TunnelState {
  daemonPid: number;
  iface: string;
  netns: string;
  netnsInode: number;
  config: string;
  /** the containers (OCI ids) that use this tunnel; empty for the command line */
  containers: string[];
  /** addresses, routes and MTU set on the interface, for reload */
  applied: Applied;
  /** the daemon's -reresolve list, fixed at its start */
  reresolve?: string[];
  /** /etc/resolv.conf source we wrote, if any */
  resolvConf?: string;
  created: number;
}

export const STATE_FILE = 'state.json';

export function socketPath(dir: string, iface: string): string {
  return join(dir, `${iface}.sock`);
}

export function makeTunnelDir(dir: string): void {
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o700 });
}

export function writeState(dir: string, state: TunnelState): void {
  const tmp = join(dir, `.${STATE_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, STATE_FILE));
}

export function readState(dir: string): TunnelState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as TunnelState;
  } catch {
    return undefined;
  }
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

export function removeTunnelDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Tunnels of a container whose id starts with filter, or of the namespace of process filter. */
export function selectTunnels<T extends { containers: string[]; netnsInode: number }>(tunnels: T[], filter: string, pidNetnsInode?: number): T[] {
  return tunnels.filter(
    (t) => t.containers.some((id) => id.startsWith(filter)) || (pidNetnsInode !== undefined && t.netnsInode === pidNetnsInode),
  );
}

/** The network namespace inode of process filter, when filter is a live pid. */
export function netnsInodeOfPid(filter: string): number | undefined {
  if (!/^\d+$/.test(filter)) return undefined;
  try {
    return statSync(`/proc/${filter}/ns/net`).ino;
  } catch {
    return undefined;
  }
}
