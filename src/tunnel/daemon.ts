// Starting and stopping the patched wireguard-go. One start does the whole
// setup: the daemon creates the TUN in the target namespace, gives it its
// addresses, MTU and routes (rtnetlink, from its thread in that namespace),
// applies the configuration it reads from a pipe, brings the device up and
// only then reports ready. It gets its own session, and stdout and stderr
// of its own (/dev/null, then the tunnel's log, which it opens): a child
// that kept the hook's would hold the container start until it exited.
//
// The hook's daemon is started by the hook's first process before Node
// runs (wireguard-go/hook.go): Node finds it through earlyDaemon() and
// only sends the config. Every other caller spawns it here. Either way
// what comes from the config (MTU, addresses, routes, state, identity)
// goes on the config pipe's first line, and the reports come back on a
// pipe: one protocol.
import { appendFileSync, closeSync, read, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Failure } from '../errors.js';
import { isoTime } from '../hooklog.js';
import { runtimeBase } from '../paths.js';
import { run } from '../run.js';
import { wireguardGo } from '../tools.js';
import type { Applied } from './link.js';
import { type Target, userPrefix } from './namespaces.js';
import type { TunnelState } from './state.js';

export const LOG_FILE = 'daemon.log';
/** How long the daemon may take to set up once it owns the tunnel folder. */
const READY_TIMEOUT_MS = 3000;
/** How long it waits for another start of the same tunnel (its -join-timeout default; that setup is bounded as above). */
const JOIN_TIMEOUT_MS = 4000;
/** Names the daemon the hook's first process started: a JSON EarlyDaemon, so that its folder may be any path (wireguard-go/hook.go hookDaemonLine; test/fixtures/contract/hook-daemon-env.json). */
export const HOOK_DAEMON_ENV = 'WIREGUARD4NETNS_HOOK_DAEMON';

export interface DaemonOptions {
  iface: string;
  /** addresses, routes and MTU of the interface */
  link: Applied;
  /** the device's configuration (uapiconfig.ts encodeConfig): it holds keys, so it goes through a pipe */
  config: string;
  /** the config's identity input (identity.ts): the daemon adds its digest to the state */
  identity: string;
  dir: string;
  /** what the daemon writes to state.json once ready (TunnelState without daemonPid and configIdentity) */
  state: Omit<TunnelState, 'daemonPid' | 'configIdentity'>;
  verbose?: boolean;
  /** "PUBKEYHEX=HOST:PORT" of peers whose endpoint is a hostname, re-resolved by the daemon */
  reresolve?: string[];
  /** where the UAPI socket goes, when not in dir */
  socketDir?: string;
  /** the caller sets the link up, its addresses and routes: link is only its MTU */
  linkByCaller?: boolean;
  /** no pid to watch: how long to wait for a first process in the namespace (a Go duration) */
  awaitProcess?: string;
  /** a folder whose lock the daemon holds for life; refused when another holds it */
  identityLock?: string;
  /** the Unix socket of a UDP broker: the daemon's UDP sockets come from its network namespace */
  udpBroker?: string;
  /** the error for a peer with this end's own public key, which the daemon finds (validate.ts selfPeerMessage) */
  selfPeer: (publicKeyHex: string) => string;
}

/** A daemon the hook's first process started, waiting for its config: Node's ends of its pipes. */
export interface EarlyDaemon {
  pid: number;
  dir: string;
  reportFd: number;
  configFd: number;
  /** startDaemon or abandon has it: it is theirs to end */
  taken?: boolean;
}

/** The daemon the hook's first process started, if it did (and forgets it: one use). */
export function earlyDaemon(env: NodeJS.ProcessEnv = process.env): EarlyDaemon | undefined {
  const text = env[HOOK_DAEMON_ENV];
  delete env[HOOK_DAEMON_ENV];
  if (!text) return undefined;
  try {
    const { pid, dir, reportFd, configFd } = JSON.parse(text);
    const fd = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    if (fd(pid) && pid > 0 && typeof dir === 'string' && dir.startsWith('/') && fd(reportFd) && fd(configFd))
      return { pid, dir, reportFd, configFd };
  } catch {}
  return undefined;
}

/** Ends a daemon that will not be used (the config was bad): nothing of it is left once this resolves. Not one startDaemon took. */
export async function abandon(d: EarlyDaemon): Promise<void> {
  if (d.taken) return;
  d.taken = true;
  for (const fd of [d.configFd, d.reportFd]) {
    try {
      closeSync(fd);
    } catch {}
  }
  signal(d.pid, 'SIGKILL');
  await gone(d.pid);
  // The error that made us abandon it is the one to report; prune finds what a failed sweep left.
  await sweep().catch(() => {});
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/**
 * Resolves once our child pid has exited: reaped, or a zombie with every
 * thread gone (then its files are closed, and so its folder's lock). Not
 * "no longer a daemon": an exiting process loses its command line first,
 * and Go's main thread can be a zombie while its other threads still exit.
 */
async function gone(pid: number): Promise<void> {
  const exited = () => {
    try {
      return readdirSync(`/proc/${pid}/task`).every((tid) => /\) [ZX] /.test(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      return true;
    }
  };
  while (!exited()) await new Promise((r) => setTimeout(r, 5));
}

/** Adds a line of ours to the tunnel's log, beside the daemon's (best effort: the log is not what matters). */
export function appendLog(dir: string, line: string): void {
  try {
    appendFileSync(join(dir, LOG_FILE), `${isoTime()} wireguard4netns: ${line}\n`, { mode: 0o600 });
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

/** What the daemon reports, a line each (wireguard-go/report.go; test/fixtures/contract/reports.json). */
export type Report =
  | { kind: 'owner' }
  | { kind: 'ready'; phases: string }
  | { kind: 'joined'; sameConfig: boolean }
  | { kind: 'self-peer'; publicKeyHex: string }
  | { kind: 'error'; message: string };

export function parseReport(line: string): Report {
  if (line === 'owner') return { kind: line };
  if (line === 'joined' || line === 'joined other') return { kind: 'joined', sameConfig: line === 'joined' };
  const ready = /^ready(?: (.*))?$/.exec(line);
  if (ready) return { kind: 'ready', phases: ready[1] ?? '' };
  const self = /^self-peer ([0-9a-f]{64})$/.exec(line);
  if (self) return { kind: 'self-peer', publicKeyHex: self[1] };
  return { kind: 'error', message: line.replace(/^error: /, '') };
}

/**
 * started: this daemon serves the tunnel (pid, and where its setup time
 * went); joined: another start of the same tunnel finished first, and
 * serves it (its state.json says how), with this config or another.
 */
export type Daemon = { joined: false; pid: number; phases: string; stop: () => Promise<void> } | { joined: true; sameConfig: boolean };

/** A started daemon as the caller sees it: its pid, its config pipe and its reports. */
interface Channel {
  pid: number;
  /** writes text down the config pipe and closes it; a daemon that has gone does not read it */
  send(text: string): void;
  /** calls line for each report line, and end when the pipe ends */
  listen(line: (text: string) => void, end: () => void): void;
  /** stops listening (the pipe closes) */
  close(): void;
  /** resolves once it has exited: how, when we spawned it */
  exited(): Promise<string | undefined>;
  /** it serves: this process may end without waiting for it */
  release(): void;
}

/** The flags that come from the config: the first line on the config pipe (-config-flags; wireguard-go lateOptions; test/fixtures/contract/flags-line.json). */
export function lateFlags(o: DaemonOptions): string[] {
  const args = ['-mtu', String(o.link.mtu)];
  for (const a of o.link.addresses) args.push('-address', a);
  for (const r of o.link.routes) args.push('-route', r);
  for (const r of o.reresolve ?? []) args.push('-reresolve', r);
  if (o.verbose) args.push('-verbose');
  args.push('-state', JSON.stringify(o.state), '-identity', o.identity);
  return args;
}

async function spawnDaemon(t: Target, o: DaemonOptions): Promise<Channel> {
  const args = ['wireguard4netns', '-netns', t.netns, '-interface', o.iface, '-dir', o.dir, '-config-fd', '0', '-config-flags'];
  if (t.watchPid) args.push('-watch-pid', String(t.watchPid));
  if (o.socketDir) args.push('-socket-dir', o.socketDir);
  if (o.linkByCaller) args.push('-no-link');
  if (o.awaitProcess) args.push('-await-process', o.awaitProcess);
  if (o.identityLock) args.push('-identity-lock', o.identityLock);
  if (o.udpBroker) args.push('-udp-broker', o.udpBroker);
  // The daemon gets no environment: what tests override is an argument (as wireguard-go/hook.go does).
  const interval = process.env.WIREGUARD4NETNS_RERESOLVE_INTERVAL;
  if (o.reresolve?.length && interval) args.push('-reresolve-interval', interval);
  if (process.env.WIREGUARD4NETNS_LOG_MAX) args.push('-log-max', process.env.WIREGUARD4NETNS_LOG_MAX);
  const [cmd, ...argv] = [...userPrefix(t), wireguardGo(), ...args];
  // Loaded here, not on the hook's path (see wireguard-go/hook.go).
  const { spawn } = process.getBuiltinModule('node:child_process');
  // It opens its own log once it owns the folder.
  const child = spawn(cmd, argv, { detached: true, stdio: ['pipe', 'ignore', 'ignore', 'pipe'], env: {} });
  const started = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (started) throw new Failure(`cannot run ${cmd}: ${started.message}`);
  const exited = new Promise<string>((resolve) => {
    const how = () => child.signalCode ?? `exit code ${child.exitCode}`;
    if (child.exitCode !== null || child.signalCode !== null) resolve(how());
    else child.once('exit', () => resolve(how()));
  });
  const reports = child.stdio[3] as import('node:stream').Readable;
  return {
    pid: child.pid!,
    send: (text) => {
      // A daemon that fails early does not read its configuration.
      child.stdin!.on('error', () => {});
      child.stdin!.end(text);
    },
    listen: (line, end) => {
      let text = '';
      reports.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          line(text.slice(0, nl));
          text = text.slice(nl + 1);
        }
      });
      reports.on('end', end);
    },
    close: () => reports.destroy(),
    exited: () => {
      child.ref(); // released once it served: waiting for its end must keep this process up
      return exited;
    },
    release: () => child.unref(),
  };
}

/** The hook's daemon: its pipes are plain descriptors, read on libuv's threads (no streams on the hook's path). */
function earlyChannel(d: EarlyDaemon): Channel {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      closeSync(d.reportFd);
    } catch {}
  };
  return {
    pid: d.pid,
    send: (text) => {
      try {
        writeSync(d.configFd, text);
      } catch {}
      closeSync(d.configFd);
    },
    listen: (line, end) => {
      const buf = Buffer.alloc(4096);
      let text = '';
      const next = () =>
        read(d.reportFd, buf, 0, buf.length, null, (err, n) => {
          if (closed) return;
          if (err || n === 0) return end();
          text += buf.toString('utf8', 0, n);
          for (let nl = text.indexOf('\n'); nl >= 0 && !closed; nl = text.indexOf('\n')) {
            line(text.slice(0, nl));
            text = text.slice(nl + 1);
          }
          if (!closed) next();
        });
      next();
    },
    close,
    exited: () => gone(d.pid).then(() => undefined),
    release: () => {},
  };
}

/**
 * Starts the daemon (or takes the hook's, early) and resolves once it
 * reports ready, or joined. Its setup is bounded once it owns the tunnel
 * folder; before that, by how long it waits for another start of the
 * same tunnel. A failure leaves nothing: the daemon is killed and what it
 * left is swept. Its errors say "starting wireguard-go: ...", except one
 * that names a line of the config.
 */
export async function startDaemon(t: Target, o: DaemonOptions, early?: EarlyDaemon): Promise<Daemon> {
  const failed = (why: string) => new Failure(`starting wireguard-go: ${why}`);
  if (early && early.dir !== o.dir) {
    await abandon(early);
    throw failed(`the hook's first process started it for ${early.dir}, expected ${o.dir}`);
  }
  if (early) early.taken = true;
  const ch = early ? earlyChannel(early) : await spawnDaemon(t, o).catch((err: Error) => Promise.reject(failed(err.message)));
  ch.send(`${JSON.stringify(lateFlags(o))}\n${o.config}\n`);

  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout;
    let done = false;
    const finish = (result: Report | Failure) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ch.close();
      if (result instanceof Failure) {
        // A daemon killed here leaves its folder: once it is gone, its lock is free and the sweep takes it.
        signal(ch.pid, 'SIGKILL');
        return void ch
          .exited()
          .then(() => sweep())
          .then(
            () => reject(result),
            () => reject(result),
          );
      }
      ch.release();
      const stop = () => stopDaemon(ch.pid).then(() => ch.exited().then(() => {}));
      if (result.kind === 'ready') resolve({ joined: false, pid: ch.pid, phases: result.phases, stop });
      else if (result.kind === 'joined') resolve({ joined: true, sameConfig: result.sameConfig });
    };
    const bound = (ms: number, why: () => string) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(failed(why())), ms);
    };
    bound(JOIN_TIMEOUT_MS + 1000, () => `wireguard-go did not take the tunnel folder ${o.dir} within ${JOIN_TIMEOUT_MS / 1000 + 1} s`);
    ch.listen(
      (line) => {
        const report = parseReport(line);
        if (report.kind === 'owner')
          bound(READY_TIMEOUT_MS, () => `wireguard-go did not report ready within ${READY_TIMEOUT_MS / 1000} s; ${lastLogLine(o.dir)}`);
        else if (report.kind === 'error') finish(failed(report.message));
        else if (report.kind === 'self-peer') finish(new Failure(o.selfPeer(report.publicKeyHex)));
        else finish(report);
      },
      async () => {
        // The pipe ends before the process does: wait for it, to say how it ended.
        const how = await ch.exited();
        finish(failed(`wireguard-go exited during setup${how ? ` (${how})` : ''}: ${lastLogLine(o.dir) || 'no log'}`));
      },
    );
  });
}

/** Whether pid is a live wireguard4netns daemon (not a zombie, not a reused pid). */
export function isAlive(pid: number): boolean {
  try {
    return isDaemonProc(readFileSync(`/proc/${pid}/stat`, 'utf8'), readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Whether a process's /proc/PID/stat and cmdline are a live daemon's: not
 * a zombie, run as `... wireguard4netns ...` (wireguard-go/folder.go
 * isDaemonProc; test/fixtures/contract/daemon-pid.json).
 */
export function isDaemonProc(stat: string, cmdline: string): boolean {
  return !/\) Z /.test(stat) && cmdline.includes('\0wireguard4netns\0');
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
 * tells: wireguard-go/folder.go); returns them. Each daemon does the same
 * once ready, and a pods install's poststop hook at every container's
 * deletion; this is for a failed start and "prune".
 */
export async function sweep(): Promise<string[]> {
  const r = await run([wireguardGo(), 'wireguard4netns-sweep', '-base', runtimeBase()], '', 5000);
  if (r.code !== 0)
    throw new Failure(`removing what killed daemons left: ${r.stderr.trim() || (r.timedOut ? 'timed out' : `exit code ${r.code}`)}`);
  return r.stdout.split('\n').filter(Boolean);
}
