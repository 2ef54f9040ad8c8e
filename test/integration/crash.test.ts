// When things die: the hook killed at any step (as a runtime kills a hook
// past its timeout), daemons that are dead or stopped under reload and the
// handshake wait, and a verbose daemon flooded with junk. Every failure is
// one line naming what to look at, and nothing accumulates.
import { createSocket } from 'node:dgram';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION, WAIT_ANNOTATION } from '../../src/annotations.js';
import { asUser, BUNDLE, HOOKS_DIR, hookRunArgs, installHook, podman, userFile, WIREGUARD_GO } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons, stateEntries } from '../helpers/leaks.js';
import { BACKEND_V4, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { eventually } from '../helpers/poll.js';
import { cli, fetchIn, hook, killSandboxes, ociState, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

interface Ctx {
  peer: Peer;
  conf: string;
  /** a client key the peer does not know: no handshake ever */
  silentConf: string;
  sandboxes: number[];
}
const test = suite<Ctx>('crashes: killed hooks, dead daemons, floods');
const SWEEP = [WIREGUARD_GO, 'wireguard4netns-sweep'];

/** The tunnel of process pid's namespace, from status. */
async function tunnel(pid: number): Promise<{ daemonPid: number; dir: string; listenPort: number }> {
  const [t] = JSON.parse((await cli('status', String(pid), '--json')).stdout) as { daemonPid: number; dir: string; listenPort: number }[];
  assert.ok(t, `no tunnel for ${pid}`);
  return t;
}

/** Waits (bounded) until a process of the hook's program is stopped (state T), and returns its pid. */
async function stoppedHook(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const r = await execa('pgrep', ['-f', 'wireguard4netns-hook$'], { reject: false });
    for (const pid of r.stdout.split('\n').filter(Boolean)) {
      try {
        // runuser around it stops with it: the hook is the node process.
        if (/^\d+ \(node\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return Number(pid);
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the hook did not stop at its step');
}

/**
 * SIGKILLs the stopped hook, as a runtime does at a hook's timeout. runuser
 * around it stopped with it (job control): it goes on, to reap it.
 */
async function killStoppedHook(): Promise<void> {
  process.kill(await stoppedHook(), 'SIGKILL');
  await execa('pkill', ['-CONT', '-f', 'wireguard4netns-hook$'], { reject: false });
}

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.sandboxes = [];
  ctx.peer = await startPeer('w4ncrash', 13);
  ctx.conf = userFile('crash.conf', ctx.peer.config());
  ctx.silentConf = userFile(
    'crash-silent.conf',
    ctx.peer.config().replace(ctx.peer.clientPrivateKey, 'kMtU3LA/ATPHHxQeMIsnZ8Tke5EPHPzm/1e1V2zaoWs='),
  );
  await installHook();
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes ?? []);
  await ctx.peer?.down();
});

test.after.each((ctx) => killSandboxes(ctx.sandboxes));

for (const step of ['spawn', 'ready', 'wait'] as const) {
  test(`should leave nothing when the hook is killed at "${step}" and its container ends`, async (ctx) => {
    const pid = await startSandbox(ctx.sandboxes);
    const run = hook(ociState(`crash-${step}`, pid, { [CONFIG_ANNOTATION]: ctx.conf, [WAIT_ANNOTATION]: '10' }), [
      `WIREGUARD4NETNS_TEST_STOP_AT=${step}`,
    ]);
    await killStoppedHook();
    await run;
    // The runtime kills the container; the next start's daemon (or prune) sweeps, with this same program.
    killSandboxes(ctx.sandboxes);
    await new Promise((r) => setTimeout(r, 300));
    const swept = await asUser(SWEEP);
    assert.is(swept.exitCode, 0, swept.stderr);
    await assertNothingLeft(`after the hook was killed at ${step}`);
  });
}

test('should start again in a namespace whose hook was killed after its daemon got ready', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const run = hook(ociState('crash-first', pid, { [CONFIG_ANNOTATION]: ctx.conf }), ['WIREGUARD4NETNS_TEST_STOP_AT=ready']);
  await killStoppedHook();
  await run;
  const again = await hook(ociState('crash-again', pid, { [CONFIG_ANNOTATION]: ctx.conf }));
  assert.equal([again.exitCode, again.stderr], [0, '']);
  assert.is((await daemons()).length, 1);
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout, PAGE);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the namespace ended');
});

test('should start again in a namespace whose daemon was killed, and sweep what it left', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  assert.is((await cli('up', String(pid), ctx.conf)).exitCode, 0);
  const before = await tunnel(pid);
  process.kill(before.daemonPid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  const up = await cli('up', String(pid), ctx.conf);
  assert.is(up.exitCode, 0, up.stderr);
  assert.match(up.stdout, /^wg0 up in /);
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout, PAGE);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the namespace ended');
});

test('should fail the handshake wait in one line, naming the socket, when the daemon dies during it', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const run = hook(ociState('crash-wait', pid, { [CONFIG_ANNOTATION]: ctx.silentConf, [WAIT_ANNOTATION]: '10' }), [
    'WIREGUARD4NETNS_TEST_STOP_AT=wait',
  ]);
  await stoppedHook();
  const { daemonPid, dir } = await tunnel(pid);
  process.kill(daemonPid, 'SIGKILL');
  // Dead (a zombie of the stopped hook) before the hook asks it again.
  await eventually(() => /\) Z /.test(readFileSync(`/proc/${daemonPid}/stat`, 'utf8')), 1000, 10);
  // runuser around the hook stopped with it: both go on.
  await execa('pkill', ['-CONT', '-f', 'wireguard4netns-hook$']);
  const r = await run;
  assert.is(r.exitCode, 1, `${r.stdout} ${r.stderr}`);
  // Refused, or reset when the hook reached the socket as the daemon died: one line that names the socket, either way.
  assert.match(
    r.stderr,
    new RegExp(
      `^wireguard4netns: ${dir}/wg0\\.sock: (nothing listens on it \\(its daemon is dead\\)|the daemon dropped the connection before it answered \\(it died, or is dying\\)); see "wireguard4netns status"$`,
    ),
  );
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after a daemon died during the wait');
});

test('should fail reload in one line when the daemon is dead, or stopped and silent', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  assert.is((await cli('up', String(pid), ctx.conf)).exitCode, 0);
  const { daemonPid, dir } = await tunnel(pid);
  process.kill(daemonPid, 'SIGSTOP');
  try {
    const silent = await cli('reload', String(pid), ctx.conf);
    assert.is(silent.exitCode, 1);
    assert.is(silent.stderr, `wireguard4netns: ${dir}/wg0.sock: the daemon did not answer within 2000 ms; see "wireguard4netns status"`);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { daemon: string; error: string }[];
    assert.equal(
      status.map((t) => [t.daemon, t.error]),
      [['not-answering', `${dir}/wg0.sock: the daemon did not answer within 1000 ms; see "wireguard4netns status"`]],
    );
  } finally {
    process.kill(daemonPid, 'SIGKILL');
  }
  await new Promise((r) => setTimeout(r, 200));
  const dead = await cli('reload', String(pid), ctx.conf);
  assert.is(dead.exitCode, 1);
  assert.is(dead.stderr, `wireguard4netns: the daemon of that tunnel (pid ${daemonPid}) is not running; restart the container`);
  killSandboxes(ctx.sandboxes);
  assert.is((await asUser(SWEEP)).stdout, `${dir}`);
  await assertNothingLeft('after reloads of dead daemons');
});

test('should keep a verbose daemon flooded with junk under its log bound', async (ctx) => {
  const max = 64 * 1024;
  const pid = await startSandbox(ctx.sandboxes);
  const up = await asUser(['env', `WIREGUARD4NETNS_LOG_MAX=${max}`, process.execPath, BUNDLE, 'up', '--verbose', String(pid), ctx.conf]);
  assert.is(up.exitCode, 0, up.stderr);
  const { dir, listenPort } = await tunnel(pid);
  // 32 bytes of an unknown message type: one log line each in verbose mode.
  const junk = Buffer.alloc(32, 0xff);
  const sock = createSocket('udp4');
  for (let i = 0; i < 20_000; i++) {
    await new Promise<void>((resolve) => sock.send(junk, listenPort, '127.0.0.1', () => resolve()));
  }
  sock.close();
  await new Promise((r) => setTimeout(r, 500));
  const log = join(dir, 'daemon.log');
  const sizes = [statSync(log).size, statSync(`${log}.1`).size];
  assert.ok(
    sizes.every((s) => s <= max + 1024),
    `log sizes ${sizes} over ${max}`,
  );
  assert.match(readFileSync(log, 'utf8'), 'Received message with unknown type');
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout, PAGE, 'the tunnel still works');
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the flood');
});

test('should leave nothing when the runtime kills the hook at its timeout', async (ctx) => {
  const hooksDir = join(HOOKS_DIR, '..', 'hooks-timeout.d');
  await asUser(['mkdir', '-p', hooksDir]);
  const pluginDir = join(HOOKS_DIR, '..', 'netavark-timeout');
  await asUser([process.execPath, BUNDLE, 'install', '--hooks-dir', hooksDir, '--plugin-dir', pluginDir]);
  const json = join(hooksDir, 'wireguard4netns.json');
  writeFileSync(json, readFileSync(json, 'utf8').replace('"timeout": 60', '"timeout": 2'));
  const r = await asUser(
    ['podman', '--hooks-dir', hooksDir, 'run', '--rm', '--annotation', `${WAIT_ANNOTATION}=20`, ...hookRunArgs(ctx.silentConf), 'true'],
    60_000,
  );
  assert.is.not(r.exitCode, 0, 'the container started');
  assert.match(r.stderr, /timed out|timeout/i);
  await assertNothingLeft('after the runtime killed the hook', 10_000);
  assert.equal(stateEntries(), []);
  assert.equal(
    (await podman(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter((n) => n.startsWith('w4n')),
    [],
  );
});

test.run();
