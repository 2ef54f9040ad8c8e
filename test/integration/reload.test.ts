// reload: a running tunnel takes a changed config, changing exactly the
// difference; a bad config changes nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate } from '../helpers/leaks.js';
import { BACKEND_V4, BACKEND_V6, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { cli, fetchIn, inSandbox, killSandboxes, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

const test = suite<{ peer: Peer; sandboxes: number[]; pid: number }>('reload', { sandboxes: [] } as never);

const linkState = async (pid: number) => {
  const addr = (await inSandbox(pid, ['ip', '-o', 'addr', 'show', 'dev', 'wg0'])).stdout;
  const routes = `${(await inSandbox(pid, ['ip', 'route', 'show', 'dev', 'wg0'])).stdout}\n${(await inSandbox(pid, ['ip', '-6', 'route', 'show', 'dev', 'wg0'])).stdout}`;
  const mtu = /mtu (\d+)/.exec((await inSandbox(pid, ['ip', '-o', 'link', 'show', 'dev', 'wg0'])).stdout)?.[1];
  return { addr, routes, mtu };
};

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.peer = await startPeer('w4nreload', 11);
  ctx.pid = await startSandbox(ctx.sandboxes);
  const up = await cli('up', String(ctx.pid), userFile('reload.conf', ctx.peer.config()));
  if (up.exitCode !== 0) throw new Error(up.stderr);
  if ((await fetchIn(ctx.pid, BACKEND_V4)).stdout.trim() !== PAGE) throw new Error('no tunnel before the reload');
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await ctx.peer?.down();
});

test('should apply new AllowedIPs, routes and MTU and keep the session', async (ctx) => {
  const before = JSON.parse((await cli('status', String(ctx.pid), '--json')).stdout)[0].peers[0];
  const conf = userFile(
    'reload2.conf',
    ctx.peer.config('MTU = 1380').replace('AllowedIPs = 198.51.100.0/24, fd5a:7b1e:c0de::/64', 'AllowedIPs = 198.51.100.0/25'),
  );
  const r = await cli('reload', String(ctx.pid), conf);
  assert.is(r.stderr, '');
  assert.is(r.stdout, `wg0 in /proc/${ctx.pid}/ns/net reloaded from ${conf}`);
  const link = await linkState(ctx.pid);
  assert.is(link.mtu, '1380');
  assert.match(link.routes, '198.51.100.0/25');
  assert.not.match(link.routes, '198.51.100.0/24');
  assert.not.match(link.routes, 'fd5a:7b1e:c0de::/64 ');
  const after = JSON.parse((await cli('status', String(ctx.pid), '--json')).stdout)[0].peers[0];
  assert.equal(after.allowedIPs, ['198.51.100.0/25']);
  assert.is(after.latestHandshake, before.latestHandshake, 'the session survived the reload');
  assert.is((await fetchIn(ctx.pid, BACKEND_V4)).stdout.trim(), PAGE);
  assert.match(
    (await fetchIn(ctx.pid, BACKEND_V6)).stderr + (await fetchIn(ctx.pid, BACKEND_V6)).exitCode,
    /[1-9]|unreachable/i,
    'IPv6 is no longer routed',
  );
});

test('should change addresses by the difference', async (ctx) => {
  const conf = userFile(
    'reload3.conf',
    ctx.peer
      .config()
      .replace('Address = 198.51.100.2/32, fd5a:7b1e:c0de::2/128', 'Address = 198.51.100.2/32, 198.51.100.77/32, fd5a:7b1e:c0de::2/128'),
  );
  assert.is((await cli('reload', String(ctx.pid), conf)).exitCode, 0);
  const link = await linkState(ctx.pid);
  assert.match(link.addr, 'inet 198.51.100.77/32');
  assert.match(link.addr, 'inet 198.51.100.2/32');
  assert.is(link.mtu, '1420');
  assert.match(link.routes, 'fd5a:7b1e:c0de::/64');
  assert.is((await fetchIn(ctx.pid, BACKEND_V6)).stdout.trim(), PAGE);
});

test('should change nothing with a bad config, and say why', async (ctx) => {
  const before = await linkState(ctx.pid);
  const conf = userFile('reload-bad.conf', ctx.peer.config('MTU = 100'));
  const r = await cli('reload', String(ctx.pid), conf);
  assert.is(r.exitCode, 1);
  assert.is(r.stderr, `wireguard4netns: ${conf}:4: MTU: expected an MTU (IPv6 is used) from 1280 to 65535, got "100"`);
  assert.equal(await linkState(ctx.pid), before);
  const none = await cli('reload', '999999999', userFile('reload.conf', ctx.peer.config()));
  assert.is(none.stderr, 'wireguard4netns: no tunnel matches 999999999');
});

test('should leave nothing once the namespace is gone', async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after reloads');
});

test.run();
