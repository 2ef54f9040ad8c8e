// "wireguard4netns status": every tunnel of the calling user, what its
// daemon reports over UAPI, as text or JSON. The pure part (parsing a
// reply, choosing tunnels, formatting) is apart from the I/O (folders,
// /proc, sockets, configs). The daemon's reply holds the private and the
// preshared keys: they are dropped while parsing and never get further.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { inContainerPath } from '../annotations.js';
import { formatCidr } from '../cidr.js';
import { defaultOwners, loadConfig } from '../config/read.js';
import { Failure } from '../errors.js';
import { runtimeBase } from '../paths.js';
import { isAlive, LOG_FILE } from '../tunnel/daemon.js';
import { netnsInodeOf, netnsInodeOfPid, processInNetns } from '../tunnel/namespaces.js';
import { liveContainers, readState, selectTunnels, socketOf, type TunnelState, tunnelDirs } from '../tunnel/state.js';
import { type PeerStatus, parseDevice, uapiRequest } from '../tunnel/uapi.js';

/**
 * running: the daemon answered; dead: its pid is gone (a killed daemon
 * leaves its folder); not-answering: alive, but its socket refused or hung;
 * no-state: a folder without state.json (being set up, or a failed start).
 */
export type DaemonState = 'running' | 'dead' | 'not-answering' | 'no-state';

export interface TunnelStatus {
  dir: string;
  iface: string;
  netns: string | null;
  netnsInode: number;
  containers: string[];
  daemonPid: number | null;
  daemon: DaemonState;
  /** why the socket did not answer */
  error: string | null;
  config: string | null;
  /** the config's Address list as it reads now (a container's own file: as applied); null when it cannot be read */
  addresses: string[] | null;
  log: string;
  /** the UAPI socket */
  socket: string;
  publicKey: string | null;
  listenPort: number | null;
  /** the daemon's word that the kernel capped its UDP buffers, and which sysctl to raise */
  udpBufferNotice: string | null;
  peers: PeerStatus[];
}

/** 512 B, 1.2 KiB, 3.0 MiB ... */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A handshake time (unix seconds, 0: never) as "12 s ago", "3 min ago", "never". */
export function formatAgo(when: number, now: number): string {
  if (when === 0) return 'never';
  const s = Math.max(0, Math.floor(now - when));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

function block(pairs: [string, string][], indent: string): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 3;
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}${v}`);
}

function daemonText(t: TunnelStatus): string {
  if (t.daemon === 'dead') {
    return `pid ${t.daemonPid} dead, so ${t.iface} is gone and its containers have no network; leftovers in ${t.dir} go at the next tunnel start, or now with "wireguard4netns prune"`;
  }
  if (t.daemon === 'not-answering') return `pid ${t.daemonPid}, socket not answering (${t.error})`;
  return `pid ${t.daemonPid}`;
}

function tunnelText(t: TunnelStatus, now: number): string[] {
  if (t.daemon === 'no-state') {
    return [
      `${t.iface} in the network namespace with inode ${t.netnsInode}`,
      ...block([['state', `no state.json in ${t.dir} (a tunnel being set up, or left by a failed start)`]], '  '),
    ];
  }
  const pairs: [string, string][] = [
    ['containers', t.containers.length > 0 ? t.containers.map((id) => id.slice(0, 12)).join(', ') : 'none (command line)'],
    ['daemon', daemonText(t)],
    ['config', t.config ?? '?'],
    ['addresses', t.addresses ? t.addresses.join(', ') || '(none)' : '?'],
  ];
  if (t.daemon === 'running') {
    pairs.push(['public key', t.publicKey ?? '(none)'], ['listening port', t.listenPort === null ? '?' : String(t.listenPort)]);
  }
  if (t.udpBufferNotice && t.daemon === 'running') pairs.push(['udp buffers', t.udpBufferNotice]);
  pairs.push(['log', t.log]);
  const where = t.netns ?? `the network namespace with inode ${t.netnsInode} (no process left in it)`;
  const lines = [`${t.iface} in ${where}`, ...block(pairs, '  ')];
  if (t.daemon === 'running' && t.peers.length === 0) lines.push('', '  no peers');
  for (const p of t.peers) {
    lines.push(
      '',
      `  peer ${p.publicKey}`,
      ...block(
        [
          ['endpoint', p.endpoint ?? '(none)'],
          ['latest handshake', formatAgo(p.latestHandshake, now)],
          ['transfer', `${formatBytes(p.rxBytes)} received, ${formatBytes(p.txBytes)} sent`],
          ['persistent keepalive', p.persistentKeepalive > 0 ? `every ${p.persistentKeepalive} s` : 'off'],
          ['allowed ips', p.allowedIPs.join(', ') || '(none)'],
        ],
        '    ',
      ),
    );
  }
  return lines;
}

/** The text of "status"; now in unix seconds. */
export function formatStatus(tunnels: TunnelStatus[], now: number): string {
  if (tunnels.length === 0) return 'no tunnels';
  return tunnels.map((t) => tunnelText(t, now).join('\n')).join('\n\n');
}

/** The JSON of "status --json": only the fields of TunnelStatus and PeerStatus, whatever else an object holds. */
export function formatJson(tunnels: TunnelStatus[]): string {
  const peer = (p: PeerStatus): PeerStatus => ({
    publicKey: p.publicKey,
    endpoint: p.endpoint,
    latestHandshake: p.latestHandshake,
    rxBytes: p.rxBytes,
    txBytes: p.txBytes,
    persistentKeepalive: p.persistentKeepalive,
    allowedIPs: [...p.allowedIPs],
  });
  const tunnel = (t: TunnelStatus): TunnelStatus => ({
    dir: t.dir,
    iface: t.iface,
    netns: t.netns,
    netnsInode: t.netnsInode,
    containers: [...t.containers],
    daemonPid: t.daemonPid,
    daemon: t.daemon,
    error: t.error,
    config: t.config,
    addresses: t.addresses && [...t.addresses],
    log: t.log,
    socket: t.socket,
    publicKey: t.publicKey,
    listenPort: t.listenPort,
    udpBufferNotice: t.udpBufferNotice,
    peers: t.peers.map(peer),
  });
  return JSON.stringify(tunnels.map(tunnel), null, 2);
}

// ---- I/O ----

/**
 * The path to show for a tunnel's namespace: the one it was started with
 * while it still leads there, else that of a process still in it (a pod's
 * first container may be gone), else none.
 */
function netnsPath(state: TunnelState): string | null {
  const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(state.netns)?.[1];
  if (pid === undefined) return existsSync(state.netns) ? state.netns : null;
  if (netnsInodeOf(pid) === state.netnsInode) return state.netns;
  const other = processInNetns(state.netnsInode);
  return other === undefined ? null : `/proc/${other}/ns/net`;
}

/** A tunnel as its folder and state.json say, before asking the daemon. */
function readTunnel(dir: string): TunnelStatus {
  const name = basename(dir);
  const dash = name.indexOf('-');
  const state = readState(dir);
  const netnsInode = state?.netnsInode ?? Number(name.slice(0, dash));
  return {
    dir,
    iface: state?.iface ?? name.slice(dash + 1),
    netns: state ? netnsPath(state) : null,
    netnsInode,
    // A podman network's tunnel serves the container its plugin set it up for.
    containers: state?.network ? [state.network.containerId] : liveContainers(dir, netnsInode).map((c) => c.id),
    daemonPid: state?.daemonPid ?? null,
    daemon: state ? 'running' : 'no-state',
    error: null,
    config: state?.config ?? null,
    // A container's own file (container:PATH) cannot be read from here: what was applied.
    addresses: state && inContainerPath(state.config) !== undefined ? [...state.applied.addresses] : null,
    log: join(dir, LOG_FILE),
    socket: socketOf(dir, state ?? { iface: name.slice(dash + 1) }),
    publicKey: null,
    listenPort: null,
    udpBufferNotice: state?.udpBufferNotice ?? null,
    peers: [],
  };
}

function addressesOf(file: string): string[] | null {
  try {
    return loadConfig(file, { owners: defaultOwners() }).addresses.map(formatCidr);
  } catch {
    return null;
  }
}

/** Asks the daemon; never throws: a dead or silent daemon is part of the answer. */
async function probe(t: TunnelStatus, timeoutMs: number): Promise<TunnelStatus> {
  if (t.daemon === 'no-state') return t;
  if (t.config && t.addresses === null) t.addresses = addressesOf(t.config);
  if (t.daemonPid === null || !isAlive(t.daemonPid)) return { ...t, daemon: 'dead' };
  try {
    const device = parseDevice(await uapiRequest(t.socket, 'get=1\n\n', timeoutMs));
    return { ...t, ...device };
  } catch (err) {
    return { ...t, daemon: 'not-answering', error: err instanceof Error ? err.message : String(err) };
  }
}

export interface StatusOptions {
  /** a container id prefix or a pid */
  filter?: string;
  json?: boolean;
  base?: string;
  timeoutMs?: number;
}

/** What "status" prints; a filter that matches nothing is a Failure. */
export async function status(o: StatusOptions = {}): Promise<string> {
  let tunnels = tunnelDirs(o.base ?? runtimeBase())
    .sort()
    .map(readTunnel);
  if (o.filter !== undefined) {
    if (o.filter === '') throw new Failure('status: expected a container id prefix or a process id, got ""');
    tunnels = selectTunnels(tunnels, o.filter, netnsInodeOfPid(o.filter));
    if (tunnels.length === 0) throw new Failure(`no tunnel matches ${o.filter}`);
  }
  const probed = await Promise.all(tunnels.map((t) => probe(t, o.timeoutMs ?? 1000)));
  return o.json ? formatJson(probed) : formatStatus(probed, Date.now() / 1000);
}
