// The hook's replay (wireguard-go/replay.go, hooks/replay.ts): a config's
// first start is Node's, which checks it and leaves an entry; a later start
// with the same inputs is replayed by the hook's first process, without
// Node, and does what Node did. Anything that differs goes to Node again:
// the same errors, nothing left. Run through the installed hook's command,
// as runtimes run it, in namespaces of the test user; and in podman.
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';
import { hookLogPath } from '../../src/hooklog.js';
import { LOG_FILE } from '../../src/tunnel/daemon.js';
import { tunnelDirs } from '../../src/tunnel/state.js';
import { IMAGE, installHook, podman, REPLAY_DIR, RUNTIMES, STATE_BASE, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons } from '../helpers/leaks.js';
import { BACKEND_V4, FETCH_BOTH, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { cli, fetchIn, installedHook, killSandboxes, ociState, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

interface Ctx {
  peer: Peer;
  sandboxes: number[];
}
const test = suite<Ctx>('the hook replays a start Node checked before');
const REPLAYED = 'replaying a start checked before';

/** The tunnel log's line about container id (one tunnel at a time here). */
function logLine(id: string): string {
  const [dir] = tunnelDirs(STATE_BASE);
  const line = readFileSync(join(dir, LOG_FILE), 'utf8')
    .split('\n')
    .find((l) => l.includes(` ${id} `) || l.endsWith(` ${id} joined`));
  if (!line) throw new Error(`no line for ${id} in ${dir}/${LOG_FILE}`);
  return line;
}

const entries = () => {
  try {
    return readdirSync(REPLAY_DIR);
  } catch {
    return [];
  }
};
const hookLogLines = (id: string) => {
  try {
    return readFileSync(hookLogPath(STATE_BASE), 'utf8')
      .split('\n')
      .filter((l) => l.includes(` ${id}: `));
  } catch {
    return [];
  }
};

/** Starts a sandbox and runs the installed hook for it; returns the sandbox and the hook's result. */
async function start(ctx: Ctx, id: string, conf: string, of?: number) {
  const pid = await startSandbox(ctx.sandboxes, 120, of);
  const r = await installedHook(ociState(id, pid, { [CONFIG_ANNOTATION]: conf }));
  return { pid, r };
}

setup(test, async (ctx) => {
  await cleanSlate();
  // The replay's notes are asserted line by line: none from an earlier run.
  for (const path of [REPLAY_DIR, hookLogPath(STATE_BASE)]) rmSync(path, { recursive: true, force: true });
  ctx.sandboxes = [];
  ctx.peer = await startPeer('w4nreplay', 3);
  await installHook();
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes ?? []);
  await podman(['rm', '-af', '-t', '0']);
  await ctx.peer?.down();
});

test.after.each(async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the case');
});

test('should leave an entry without key material at a first start, and replay the next start, which reaches the backend', async (ctx) => {
  const conf = userFile('replay.conf', ctx.peer.config());
  const first = await start(ctx, 'replay-first', conf);
  assert.equal([first.r.exitCode, first.r.stderr], [0, '']);
  assert.not.match(logLine('replay-first'), REPLAYED);
  assert.is(entries().length, 1);
  const entry = readFileSync(join(REPLAY_DIR, entries()[0]), 'utf8');
  assert.is(JSON.parse(entry).config, conf);
  const key = ctx.peer.clientPrivateKey;
  assert.not.ok(entry.includes(key) || entry.includes(Buffer.from(key, 'base64').toString('hex')), 'the private key in the entry');
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the first start');

  const next = await start(ctx, 'replay-next', conf);
  assert.equal([next.r.exitCode, next.r.stderr], [0, '']);
  assert.match(logLine('replay-next'), `wg0 up for container replay-next from ${conf}, ${REPLAYED} (`);
  assert.is((await fetchIn(next.pid, BACKEND_V4)).stdout, PAGE);
  // Registered as Node registers: status lists it, and the tunnel has the config's identity.
  const status = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[]; config: string; daemon: string }[];
  assert.equal(
    status.map((t) => [t.containers, t.config, t.daemon]),
    [[['replay-next'], conf, 'running']],
  );
  // A pod's next container joins the replayed tunnel, replayed too.
  const member = await start(ctx, 'replay-member', conf, next.pid);
  assert.equal([member.r.exitCode, member.r.stderr], [0, '']);
  assert.match(logLine('replay-member'), 'wg0: container replay-member joined');
  const joined = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[] }[];
  assert.equal(joined[0].containers.sort(), ['replay-member', 'replay-next']);
  assert.equal(hookLogLines('replay-next'), []);
});

test("should replay a pod's containers started at once: one daemon, each registered", async (ctx) => {
  const conf = userFile('parallel.conf', ctx.peer.config());
  assert.is((await start(ctx, 'parallel-first', conf)).r.exitCode, 0);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the first start');

  const pod = await startSandbox(ctx.sandboxes);
  const members = [pod, ...(await Promise.all([1, 2, 3, 4].map(() => startSandbox(ctx.sandboxes, 120, pod))))];
  const runs = await Promise.all(members.map((pid, i) => installedHook(ociState(`parallel-${i}`, pid, { [CONFIG_ANNOTATION]: conf }))));
  for (const [i, r] of runs.entries()) assert.equal([r.exitCode, r.stderr], [0, ''], `hook ${i}`);
  for (const [i] of members.entries()) assert.match(logLine(`parallel-${i}`), new RegExp(`${REPLAYED}|joined`));
  assert.is((await daemons()).length, 1, (await daemons()).join('; '));
  const status = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[] }[];
  assert.is(status.length, 1);
  assert.equal(status[0].containers.sort(), members.map((_, i) => `parallel-${i}`).sort());
  assert.is((await fetchIn(members[4], BACKEND_V4)).stdout, PAGE);
});

test('should check again a config whose mode or bytes changed: the same errors, and nothing left', async (ctx) => {
  const conf = userFile('changed.conf', ctx.peer.config());
  assert.is((await start(ctx, 'changed-first', conf)).r.exitCode, 0);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the first start');

  chmodSync(conf, 0o644);
  const open = await start(ctx, 'changed-mode', conf);
  assert.equal(
    [open.r.exitCode, open.r.stderr.trim()],
    [1, `wireguard4netns: ${conf}: permissions 0644 are too open for a file holding a private key; run "chmod 600 ${conf}"`],
  );
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after a refused start', 0);

  chmodSync(conf, 0o600);
  writeFileSync(conf, ctx.peer.config().replace(/PublicKey = .*/, 'PublicKey = not-a-key'));
  const bad = await start(ctx, 'changed-bytes', conf);
  assert.equal(
    [bad.r.exitCode, bad.r.stderr.trim()],
    [1, `wireguard4netns: ${conf}:6: PublicKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)`],
  );
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after a refused start', 0);

  writeFileSync(conf, `# edited\n${ctx.peer.config()}`);
  const edited = await start(ctx, 'changed-edited', conf);
  assert.is(edited.r.exitCode, 0, edited.r.stderr);
  assert.not.match(logLine('changed-edited'), REPLAYED);
  assert.is((await fetchIn(edited.pid, BACKEND_V4)).stdout, PAGE);
});

test('should hand a replay that fails over to Node, which does the start and reports what is wrong', async (ctx) => {
  const conf = userFile('handover.conf', ctx.peer.config());
  assert.is((await start(ctx, 'handover-first', conf)).r.exitCode, 0);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the first start');

  // An entry that does not fit its file (a key's place is wrong): undone, Node starts it, the entry goes.
  const name = entries().find((n) => JSON.parse(readFileSync(join(REPLAY_DIR, n), 'utf8')).config === conf)!;
  const entry = JSON.parse(readFileSync(join(REPLAY_DIR, name), 'utf8'));
  writeFileSync(join(REPLAY_DIR, name), JSON.stringify({ ...entry, secrets: [[0, 44]] }));
  const r = await start(ctx, 'handover-bad-entry', conf);
  assert.equal([r.r.exitCode, r.r.stderr], [0, '']);
  assert.not.match(logLine('handover-bad-entry'), REPLAYED);
  assert.is((await fetchIn(r.pid, BACKEND_V4)).stdout, PAGE);
  assert.equal(
    hookLogLines('handover-bad-entry').map((l) => l.replace(/^\S+ /, '')),
    ["container handover-bad-entry: wireguard4netns: note: the start was not replayed (secret 0: not a key's base64); Node does it"],
  );
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the handed-over start');

  // A namespace whose tunnel runs another config: the replay's daemon says so, and Node refuses the start as always.
  assert.is((await start(ctx, 'handover-entry', conf)).r.exitCode, 0);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after making the entry again');
  const other = userFile('handover-other.conf', ctx.peer.config().replace('198.51.100.2/32', '198.51.100.3/32'));
  const owner = await start(ctx, 'handover-owner', other);
  assert.is(owner.r.exitCode, 0, owner.r.stderr);
  const refused = await start(ctx, 'handover-refused', conf, owner.pid);
  assert.is(refused.r.exitCode, 1);
  assert.match(refused.r.stderr, `already runs wg0 from ${other}, and this start names ${conf}; expected the same config`);
  const status = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[]; config: string }[];
  assert.equal(
    status.map((t) => [t.containers, t.config]),
    [[['handover-owner'], other]],
  );
});

for (const runtime of RUNTIMES) {
  test(`should replay a podman container's start, with its DNS (${runtime})`, async (ctx) => {
    const conf = userFile(`replay-${runtime}.conf`, ctx.peer.config('DNS = 198.51.100.53, tunnel.test'));
    for (const replayed of [false, true]) {
      const args = ['--network', 'none', '--annotation', `${CONFIG_ANNOTATION}=${conf}`, IMAGE, 'sleep', '60'];
      const id = (await podman(['--runtime', runtime, 'run', '-d', ...args])).stdout.trim();
      try {
        assert.is(logLine(id).includes(REPLAYED), replayed, logLine(id));
        const r = await podman(['exec', id, 'sh', '-c', `cat /etc/resolv.conf; ${FETCH_BOTH}`]);
        assert.match(r.stdout, 'nameserver 198.51.100.53\nsearch tunnel.test');
        assert.is(r.stdout.split(PAGE).length - 1, 2, r.stdout);
      } finally {
        await podman(['rm', '-f', '-t', '0', id]);
      }
      await assertNothingLeft(`after the ${replayed ? 'replayed' : 'first'} container`);
    }
  });
}

test.run();
