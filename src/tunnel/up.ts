// Bringing a tunnel up in a network namespace and taking it down again.
// Every step is bounded (resolve 3 s, daemon ready 3 s once it owns the
// tunnel, and the optional wait for a handshake), so a hook finishes in
// time and its error names the step that hung. Each step returns or
// registers its undo, so a failure at any point leaves nothing: no daemon,
// no socket, no interface, no state.
//
// One daemon serves a namespace and interface; the daemon's lock on the
// tunnel folder decides who starts it (wireguard-go/folder.go). Every
// other caller joins it: a pod's next container, or a start that raced
// with the first.
import { join } from 'node:path';
import { isIPAddress } from '../cidr.js';
import { type Config, selfPeerMessage } from '../config/validate.js';
import { Failure, step } from '../errors.js';
import { identityLockDir, tunnelDir } from '../paths.js';
import { Cleanup } from './cleanup.js';
import { appendLog, type DaemonOptions, type EarlyDaemon, isAlive, startDaemon, stopDaemon, sweep } from './daemon.js';
import { resolveEndpoint } from './endpoint.js';
import { identityInput } from './identity.js';
import { appliedOf } from './link.js';
import type { Target } from './namespaces.js';
import { writeResolvConf } from './resolvconf.js';
import { liveContainers, type NetworkEntry, processStart, readState, registerContainer, socketOf, type TunnelState } from './state.js';
import { stopHereForTests } from './teststop.js';
import { encodeConfig } from './uapiconfig.js';

export interface UpOptions {
  iface: string;
  containerId?: string;
  /**
   * host path of the container's resolv.conf, for DNS=; or how to find it
   * (the hook's lookup, which reads the bundle and walks the container's
   * root), called while the daemon applies the config
   */
  resolvConf?: string | (() => string | undefined);
  verbose?: boolean;
  /** wait up to this many seconds for a first handshake */
  waitSeconds?: number;
  /** the UAPI socket's folder, when not the tunnel's (the original's --tmpdir) */
  socketDir?: string;
  /** the caller sets the link up, its addresses and routes, and DNS (the original's command line) */
  linkByCaller?: boolean;
  /** no pid to watch (a network plugin's setup): wait this long (a Go duration) for the namespace's first process */
  awaitProcess?: string;
  /** one namespace per WireGuard key: the daemon holds the key's identity lock */
  exclusive?: boolean;
  /** the podman network and container, for state.json */
  network?: NetworkEntry;
  /** a UDP broker's socket: the daemon sends from the broker's network namespace */
  udpBroker?: string;
  /** the daemon the hook's first process started for this tunnel (daemon.ts earlyDaemon) */
  early?: EarlyDaemon;
}

export interface UpResult {
  dir: string;
  state: TunnelState;
  /** true when another start serves the tunnel (a pod's next container) */
  joined: boolean;
}

/** In the tunnel's log, the hook's daemon's steps that ran while Node started (bench/tunnels.ts reads it). */
export const BESIDE_NODE = 'in wireguard-go while Node started';

/** Runs fn and notes how long it took, for the tunnel's log. */
async function timed<T>(times: string[], label: string, fn: () => Promise<T>): Promise<T> {
  // process.hrtime, not performance.now(): the global performance loads perf_hooks and its modules on the hook's path.
  const started = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    times.push(`${label} ${Math.round(Number(process.hrtime.bigint() - started) / 1e6)} ms`);
  }
}

/** The tunnel serving this folder, if its daemon lives. */
function liveTunnel(dir: string): TunnelState | undefined {
  const state = readState(dir);
  return state && isAlive(state.daemonPid) ? state : undefined;
}

/** "PUBKEYHEX=HOST:PORT" of the peers whose endpoint is a name, for the daemon to re-resolve. */
export function reresolveList(config: Config): string[] {
  return config.peers.flatMap((p) =>
    p.endpoint && !isIPAddress(p.endpoint.host) ? [`${p.publicKey.toString('hex')}=${p.endpoint.host}:${p.endpoint.port}`] : [],
  );
}

/** A container may join a tunnel only with the config that tunnel runs (the daemon compared their identities). */
function otherConfig(state: TunnelState, config: Config, where: string): Failure {
  const mine = config.file === state.config ? `${config.file} (changed since the tunnel started)` : config.file;
  return new Failure(
    `${where} already runs ${state.iface} from ${state.config}, and this start names ${mine}; expected the same config for every container of a namespace (apply a new one with "wireguard4netns reload")`,
  );
}

/** Starts the daemon, or joins the one another start made: the tunnel, and how to stop the daemon when this call started it. */
async function serve(
  t: Target,
  config: Config,
  o: UpOptions,
  dir: string,
  times: string[],
): Promise<{ state: TunnelState; stop?: () => Promise<void>; resolvConf: Found<string | undefined> }> {
  // Nothing is touched before every endpoint has an address.
  const endpoints = await timed(times, 'resolve', () => Promise.all(config.peers.map((p) => p.endpoint && resolveEndpoint(p.endpoint))));
  const applied = o.linkByCaller ? { addresses: [], routes: [], mtu: config.mtu } : appliedOf(config);
  const reresolve = reresolveList(config);
  const state = {
    iface: o.iface,
    netns: t.netns,
    netnsInode: t.inode,
    config: config.file,
    applied,
    reresolve,
    ...(o.socketDir ? { socket: join(o.socketDir, `${o.iface}.sock`) } : {}),
    ...(o.linkByCaller ? { linkByCaller: true } : {}),
    ...(o.network ? { network: o.network } : {}),
    created: Math.floor(Date.now() / 1000),
  };
  // The identity lock names the public key: only the netavark plugin asks for it, and only it loads crypto for it.
  const identityLock = o.exclusive ? identityLockDir((await import('../keys.js')).publicKeyOf(config.privateKey)) : undefined;
  stopHereForTests('spawn');
  const options: DaemonOptions = {
    iface: o.iface,
    link: applied,
    config: encodeConfig(config, endpoints),
    identity: identityInput(config),
    dir,
    state,
    reresolve,
    verbose: o.verbose,
    socketDir: o.socketDir,
    linkByCaller: o.linkByCaller,
    awaitProcess: o.awaitProcess,
    identityLock,
    udpBroker: o.udpBroker,
    selfPeer: (publicKeyHex) => selfPeerMessage(config, publicKeyHex),
  };
  // The config goes down the pipe as startDaemon is called; what the start needs later is found meanwhile.
  const starting = timed(times, 'daemon', () => startDaemon(t, options, o.early));
  const resolvConf = find(o.resolvConf);
  const daemon = await starting;
  if (!daemon.joined) {
    // The hook's daemon did its first steps while Node started: those were not on the start's path.
    const phases = daemon.phases.split(', ');
    const waited = o.early ? phases.findIndex((p) => p.startsWith('config wait ')) + 1 : 0;
    times.push(`of which in wireguard-go: ${phases.slice(waited).join(', ')}`);
    if (waited > 0) times.push(`${BESIDE_NODE}: ${phases.slice(0, waited).join(', ')}`);
    // The state as the daemon wrote it: with the config's identity, which only it computes.
    const started = readState(dir);
    if (started) return { state: started, stop: daemon.stop, resolvConf };
    await daemon.stop();
    throw new Failure(`${o.iface} in ${t.netns}: wireguard-go reported ready without ${dir}/state.json`);
  }
  const joined = liveTunnel(dir);
  if (!joined) throw new Failure(`${o.iface} in ${t.netns}: the start this one joined has ended meanwhile; start again`);
  if (!daemon.sameConfig) throw otherConfig(joined, config, t.netns);
  return { state: joined, resolvConf };
}

/** A value, or the error that finding it raised: thrown once what was started meanwhile can be undone. */
type Found<T> = { value: T } | { error: unknown };

function find<T>(what: T | (() => T)): Found<T> {
  try {
    return { value: typeof what === 'function' ? (what as () => T)() : what };
  } catch (error) {
    return { error };
  }
}

export async function up(t: Target, config: Config, o: UpOptions): Promise<UpResult> {
  const dir = tunnelDir(t.inode, o.iface);
  const times: string[] = [];
  const cleanup = new Cleanup();
  try {
    const { state, stop, resolvConf: found } = await serve(t, config, o, dir, times);
    stopHereForTests('ready');
    // The daemon this call started ends with a failure, unless a container that joined meanwhile uses it.
    // Killed (or dead already), it leaves its folder: the sweep takes that.
    if (stop) {
      cleanup.add(async () => {
        if (liveContainers(dir, t.inode).length > 0) return;
        await stop();
        await sweep();
      });
    }
    if ('error' in found) throw found.error;
    if (o.containerId && t.watchPid) {
      const entry = { id: o.containerId, pid: t.watchPid, start: processStart(t.watchPid) ?? 0, resolvConf: found.value };
      cleanup.add(await step(`registering container ${o.containerId} with the tunnel in ${dir}`, () => registerContainer(dir, entry)));
    }
    if (o.waitSeconds) {
      const { awaitHandshake } = await import('./wait.js');
      await timed(times, 'handshake', () => awaitHandshake(socketOf(dir, state), config, o.waitSeconds!));
    }
    const resolvConf = config.dns.length > 0 && !o.linkByCaller ? found.value : undefined;
    if (resolvConf) cleanup.add(await step('writing DNS', () => writeResolvConf(resolvConf, config)));
    const who = o.containerId ? `container ${o.containerId}` : 'the command line';
    appendLog(dir, stop ? `${o.iface} up for ${who} from ${config.file} (${times.join(', ')})` : `${o.iface}: ${who} joined`);
    return { dir, state, joined: !stop };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

/** Stops a tunnel's daemon, which removes its folder; a folder a dead daemon left goes too. */
export async function down(dir: string): Promise<void> {
  const state = readState(dir);
  if (state) await stopDaemon(state.daemonPid);
  await sweep();
}

/** The folder of the tunnel serving target and iface, if there is one. */
export function findTunnel(t: Target, iface: string): string | undefined {
  const dir = tunnelDir(t.inode, iface);
  return readState(dir) ? dir : undefined;
}
