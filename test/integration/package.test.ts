// The npm package: what "npm pack" puts in the tarball, and global installs
// of that tarball alone (no registry): with Go, wireguard-go is built at
// install; without Go, or with one too old, the install succeeds and says
// what to install, "install" and "up" say it again, and "npm rebuild -g"
// builds it once Go is there.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setup } from '../helpers/suite.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const GO_NEEDED = /^go (\S+)$/m.exec(readFileSync(join(ROOT, 'wireguard-go/go.mod'), 'utf8'))![1];
// npm run sets npm_* variables (package, config) that must not leak into the npm we test.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
// What a machine without Go has on PATH: node, npm and the system's tools.
const NO_GO = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin:/usr/sbin:/sbin`, GO: '/nonexistent' };

const test = suite<{ tmp: string; tarball: string; sandbox?: ChildProcess }>('npm package');

function npm(args: string[], env: Record<string, string> = {}, timeout = 300_000) {
  return execa('npm', args, { cwd: ROOT, env: { ...ENV, ...env }, extendEnv: false, reject: false, timeout, all: true });
}

/** npm install -g of the tarball into its own prefix, showing the install script's output (npm hides it by default). */
function installInto(prefix: string, tarball: string, env: Record<string, string> = {}) {
  // npm 11 names a tarball's package by its absolute path in allow-scripts.
  const flags = ['--offline', '--no-audit', '--no-fund', '--foreground-scripts', `--allow-scripts=${tarball}`];
  return npm(['install', '-g', '--prefix', prefix, '--cache', join(dirname(prefix), 'npm-cache'), ...flags, tarball], env);
}

const installed = (prefix: string) => join(prefix, 'lib/node_modules/wireguard4netns');
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A process in a network namespace of its own: up is pointed there, so nothing else is touched. */
async function sandbox(): Promise<ChildProcess> {
  const child = spawn('unshare', ['-n', 'sleep', '120'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && readlinkSync(`/proc/${child.pid}/ns/net`) === readlinkSync('/proc/self/ns/net'); i++) {
    await new Promise((done) => setTimeout(done, 20));
  }
  return child;
}

setup(test, async (ctx) => {
  ctx.tmp = mkdtempSync(join(tmpdir(), 'wg4ns-package-'));
  const pack = await npm(['pack', '--pack-destination', ctx.tmp]);
  if (pack.exitCode !== 0) throw new Error(`npm pack failed: ${pack.all}`);
  ctx.tarball = join(ctx.tmp, `wireguard4netns-${PKG.version}.tgz`);
});

test.after((ctx) => {
  ctx.sandbox?.kill('SIGKILL');
  if (ctx.tmp) rmSync(ctx.tmp, { recursive: true, force: true });
});

test('should pack the bundle, the wireguard-go build inputs and the notices, and nothing else', async (ctx) => {
  const list = (await execa('tar', ['-tzf', ctx.tarball])).stdout.split('\n').sort();
  const ours = (dir: string, pick: (name: string) => boolean) =>
    readdirSync(join(ROOT, dir))
      .filter(pick)
      .map((n) => `package/${dir}/${n}`);
  const expected = [
    ...[
      'LICENSE',
      'README.md',
      'package.json',
      'dist/wireguard4netns',
      'dist/wireguard4netns-hook',
      'dist/wireguard4netns-hook.js',
      'dist/wireguard4netns-netavark',
      'wireguard-go.patch',
    ].map((f) => `package/${f}`),
    'package/python/pyproject.toml',
    'package/python/wireguard4netns/__init__.py',
    ...ours('oci-hooks.d', (n) => n.endsWith('.json')),
    ...ours(
      'wireguard-go',
      (n) => (n.endsWith('.go') && !n.endsWith('_test.go')) || ['go.mod', 'go.sum', 'build.sh', 'install.sh'].includes(n),
    ),
  ].sort();
  assert.equal(list, expected);
  assert.not.ok(
    list.some((f) => /node_modules|dist\/test|wireguard-go-src|dist\/wireguard-go$/.test(f)),
    'no build output but the bundles',
  );

  const dir = join(ctx.tmp, 'unpacked');
  mkdirSync(dir);
  await execa('tar', ['-xzf', ctx.tarball, '-C', dir]);
  for (const f of list) {
    assert.not.equal(readFileSync(join(dir, f)).subarray(0, 4).toString('latin1'), '\x7fELF', `${f} is a binary`);
  }
  assert.ok(readFileSync(join(dir, 'package/dist/wireguard4netns'), 'utf8').startsWith('#!/usr/bin/env node\n'));
  const license = readFileSync(join(dir, 'package/LICENSE'), 'utf8');
  assert.match(license, 'Copyright (c) 2026 the wireguard4netns authors');
  assert.match(license, 'WireGuard LLC');
  assert.is(license.match(/Permission is hereby granted/g)?.length, 2, 'our MIT notice and upstream wireguard-go one');
  const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8'));
  assert.is(pkg.private, undefined);
  assert.is(pkg.license, 'MIT');
  assert.equal(pkg.os, ['linux']);
  assert.equal(pkg.bin, { wireguard4netns: 'dist/wireguard4netns' });
  assert.ok(pkg.engines?.node && pkg.repository?.url, 'engines and repository');
});

test('should install globally from the tarball alone and build wireguard-go when Go is there', async (ctx) => {
  const prefix = join(ctx.tmp, 'with-go');
  const r = await installInto(prefix, ctx.tarball);
  assert.is(r.exitCode, 0, r.all);
  assert.match(r.all, /wireguard4netns: built \S+\/dist\/wireguard-go \(wireguard-go v/);

  const cmd = join(prefix, 'bin/wireguard4netns');
  assert.is((await execa(cmd, ['--version'])).stdout, PKG.version);
  const key = (await execa(cmd, ['genkey'])).stdout;
  const pub = (await execa(cmd, ['pubkey'], { input: key })).stdout;
  assert.match(pub, /^[A-Za-z0-9+/]{43}=$/);
  assert.is.not(pub, key);

  const wg = join(installed(prefix), 'dist/wireguard-go');
  assert.ok(existsSync(wg), `${wg} was not built`);
  assert.match((await execa(wg, ['--version'])).stdout, /^wireguard-go v/);
});

test('should install without Go, say what to install, and have "install" and "up" say it again', async (ctx) => {
  const prefix = join(ctx.tmp, 'without-go');
  const r = await installInto(prefix, ctx.tarball, NO_GO);
  assert.is(r.exitCode, 0, r.all);
  assert.match(r.all, 'wireguard4netns: wireguard-go was not built: Go was not found (GO=/nonexistent, PATH, /usr/local/go/bin/go).');
  assert.match(r.all, `It needs Go >= ${GO_NEEDED} (https://go.dev/dl`);
  assert.match(r.all, 'then run "npm rebuild -g wireguard4netns"');
  const wg = join(installed(prefix), 'dist/wireguard-go');
  assert.not.ok(existsSync(wg));

  const cmd = join(prefix, 'bin/wireguard4netns');
  const advice = `wireguard-go not found at ${wg}; install Go (https://go.dev/dl) and run "npm rebuild -g wireguard4netns"`;
  const hooks = join(ctx.tmp, 'hooks');
  const inst = await execa(cmd, ['install', '--hooks-dir', hooks, '--plugin-dir', join(ctx.tmp, 'netavark')], {
    reject: false,
    env: NO_GO,
  });
  assert.is(inst.exitCode, 0, inst.stderr);
  const hookBundle = join(installed(prefix), 'dist/wireguard4netns-hook');
  assert.match(
    readFileSync(join(hooks, 'wireguard4netns.json'), 'utf8'),
    `"${hookBundle}"`,
    "the hook runs the installed package's hook bundle, a path an upgrade keeps",
  );
  assert.match(inst.stderr, new RegExp(`^wireguard4netns: warning: ${escapeRegExp(advice)}[^\n]*$`), inst.stderr);

  ctx.sandbox = await sandbox();
  const key = (await execa(cmd, ['genkey'])).stdout;
  const conf = join(ctx.tmp, 'wg0.conf');
  const peer = (await execa(cmd, ['pubkey'], { input: (await execa(cmd, ['genkey'])).stdout })).stdout;
  const text = `[Interface]\nPrivateKey = ${key}\nAddress = 10.99.0.2/32\n\n[Peer]\nPublicKey = ${peer}\nAllowedIPs = 10.99.0.0/24\nEndpoint = 192.0.2.1:51820\n`;
  writeFileSync(conf, text, { mode: 0o600 });
  const env = { ...NO_GO, WIREGUARD4NETNS_RUNTIME_DIR: join(ctx.tmp, 'run') };
  const up = await execa(cmd, ['up', String(ctx.sandbox.pid), conf], { reject: false, env });
  assert.is(up.exitCode, 1, up.stdout);
  assert.match(up.stderr, new RegExp(`^wireguard4netns: starting wireguard-go: ${escapeRegExp(advice)}[^\n]*$`), up.stderr);
});

test('should say which Go it found when that Go is too old', async (ctx) => {
  const old = join(ctx.tmp, 'old-go');
  mkdirSync(old);
  writeFileSync(join(old, 'go'), '#!/bin/sh\necho go1.20.14\n', { mode: 0o755 });
  const r = await installInto(join(ctx.tmp, 'old-go-prefix'), ctx.tarball, { ...NO_GO, GO: join(old, 'go') });
  assert.is(r.exitCode, 0, r.all);
  assert.match(r.all, `wireguard-go was not built: ${join(old, 'go')} is go1.20.14. It needs Go >= ${GO_NEEDED}`);
  assert.not.ok(existsSync(join(installed(join(ctx.tmp, 'old-go-prefix')), 'dist/wireguard-go')));
});

test('should build wireguard-go on "npm rebuild -g wireguard4netns" once Go is there', async (ctx) => {
  const prefix = join(ctx.tmp, 'without-go');
  const r = await npm(['rebuild', '-g', '--prefix', prefix, '--foreground-scripts', '--allow-scripts=wireguard4netns', 'wireguard4netns']);
  assert.is(r.exitCode, 0, r.all);
  const wg = join(installed(prefix), 'dist/wireguard-go');
  assert.ok(existsSync(wg), `${wg} was not built: ${r.all}`);
  assert.match((await execa(wg, ['--version'])).stdout, /^wireguard-go v/);
});

test.run();
