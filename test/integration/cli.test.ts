// The command line on a plain unprivileged namespace (unshare -rn), run by
// the unprivileged test user against a real, independent peer.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asUser, BUNDLE, HOME, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons } from '../helpers/leaks.js';
import { BACKEND_V4, BACKEND_V6, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { cli, fetchIn, inSandbox, killSandboxes, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

const test = suite<{ peer: Peer; sandboxes: number[] }>('command line on unshare -rn', { sandboxes: [] } as never);

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.peer = await startPeer('w4ncli', 1);
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await ctx.peer?.down();
});

test('should bring wg0 up in the namespace and reach the backend over IPv4 and IPv6', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const conf = userFile('cli.conf', ctx.peer.config());
  const up = await cli('up', String(pid), conf);
  assert.is(up.stderr, '');
  assert.is(up.exitCode, 0);
  assert.match(up.stdout, `wg0 up in /proc/${pid}/ns/net (daemon pid `);
  const dir = /state in (\S+)\)/.exec(up.stdout)![1];
  const steps = 'tun [\\d.]+ ms, device [\\d.]+ ms, config wait [\\d.]+ ms, config and link [\\d.]+ ms, uapi [\\d.]+ ms';
  const logged = `wireguard4netns: wg0 up for the command line from ${conf} \\(resolve \\d+ ms, daemon \\d+ ms, of which in wireguard-go: ${steps}\\)`;
  assert.match(readFileSync(`${dir}/daemon.log`, 'utf8'), new RegExp(logged));

  const addr = await inSandbox(pid, ['ip', '-o', 'addr', 'show', 'dev', 'wg0']);
  assert.match(addr.stdout, 'inet 198.51.100.2/32');
  assert.match(addr.stdout, 'inet6 fd5a:7b1e:c0de::2/128');
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout.trim(), PAGE);
  assert.is((await fetchIn(pid, BACKEND_V6)).stdout.trim(), PAGE);
  assert.match(await ctx.peer.wg('show', 'wgp', 'latest-handshakes'), /\t[1-9]\d*$/m);
});

test('should keep key material out of the daemon argv and environment', async () => {
  const [line] = await daemons();
  const pid = line.split(' ')[0];
  const peerKeyHex = Buffer.from(readFileSync(`${HOME}/wg4ns-test/cli.conf`, 'utf8').match(/PrivateKey = (\S+)/)![1], 'base64');
  assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max core file size +0 +0 /m, 'core dumps are off');
  for (const file of ['cmdline', 'environ']) {
    const content = readFileSync(`/proc/${pid}/${file}`);
    assert.not.ok(content.includes(peerKeyHex.toString('base64')), `${file} holds the private key`);
    assert.not.ok(content.includes(peerKeyHex.toString('hex')), `${file} holds the private key in hex`);
  }
});

test('should end the tunnel when the last process of the namespace exits', async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the namespace emptied');
});

test('should take the tunnel down with "down", leaving the namespace alone', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const conf = userFile('cli.conf', ctx.peer.config());
  assert.is((await cli('up', String(pid), conf)).exitCode, 0);
  const down = await cli('down', String(pid));
  assert.is(down.exitCode, 0, down.stderr);
  await assertNothingLeft('after down');
  const links = await inSandbox(pid, ['ip', '-o', 'link']);
  assert.is(links.exitCode, 0, 'the namespace outlives its tunnel');
  assert.not.match(links.stdout, 'wg0');
});

test('should refuse a bad config in one line, touching nothing', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const conf = userFile('bad.conf', ctx.peer.config().replace(/Endpoint = (.*):51820/, 'Endpoint = $1'));
  const r = await cli('up', String(pid), conf);
  assert.is(r.exitCode, 1);
  assert.is(
    r.stderr,
    `wireguard4netns: ${conf}:7: Endpoint: expected host:port or [IPv6]:port with a port from 1 to 65535, got "${ctx.peer.endpoint.replace(/:51820$/, '')}"`,
  );
  await assertNothingLeft('after a refused config', 0);
});

test('should make keys that wireguard-tools agrees with', async () => {
  const key = (await cli('genkey')).stdout;
  const ours = await asUser([process.execPath, BUNDLE, 'pubkey'], 10_000, key);
  const theirs = await execa('wg', ['pubkey'], { input: key });
  assert.is(ours.stdout, theirs.stdout);
  assert.match((await cli('genpsk')).stdout, /^[A-Za-z0-9+/]{43}=$/);
});

test.run();
