// Where a tunnel's socket, log and state live: a short per-tunnel folder
// under the runtime directory of the user who owns the container (the same
// rule as wireguard-go/folder.go runtimeBase, for the hook's first process
// and the daemon's sweep).
//
// Never a shared tmp: another user could make the folder first there. And
// the same path seen from the host and from inside rootlesskit (whose
// copied-up /run links the host's /run/user), so that `status` finds the
// tunnels of rootless CRI-O or containerd from either side:
//   root of the host         /run/wireguard4netns
//   a user with /run/user/UID (logind, or made by hand)  /run/user/UID/wireguard4netns
//   a user without one       HOME/.local/state/wireguard4netns
// WIREGUARD4NETNS_RUNTIME_DIR, when set, wins.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hostUid } from './userns.js';

/** The home folder of uid in /etc/passwd ("" when it has none there). */
export function homeOf(uid: number, passwd: string): string {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && f[2] === String(uid) && f[5].startsWith('/')) return f[5];
  }
  return '';
}

export function runtimeBase(uid = hostUid()): string {
  return runtimeBaseOf(process.env.WIREGUARD4NETNS_RUNTIME_DIR, uid, {
    isDir: (dir) => {
      try {
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    },
    passwd: () => {
      try {
        return readFileSync('/etc/passwd', 'utf8');
      } catch {
        return '';
      }
    },
  });
}

/**
 * The runtime base of host uid, given the environment's override, whether
 * a folder exists and /etc/passwd's text (wireguard-go/folder.go
 * runtimeBaseOf; test/fixtures/contract/runtime-base.json).
 */
export function runtimeBaseOf(
  override: string | undefined,
  uid: number,
  host: { isDir: (dir: string) => boolean; passwd: () => string },
): string {
  if (override) return override;
  if (uid === 0) return '/run/wireguard4netns';
  const userRun = `/run/user/${uid}`;
  if (host.isDir(userRun)) return join(userRun, 'wireguard4netns');
  // No home either: a path that names the problem when it cannot be made.
  return join(homeOf(uid, host.passwd()) || `/nonexistent-home-of-uid-${uid}`, '.local/state/wireguard4netns');
}

/** The lock of a WireGuard identity (its public key) that one tunnel at a time may hold (wireguard-go/identity.go). */
export function identityLockDir(publicKey: Buffer, base = runtimeBase()): string {
  return join(base, `identity-${publicKey.toString('hex')}`);
}

/** The UDP broker's socket (wireguard-go/udpbroker.go), beside the tunnel folders' base. */
export function udpBrokerSocket(base = runtimeBase()): string {
  return `${base}-udp.sock`;
}

/** One folder per tunnel: the namespace's inode and the interface name (wireguard-go/folder.go tunnelDir). */
export function tunnelDir(netnsInode: number, iface: string, base = runtimeBase()): string {
  return join(base, `${netnsInode}-${iface}`);
}
