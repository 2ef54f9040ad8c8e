// Starting and stopping the patched wireguard-go. One spawn does the whole
// setup: the daemon creates the TUN in the target namespace, gives it its
// addresses, MTU and routes (rtnetlink, from its thread in that namespace),
// applies the configuration it reads from a pipe, brings the device up and
// only then reports ready. It gets its own session, and stdout and stderr
// of its own (/dev/null, then the tunnel's log, which it opens): a child
// that kept the hook's would hold the container start until it exited.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Failure } from '../errors.js';
import { runtimeBase } from '../paths.js';
import { run } from '../run.js';
import { wireguardGo } from '../tools.js';
import type { Applied } from './link.js';
import { type Target, userPrefix } from './namespaces.js';
import type { TunnelState } from './state.js';

export const LOG_FILE = 'daemon.log';
/** How long the daemon may take to set up once it owns the tunnel folder. */
const READY_TIMEOUT_MS = 3000;
/** How long it waits for another start of the same tunnel (whose own setup is bounded as above). */
const JOIN_TIMEOUT_MS = 4000;

export interface DaemonOptions {
  iface: string;
  /** addresses, routes and MTU of the interface */
  link: Applied;
  /** the device's configuration (uapi.ts encodeConfig): it holds keys, so it goes through a pipe */
  config: string;
  dir: string;
  /** what the daemon writes to state.json once ready (TunnelState without daemonPid) */
  state: Omit<TunnelState, 'daemonPid'>;
  verbose?: boolean;
  /** "PUBKEYHEX=HOST:PORT" of peers whose endpoint is a hostname, re-resolved by the daemon */
  reresolve?: string[];
  /** where the UAPI socket goes, when not in dir */
  socketDir?: string;
  /** the caller sets the link up, its addresses and routes: link is only its MTU */
  linkByCaller?: boolean;
}

/** Adds a line of ours to the tunnel's log, beside the daemon's (best effort: the log is not what matters). */
export function appendLog(dir: string, line: string): void {
  try {
    appendFileSync(join(dir, LOG_FILE), `${new Date().toISOString()} wireguard4netns: ${line}\n`, { mode: 0o600 });
  } catch {}
}

function lastLogLine(dir: string): string {
  try {
    const lines = readFileSync(join(dir, LOG_FILE), 'utf8').trim().split('\n');
    return lines[lines.length - 1] ?? '';
  } catch {
    return '';
  }
}

/** What the daemon reports on fd 3, a line each (wireguard-go/wireguard4netns.go). */
export type Report = { kind: 'owner' } | { kind: 'ready'; phases: string } | { kind: 'joined' } | { kind: 'error'; message: string };

export function parseReport(line: string): Report {
  if (line === 'owner' || line === 'joined') return { kind: line };
  const ready = /^ready(?: (.*))?$/.exec(line);
  if (ready) return { kind: 'ready', phases: ready[1] ?? '' };
  return { kind: 'error', message: line.replace(/^error: /, '') };
}

/**
 * started: this daemon serves the tunnel (pid, and where its setup time
 * went); joined: another start of the same tunnel finished first, and
 * serves it (its state.json says how).
 */
export type Daemon = { joined: false; pid: number; phases: string; stop: () => Promise<void> } | { joined: true };

/** Ends a daemon we started: SIGTERM, SIGKILL after a bound; resolves once it has exited (so its lock is free). */
function stopper(child: ChildProcess, timeoutMs = 2000): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * Starts the daemon and resolves once it reports ready, or joined. Its
 * setup is bounded once it owns the tunnel folder; before that, by how
 * long it waits for another start of the same tunnel.
 */
export function startDaemon(t: Target, o: DaemonOptions): Promise<Daemon> {
  const args = ['wireguard4netns', '-netns', t.netns, '-interface', o.iface, '-mtu', String(o.link.mtu), '-dir', o.dir, '-config-fd', '0'];
  for (const a of o.link.addresses) args.push('-address', a);
  for (const r of o.link.routes) args.push('-route', r);
  if (t.watchPid) args.push('-watch-pid', String(t.watchPid));
  if (o.verbose) args.push('-verbose');
  if (o.socketDir) args.push('-socket-dir', o.socketDir);
  if (o.linkByCaller) args.push('-no-link');
  for (const r of o.reresolve ?? []) args.push('-reresolve', r);
  args.push('-state', JSON.stringify(o.state), '-join-timeout', `${JOIN_TIMEOUT_MS}ms`);
  // The daemon gets no environment: what tests override is an argument.
  const interval = process.env.WIREGUARD4NETNS_RERESOLVE_INTERVAL;
  if (o.reresolve?.length && interval) args.push('-reresolve-interval', interval);
  if (process.env.WIREGUARD4NETNS_LOG_MAX) args.push('-log-max', process.env.WIREGUARD4NETNS_LOG_MAX);
  const [cmd, ...argv] = [...userPrefix(t), wireguardGo(), ...args];
  // It opens its own log once it owns the folder.
  const child = spawn(cmd, argv, { detached: true, stdio: ['pipe', 'ignore', 'ignore', 'pipe'], env: {} });
  const reports = child.stdio[3] as Readable;
  // A daemon that fails early, or joins, does not read its configuration.
  child.stdin!.on('error', () => {});
  child.stdin!.end(`${o.config}\n`);

  return new Promise((resolve, reject) => {
    let text = '';
    let timer: NodeJS.Timeout;
    const finish = (result: Report | Failure) => {
      clearTimeout(timer);
      reports.destroy();
      child.removeAllListeners();
      if (!(result instanceof Failure)) {
        child.unref();
        return resolve(
          result.kind === 'ready' ? { joined: false, pid: child.pid!, phases: result.phases, stop: stopper(child) } : { joined: true },
        );
      }
      // A daemon killed here leaves its folder: once it is gone, its lock is free and the sweep takes it.
      const removeLeftovers = () =>
        sweep().then(
          () => reject(result),
          () => reject(result),
        );
      if (child.exitCode !== null || child.signalCode !== null) return void removeLeftovers();
      child.once('exit', removeLeftovers);
      child.kill('SIGKILL');
    };
    const bound = (ms: number, why: () => string) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new Failure(why())), ms);
    };
    bound(JOIN_TIMEOUT_MS + 1000, () => `wireguard-go did not take the tunnel folder ${o.dir} within ${JOIN_TIMEOUT_MS / 1000 + 1} s`);
    child.on('error', (err) => finish(new Failure(`cannot run ${cmd}: ${err.message}`)));
    reports.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        const report = parseReport(text.slice(0, nl));
        text = text.slice(nl + 1);
        if (report.kind === 'owner')
          bound(READY_TIMEOUT_MS, () => `wireguard-go did not report ready within ${READY_TIMEOUT_MS / 1000} s; ${lastLogLine(o.dir)}`);
        else if (report.kind === 'error') return finish(new Failure(report.message));
        else return finish(report);
      }
    });
    const exited = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Failure(`wireguard-go exited during setup (${signal ?? `exit code ${code}`}): ${lastLogLine(o.dir) || 'no log'}`));
    reports.on('end', () => {
      // The child may have exited before its pipe ended: then 'exit' has fired already.
      if (child.exitCode !== null || child.signalCode !== null) exited(child.exitCode, child.signalCode);
      else child.once('exit', exited);
    });
  });
}

/** Whether pid is a live wireguard4netns daemon (not a zombie, not a reused pid). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('\0wireguard4netns\0');
  } catch {
    return false;
  }
}

/** Stops a daemon: SIGTERM (it removes its socket and folder), then SIGKILL after a bound. */
export async function stopDaemon(pid: number, timeoutMs = 2000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; isAlive(pid); waited += 10) {
    if (waited >= timeoutMs) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Removes the tunnel folders of this user that no daemon holds (the lock
 * tells: wireguard-go/folder.go); returns them. The same program is the
 * poststop hook.
 */
export async function sweep(): Promise<string[]> {
  const r = await run([wireguardGo(), 'wireguard4netns-sweep', '-base', runtimeBase()], '', 5000);
  if (r.code !== 0)
    throw new Failure(`removing what killed daemons left: ${r.stderr.trim() || (r.timedOut ? 'timed out' : `exit code ${r.code}`)}`);
  return r.stdout.split('\n').filter(Boolean);
}
