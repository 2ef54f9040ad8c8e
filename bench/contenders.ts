// The five ways a rootless workload can reach a server, set up for the
// throughput phase; each registers its undo in the phase's scope.
//   ours         rootless container, our hook, to a backend behind our-build peer
//   rootful      the same wireguard-go binary run by root in a netns (ceiling)
//   original     Debian's wireguard-go 0.0.20220316 on both ends (the original's datapath)
//   slirp4netns  rootless container, --network slirp4netns:mtu=65520, to a server on the host
//   pasta        an `unshare -rn` netns driven by pasta, to the same server on the host
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_ANNOTATION } from '../src/annotations.js';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { ROOTFS, UID } from '../test/helpers/env.js';
import { killSandboxes, startSandbox } from '../test/helpers/sandbox.js';
import { type Bench, type Client, DEBIAN_WIREGUARD_GO, OUR_WIREGUARD_GO, PEER_TUN_V4, PREFIX, USER_DIR } from './context.js';
import { cpuSeconds, findProcess } from './cpu.js';
import { type Runner, startServer, type Tcp, tcp } from './iperf.js';
import { startRootClient } from './rootclient.js';
import { pod, sh, user } from './sh.js';
import { tunnelOf } from './tunnels.js';

export type Key = 'ours' | 'rootful' | 'original' | 'slirp4netns' | 'pasta';

export interface Contender {
  key: Key;
  what: string;
  host: string;
  port: number;
  run: Runner;
  /** can send ICMP echo to host (slirp4netns and pasta would need the host's net.ipv4.ping_group_range) */
  pings: boolean;
  /** pid of the client side's datapath process, whose CPU time per GB the bench reports (cpu.ts) */
  datapath?: () => number;
  /** ours: the daemon's UDP buffer notice */
  notice?: () => string | null;
}

const TUNNEL_PORT = 5301;
const HOST_PORT = 5302;

/** A long-lived container of the bench user, removed by the undo; commands run in it with podman exec. */
export async function container(c: Cleanup, name: string, args: string[]): Promise<{ run: Runner; id: string }> {
  c.add(() => pod(['rm', '-f', '-t', '0', name]).catch(() => undefined));
  const id = (await pod(['run', '-d', '--name', name, ...args, '--rootfs', ROOTFS, 'sleep', '3600'])).stdout.trim();
  return { id, run: async (argv, timeout) => (await pod(['exec', name, ...argv], timeout)).stdout };
}

/** The daemon serving a container of ours. */
export function daemonOf(containerId: string): number {
  const t = tunnelOf(containerId);
  if (!t) throw new Error(`no tunnel found for container ${containerId}`);
  return t.state.daemonPid;
}

/** The UDP buffer notice of the daemon serving a container of ours (wireguard-go/udpbuffers.go), or null. */
export function noticeOf(containerId: string): string | null {
  return tunnelOf(containerId)?.state.udpBufferNotice ?? null;
}

/** A container with our hook, client of peer as conf says. */
export function oursContainer(c: Cleanup, name: string, conf: Client): Promise<{ run: Runner; id: string }> {
  // NET_RAW: for ping only (a rootless container has none by default).
  return container(c, name, ['--cap-add', 'NET_RAW', '--network', 'none', '--annotation', `${CONFIG_ANNOTATION}=${conf.file}`]);
}

export async function setupContenders(b: Bench, c: Cleanup): Promise<Contender[]> {
  await b.hook();
  const peer = await b.ourPeer();
  const debian = await b.debianPeer();
  await startServer(c, ['ip', 'netns', 'exec', peer.name], PEER_TUN_V4, TUNNEL_PORT);
  await startServer(c, ['ip', 'netns', 'exec', debian.name], PEER_TUN_V4, TUNNEL_PORT);
  // The unencrypted contenders' server: on the host, bound to the host end of the peer's veth.
  await startServer(c, [], peer.hostV4, HOST_PORT);

  const oursConf = await b.client(peer, 'tp-ours', 2, peer.clientPrivateKey);
  const ours = await oursContainer(c, `${PREFIX}-tp-ours`, oursConf);

  const rootfulClient = await startRootClient(c, {
    netns: `${PREFIX}r`,
    peer,
    vethIndex: 22,
    wireguardGo: OUR_WIREGUARD_GO,
    client: await b.client(peer, 'tp-rootful', 3),
  });
  const originalClient = await startRootClient(c, {
    netns: `${PREFIX}o`,
    peer: debian,
    vethIndex: 23,
    wireguardGo: DEBIAN_WIREGUARD_GO,
    client: await b.client(debian, 'tp-original', 2, debian.clientPrivateKey),
  });
  const rootRunner =
    (exec: (cmd: string[]) => string[]): Runner =>
    async (argv, timeout) =>
      (await sh(exec(argv), { timeout })).stdout;

  const slirp = await container(c, `${PREFIX}-tp-slirp`, ['--network', 'slirp4netns:mtu=65520']);
  // podman runs slirp4netns with the container's netns path (its SandboxKey) as an argument.
  const slirpNetns = (await pod(['inspect', '--format', '{{.NetworkSettings.SandboxKey}}', slirp.id])).stdout.trim();

  // podman 4.3 has no --network pasta (it came with 4.4): pasta drives an
  // `unshare -rn` netns of the bench user instead (the host's iperf3, no container).
  const sandboxes: number[] = [];
  c.add(() => killSandboxes(sandboxes));
  const nsPid = await startSandbox(sandboxes, 3600);
  const pidFile = join(USER_DIR, `${PREFIX}-pasta.pid`);
  c.add(() => rmSync(pidFile, { force: true }));
  await user(['pasta', '--config-net', '--quiet', '--pid', pidFile, String(nsPid)]);
  const pastaPid = Number(readFileSync(pidFile, 'utf8').trim());
  c.add(() => {
    try {
      process.kill(pastaPid, 'SIGTERM');
    } catch {}
  });
  const pasta: Runner = async (argv, timeout) =>
    (await user(['nsenter', '-t', String(nsPid), '--user', '--net', '--preserve-credentials', ...argv], timeout)).stdout;

  return [
    {
      key: 'ours',
      what: 'rootless container, our hook, our wireguard-go peer',
      host: PEER_TUN_V4,
      port: TUNNEL_PORT,
      run: ours.run,
      pings: true,
      datapath: () => daemonOf(ours.id),
      notice: () => noticeOf(ours.id),
    },
    {
      key: 'rootful',
      what: 'same wireguard-go binary run by root in a netns, same peer',
      host: PEER_TUN_V4,
      port: TUNNEL_PORT,
      run: rootRunner(rootfulClient.exec),
      pings: true,
      datapath: () => rootfulClient.pid,
    },
    {
      key: 'original',
      what: "Debian's wireguard-go 0.0.20220316 on both ends, run by root",
      host: PEER_TUN_V4,
      port: TUNNEL_PORT,
      run: rootRunner(originalClient.exec),
      pings: true,
      datapath: () => originalClient.pid,
    },
    {
      key: 'slirp4netns',
      what: 'rootless container, --network slirp4netns:mtu=65520, to the host',
      host: peer.hostV4,
      port: HOST_PORT,
      run: slirp.run,
      pings: false,
      datapath: () => findProcess(UID, 'slirp4netns', [slirpNetns]),
    },
    {
      key: 'pasta',
      what: 'unshare -rn netns driven by pasta (mtu 65520), to the host',
      host: peer.hostV4,
      port: HOST_PORT,
      run: pasta,
      pings: false,
      datapath: () => pastaPid,
    },
  ];
}

/** One TCP run, and the CPU seconds the contender's datapath process spent during it. */
export async function tcpWithCpu(c: Contender, seconds: number): Promise<{ t: Tcp; cpuS?: number }> {
  const pid = c.datapath?.();
  const before = pid === undefined ? 0 : cpuSeconds(pid);
  const t = await tcp(c.run, c.host, c.port, seconds);
  return { t, cpuS: pid === undefined ? undefined : cpuSeconds(pid) - before };
}
