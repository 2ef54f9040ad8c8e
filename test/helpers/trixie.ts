// A session in the Debian 13 root of test/env/trixie.sh (rootless podman
// 5.4, crun and runc): a private mount and pid namespace that shares the
// host's network, entered with test/env/trixie-enter.sh. Commands run in it
// as root or as its user lab, with bounded time; the session's /run, /tmp
// and lab's home are its own tmpfs, and ending it kills everything started
// inside. The checkout's dist/ is at /opt/w4n/dist inside.
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { ROOT } from './env.js';
import { eventually } from './poll.js';

const ENTER = join(ROOT, 'test/env/trixie-enter.sh');
export const LAB_UID = 2000;
export const LAB_HOME = '/home/lab';
export const LAB_STATE_BASE = `/run/user/${LAB_UID}/wireguard4netns`;
/** The hook's log, beside the state base. */
export const LAB_HOOK_LOG = `${LAB_STATE_BASE}.log`;
export const LAB_HOOKS_DIR = `${LAB_HOME}/hooks.d`;
/** Where the test files go, owned by lab, mode 0700. */
export const LAB_DIR = `${LAB_HOME}/w4n-test`;
/** A busybox-static rootfs for `podman run --rootfs`, owned by root. */
export const TRIXIE_ROOTFS = '/srv/w4n-rootfs';
/** The bundle, as the trixie root sees it. */
export const TRIXIE_BUNDLE = '/opt/w4n/dist/wireguard4netns';

export interface RunOptions {
  user?: 'lab' | 'root';
  /** seconds, enforced inside (timeout -k 5) and, 10 s later, outside */
  timeout?: number;
  input?: string;
}

export interface Trixie {
  /** pid 1 of the session, in the host's pid namespace */
  pid: number;
  run(cmd: string[], options?: RunOptions): Promise<{ exitCode?: number; stdout: string; stderr: string }>;
  /** Writes LAB_DIR/name owned by lab (mode 0600 unless told), returns its path inside. */
  labFile(name: string, content: string, mode?: number): string;
  /** Reads a file inside ('' when there is none). */
  read(path: string): string;
  /** Lists a folder inside ([] when there is none). */
  list(path: string): string[];
  /** Ends the session and everything in it. */
  end(): Promise<void>;
}

/** Starts a session; fails with trixie-enter.sh's stderr when it cannot. */
let built: Promise<void> | undefined;

/** Builds (or finds up to date) the Debian 13 root, once per test process; prints trixie.sh's step lines. */
export function buildTrixie(): Promise<void> {
  built ??= (async () => {
    const r = await execa('bash', [join(ROOT, 'test/env/trixie.sh')], { reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`test/env/trixie.sh failed:\n${r.all}`);
    process.stdout.write(`${r.all}\n`);
  })();
  return built;
}

export async function startTrixie(): Promise<Trixie> {
  await buildTrixie();
  const proc: ResultPromise = execa(ENTER, ['--session'], { stdin: 'pipe', reject: false, buffer: { stdout: false } });
  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('trixie session: no "ready" line in 30 s')), 30_000);
    let seen = '';
    proc.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /^ready (\d+)$/m.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.then((r) => {
      clearTimeout(timer);
      reject(new Error(`trixie session ended before it was ready (exit ${r.exitCode}): ${r.stderr}`));
    });
  });
  const inside = (path: string) => `/proc/${pid}/root${path}`;
  return {
    pid,
    run: async (cmd, { user = 'lab', timeout = 60, input = '' } = {}) => {
      const args = ['--in', String(pid), '--user', user, 'timeout', '-k', '5', String(timeout), ...cmd];
      const r = await execa(ENTER, args, { reject: false, timeout: (timeout + 10) * 1000, input });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    labFile: (name, content, mode = 0o600) => {
      mkdirSync(inside(LAB_DIR), { recursive: true, mode: 0o700 });
      chownSync(inside(LAB_DIR), LAB_UID, LAB_UID);
      const path = join(LAB_DIR, name);
      writeFileSync(inside(path), content, { mode });
      chmodSync(inside(path), mode); // an existing file keeps its mode otherwise
      chownSync(inside(path), LAB_UID, LAB_UID);
      return path;
    },
    read: (path) => {
      try {
        return readFileSync(inside(path), 'utf8');
      } catch {
        return '';
      }
    },
    list: (path) => {
      try {
        return readdirSync(inside(path));
      } catch {
        return [];
      }
    },
    end: async () => {
      proc.stdin!.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000); // --kill-child: the session dies with it
      await proc;
      clearTimeout(timer);
    },
  };
}

/** lab's UDP broker socket (wireguard-go/udpbroker.go), where the plugin looks for it. */
export const LAB_BROKER_SOCKET = `${LAB_STATE_BASE}-udp.sock`;

export const brokerListens = (t: Trixie) => t.list(dirname(LAB_BROKER_SOCKET)).includes(basename(LAB_BROKER_SOCKET));

/**
 * Starts lab's UDP broker in the root (in the host's network namespace, as
 * a user service would run it) and waits until it listens; returns its stop,
 * which waits until it has removed its socket.
 */
export async function startBroker(t: Trixie): Promise<() => Promise<void>> {
  const bin = '/opt/w4n/dist/wireguard-go';
  const r = await t.run([
    'sh',
    '-c',
    `${bin} wireguard4netns-udp-broker -socket ${LAB_BROKER_SOCKET} </dev/null >/dev/null 2>&1 & echo $!`,
  ]);
  if (r.exitCode !== 0) throw new Error(`the UDP broker did not start: ${r.stderr}`);
  const until = async (done: () => boolean, what: string) => {
    if (!(await eventually(done, 5000))) throw new Error(`the UDP broker: ${what} within 5 s`);
  };
  const stop = async () => {
    await t.run(['kill', r.stdout.trim()]);
    await until(() => !brokerListens(t), `did not remove ${LAB_BROKER_SOCKET}`);
  };
  await until(() => brokerListens(t), `no ${LAB_BROKER_SOCKET}`).catch(async (err) => {
    await stop().catch(() => undefined);
    throw err;
  });
  return stop;
}
