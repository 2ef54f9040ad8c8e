// Where a tunnel's socket, log and state live: a short per-tunnel folder
// under the runtime directory of the user who owns the container, found
// from /proc/self/uid_map rather than from a hook's unreliable environment.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Maps an id through a /proc/PID/{uid,gid}_map text to the parent namespace. */
export function mapToParent(id: number, mapText: string): number {
  for (const line of mapText.trim().split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (id >= inside && id < inside + count) return outside + (id - inside);
  }
  return id;
}

/** The uid we have in the parent user namespace (the host's, for podman). */
export function hostUid(): number {
  return mapToParent(process.geteuid!(), readFileSync('/proc/self/uid_map', 'utf8'));
}

/** Whether we are in the initial user namespace (real root can act on any child). */
export function inInitialUserns(): boolean {
  return /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
}

export function runtimeBase(uid = hostUid()): string {
  if (process.env.WIREGUARD4NETNS_RUNTIME_DIR) return process.env.WIREGUARD4NETNS_RUNTIME_DIR;
  if (uid === 0) return '/run/wireguard4netns';
  const userRun = `/run/user/${uid}`;
  return existsSync(userRun) ? join(userRun, 'wireguard4netns') : join(tmpdir(), `wireguard4netns-${uid}`);
}

/** One folder per tunnel: the namespace's inode and the interface name. */
export function tunnelDir(netnsInode: number, iface: string, base = runtimeBase()): string {
  return join(base, `${netnsInode}-${iface}`);
}
