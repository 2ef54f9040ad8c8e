// Bringing a tunnel up in a network namespace and taking it down again.
// Every step is bounded (resolve 3 s, daemon ready 3 s, and the optional
// wait for a handshake), so a hook finishes in time and its error names the
// step that hung.
// Each step registers its undo, so a failure at any point leaves nothing:
// no daemon, no socket, no interface, no state.
import { statSync } from 'node:fs';
import { isIPAddress } from './cidr.js';
import { Cleanup } from './cleanup.js';
import type { Config } from './config/validate.js';
import { appendLog, isAlive, startDaemon, stopDaemon } from './daemon.js';
import { resolveEndpoint } from './endpoint.js';
import { wrap } from './errors.js';
import { appliedOf } from './link.js';
import { processInNetns, type Target } from './namespaces.js';
import { tunnelDir } from './paths.js';
import { writeResolvConf } from './resolvconf.js';
import { makeTunnelDir, readState, removeTunnelDir, socketPath, type TunnelState, tunnelDirs, writeState } from './state.js';
import { encodeConfig } from './uapi.js';
import { awaitHandshake } from './wait.js';

export interface UpOptions {
  iface: string;
  containerId?: string;
  /** host path of the container's resolv.conf, for DNS= */
  resolvConf?: string;
  verbose?: boolean;
  /** wait up to this many seconds for a first handshake */
  waitSeconds?: number;
}

export interface UpResult {
  dir: string;
  state: TunnelState;
  /** true when the namespace already had this tunnel (a pod's next container) */
  joined: boolean;
}

async function step<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrap(what, err);
  }
}

/** Runs fn and notes how long it took, for the tunnel's log. */
async function timed<T>(times: string[], label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    times.push(`${label} ${Math.round(performance.now() - started)} ms`);
  }
}

/** A tunnel already serving this namespace and interface, if its daemon lives. */
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

export async function up(t: Target, config: Config, o: UpOptions): Promise<UpResult> {
  const dir = tunnelDir(t.inode, o.iface);
  const existing = liveTunnel(dir);
  if (existing) {
    if (o.containerId && !existing.containers.includes(o.containerId)) existing.containers.push(o.containerId);
    writeState(dir, existing);
    appendLog(dir, `${o.iface}: container ${o.containerId ?? '(command line)'} joined`);
    return { dir, state: existing, joined: true };
  }
  const times: string[] = [];
  // Nothing is touched before every endpoint has an address.
  const endpoints = await timed(times, 'resolve', () => Promise.all(config.peers.map((p) => p.endpoint && resolveEndpoint(p.endpoint))));
  const reresolve = reresolveList(config);

  const resolvConf = config.dns.length > 0 ? o.resolvConf : undefined;
  const applied = appliedOf(config);
  const cleanup = new Cleanup();
  try {
    removeTunnelDir(dir); // leftovers of a daemon that was killed
    await step(`creating ${dir}`, () => makeTunnelDir(dir));
    cleanup.add(() => removeTunnelDir(dir));
    const daemon = await timed(times, 'daemon', () =>
      step('starting wireguard-go', () =>
        startDaemon(t, { iface: o.iface, link: applied, config: encodeConfig(config, endpoints), dir, verbose: o.verbose, reresolve }),
      ),
    );
    times.push(`of which in wireguard-go: ${daemon.phases}`);
    const daemonPid = daemon.pid;
    cleanup.add(() => stopDaemon(daemonPid));
    if (o.waitSeconds) await timed(times, 'handshake', () => awaitHandshake(socketPath(dir, o.iface), config, endpoints, o.waitSeconds!));
    if (resolvConf) cleanup.add(await step(`writing DNS into ${resolvConf}`, () => writeResolvConf(resolvConf, config)));
    const state: TunnelState = {
      daemonPid,
      iface: o.iface,
      netns: t.netns,
      netnsInode: t.inode,
      config: config.file,
      containers: o.containerId ? [o.containerId] : [],
      applied,
      reresolve,
      resolvConf,
      created: Math.floor(Date.now() / 1000),
    };
    writeState(dir, state);
    appendLog(dir, `${o.iface} up for ${o.containerId ? `container ${o.containerId}` : 'the command line'} from ${config.file} (${times.join(', ')})`);
    return { dir, state, joined: false };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

/** Stops a tunnel's daemon and removes its folder. */
export async function down(dir: string): Promise<void> {
  const state = readState(dir);
  if (state) await stopDaemon(state.daemonPid);
  removeTunnelDir(dir);
}

/**
 * Removes what killed daemons left: the folders of tunnels whose daemon is
 * dead, and folders without state (a start that crashed) older than a
 * minute, so that a start in progress is never touched. A daemon that ends
 * normally removes its folder itself. Returns the folders removed.
 */
export function prune(now = Date.now()): string[] {
  return tunnelDirs().filter((dir) => {
    const state = readState(dir);
    const stale = state ? !isAlive(state.daemonPid) : now - modifiedAt(dir) > 60_000;
    if (stale) removeTunnelDir(dir);
    return stale;
  });
}

function modifiedAt(dir: string): number {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * A container has ended: poststop, when the hook JSON lists that stage
 * (the default JSON does not: the daemon ends by itself, see prune). Its
 * tunnels end too unless another process still lives in their namespace
 * (the next container of a pod); a tunnel whose daemon died is cleaned up
 * either way.
 */
export async function release(containerId: string): Promise<void> {
  for (const dir of tunnelDirs()) {
    const state = readState(dir);
    // No state yet: another hook is still setting this tunnel up.
    if (!state?.containers.includes(containerId)) continue;
    if (isAlive(state.daemonPid) && processInNetns(state.netnsInode) !== undefined) {
      state.containers = state.containers.filter((id) => id !== containerId);
      writeState(dir, state);
      continue;
    }
    await down(dir);
  }
}

/** The folder of the tunnel serving target and iface, if there is one. */
export function findTunnel(t: Target, iface: string): string | undefined {
  const dir = tunnelDir(t.inode, iface);
  return readState(dir) ? dir : undefined;
}
