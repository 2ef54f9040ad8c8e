// The five ways a rootless workload can reach a server, set up for the
// throughput phase; each registers its undo in the phase's scope.
//   ours         rootless container, our hook, to a backend behind our-build peer
//   rootful      the same wireguard-go binary run by root in a netns (ceiling)
//   original     Debian's wireguard-go 0.0.20220316 on both ends (the original's datapath)
//   slirp4netns  rootless container, --network slirp4netns:mtu=65520, to a server on the host
//   pasta        an `unshare -rn` netns driven by pasta, to the same server on the host
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { ROOTFS } from '../test/helpers/env.js';
import { killSandboxes, startSandbox } from '../test/helpers/sandbox.js';
import { ANNOTATION, type Bench, DEBIAN_WIREGUARD_GO, OUR_WIREGUARD_GO, PEER_TUN_V4, PREFIX, USER_DIR } from './context.js';
import { type Runner, startServer } from './iperf.js';
import { startRootClient } from './rootclient.js';
import { pod, sh, user } from './sh.js';

export type Key = 'ours' | 'rootful' | 'original' | 'slirp4netns' | 'pasta';

export interface Contender {
  key: Key;
  what: string;
  host: string;
  port: number;
  run: Runner;
  /** can send ICMP echo to host (slirp4netns and pasta would need the host's net.ipv4.ping_group_range) */
  pings: boolean;
}

const TUNNEL_PORT = 5301;
const HOST_PORT = 5302;

/** A long-lived container of the bench user, removed by the undo; commands run in it with podman exec. */
async function container(c: Cleanup, name: string, args: string[]): Promise<Runner> {
  c.add(() => pod(['rm', '-f', '-t', '0', name]).catch(() => undefined));
  await pod(['run', '-d', '--name', name, ...args, '--rootfs', ROOTFS, 'sleep', '3600']);
  return async (argv, timeout) => (await pod(['exec', name, ...argv], timeout)).stdout;
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
  // NET_RAW: for ping only (a rootless container has none by default).
  const ours = await container(c, `${PREFIX}-tp-ours`, [
    '--cap-add',
    'NET_RAW',
    '--network',
    'none',
    '--annotation',
    `${ANNOTATION}=${oursConf.file}`,
  ]);

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
      run: ours,
      pings: true,
    },
    {
      key: 'rootful',
      what: 'same wireguard-go binary run by root in a netns, same peer',
      host: PEER_TUN_V4,
      port: TUNNEL_PORT,
      run: rootRunner(rootfulClient.exec),
      pings: true,
    },
    {
      key: 'original',
      what: "Debian's wireguard-go 0.0.20220316 on both ends, run by root",
      host: PEER_TUN_V4,
      port: TUNNEL_PORT,
      run: rootRunner(originalClient.exec),
      pings: true,
    },
    {
      key: 'slirp4netns',
      what: 'rootless container, --network slirp4netns:mtu=65520, to the host',
      host: peer.hostV4,
      port: HOST_PORT,
      run: slirp,
      pings: false,
    },
    {
      key: 'pasta',
      what: 'unshare -rn netns driven by pasta (mtu 65520), to the host',
      host: peer.hostV4,
      port: HOST_PORT,
      run: pasta,
      pings: false,
    },
  ];
}
