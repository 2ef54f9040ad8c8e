// Where a tunnel's socket, log and state live: a short per-tunnel folder
// under the runtime directory of the user who owns the container (the same
// rule as wireguard-go/folder.go runtimeBase, for the poststop sweep).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostUid } from './userns.js';

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
