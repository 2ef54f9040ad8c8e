// Starting and stopping the patched wireguard-go. One spawn does the whole
// setup: the daemon creates the TUN in the target namespace, gives it its
// addresses, MTU and routes (rtnetlink, from its thread in that namespace),
// applies the configuration it reads from a pipe, brings the device up and
// only then reports ready. It gets its own session and its own stdout and
// stderr (the tunnel's log file): a child that kept the hook's would hold
// the container start until it exited.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Failure } from './errors.js';
import type { Applied } from './link.js';
import { userPrefix, type Target } from './namespaces.js';
import { wireguardGo } from './tools.js';

export const LOG_FILE = 'daemon.log';
const READY_TIMEOUT_MS = 3000;

export interface DaemonOptions {
  iface: string;
  /** addresses, routes and MTU of the interface */
  link: Applied;
  /** the device's configuration (uapi.ts encodeConfig): it holds keys, so it goes through a pipe */
  config: string;
  dir: string;
  verbose?: boolean;
  /** "PUBKEYHEX=HOST:PORT" of peers whose endpoint is a hostname, re-resolved by the daemon */
  reresolve?: string[];
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

export interface Daemon {
  pid: number;
  /** where the daemon's setup time went, as it reported it ("netns 0.3 ms, tun 0.2 ms, ...") */
  phases: string;
}

/** Starts the daemon and resolves once it reports ready on fd 3. */
export function startDaemon(t: Target, o: DaemonOptions): Promise<Daemon> {
  const args = ['wireguard4netns', '-netns', t.netns, '-interface', o.iface, '-mtu', String(o.link.mtu), '-dir', o.dir, '-config-fd', '0'];
  for (const a of o.link.addresses) args.push('-address', a);
  for (const r of o.link.routes) args.push('-route', r);
  if (t.watchPid) args.push('-watch-pid', String(t.watchPid));
  if (o.verbose) args.push('-verbose');
  for (const r of o.reresolve ?? []) args.push('-reresolve', r);
  // The daemon gets no environment: the interval override (for tests) is an argument.
  const interval = process.env.WIREGUARD4NETNS_RERESOLVE_INTERVAL;
  if (o.reresolve?.length && interval) args.push('-reresolve-interval', interval);
  const [cmd, ...argv] = [...userPrefix(t), wireguardGo(), ...args];
  const log = openSync(join(o.dir, LOG_FILE), 'a', 0o600);
  const child = spawn(cmd, argv, { detached: true, stdio: ['pipe', log, log, 'pipe'], env: {} });
  closeSync(log);
  const ready = child.stdio[3] as Readable;
  // A daemon that fails early may not read its configuration: its exit is what is reported.
  child.stdin!.on('error', () => {});
  child.stdin!.end(o.config);

  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err?: Failure, phases = '') => {
      clearTimeout(timer);
      ready.destroy();
      child.removeAllListeners();
      child.unref();
      if (!err) return resolve({ pid: child.pid!, phases });
      if (child.exitCode === null) child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(
      () => finish(new Failure(`wireguard-go did not report ready within ${READY_TIMEOUT_MS / 1000} s; ${lastLogLine(o.dir)}`)),
      READY_TIMEOUT_MS,
    );
    child.on('error', (err) => finish(new Failure(`cannot run ${cmd}: ${err.message}`)));
    ready.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      const line = text.split('\n')[0];
      const done = /^ready(?: (.*))?$/.exec(line);
      if (done) finish(undefined, done[1]);
      else finish(new Failure(line.replace(/^error: /, '')));
    });
    const exited = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Failure(`wireguard-go exited during setup (${signal ?? `exit code ${code}`}): ${lastLogLine(o.dir) || 'no log'}`));
    ready.on('end', () => {
      if (text.includes('\n')) return;
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
