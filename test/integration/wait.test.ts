// The annotation wireguard4netns.wait=SECONDS: the container starts only
// after a first handshake, or not at all, saying which endpoint was silent.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hookRunArgs, installHook, podman, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate } from '../helpers/leaks.js';
import { BACKEND_V4, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { setup } from '../helpers/suite.js';

const test = suite<{ peer: Peer }>('wait for the first handshake');

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.peer = await startPeer('w4nwait', 12);
  await installHook();
});

test.after(async (ctx) => {
  await ctx.peer?.down();
});

const run = (conf: string, wait: string, cmd: string[]) =>
  podman(['run', '--rm', '--annotation', `wireguard4netns.wait=${wait}`, ...hookRunArgs(conf), ...cmd]);

test('should start the container after the handshake, so its first request goes through', async (ctx) => {
  const conf = userFile('wait.conf', ctx.peer.config());
  const r = await run(conf, '5', ['wget', '-q', '-O-', BACKEND_V4]);
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(r.stdout.trim(), PAGE);
  await assertNothingLeft('after a waited container');
});

test('should not start the container when the peer never answers, naming the endpoint', async (ctx) => {
  // The host side of the peer's veth: on this machine, and nothing listens on port 9.
  const silent = ctx.peer.endpoint.replace(/\.(\d+):51820$/, (_, last) => `.${Number(last) - 1}:9`);
  const conf = userFile('silent.conf', ctx.peer.config().replace(ctx.peer.endpoint, silent));
  const started = Date.now();
  const r = await run(conf, '2', ['echo', 'STARTED']);
  assert.is.not(r.exitCode, 0);
  assert.not.match(r.stdout, 'STARTED');
  assert.match(r.stderr, `wireguard4netns: no handshake with ${silent} within 2 s (annotation wireguard4netns.wait)`);
  assert.ok(Date.now() - started < 15_000, 'bounded');
  await assertNothingLeft('after a silent peer', 0);
});

test('should refuse a wait that is not whole seconds from 1 to 45', async (ctx) => {
  const conf = userFile('wait.conf', ctx.peer.config());
  const r = await run(conf, '1m', ['echo', 'STARTED']);
  assert.not.match(r.stdout, 'STARTED');
  assert.match(r.stderr, 'wireguard4netns: annotation wireguard4netns.wait: expected whole seconds from 1 to 45, got "1m"');
  await assertNothingLeft('after a bad wait', 0);
});

test.run();
