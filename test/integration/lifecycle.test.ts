// Lifecycle under load and abuse, with rootless podman and the hook: many
// sequential and concurrent containers leave nothing behind; a daemon
// killed with SIGKILL shows as dead in "status", its container has no
// network, and the next tunnel's daemon sweeps what it left; "podman restart" gets a fresh, working tunnel; and "podman stop"
// of a container whose peer never answers is as quick as without the hook.
import { lstatSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePrivateKey } from '../../src/keys.js';
import { asUser, BUNDLE, hookRunArgs, installHook, podman, ROOTFS, STATE_BASE, UID, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons, stateEntries } from '../helpers/leaks.js';
import { BACKEND_V4, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { eventually } from '../helpers/poll.js';
import { setup } from '../helpers/suite.js';

interface Ctx {
  peer: Peer;
  /** a config for the peer, which answers */
  conf: string;
  /** a config the peer never answers: a client key it does not know */
  silentConf: string;
}
const test = suite<Ctx>('lifecycle: many containers, killed daemons, restart, stop');
const PREFIX = 'w4n-lc-';
const SEQUENTIAL = 50;
const CONCURRENT = 10;

const plain = ['--network', 'none', '--rootfs', ROOTFS];
const status = (...args: string[]) => asUser([process.execPath, BUNDLE, 'status', ...args]);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

/** Every socket file under the state base, at any depth. */
function socketFiles(dir = STATE_BASE): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    try {
      const st = lstatSync(p);
      if (st.isSocket()) return [p];
      if (st.isDirectory()) return socketFiles(p);
    } catch {}
    return [];
  });
}

/** Unix sockets still bound to a path under the state base (also those whose file was unlinked). */
async function boundSockets(): Promise<string[]> {
  const r = await execa('ss', ['-xanp'], { reject: false });
  return r.stdout.split('\n').filter((l) => l.includes(STATE_BASE));
}

/** Any wireguard-go of ours, however it was started (not only the anchored daemons() pattern). */
async function wireguardGos(): Promise<string[]> {
  const r = await execa('pgrep', ['-u', String(UID), '-af', 'wireguard-go wireguard4netns'], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

async function assertNoSocketsOrProcesses(what: string): Promise<void> {
  assert.equal(socketFiles(), [], `${what}: socket files under ${STATE_BASE}`);
  assert.equal(await boundSockets(), [], `${what}: unix sockets bound under ${STATE_BASE}`);
  assert.equal(await wireguardGos(), [], `${what}: wireguard-go processes left`);
}

interface TunnelJson {
  dir: string;
  daemon: string;
  daemonPid: number;
  containers: string[];
  netnsInode: number;
}

async function tunnelsOf(id: string): Promise<TunnelJson[]> {
  const r = await status(id, '--json');
  assert.is(r.exitCode, 0, `status ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout) as TunnelJson[];
}

/** Fetches the backend page from inside a running container, through its tunnel. */
async function fetchInContainer(name: string): Promise<string> {
  const r = await podman(['exec', name, 'timeout', '10', 'wget', '-q', '-O-', BACKEND_V4], 30_000);
  return `${r.stdout}${r.stderr}`.trim();
}

async function removeOurContainers(): Promise<void> {
  const ps = await podman(['ps', '-a', '--format', '{{.Names}}']);
  const ours = ps.stdout.split('\n').filter((n) => n.startsWith(PREFIX));
  if (ours.length > 0) await podman(['rm', '-f', '-t', '0', ...ours], 120_000);
}

setup(test, async (ctx) => {
  await cleanSlate();
  await removeOurContainers();
  ctx.peer = await startPeer('w4nlife', 9);
  ctx.conf = userFile('lifecycle.conf', ctx.peer.config());
  // The peer's endpoint, but a client key the peer does not know: WireGuard
  // drops such handshakes without a word. PersistentKeepalive makes the
  // daemon keep trying. Nothing leaves this machine.
  ctx.silentConf = userFile(
    'lifecycle-silent.conf',
    `${ctx.peer.config().replace(ctx.peer.clientPrivateKey, generatePrivateKey().toString('base64'))}PersistentKeepalive = 1\n`,
  );
  await installHook();
  await assertNothingLeft('before the lifecycle suite');
});

test.after(async (ctx) => {
  await removeOurContainers();
  await ctx.peer?.down();
});

test(`should leave no daemon, socket or state after ${SEQUENTIAL} sequential podman run --rm`, async (ctx) => {
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const [r, ms] = await timed(() => podman(['run', '--rm', ...hookRunArgs(ctx.conf), 'true']));
    assert.is(r.exitCode, 0, `run ${i + 1}: ${r.stderr}`);
    times.push(ms);
  }
  // For comparison only: the same container without the hook.
  const plainTimes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const [r, ms] = await timed(() => podman(['run', '--rm', ...plain, 'true']));
    assert.is(r.exitCode, 0, r.stderr);
    plainTimes.push(ms);
  }
  console.log(
    `  ${SEQUENTIAL} sequential runs with the hook: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)};` +
      ` without the hook (10 runs): median ${median(plainTimes).toFixed(0)} ms`,
  );
  await assertNothingLeft(`after ${SEQUENTIAL} sequential runs`);
  await assertNoSocketsOrProcesses(`after ${SEQUENTIAL} sequential runs`);
});

test(`should give ${CONCURRENT} containers started at once each its wg0, and leave nothing`, async (ctx) => {
  // All of them use one client key, so they would fight over the peer's
  // endpoint: no traffic here, only each container's own wg0.
  const [runs, ms] = await timed(() =>
    Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        podman(['run', '--rm', '--name', `${PREFIX}c${i}`, ...hookRunArgs(ctx.conf), 'ip', '-o', 'addr', 'show', 'dev', 'wg0'], 120_000),
      ),
    ),
  );
  console.log(`  ${CONCURRENT} containers at once: ${ms.toFixed(0)} ms for all`);
  runs.forEach((r, i) => {
    assert.is(r.exitCode, 0, `container ${i}: exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr}`);
    assert.match(r.stdout, 'inet 198.51.100.2/32', `container ${i}: ${r.stdout}`);
    assert.match(r.stdout, 'inet6 fd5a:7b1e:c0de::2/128', `container ${i}: ${r.stdout}`);
  });
  await assertNothingLeft(`after ${CONCURRENT} concurrent runs`);
  await assertNoSocketsOrProcesses(`after ${CONCURRENT} concurrent runs`);
});

test('should report a daemon killed with SIGKILL as dead, fail closed, and leave nothing once its container is removed', async (ctx) => {
  const name = `${PREFIX}killed`;
  const run = await podman(['run', '-d', '--name', name, ...hookRunArgs(ctx.conf), 'sleep', '300']);
  assert.is(run.exitCode, 0, run.stderr);
  const id = run.stdout.trim();
  const [before] = await tunnelsOf(id);
  assert.ok(before, `no tunnel for ${id}`);
  assert.is(before.daemon, 'running');
  assert.equal(before.containers, [id]);
  assert.equal(
    (await daemons()).map((l) => Number(l.split(' ')[0])),
    [before.daemonPid],
  );

  process.kill(before.daemonPid, 'SIGKILL');
  await eventually(async () => (await daemons()).length === 0, 2000, 20);

  const text = await status(id);
  assert.is(text.exitCode, 0, text.stderr);
  assert.match(
    text.stdout,
    new RegExp(
      `\n  daemon: +pid ${before.daemonPid} dead, so wg0 is gone and its containers have no network; leftovers in ${before.dir} go at the next tunnel start`,
    ),
    text.stdout,
  );
  assert.not.match(text.stdout, '  peer ');
  const [after] = await tunnelsOf(id);
  assert.equal([after.daemon, after.daemonPid, after.dir], ['dead', before.daemonPid, before.dir]);
  const all = await status('--json');
  assert.is(all.exitCode, 0, all.stderr);
  assert.ok(
    (JSON.parse(all.stdout) as TunnelJson[]).some((t) => t.daemonPid === before.daemonPid && t.daemon === 'dead'),
    `unfiltered status: ${all.stdout}`,
  );
  // Fail closed: no wg0, and no other way out of the namespace.
  const links = await podman(['exec', name, 'ip', '-o', 'link']);
  assert.equal(
    links.stdout.split('\n').map((l) => l.split(': ')[1]),
    ['lo'],
    links.stdout,
  );
  assert.is.not(await fetchInContainer(name), PAGE, 'the backend was reached without a daemon');

  // The next tunnel's daemon, once ready, sweeps what the killed one left: no poststop hook runs.
  const rm = await podman(['rm', '-f', '-t', '0', name]);
  assert.is(rm.exitCode, 0, rm.stderr);
  assert.equal(stateEntries(), [basename(before.dir)], 'the killed daemon left its folder');
  const next = await podman(['run', '--rm', ...hookRunArgs(ctx.conf), 'true']);
  assert.is(next.exitCode, 0, next.stderr);
  await assertNothingLeft('after podman rm -f of the container whose daemon was killed');
  await assertNoSocketsOrProcesses('after podman rm -f of the container whose daemon was killed');
});

test('should give a restarted container a fresh, working tunnel', async (ctx) => {
  const name = `${PREFIX}restart`;
  const run = await podman(['run', '-d', '--name', name, ...hookRunArgs(ctx.conf), 'sleep', '300']);
  assert.is(run.exitCode, 0, run.stderr);
  const id = run.stdout.trim();
  assert.is(await fetchInContainer(name), PAGE, 'before the restart');
  const [first] = await tunnelsOf(id);

  const restart = await podman(['restart', '-t', '0', name], 60_000);
  assert.is(restart.exitCode, 0, restart.stderr);
  assert.is(await fetchInContainer(name), PAGE, 'after the restart');
  const live = await daemons();
  assert.is(live.length, 1, `daemons after the restart: ${live.join('; ')}`);
  const tunnels = await tunnelsOf(id);
  assert.is(tunnels.length, 1, `tunnels of ${id}: ${JSON.stringify(tunnels)}`);
  const [second] = tunnels;
  assert.is(second.daemon, 'running');
  assert.is.not(second.daemonPid, first.daemonPid, 'the same daemon after the restart');
  assert.equal(
    live.map((l) => Number(l.split(' ')[0])),
    [second.daemonPid],
  );
  const running = await podman(['inspect', '--format', '{{.State.Running}}', name]);
  assert.is(running.stdout.trim(), 'true', 'the restarted container runs');

  const rm = await podman(['rm', '-f', '-t', '0', name]);
  assert.is(rm.exitCode, 0, rm.stderr);
  await assertNothingLeft('after podman rm -f of the restarted container');
  await assertNoSocketsOrProcesses('after podman rm -f of the restarted container');
});

test('should stop a container whose peer never answered as quickly as one without the hook', async (ctx) => {
  const hookTimes: number[] = [];
  const plainTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (const [kind, args, times] of [
      ['hook', hookRunArgs(ctx.silentConf), hookTimes],
      ['plain', plain, plainTimes],
    ] as const) {
      const name = `${PREFIX}stop-${kind}`;
      const run = await podman(['run', '-d', '--name', name, ...args, 'sleep', '300']);
      assert.is(run.exitCode, 0, `${kind}: ${run.stderr}`);
      if (kind === 'hook') {
        // Let it try (and fail) to reach the peer for a while.
        await new Promise((r) => setTimeout(r, 1500));
        const [t] = await tunnelsOf(run.stdout.trim());
        assert.is(t?.daemon, 'running');
      }
      const [stop, ms] = await timed(() => podman(['stop', '-t', '2', name], 60_000));
      assert.is(stop.exitCode, 0, `${kind} stop: ${stop.stderr}`);
      times.push(ms);
      const rm = await podman(['rm', '-f', '-t', '0', name]);
      assert.is(rm.exitCode, 0, `${kind} rm: ${rm.stderr}`);
    }
  }
  const h = median(hookTimes);
  const p = median(plainTimes);
  console.log(
    `  podman stop -t 2: with the hook (silent peer) median ${h.toFixed(0)} ms [${hookTimes.map((x) => x.toFixed(0)).join(', ')}];` +
      ` without median ${p.toFixed(0)} ms [${plainTimes.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  assert.ok(h <= 1.5 * p + 500, `stop with the hook took ${h.toFixed(0)} ms, without ${p.toFixed(0)} ms`);
  await assertNothingLeft('after the stop timing');
  await assertNoSocketsOrProcesses('after the stop timing');
});

test.run();
