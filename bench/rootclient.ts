// A WireGuard client run by root the normal way: wireguard-go creates its
// TUN in a netns the bench made, and that netns is joined to the peer's
// netns by one veth, so the encrypted UDP crosses one veth, as it does from
// our daemon (host netns) to the peer. Used for the rootful ceiling (our
// wireguard-go build) and for the original's datapath (Debian's
// 0.0.20220316 on both ends).
//
// Its daemon and the iperf3 clients run in it each start a session of their
// own, as ours' do: our daemon is spawned detached by the hook, and
// `podman exec` runs iperf3 under a conmon of its own. With the kernel's
// scheduler autogroups (kernel.sched_autogroup_enabled, on by default) a
// session is a scheduling group: CPU is first shared fairly between groups,
// then between the tasks in each. Left in the bench's session, the rootful
// daemon and its iperf3 client shared one group with the peer's
// wireguard-go and the iperf3 server, and on 2 cores that made them
// cheaper per byte (fewer wakeups and context switches) than ours, whose
// daemon and client are each a group of their own: a difference in
// placement, not in the daemons. A rootful wireguard-go run for real (by
// systemd, or wg-quick from a login) is in a session of its own too.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import type { Peer } from '../test/helpers/peer.js';
import { type Client, PEER_TUN_V4, TUNNEL_NET } from './context.js';
import { sh, sleep } from './sh.js';

const IFACE = 'wgc';

export interface RootClient {
  netns: string;
  /** the wireguard-go process (ip netns exec, unshare and sh each exec the next) */
  pid: number;
  /** argv that runs cmd inside the client's netns, in a session of its own */
  exec(cmd: string[]): string[];
}

/** Kills whatever runs in netns name and deletes it (and its veths); quiet when there is none. */
export async function removeNetns(name: string): Promise<void> {
  const pids = await execa('ip', ['netns', 'pids', name], { reject: false });
  for (const pid of pids.stdout.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
  await execa('ip', ['netns', 'del', name], { reject: false });
}

function isSocket(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isSocket() ?? false;
}

/** 198.18.0.0/15 + 4*index: the /30 of peer.sh's INDEX scheme; .1 and .2 of it. */
function slash30(index: number): [string, string] {
  const n = 4 * index;
  const base = `198.${18 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}`;
  return [`${base}.${(n % 256) + 1}`, `${base}.${(n % 256) + 2}`];
}

/**
 * Runs argv in netns with /run/wireguard and /run/wireguard4netns bound to
 * sockDir in a private mount namespace, as peer.sh does: the UAPI socket of
 * this wireguard-go (whichever directory it was built with) stays ours.
 * The mount point is made again first, as peer.sh does: another user's
 * peer.sh removes it when empty.
 */
function inSocketView(netns: string, sockDir: string, argv: string[]): string[] {
  const script =
    'mkdir -p /run/wireguard && mount --bind "$1" /run/wireguard && { [ ! -d /run/wireguard4netns ] || mount --bind "$1" /run/wireguard4netns; } && shift && exec "$@"';
  return ['ip', 'netns', 'exec', netns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', sockDir, ...argv];
}

export async function startRootClient(
  c: Cleanup,
  o: { netns: string; peer: Peer; vethIndex: number; wireguardGo: string; client: Client },
): Promise<RootClient> {
  const { netns, peer } = o;
  const [mine, theirs] = slash30(o.vethIndex);
  await removeNetns(netns); // an interrupted run's
  c.add(() => removeNetns(netns));
  await sh(['ip', 'netns', 'add', netns]);
  await sh(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
  // veth0 here, the other end (named after this netns) in the peer's netns.
  await sh(['ip', '-n', netns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', netns, 'netns', peer.name]);
  await sh(['ip', '-n', netns, 'addr', 'add', `${mine}/30`, 'dev', 'veth0']);
  await sh(['ip', '-n', netns, 'link', 'set', 'veth0', 'up']);
  await sh(['ip', '-n', peer.name, 'addr', 'add', `${theirs}/30`, 'dev', netns]);
  await sh(['ip', '-n', peer.name, 'link', 'set', netns, 'up']);

  const sockDir = join('/run', netns);
  rmSync(sockDir, { recursive: true, force: true });
  mkdirSync(sockDir, { recursive: true, mode: 0o700 });
  mkdirSync('/run/wireguard', { recursive: true }); // peer.sh's mount point; it removes it when empty
  c.add(() => rmSync(sockDir, { recursive: true, force: true }));
  const keyFile = join(sockDir, 'key');
  writeFileSync(keyFile, `${o.client.privateKey}\n`, { mode: 0o600 });

  // Foreground, so that the bench owns the process; killed by the undo (and
  // by removeNetns). Detached: a session of its own (above).
  const argv = inSocketView(netns, sockDir, [o.wireguardGo, '-f', IFACE]);
  const daemon: ResultPromise = execa(argv[0], argv.slice(1), { reject: false, stdio: 'ignore', detached: true });
  c.add(async () => {
    daemon.kill('SIGTERM');
    await Promise.race([daemon, sleep(3000)]);
  });
  const sock = join(sockDir, `${IFACE}.sock`);
  for (let i = 0; i < 50 && !isSocket(sock); i++) await sleep(100);
  const wg = (...args: string[]) => sh(inSocketView(netns, sockDir, ['wg', ...args]));
  await wg('set', IFACE, 'private-key', keyFile, 'peer', peer.publicKey, 'endpoint', `${theirs}:51820`, 'allowed-ips', TUNNEL_NET);
  await sh(['ip', '-n', netns, 'addr', 'add', `${o.client.address}/32`, 'dev', IFACE]);
  await sh(['ip', '-n', netns, 'link', 'set', IFACE, 'up']);
  await sh(['ip', '-n', netns, 'route', 'add', TUNNEL_NET, 'dev', IFACE]);
  // setsid: each command in a session of its own (above); -w: should it
  // have to fork, it waits and exits with the command's status.
  const exec = (cmd: string[]) => ['setsid', '-w', 'ip', 'netns', 'exec', netns, ...cmd];
  await sh(exec(['busybox', 'ping', '-c', '1', '-W', '5', PEER_TUN_V4]), { timeout: 10_000 });
  return { netns, exec, pid: daemon.pid! };
}
