// Hostile and broken input to the real hook, run as the unprivileged user
// the way a runtime runs it (OCI state on stdin): each case must fail in one
// exact line, exit 1, and leave nothing behind.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configText, KEYS } from '../helpers/config.js';
import { asUser, BUNDLE, GID, HOME, HOOK_BUNDLE, testDir, UID, WIREGUARD_GO } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate } from '../helpers/leaks.js';
import { startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

const DIR = join(HOME, `wg4ns-test/bad-${process.pid}`);
/** The real daemon, for the fake ones' sweep (the poststop program is the same binary). */
const fakeDaemon = (body: string) => `#!/bin/sh\n[ "$1" = wireguard4netns-sweep ] && exec ${WIREGUARD_GO} "$@"\n${body}\n`;
const GOOD = configText();
const HOOK_JSON = '/etc/wireguard4netns/hook.json';

interface Case {
  name: string;
  /** the config file: its content, or a function making something else at path */
  file?: { content?: string | Buffer; mode?: number; uid?: number; make?: (path: string) => void };
  /** the annotation's value, when not the file's path */
  annotation?: string;
  /** the OCI state; PID and CONF are replaced */
  state?: string;
  /** run as a runtime runs it, in the user namespace of the state's process: the daemon finds this error, in the container's namespace */
  asRuntime?: boolean;
  expected: string;
}

const STATE =
  '{"ociVersion":"1.0.2","id":"badinput","status":"creating","pid":PID,"bundle":"/nonexistent","annotations":{"wireguard4netns.conf":"CONF"}}';

const conf = (extra: { iface?: string; peer?: string }) => configText({ iface: extra.iface ?? '', peer: extra.peer ?? '' });
const replaced = (from: string | RegExp, to: string) => ({ content: GOOD.replace(from, to) });

const cases: Case[] = [
  // the annotation's path
  { name: 'relative path', annotation: 'wg/edge.conf', expected: 'config path "wg/edge.conf": expected an absolute path' },
  {
    name: 'path with ..',
    annotation: `${DIR}/../bad/x.conf`,
    expected: `${DIR}/../bad/x.conf: expected a normalised path (no "..", "." or "//")`,
  },
  { name: 'path with //', annotation: `${DIR}//x.conf`, expected: `${DIR}//x.conf: expected a normalised path (no "..", "." or "//")` },
  { name: 'missing file', annotation: `${DIR}/missing.conf`, expected: `${DIR}/missing.conf: cannot read the config: no such file` },
  {
    name: 'a directory',
    file: {
      make: (p) => {
        mkdirSync(p, { mode: 0o700 });
        chownSync(p, UID, GID);
      },
    },
    expected: 'PATH: not a regular file; expected a WireGuard config file',
  },
  { name: 'a fifo', file: { make: (p) => execFifo(p) }, expected: 'PATH: not a regular file; expected a WireGuard config file' },
  { name: 'a device', annotation: '/dev/null', expected: '/dev/null: not a regular file; expected a WireGuard config file' },
  {
    name: 'a symlink to a good file',
    file: { make: (p) => symlinkSync(goodFile(), p) },
    expected: `PATH: the path goes through a symlink (to ${DIR}/good.conf); expected the real path, which cannot be swapped`,
  },
  {
    name: 'a symlinked directory',
    annotation: `${DIR}/link-dir/good.conf`,
    expected: `${DIR}/link-dir/good.conf: the path goes through a symlink (to ${DIR}/good.conf); expected the real path, which cannot be swapped`,
  },
  {
    name: 'a dangling symlink',
    file: { make: (p) => symlinkSync(`${DIR}/nowhere`, p) },
    expected: 'PATH: cannot read the config: no such file',
  },
  // the file's owner and mode
  {
    name: 'mode 0644',
    file: { content: GOOD, mode: 0o644 },
    expected: 'PATH: permissions 0644 are too open for a file holding a private key; run "chmod 600 PATH"',
  },
  {
    name: 'mode 0640',
    file: { content: GOOD, mode: 0o640 },
    expected: 'PATH: permissions 0640 are too open for a file holding a private key; run "chmod 600 PATH"',
  },
  {
    name: 'mode 0602',
    file: { content: GOOD, mode: 0o602 },
    expected: 'PATH: permissions 0602 are too open for a file holding a private key; run "chmod 600 PATH"',
  },
  {
    name: 'mode 0660',
    file: { content: GOOD, mode: 0o660 },
    expected: 'PATH: permissions 0660 are too open for a file holding a private key; run "chmod 600 PATH"',
  },
  {
    name: "another user's readable file",
    file: { content: GOOD, mode: 0o644, uid: 1 },
    expected: "PATH: owned by uid 1; expected the container's owner or root",
  },
  {
    name: "another user's private file",
    file: { content: GOOD, mode: 0o600, uid: 1 },
    expected: 'PATH: cannot read the config: permission denied',
  },
  // the file's bytes
  {
    name: 'empty file',
    file: { content: '' },
    expected: 'PATH: the file is empty; expected a WireGuard config with an [Interface] section',
  },
  { name: 'NUL byte', file: { content: `${GOOD}\0` }, expected: 'PATH: the file holds a NUL byte; expected text' },
  {
    name: 'not UTF-8',
    file: { content: Buffer.concat([Buffer.from(GOOD), Buffer.from([0xc3, 0x28])]) },
    expected: 'PATH: the file is not valid UTF-8; expected text',
  },
  {
    name: 'over 64 KiB',
    file: { content: `${GOOD}${'#'.repeat(70_000)}\n` },
    expected: 'PATH: the file is larger than 65536 bytes; expected a WireGuard config of at most 64 KiB',
  },
  // the config
  {
    name: 'bad PrivateKey',
    file: replaced(KEYS.client.private, 'AAAA'),
    expected: 'PATH:2: PrivateKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)',
  },
  {
    name: 'bad PublicKey',
    file: replaced(KEYS.server.public, `${KEYS.server.public}AA`),
    expected: 'PATH:6: PublicKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)',
  },
  {
    name: 'bad PresharedKey',
    file: { content: conf({ peer: 'PresharedKey = short' }) },
    expected: 'PATH:9: PresharedKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)',
  },
  {
    name: 'bad Address',
    file: replaced('198.51.100.2/32', '198.51.100.2/33'),
    expected: 'PATH:3: Address: expected an IPv4 or IPv6 address with an optional /prefix, got "198.51.100.2/33"',
  },
  {
    name: 'bad AllowedIPs',
    file: replaced('0.0.0.0/0', '0.0.0.0/x'),
    expected: 'PATH:8: AllowedIPs: expected an IPv4 or IPv6 address with an optional /prefix, got "0.0.0.0/x"',
  },
  {
    name: 'Endpoint port 65536',
    file: replaced(':51820', ':65536'),
    expected: 'PATH:7: Endpoint: expected host:port or [IPv6]:port with a port from 1 to 65535, got "198.18.0.2:65536"',
  },
  {
    name: 'Endpoint IPv6 without brackets',
    file: replaced('198.18.0.2:51820', 'fd5a::1:51820'),
    expected: 'PATH:7: Endpoint: expected host:port or [IPv6]:port with a port from 1 to 65535, got "fd5a::1:51820"',
  },
  {
    name: 'MTU under 1280 with IPv6',
    file: { content: conf({ iface: 'MTU = 1279' }) },
    expected: 'PATH:4: MTU: expected an MTU (IPv6 is used) from 1280 to 65535, got "1279"',
  },
  {
    name: 'MTU under 576',
    file: { content: conf({ iface: 'MTU = 575' }).replace(', fd5a:7b1e:c0de::2/128', '') },
    expected: 'PATH:4: MTU: expected an MTU from 576 to 65535, got "575"',
  },
  {
    name: 'ListenPort 65536',
    file: { content: conf({ iface: 'ListenPort = 65536' }) },
    expected: 'PATH:4: ListenPort: expected a port from 0 to 65535, got "65536"',
  },
  {
    name: 'PersistentKeepalive 65536',
    file: { content: conf({ peer: 'PersistentKeepalive = 65536' }) },
    expected: 'PATH:9: PersistentKeepalive: expected seconds from 0 to 65535, got "65536"',
  },
  {
    name: 'unknown key',
    file: { content: conf({ peer: 'Colour = red' }) },
    expected: 'PATH:9: unknown key "Colour" in [Peer]; expected one of PublicKey, PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive',
  },
  {
    name: 'unknown section',
    file: { content: `${GOOD}[Tunnel]\n` },
    expected: 'PATH:10: unknown section "[Tunnel]"; expected [Interface] or [Peer]',
  },
  {
    name: 'PostUp',
    file: { content: conf({ iface: 'PostUp = touch /tmp/pwned' }) },
    expected: 'PATH:4: PostUp: not supported (wireguard4netns runs no commands from a config)',
  },
  {
    name: 'second [Interface]',
    file: { content: `${GOOD}[Interface]\n` },
    expected: 'PATH:10: a second [Interface] section (the first is on line 1); expected one',
  },
  {
    name: 'no [Interface]',
    file: { content: GOOD.replace(/^\[Interface\][^[]*/, '') },
    expected: 'PATH: no [Interface] section; expected one',
  },
  { name: 'no [Peer]', file: { content: GOOD.replace(/\[Peer\][\s\S]*/, '') }, expected: 'PATH: no [Peer] section; expected at least one' },
  {
    name: 'peer without PublicKey',
    file: replaced(/PublicKey = .*\n/, ''),
    expected: 'PATH:5: [Peer]: PublicKey is missing; expected the base64 public key of the peer',
  },
  {
    name: 'the same peer twice',
    file: { content: `${GOOD}[Peer]\nPublicKey = ${KEYS.server.public}\n` },
    expected: 'PATH:10: [Peer]: PublicKey is the same as the peer on line 5; expected each peer once',
  },
  {
    name: 'our own public key as peer',
    file: replaced(KEYS.server.public, KEYS.client.public),
    asRuntime: true,
    expected: "PATH:5: [Peer]: PublicKey is this interface's own public key; expected the peer's",
  },
  {
    name: 'overlapping AllowedIPs',
    file: { content: `${GOOD}[Peer]\nPublicKey = ${KEYS.psk}\nAllowedIPs = fd5a::/16\n` },
    expected: 'PATH:10: [Peer]: AllowedIPs fd5a::/16 overlaps ::/0 of the peer on line 5; expected disjoint AllowedIPs',
  },
  {
    name: 'a key before any section',
    file: { content: `PrivateKey = ${KEYS.client.private}\n${GOOD}` },
    expected: 'PATH:1: expected an [Interface] or [Peer] header before the first key',
  },
  {
    name: 'a line that is no key',
    file: { content: `${GOOD}garbage\n` },
    expected: 'PATH:10: expected "Key = Value" or a [Section] header',
  },
  // the OCI state
  { name: 'state not JSON', state: '{"id": "x",', expected: 'OCI state on stdin: not valid JSON; expected the runtime state object' },
  { name: 'state an array', state: '[]', expected: 'OCI state on stdin: expected a JSON object' },
  {
    name: 'state without id',
    state: '{"status":"creating","pid":1,"annotations":{"wireguard4netns.conf":"CONF"}}',
    expected: 'OCI state on stdin: id: expected a container id',
  },
  { name: 'pid a string', state: STATE.replace('PID', '"PID"'), expected: 'OCI state on stdin: pid: expected a process id' },
  {
    name: 'pid missing',
    state: STATE.replace('"pid":PID,', ''),
    expected: 'OCI state on stdin: pid: expected the container process id at createRuntime',
  },
  {
    name: 'pid gone',
    state: STATE.replace('PID', 'DEADPID'),
    expected: 'container process DEADPID: cannot open /proc/DEADPID/ns/net: no such process or file',
  },
  {
    name: 'status running',
    state: STATE.replace('creating', 'running'),
    expected: 'OCI state on stdin: status "running": expected "creating" or "created" (createRuntime) or "stopped" (poststop)',
  },
];

function execFifo(path: string): void {
  execFileSync('mkfifo', ['-m', '0600', path]);
  chownSync(path, UID, GID);
}

function goodFile(): string {
  return `${DIR}/good.conf`;
}

async function deadPid(): Promise<number> {
  const p = await execa('sh', ['-c', 'echo $$']);
  return Number(p.stdout);
}

const test = suite<{ sandbox: number; dead: number }>('bad input to the hook');

setup(test, async (ctx) => {
  await cleanSlate();
  rmSync(DIR, { recursive: true, force: true });
  testDir(basename(DIR));
  writeFileSync(goodFile(), GOOD, { mode: 0o600 });
  chownSync(goodFile(), UID, GID);
  symlinkSync(DIR, `${DIR}/link-dir`);
  ctx.sandbox = await startSandbox([]);
  ctx.dead = await deadPid();
});

test.after((ctx) => {
  if (ctx.sandbox) process.kill(ctx.sandbox, 'SIGKILL');
  rmSync(DIR, { recursive: true, force: true });
});

cases.forEach((c, i) => {
  test(`should refuse :: ${c.name}`, async (ctx) => {
    const path = `${DIR}/case${i}.conf`;
    if (c.file?.make) {
      c.file.make(path);
    } else if (c.file) {
      writeFileSync(path, c.file.content ?? '', { mode: c.file.mode ?? 0o600 });
      chmodSync(path, c.file.mode ?? 0o600);
      chownSync(path, c.file.uid ?? UID, GID);
    }
    const annotation = c.annotation ?? (c.file ? path : goodFile());
    const state = (c.state ?? STATE)
      .replaceAll('DEADPID', String(ctx.dead))
      .replace('PID', String(ctx.sandbox))
      .replace('CONF', annotation);
    const userns = c.asRuntime ? ['nsenter', '-t', String(ctx.sandbox), '--user', '--preserve-credentials', '--'] : [];
    const r = await asUser([...userns, process.execPath, HOOK_BUNDLE], 15_000, state);
    const expected = c.expected.replaceAll('PATH', path).replaceAll('DEADPID', String(ctx.dead));
    assert.is(r.stderr, `wireguard4netns: ${expected}`);
    assert.is(r.exitCode, 1);
    assert.is(r.stdout, '');
    await assertNothingLeft(c.name, 0);
  });
});

/** Runs the CLI as real root in a private mount namespace whose resolv.conf names a silent server. */
async function withSilentDns<T>(fn: (resolvConf: string) => Promise<T>): Promise<T> {
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(53, '127.0.0.77', resolve));
  const resolvConf = `${DIR}/resolv.conf`;
  writeFileSync(resolvConf, 'nameserver 127.0.0.77\noptions timeout:30 attempts:1\n');
  try {
    return await fn(resolvConf);
  } finally {
    silent.close();
  }
}

test('should give up on an endpoint whose DNS never answers, naming the step, within the bound', async (ctx) => {
  const path = `${DIR}/hang.conf`;
  writeFileSync(path, GOOD.replace('198.18.0.2:51820', 'hang.wireguard4netns.test:51820'), { mode: 0o600 });
  await withSilentDns(async (resolvConf) => {
    const started = Date.now();
    const r = await execa(
      'unshare',
      ['-m', 'sh', '-c', `mount --bind ${resolvConf} /etc/resolv.conf && exec ${process.execPath} ${BUNDLE} up ${ctx.sandbox} ${path}`],
      { reject: false, timeout: 20_000 },
    );
    const took = Date.now() - started;
    assert.is(r.stderr, `wireguard4netns: ${path}:7: Endpoint: cannot resolve hang.wireguard4netns.test: no answer within 3000 ms`);
    assert.is(r.exitCode, 1);
    assert.ok(took < 10_000, `took ${took} ms`);
  });
  await assertNothingLeft('after a DNS timeout', 0);
});

test('should give up on a daemon that never reports ready, naming the step, and kill it', async (ctx) => {
  const fake = `${DIR}/silent-daemon`;
  writeFileSync(fake, fakeDaemon('echo owner >&3\nexec sleep 60'), { mode: 0o755 });
  const r = await asUser(
    ['env', `WIREGUARD4NETNS_WIREGUARD_GO=${fake}`, process.execPath, BUNDLE, 'up', String(ctx.sandbox), goodFile()],
    20_000,
  );
  assert.match(r.stderr, /^wireguard4netns: starting wireguard-go: wireguard-go did not report ready within 3 s; /);
  assert.is(r.exitCode, 1);
  const left = await execa('pgrep', ['-f', fake], { reject: false });
  assert.is(left.stdout, '', 'the silent daemon was killed');
  await assertNothingLeft('after a daemon that never got ready', 0);
});

test('should report a daemon that dies during setup at once, with its last word', async (ctx) => {
  const fake = `${DIR}/dying-daemon`;
  // It takes the folder as the real one does, and dies with a word in its log.
  const body =
    'while [ $# -gt 0 ]; do [ "$1" = -dir ] && dir=$2; shift; done\nmkdir -p "$dir"\necho "cannot start" >>"$dir/daemon.log"\necho owner >&3\nexit 3';
  writeFileSync(fake, fakeDaemon(body), { mode: 0o755 });
  const started = Date.now();
  const r = await asUser(
    ['env', `WIREGUARD4NETNS_WIREGUARD_GO=${fake}`, process.execPath, BUNDLE, 'up', String(ctx.sandbox), goodFile()],
    20_000,
  );
  assert.is(r.stderr, 'wireguard4netns: starting wireguard-go: wireguard-go exited during setup (exit code 3): cannot start');
  assert.ok(Date.now() - started < 2500, 'not held until the ready timeout');
  await assertNothingLeft('after a daemon that died', 0);
});

test('should read only allowed directories as real root (rootful podman, CRI-O)', async (ctx) => {
  const state = (conf: string) => STATE.replace('PID', String(ctx.sandbox)).replace('CONF', conf);
  const run = (conf: string) => execa(process.execPath, [HOOK_BUNDLE], { input: state(conf), reject: false, timeout: 15_000 });
  const outside = await run(goodFile());
  assert.is(outside.stderr, `wireguard4netns: ${goodFile()}: outside the directories this hook reads configs from (/etc/wireguard4netns)`);
  assert.is(outside.exitCode, 1);
  mkdirSync('/etc/wireguard4netns', { recursive: true });
  writeFileSync(HOOK_JSON, JSON.stringify({ configDirs: [DIR] }));
  try {
    const allowed = await run(`${DIR}/missing.conf`);
    assert.is(allowed.stderr, `wireguard4netns: ${DIR}/missing.conf: cannot read the config: no such file`, 'an allowed directory is read');
    writeFileSync(HOOK_JSON, '{"configDirs": "/"}');
    const broken = await run(goodFile());
    assert.is(broken.stderr, `wireguard4netns: ${HOOK_JSON}: configDirs: expected a list of absolute directories other than /`);
  } finally {
    rmSync(HOOK_JSON, { force: true });
  }
  await assertNothingLeft('after rootful refusals', 0);
});

test('should count at least 40 cases', () => {
  assert.ok(cases.length >= 40, String(cases.length));
});

test('should exit 0 touching nothing without the annotation, and for an unknown container at poststop', async (ctx) => {
  for (const state of [
    `{"id":"x","status":"creating","pid":${ctx.sandbox},"annotations":{}}`,
    '{"id":"never-seen","status":"stopped","annotations":{"wireguard4netns.conf":"/x"}}',
  ]) {
    const r = await asUser([process.execPath, HOOK_BUNDLE], 15_000, state);
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stderr, '');
  }
  await assertNothingLeft('after no-op hooks', 0);
});

test.run();
