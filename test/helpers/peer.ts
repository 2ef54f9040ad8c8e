// An independent WireGuard peer (Debian's wireguard-go, configured with wg)
// with a backend HTTP server, in a network namespace of its own:
// test/env/peer.sh does the work.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { generatePrivateKey, publicKeyOf } from '../../src/keys.js';
import { ROOT } from './env.js';

const PEER_SH = join(ROOT, 'test/env/peer.sh');
export const BACKEND_V4 = 'http://198.51.100.1:8080/';
export const BACKEND_V6 = 'http://[fd5a:7b1e:c0de::1]:8080/';
export const PAGE = 'wireguard4netns test peer says hello';

/** The peer's tunnel networks: the /24's first three parts, the /64's first four and a colon (test/env/peer.sh). */
export interface TunnelNets {
  v4: string;
  v6: string;
}
const DEFAULT_NETS: TunnelNets = { v4: '198.51.100', v6: 'fd5a:7b1e:c0de:' };
const fetchBoth = (n: TunnelNets) =>
  `ip -o addr show dev wg0; for u in http://${n.v4}.1:8080/ http://[${n.v6}:1]:8080/; do timeout 10 wget -q -O- $u || echo FAILED $u; done`;

/** A shell command for inside a container: wg0's addresses, then both backend pages (or FAILED URL). */
export const FETCH_BOTH = fetchBoth(DEFAULT_NETS);

/** Asserts what FETCH_BOTH (or a peer's fetchBoth) printed: the client config's addresses on wg0 (.host and ::host), and both pages. */
export function assertFetchedBoth(
  r: { exitCode?: number; stdout: string; stderr: string },
  what = '',
  nets = DEFAULT_NETS,
  host = 2,
): void {
  assert.is(r.exitCode, 0, `${what} ${r.stderr}`);
  assert.match(r.stdout, `inet ${nets.v4}.${host}/32`, what);
  assert.match(r.stdout, `inet6 ${nets.v6}:${host}/128`, what);
  assert.not.match(r.stdout, 'FAILED', `${what} ${r.stdout}`);
  assert.is(r.stdout.split(PAGE).length - 1, 2, `${what} ${r.stdout}`);
}

export interface Peer {
  name: string;
  endpoint: string;
  /** the host end of the veth to the peer's netns */
  hostV4: string;
  publicKey: string;
  clientPrivateKey: string;
  /** the tunnel's networks: the client has .2 and ::2 of them, the backend .1 and ::1 */
  nets: TunnelNets;
  /** FETCH_BOTH for this peer's networks */
  fetchBoth: string;
  /** a complete client config for this peer */
  config(extra?: string): string;
  wg(...args: string[]): Promise<string>;
  /** Lets in more client keys, each with the tunnel addresses .host and ::host (taken from the client that had them), in one wg call. */
  allow(clients: { publicKey: string; host: number }[]): Promise<void>;
  /** The clients' public keys whose handshake the peer has seen. */
  handshakes(): Promise<string[]>;
  down(): Promise<void>;
}

/**
 * Runs under different test users at once need peers of their own: with
 * WG4NS_PEER_PREFIX=w4nb a peer "w4nX" is "w4nbX", and with
 * WG4NS_PEER_INDEXES=13-19 its index (its veth addresses) is moved into
 * 13..19. Suites run one after the other and each takes its peer down.
 */
export function peerSlot(name: string, index: number, env = process.env): [string, number] {
  const prefix = env.WG4NS_PEER_PREFIX;
  const renamed = prefix && !name.startsWith(prefix) ? `${prefix}${name.replace(/^w4n/, '')}` : name;
  const range = /^(\d+)-(\d+)$/.exec(env.WG4NS_PEER_INDEXES ?? '');
  if (!range) return [renamed, index];
  const [low, high] = [Number(range[1]), Number(range[2])];
  return [renamed, index >= low && index <= high ? index : low + (index % (high - low + 1))];
}

/** nets: other tunnel networks than the suite's usual 198.51.100.0/24 and fd5a:7b1e:c0de::/64, e.g. a manifest's of the docs. */
export async function startPeer(wantedName: string, wantedIndex = 0, nets = DEFAULT_NETS): Promise<Peer> {
  const [name, index] = peerSlot(wantedName, wantedIndex);
  const env = { WG4NS_PEER_TUN4: nets.v4, WG4NS_PEER_TUN6: nets.v6 };
  const peerKey = generatePrivateKey();
  const clientKey = generatePrivateKey();
  const keyFile = join('/run', `${name}.key`);
  writeFileSync(keyFile, `${peerKey.toString('base64')}\n`, { mode: 0o600 });
  try {
    await execa(PEER_SH, ['up', name, keyFile, publicKeyOf(clientKey).toString('base64'), String(index)], { env });
  } finally {
    rmSync(keyFile, { force: true }); // wg has read it; no private key stays behind in /run
  }
  const info = (await execa(PEER_SH, ['info', name, String(index)], { env })).stdout;
  const nsV4 = /^PEER_NS_V4=(.*)$/m.exec(info)![1];
  const hostV4 = /^PEER_HOST_V4=(.*)$/m.exec(info)![1];
  const peer: Peer = {
    name,
    endpoint: `${nsV4}:51820`,
    hostV4,
    publicKey: publicKeyOf(peerKey).toString('base64'),
    clientPrivateKey: clientKey.toString('base64'),
    nets,
    fetchBoth: fetchBoth(nets),
    config: (extra = '') => `[Interface]
PrivateKey = ${peer.clientPrivateKey}
Address = ${nets.v4}.2/32, ${nets.v6}:2/128
${extra}
[Peer]
PublicKey = ${peer.publicKey}
Endpoint = ${peer.endpoint}
AllowedIPs = ${nets.v4}.0/24, ${nets.v6}:/64
`,
    wg: async (...args) => (await execa(PEER_SH, ['exec', name, 'wg', ...args])).stdout,
    allow: async (clients) => {
      const args = clients.flatMap((c) => ['peer', c.publicKey, 'allowed-ips', `${nets.v4}.${c.host}/32,${nets.v6}:${c.host}/128`]);
      await peer.wg('set', 'wgp', ...args);
    },
    handshakes: async () =>
      (await peer.wg('show', 'wgp', 'latest-handshakes'))
        .split('\n')
        .map((l) => l.split('\t'))
        .filter(([key, at]) => key && Number(at) > 0)
        .map(([key]) => key),
    down: async () => {
      await execa(PEER_SH, ['down', name]);
    },
  };
  return peer;
}
