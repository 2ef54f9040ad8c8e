// Endpoint hostnames re-resolved by the daemon (like wireguard-tools'
// reresolve-dns.sh): the tunnel starts at a wrong address for the peer's
// name, the name moves to the peer, and the tunnel finds it. The name lives
// in a private /etc/hosts: the CLI runs, as the test user, in a mount
// namespace where /etc/hosts is a bind mount of a file the test rewrites in
// place (a bind mount follows the inode), and the daemon inherits that view.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { uapiRequest } from '../../src/tunnel/uapi.js';
import { BUNDLE, HOME, RUNTIME_DIR, STATE_BASE, USER, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons } from '../helpers/leaks.js';
import { BACKEND_V4, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { cli, inSandbox, killSandboxes, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

const NAME = 'peer.wg4ns.test';
const HOSTS = `/run/w4nreres-hosts-${process.pid}`;
const RECOVERY_MS = 15_000;

interface Ctx {
  peer: Peer;
  sandboxes: number[];
  pid: number;
  /** the peer's veth address, and the host side of its /30 where nothing listens on 51820 */
  right: string;
  wrong: string;
}

const test = suite<Ctx>('endpoint hostnames re-resolved by the daemon', { sandboxes: [] } as never);

/** Points NAME at address, writing the same inode (the bind mount follows it, not the path). */
function pointNameAt(address: string): void {
  writeFileSync(HOSTS, `127.0.0.1 localhost\n::1 localhost\n${address} ${NAME}\n`);
}

/** The folder of the sandbox's tunnel (other suites may have tunnels of their own). */
const tunnelDir = (pid: number) => join(STATE_BASE, `${statSync(`/proc/${pid}/ns/net`).ino}-wg0`);

/** The peer's endpoint as the daemon has it now. */
async function daemonEndpoint(pid: number): Promise<string | undefined> {
  const entries = await uapiRequest(join(tunnelDir(pid), 'wg0.sock'), 'get=1\n\n');
  return entries.find(([k]) => k === 'endpoint')?.[1];
}

const daemonLog = (pid: number) => readFileSync(join(tunnelDir(pid), 'daemon.log'), 'utf8');

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.peer = await startPeer('w4nreres', 10);
  ctx.right = ctx.peer.endpoint.replace(/:51820$/, '');
  ctx.wrong = ctx.right.replace(/\d+$/, (d) => String(Number(d) - 1));
  ctx.pid = await startSandbox(ctx.sandboxes);
});

test.after(async (ctx) => {
  if (ctx.pid) await cli('down', String(ctx.pid));
  killSandboxes(ctx.sandboxes);
  await ctx.peer?.down();
  rmSync(HOSTS, { force: true });
});

test('should start at the address the name has at first', async (ctx) => {
  const conf = userFile('reresolve.conf', ctx.peer.config().replace(ctx.peer.endpoint, `${NAME}:51820`));
  pointNameAt(ctx.wrong);
  const env = [
    'env',
    '-i',
    'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    `HOME=${HOME}`,
    `XDG_RUNTIME_DIR=${RUNTIME_DIR}`,
    'WIREGUARD4NETNS_RERESOLVE_INTERVAL=1s',
  ];
  const up = await execa(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      'mount --bind "$1" /etc/hosts && shift && exec "$@"',
      'sh',
      HOSTS,
      'runuser',
      '-u',
      USER,
      '--',
      ...env,
      process.execPath,
      BUNDLE,
      'up',
      '--verbose',
      String(ctx.pid),
      conf,
    ],
    { reject: false, timeout: 20_000 },
  );
  assert.is(up.stderr, '');
  assert.is(up.exitCode, 0);
  assert.is(await daemonEndpoint(ctx.pid), `${ctx.wrong}:51820`);

  // The name came on the config pipe's flags line, the interval on argv: the daemon says what it watches.
  const daemon =
    (await daemons())
      .join('\n')
      .split('\n')
      .find((l) => l.includes(tunnelDir(ctx.pid))) ?? '';
  assert.match(daemon, ' -reresolve-interval 1s');
  const keyHex = Buffer.from(ctx.peer.publicKey, 'base64').toString('hex');
  assert.match(daemonLog(ctx.pid), `re-resolving ${NAME}:51820 every 1s, for peer ${keyHex}`);
});

test('should leave the endpoint alone while the name does not move', async (ctx) => {
  await new Promise((r) => setTimeout(r, 2500));
  assert.is(await daemonEndpoint(ctx.pid), `${ctx.wrong}:51820`);
  assert.not.match(daemonLog(ctx.pid), 'reresolve:');
});

test('should find the peer again once its name moves', async (ctx) => {
  pointNameAt(ctx.right);
  const started = Date.now();
  let page = '';
  while (Date.now() - started < RECOVERY_MS && page !== PAGE) {
    page = (await inSandbox(ctx.pid, ['timeout', '2', 'busybox', 'wget', '-q', '-O-', BACKEND_V4])).stdout.trim();
  }
  const took = Date.now() - started;
  console.log(`  the tunnel recovered ${took} ms after the name moved`);
  assert.is(page, PAGE, `no answer through the tunnel within ${RECOVERY_MS} ms`);
  assert.is(await daemonEndpoint(ctx.pid), `${ctx.right}:51820`);
  assert.match(daemonLog(ctx.pid), `reresolve: ${NAME} moved from ${ctx.wrong}:51820 to ${ctx.right}:51820`);
});

test('should keep a peer that completed a handshake recently where it is', async (ctx) => {
  pointNameAt(ctx.wrong);
  // Go's resolver reads /etc/hosts again after 5 s; then a few ticks.
  await new Promise((r) => setTimeout(r, 7500));
  assert.is(await daemonEndpoint(ctx.pid), `${ctx.right}:51820`);
  assert.is((await inSandbox(ctx.pid, ['timeout', '5', 'busybox', 'wget', '-q', '-O-', BACKEND_V4])).stdout.trim(), PAGE);
});

test('should leave nothing after down', async (ctx) => {
  const down = await cli('down', String(ctx.pid));
  assert.is(down.exitCode, 0, down.stderr);
  ctx.pid = 0;
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after down');
});

test.run();
