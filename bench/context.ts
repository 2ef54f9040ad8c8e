// What the bench's phases share: the options, the one undo list, and the
// resources made once and on demand (the installed hook, the peers, client
// configs). Everything the bench creates is named with PREFIX, so leftovers
// of an interrupted run are recognised and removed at the next start.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { generatePrivateKey, publicKeyOf } from '../src/keys.js';
import { Cleanup } from '../src/tunnel/cleanup.js';
import { HOME, installHook, ROOT, userFile, WIREGUARD_GO } from '../test/helpers/env.js';
import { type Peer, peerSlot, startPeer } from '../test/helpers/peer.js';
import { pod } from './sh.js';

/**
 * Netns, peers and containers of the bench: w4nc*, or moved like the test
 * peers by WG4NS_PEER_PREFIX (w4nb: w4nbc*), so that runs under different
 * test users at once keep apart. Peer indexes 20, 21 (moved by
 * WG4NS_PEER_INDEXES too); the client netns' veths use the /30s of 22, 23
 * inside the netns only.
 */
export const PREFIX = peerSlot('w4nc', 0)[0];
export const OUR_WIREGUARD_GO = WIREGUARD_GO;
export const DEBIAN_WIREGUARD_GO = '/usr/bin/wireguard-go';
/** The tunnel network every peer serves: the peer is .1; clients get /32s in it. */
export const TUNNEL_NET = '198.51.100.0/24';
export const PEER_TUN_V4 = '198.51.100.1';
/** The bench user's folder for configs and probe files. */
export const USER_DIR = join(HOME, 'wg4ns-test');

export type Phase = 'throughput' | 'start' | 'memory' | 'podman5';

export interface Options {
  rounds: number;
  seconds: number;
  startRuns: number;
  probeRuns: number;
  tunnels: number;
  only?: Phase;
  quick: boolean;
  /** raise net.core.rmem_max/wmem_max for a second ours-against-rootful run, restored after */
  tuneSysctl: boolean;
}

export interface Client {
  privateKey: string;
  publicKey: string;
  address: string;
  /** the config file, owned by the bench user, mode 0600 */
  file: string;
}

export class Bench {
  readonly cleanup = new Cleanup();
  private readonly made = new Map<string, Promise<unknown>>();

  private stoppedBy?: string;

  constructor(readonly o: Options) {}

  /** A signal asked the run to stop. */
  stop(signal: string): void {
    this.stoppedBy = signal;
  }

  /** Throws once the run was asked to stop: called between steps. */
  check(): void {
    if (this.stoppedBy) throw new Error(`interrupted by ${this.stoppedBy}`);
  }

  /** fn's result, made once; its undo goes to the bench's cleanup. */
  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    this.check();
    if (!this.made.has(key)) this.made.set(key, fn());
    return this.made.get(key) as Promise<T>;
  }

  hook(): Promise<void> {
    return this.once('hook', installHook);
  }

  /** A peer netns running our own wireguard-go build (so that the peer is not the bottleneck), index 20. */
  ourPeer(): Promise<Peer> {
    return this.once('ourPeer', () => this.peer(`${PREFIX}p`, 20, OUR_WIREGUARD_GO));
  }

  /** A peer netns running Debian's wireguard-go 0.0.20220316, index 21. */
  debianPeer(): Promise<Peer> {
    return this.once('debianPeer', () => this.peer(`${PREFIX}d`, 21, DEBIAN_WIREGUARD_GO));
  }

  private peers: Promise<unknown> = Promise.resolve();

  /**
   * peer.sh takes the peer's binary from WG4NS_PEER_WIREGUARD_GO, which
   * startPeer passes on with the rest of our environment; one peer at a
   * time, so that each sees its own.
   */
  private peer(name: string, index: number, wireguardGo: string): Promise<Peer> {
    const next = this.peers.then(async () => {
      const [actual] = peerSlot(name, index); // WG4NS_PEER_PREFIX may rename it
      this.cleanup.add(() => rmSync(`/run/${actual}.key`, { force: true }));
      this.cleanup.add(() => peerDown(actual)); // peer.sh takes a half-made peer down too
      process.env.WG4NS_PEER_WIREGUARD_GO = wireguardGo;
      try {
        return await startPeer(name, index);
      } finally {
        delete process.env.WG4NS_PEER_WIREGUARD_GO;
      }
    });
    this.peers = next.catch(() => undefined);
    return next;
  }

  /**
   * A client of peer with its own key and /32 (198.51.100.N), allowed on the
   * peer, and its config file. N must be unique per peer: 2 is the peer's
   * own default client.
   */
  async client(peer: Peer, name: string, n: number, privateKey?: string): Promise<Client> {
    this.check();
    const key = privateKey ?? generatePrivateKey().toString('base64');
    const publicKey = publicKeyOf(Buffer.from(key, 'base64')).toString('base64');
    const address = `198.51.100.${n}`;
    if (!privateKey) await peer.wg('set', 'wgp', 'peer', publicKey, 'allowed-ips', `${address}/32`);
    const file = userFile(`${PREFIX}-${name}.conf`, clientConfig(peer, key, address));
    this.cleanup.add(() => rmSync(file, { force: true }));
    return { privateKey: key, publicKey, address, file };
  }
}

export function clientConfig(peer: Peer, privateKey: string, address: string): string {
  return `[Interface]
PrivateKey = ${privateKey}
Address = ${address}/32

[Peer]
PublicKey = ${peer.publicKey}
Endpoint = ${peer.endpoint}
AllowedIPs = ${TUNNEL_NET}
`;
}

async function peerDown(name: string): Promise<void> {
  await execa(join(ROOT, 'test/env/peer.sh'), ['down', name], { reject: false });
}

/** Removes every container of the bench user named PREFIX-* (also those an interrupted run left). */
export async function removeContainers(): Promise<void> {
  const ps = await pod(['ps', '-a', '--format', '{{.Names}}']);
  const ours = ps.stdout.split('\n').filter((n) => n.startsWith(`${PREFIX}-`));
  if (ours.length > 0) await pod(['rm', '-f', '-t', '0', ...ours], 300_000);
}
