// "status" on a live tunnel (command line, unshare -rn) to a real peer,
// then on the same tunnel after its daemon was killed.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PeerStatus } from '../../src/tunnel/uapi.js';
import { HOME, STATE_BASE, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate } from '../helpers/leaks.js';
import { BACKEND_V4, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { cli, fetchIn, inSandbox, killSandboxes, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

interface Ctx {
  peer: Peer;
  sandboxes: number[];
  pid: number;
  daemonPid: number;
}
const test = suite<Ctx>('status', { sandboxes: [] } as never);

/** Every key of a JSON value, at any depth. */
function keysOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(keysOf);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)]);
  return [];
}

function assertNoClientKey(ctx: Ctx, out: string): void {
  const key = Buffer.from(ctx.peer.clientPrivateKey, 'base64');
  assert.not.ok(out.includes(key.toString('base64')), 'the private key (base64) is in the output');
  assert.not.ok(out.toLowerCase().includes(key.toString('hex')), 'the private key (hex) is in the output');
}

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.peer = await startPeer('w4nstat', 6);
  ctx.pid = await startSandbox(ctx.sandboxes);
  const conf = userFile('status.conf', `${ctx.peer.config()}PersistentKeepalive = 25\n`);
  const up = await cli('up', String(ctx.pid), conf);
  if (up.exitCode !== 0) throw new Error(`up failed: ${up.stderr}`);
  ctx.daemonPid = Number(/daemon pid (\d+)/.exec(up.stdout)![1]);
  // A fetch through the tunnel makes the handshake and some traffic.
  const page = await fetchIn(ctx.pid, BACKEND_V4);
  if (page.stdout.trim() !== PAGE) throw new Error(`no page through the tunnel: ${page.stderr}`);
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await ctx.peer?.down();
});

test('should list the live tunnel with its daemon, addresses and peer', async (ctx) => {
  const r = await cli('status');
  assert.is(r.stderr, '');
  assert.is(r.exitCode, 0);
  const dir = `${STATE_BASE}/`;
  assert.match(
    r.stdout,
    `wg0 in /proc/${ctx.pid}/ns/net
  containers:      none (command line)
  daemon:          pid ${ctx.daemonPid}
  config:          ${HOME}/wg4ns-test/status.conf
  addresses:       198.51.100.2/32, fd5a:7b1e:c0de::2/128
`,
  );
  assert.match(r.stdout, new RegExp(`\n  log: +${dir}\\d+-wg0/daemon\\.log\n`));
  assert.match(r.stdout, /\n {2}listening port: +\d+\n/);
  assert.match(
    r.stdout,
    new RegExp(
      [
        `\n  peer ${ctx.peer.publicKey.replace(/[+/]/g, '\\$&')}`,
        `    endpoint: +${ctx.peer.endpoint.replace(/\./g, '\\.')}`,
        '    latest handshake: +([0-9]|[1-5][0-9]) s ago',
        '    transfer: +[0-9.]+ (B|KiB) received, [0-9.]+ (B|KiB) sent',
        '    persistent keepalive: +every 25 s',
        '    allowed ips: +198\\.51\\.100\\.0/24, fd5a:7b1e:c0de::/64',
      ].join('\n'),
    ),
  );
  assertNoClientKey(ctx, r.stdout);
});

test('should print the same as JSON, chosen by the pid, without any secret', async (ctx) => {
  const r = await cli('status', String(ctx.pid), '--json');
  assert.is(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.length, 1);
  const [t] = out;
  assert.equal(
    [t.daemon, t.daemonPid, t.iface, t.netns, t.containers, t.addresses],
    ['running', ctx.daemonPid, 'wg0', `/proc/${ctx.pid}/ns/net`, [], ['198.51.100.2/32', 'fd5a:7b1e:c0de::2/128']],
  );
  assert.equal(t.peers.length, 1);
  const p = t.peers[0] as PeerStatus;
  assert.is(p.publicKey, ctx.peer.publicKey);
  assert.is(p.endpoint, ctx.peer.endpoint);
  assert.ok(Date.now() / 1000 - p.latestHandshake < 60, `handshake at ${p.latestHandshake}`);
  assert.ok(p.rxBytes > 0 && p.txBytes > 0, `rx ${p.rxBytes}, tx ${p.txBytes}`);
  assert.is(p.persistentKeepalive, 25);
  assert.equal(p.allowedIPs, ['198.51.100.0/24', 'fd5a:7b1e:c0de::/64']);
  for (const k of keysOf(out)) assert.not.match(k, /private|preshared/i, `key ${k} in the JSON`);
  assertNoClientKey(ctx, r.stdout);
});

test("should say which sysctl to raise when the host caps the unprivileged daemon's UDP buffers", async (ctx) => {
  // Host-wide sysctls (read-only in any other netns), so this checks
  // consistency with the host's values instead of changing them.
  const sysctl = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));
  const WANTED = 7 << 20; // what wireguard-go asks for
  const [t] = JSON.parse((await cli('status', String(ctx.pid), '--json')).stdout);
  const text = (await cli('status', String(ctx.pid))).stdout;
  const log = readFileSync(`${t.dir}/daemon.log`, 'utf8');
  for (const name of ['rmem_max', 'wmem_max']) {
    const capped = sysctl(name) < WANTED;
    const advice = `net.core.${name}=${WANTED}`;
    assert.is(String(t.udpBufferNotice).includes(advice), capped, `${name} is ${sysctl(name)}: ${t.udpBufferNotice}`);
    assert.is(text.includes(advice), capped, text);
  }
  if (t.udpBufferNotice === null) return;
  assert.match(text, `\n  udp buffers:     ${t.udpBufferNotice}\n`);
  const line = log.split('\n').find((l) => l.endsWith(t.udpBufferNotice));
  assert.ok(line?.startsWith('NOTICE: (wg0) '), log);
});

test('should fail in one line when the filter matches nothing', async () => {
  const r = await cli('status', 'ffffffff');
  assert.is(r.exitCode, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr, 'wireguard4netns: no tunnel matches ffffffff');
});

test('should report a killed daemon as dead, and exit 0', async (ctx) => {
  process.kill(ctx.daemonPid, 'SIGKILL');
  const r = await cli('status', String(ctx.pid));
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `\n  daemon: +pid ${ctx.daemonPid} dead, so wg0 is gone and its containers have no network; leftovers in ${STATE_BASE}/\\d+-wg0 go at the next tunnel start, or now with "wireguard4netns prune"\n`,
    ),
  );
  // Fail closed: without its daemon the namespace has no wg0 and no other way out.
  const links = await inSandbox(ctx.pid, ['ip', '-o', 'link']);
  assert.equal(
    links.stdout.split('\n').map((l) => l.split(': ')[1]),
    ['lo'],
    links.stdout,
  );
  assert.not.match(r.stdout, '  peer ');
  const json = await cli('status', '--json');
  assert.is(json.exitCode, 0, json.stderr);
  const [t] = (JSON.parse(json.stdout) as { daemon: string; daemonPid: number }[]).filter((x) => x.daemonPid === ctx.daemonPid);
  assert.is(t.daemon, 'dead');
});

test('should leave nothing once the leftovers are taken down', async (ctx) => {
  const down = await cli('down', String(ctx.pid));
  assert.is(down.exitCode, 0, down.stderr);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after status');
  const r = await cli('status');
  assert.equal([r.exitCode, r.stdout], [0, 'no tunnels']);
  assert.is((await cli('status', '--json')).stdout, '[]');
});

test.run();
