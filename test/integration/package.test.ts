// The npm packages, as "npm run pack:all" makes them: wireguard4netns and
// one @wireguard4netns/PLATFORM per platform, with a prebuilt static
// wireguard-go. Global installs of those tarballs alone (no registry, no Go
// on PATH) give a working tunnel, from the command line and through the
// installed hook under podman. Without the prebuilt package, wireguard-go
// is built at install when Go is there; without Go, or with one too old,
// the install succeeds and says what to install, "install" and "up" say it
// again, and "npm rebuild -g" builds it once Go is there.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asUser, hookRunArgs, podman, testDir, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons } from '../helpers/leaks.js';
import { assertFetchedBoth, BACKEND_V4, FETCH_BOTH, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { serveRegistry } from '../helpers/registry.js';
import { fetchIn, killSandboxes, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const GO_NEEDED = /^go (\S+)$/m.exec(readFileSync(join(ROOT, 'wireguard-go/go.mod'), 'utf8'))![1];
const UPSTREAM = /^(?:require)?\s*golang\.zx2c4\.com\/wireguard (\S+)$/m.exec(readFileSync(join(ROOT, 'wireguard-go/go.mod'), 'utf8'))![1];
const PLATFORMS = {
  'linux-x64': { cpu: 'x64', goarch: 'amd64', elfMachine: 62 },
  'linux-arm64': { cpu: 'arm64', goarch: 'arm64', elfMachine: 183 },
};
const HERE = `linux-${process.arch}` as keyof typeof PLATFORMS;
// npm run sets npm_* variables (package, config) that must not leak into the npm we test.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
// What a machine without Go has on PATH: node, npm and the system's tools.
const NO_GO = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin:/usr/sbin:/sbin`, GO: '/nonexistent' };

const test = suite<{ tmp: string; tarballs: Record<string, string>; patch: string; upstream: string; peer?: Peer; sandboxes: number[] }>(
  'npm packages',
  {
    sandboxes: [],
  } as never,
);

function npm(args: string[], env: Record<string, string> = {}, timeout = 300_000) {
  return execa('npm', args, { cwd: ROOT, env: { ...ENV, ...env }, extendEnv: false, reject: false, timeout, all: true });
}

/** npm install -g of the tarballs into their own prefix, showing the install script's output (npm hides it by default). */
function installInto(prefix: string, tarballs: string[], env: Record<string, string> = {}) {
  // npm 11 names a tarball's package by its absolute path in allow-scripts.
  const flags = ['--offline', '--no-audit', '--no-fund', '--foreground-scripts', `--allow-scripts=${tarballs[0]}`];
  return npm(['install', '-g', '--prefix', prefix, '--cache', join(dirname(prefix), 'npm-cache'), ...flags, ...tarballs], env);
}

const installed = (prefix: string) => join(prefix, 'lib/node_modules/wireguard4netns');
const prebuiltIn = (prefix: string) => join(prefix, `lib/node_modules/@wireguard4netns/${HERE}/bin/wireguard-go`);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const tarList = async (tarball: string) => (await execa('tar', ['-tzf', tarball])).stdout.split('\n').sort();

/** An ELF executable's machine (e_machine) and whether it names a program interpreter (PT_INTERP: not static). */
function elf(file: string): { machine: number; dynamic: boolean } {
  const b = readFileSync(file);
  assert.is(b.subarray(0, 4).toString('latin1'), '\x7fELF', `${file} is not ELF`);
  const [phoff, phentsize, phnum] = [Number(b.readBigUInt64LE(0x20)), b.readUInt16LE(0x36), b.readUInt16LE(0x38)];
  const types = Array.from({ length: phnum }, (_, i) => b.readUInt32LE(phoff + i * phentsize));
  return { machine: b.readUInt16LE(0x12), dynamic: types.includes(3) };
}

setup(test, async (ctx) => {
  await cleanSlate();
  // Where the test user's hook and commands can read the installed packages.
  ctx.tmp = mkdtempSync('/var/tmp/wg4ns-package-');
  chmodSync(ctx.tmp, 0o755);
  const pack = await execa('bash', [join(ROOT, 'wireguard-go/npm/pack.sh'), join(ctx.tmp, 'pack')], {
    env: ENV,
    extendEnv: false,
    reject: false,
    all: true,
  });
  if (pack.exitCode !== 0) throw new Error(`npm run pack:all failed: ${pack.all}`);
  ctx.tarballs = Object.fromEntries(
    ['wireguard4netns', ...Object.keys(PLATFORMS)].map((p) => {
      const file = p === 'wireguard4netns' ? `${p}-${PKG.version}.tgz` : `wireguard4netns-${p}-${PKG.version}.tgz`;
      return [p, join(ctx.tmp, 'pack', file)];
    }),
  );
  ctx.patch = (await execa('bash', [join(ROOT, 'wireguard-go/build.sh'), '--patch-hash'])).stdout;
  ctx.upstream = /^const Version = "(.*)"$/m.exec(readFileSync(join(ROOT, 'dist/wireguard-go-src/version.go'), 'utf8'))![1];
  ctx.peer = await startPeer('w4npackage', 7);
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await podman(['rm', '-af', '-t', '0']);
  await ctx.peer?.down();
  if (ctx.tmp) rmSync(ctx.tmp, { recursive: true, force: true });
});

test('should pack every package: the main one, and one per platform its packed manifest pins exactly', (ctx) => {
  assert.equal(
    readdirSync(join(ctx.tmp, 'pack')).sort(),
    Object.values(ctx.tarballs)
      .map((f) => f.split('/').pop())
      .sort(),
  );
  assert.equal(PKG.optionalDependencies, undefined, 'the checkout names no unpublished package (npm ci works)');
  assert.equal([...PKG.prebuilt].sort(), Object.keys(PLATFORMS).sort(), 'the platforms packed');
});

test('should pack the bundle, the wireguard-go build inputs and the notices, and nothing else', async (ctx) => {
  const tarball = ctx.tarballs.wireguard4netns;
  const list = await tarList(tarball);
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
      'dist/man/wireguard4netns.1',
      'dist/man/wireguard4netns.conf.5',
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
  await execa('tar', ['-xzf', tarball, '-C', dir]);
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
  assert.equal(pkg.man, ['dist/man/wireguard4netns.1', 'dist/man/wireguard4netns.conf.5']);
  assert.equal(
    pkg.optionalDependencies,
    Object.fromEntries(
      Object.keys(PLATFORMS)
        .sort()
        .map((p) => [`@wireguard4netns/${p}`, PKG.version]),
    ),
    'the packed manifest pins the platform packages to this version',
  );
  assert.is(pkg.prebuilt, undefined);
  assert.ok(pkg.engines?.node && pkg.repository?.url, 'engines and repository');
});

for (const [platform, { cpu, elfMachine }] of Object.entries(PLATFORMS)) {
  test(`should pack @wireguard4netns/${platform}: a static wireguard-go for ${cpu} naming upstream and our patch, and the notices`, async (ctx) => {
    const tarball = ctx.tarballs[platform];
    assert.equal(await tarList(tarball), ['package/LICENSE', 'package/README.md', 'package/bin/wireguard-go', 'package/package.json']);
    const dir = join(ctx.tmp, `unpacked-${platform}`);
    mkdirSync(dir);
    await execa('tar', ['-xzf', tarball, '-C', dir]);
    const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8'));
    assert.equal(
      [pkg.name, pkg.version, pkg.license, pkg.os, pkg.cpu],
      [`@wireguard4netns/${platform}`, PKG.version, 'MIT', ['linux'], [cpu]],
    );
    assert.is(pkg.bin, undefined, 'wireguard-go is not put on PATH');
    assert.match(pkg.description, `wireguard-go ${ctx.upstream} with the wireguard4netns patch ${ctx.patch}, static for ${platform}`);
    assert.is(readFileSync(join(dir, 'package/LICENSE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE'), 'utf8'));

    const bin = join(dir, 'package/bin/wireguard-go');
    assert.equal(elf(bin), { machine: elfMachine, dynamic: false });
    // What --version prints, set at link time: upstream's module version and our patch's hash.
    const bytes = readFileSync(bin).toString('latin1');
    assert.ok(bytes.includes(ctx.patch) && bytes.includes(`golang.zx2c4.com/wireguard ${UPSTREAM}`), 'the stamp is in the binary');
  });
}

test('should build the same bytes from the same inputs anywhere (reproducible)', async (ctx) => {
  // Another tree, another path: -trimpath and no build id or VCS stamp leave nothing of it in the binary.
  const elsewhere = join(ctx.tmp, 'elsewhere/deeper');
  mkdirSync(elsewhere, { recursive: true });
  cpSync(join(ROOT, 'wireguard-go'), join(elsewhere, 'wireguard-go'), { recursive: true });
  cpSync(join(ROOT, 'wireguard-go.patch'), join(elsewhere, 'wireguard-go.patch'));
  for (const [platform, { goarch }] of Object.entries(PLATFORMS)) {
    const out = join(elsewhere, `out/${platform}`);
    const env = { ...ENV, GOOS: 'linux', GOARCH: goarch, GOAMD64: 'v1', GOARM64: 'v8.0' };
    const r = await execa('bash', [join(elsewhere, 'wireguard-go/build.sh'), out], { env, extendEnv: false, reject: false, all: true });
    assert.is(r.exitCode, 0, r.all);
    assert.is(sha256(out), sha256(join(ROOT, `dist/npm/${platform}/bin/wireguard-go`)), `${platform} differs`);
  }
});

test('should refuse the platform package of another cpu', async (ctx) => {
  const other = HERE === 'linux-x64' ? 'linux-arm64' : 'linux-x64';
  const r = await installInto(join(ctx.tmp, 'other-cpu'), [ctx.tarballs[other]]);
  assert.is.not(r.exitCode, 0);
  assert.match(r.all, 'EBADPLATFORM');
});

test('should install from the tarballs with no Go, use the prebuilt wireguard-go, and point the hooks at the installed files', async (ctx) => {
  const prefix = join(ctx.tmp, 'prebuilt');
  const r = await installInto(prefix, [ctx.tarballs.wireguard4netns, ctx.tarballs[HERE]], NO_GO);
  assert.is(r.exitCode, 0, r.all);
  const version = `wireguard-go v${ctx.upstream}, wireguard4netns patch ${ctx.patch}`;
  assert.match(r.all, `wireguard4netns: using ${version}, prebuilt in @wireguard4netns/${HERE}\n`);
  assert.not.match(r.all, 'was not built');
  assert.not.ok(existsSync(join(installed(prefix), 'dist/wireguard-go')), 'nothing built');
  const out = (await execa(prebuiltIn(prefix), ['--version'])).stdout;
  assert.match(out, new RegExp(`^${escapeRegExp(version)}\n\nBuilt from golang.zx2c4.com/wireguard ${escapeRegExp(UPSTREAM)} with go`));

  // As the test user would: the bin link on PATH, the hook JSON in a hooks directory of its own,
  // where an earlier version left its poststop JSON, which the install removes.
  const hooks = testDir('package-hooks');
  writeFileSync(join(hooks, 'wireguard4netns-poststop.json'), '{}');
  const inst = await asUser([join(prefix, 'bin/wireguard4netns'), 'install', '--hooks-dir', hooks]);
  assert.equal([inst.exitCode, inst.stderr], [0, '']);
  const hook = JSON.parse(readFileSync(join(hooks, 'wireguard4netns.json'), 'utf8'));
  const node = realpathSync((await asUser(['sh', '-c', 'command -v node'])).stdout);
  assert.equal(hook.hook.path, prebuiltIn(prefix));
  assert.equal(hook.hook.args, ['wireguard-go', 'wireguard4netns-hook', node, join(installed(prefix), 'dist/wireguard4netns-hook')]);
  assert.equal(readdirSync(hooks), ['wireguard4netns.json']);
});

test('should link the man pages into PREFIX/share/man, where man finds them', async (ctx) => {
  const env = { ...ENV, MANPATH: join(ctx.tmp, 'prebuilt/share/man') };
  for (const [page, file] of [
    ['wireguard4netns', 'man1/wireguard4netns.1'],
    ['wireguard4netns.conf', 'man5/wireguard4netns.conf.5'],
  ]) {
    const r = await execa('man', ['-w', page], { env, extendEnv: false, reject: false, all: true });
    assert.is(r.exitCode, 0, r.all);
    assert.is(realpathSync(r.stdout), realpathSync(join(installed(join(ctx.tmp, 'prebuilt')), 'dist/man', file.split('/')[1])));
  }
  const text = await execa('man', ['wireguard4netns'], { env: { ...env, MANPAGER: 'cat', MANWIDTH: '80' }, extendEnv: false });
  assert.match(text.stdout, /^NAME\n\s+wireguard4netns\s+-\s+WireGuard networking/m);
});

test('should bring a tunnel up with the installed command and the prebuilt wireguard-go', async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const conf = userFile('package-up.conf', ctx.peer!.config());
  const up = await asUser([join(ctx.tmp, 'prebuilt/bin/wireguard4netns'), 'up', String(pid), conf]);
  assert.equal([up.exitCode, up.stderr], [0, '']);
  assert.match((await daemons()).join('\n'), `${prebuiltIn(join(ctx.tmp, 'prebuilt'))} wireguard4netns`);
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout.trim(), PAGE);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the namespace emptied');
});

test('should start a podman container through the installed hook and the prebuilt wireguard-go', async (ctx) => {
  const hooks = testDir('package-hooks');
  const conf = userFile('package-podman.conf', ctx.peer!.config());
  const name = 'w4n-package';
  const start = await podman(['--hooks-dir', hooks, 'run', '-d', '--name', name, ...hookRunArgs(conf), 'sleep', '60']);
  assert.is(start.exitCode, 0, start.stderr);
  assert.match((await daemons()).join('\n'), `${prebuiltIn(join(ctx.tmp, 'prebuilt'))} wireguard4netns`);
  assertFetchedBoth(await podman(['exec', name, 'sh', '-c', FETCH_BOTH]), 'in the container');
  assert.is((await podman(['rm', '-f', '-t', '0', name])).exitCode, 0);
  await assertNothingLeft('after podman rm');
});

test('should install "npm install -g wireguard4netns" from a registry with no Go: the prebuilt package nested, and up works', async (ctx) => {
  const registry = await serveRegistry(Object.values(ctx.tarballs));
  const prefix = join(ctx.tmp, 'registry');
  const flags = ['--registry', registry.url, '--cache', join(ctx.tmp, 'registry-cache'), '--no-audit', '--no-fund', '--foreground-scripts'];
  const r = await npm(['install', '-g', '--prefix', prefix, ...flags, '--allow-scripts=wireguard4netns', 'wireguard4netns'], NO_GO);
  await registry.close();
  assert.is(r.exitCode, 0, r.all);
  assert.match(
    r.all,
    `wireguard4netns: using wireguard-go v${ctx.upstream}, wireguard4netns patch ${ctx.patch}, prebuilt in @wireguard4netns/${HERE}\n`,
  );
  const nested = join(installed(prefix), `node_modules/@wireguard4netns/${HERE}/bin/wireguard-go`);
  assert.ok(existsSync(nested), 'npm put the prebuilt package inside ours');
  const other = Object.keys(PLATFORMS).find((p) => p !== HERE)!;
  assert.not.ok(
    registry.requests.some((path) => path.includes(`${other}-${PKG.version}.tgz`)),
    `the ${other} tarball is not fetched: ${registry.requests}`,
  );

  const hooks = testDir('package-registry-hooks');
  const cmd = join(prefix, 'bin/wireguard4netns');
  assert.equal((await asUser([cmd, 'install', '--hooks-dir', hooks])).stderr, '');
  assert.is(JSON.parse(readFileSync(join(hooks, 'wireguard4netns.json'), 'utf8')).hook.path, nested);
  const pid = await startSandbox(ctx.sandboxes);
  const up = await asUser([cmd, 'up', String(pid), userFile('package-registry.conf', ctx.peer!.config())]);
  assert.equal([up.exitCode, up.stderr], [0, '']);
  assert.match((await daemons()).join('\n'), `${nested} wireguard4netns`);
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout.trim(), PAGE);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the namespace emptied');
});

test('should install the main package alone and build wireguard-go when Go is there', async (ctx) => {
  const prefix = join(ctx.tmp, 'with-go');
  const r = await installInto(prefix, [ctx.tarballs.wireguard4netns]);
  assert.is(r.exitCode, 0, r.all);
  assert.match(
    r.all,
    `wireguard4netns: built ${installed(prefix)}/dist/wireguard-go (wireguard-go v${ctx.upstream}, wireguard4netns patch ${ctx.patch})`,
  );

  const cmd = join(prefix, 'bin/wireguard4netns');
  assert.is((await execa(cmd, ['--version'])).stdout, PKG.version);
  const key = (await execa(cmd, ['genkey'])).stdout;
  const pub = (await execa(cmd, ['pubkey'], { input: key })).stdout;
  assert.match(pub, /^[A-Za-z0-9+/]{43}=$/);
  assert.is.not(pub, key);

  const wg = join(installed(prefix), 'dist/wireguard-go');
  assert.ok(existsSync(wg), `${wg} was not built`);
  assert.match((await execa(wg, ['--version'])).stdout, `wireguard-go v${ctx.upstream}, wireguard4netns patch ${ctx.patch}\n`);
});

test('should install without Go or the prebuilt package, say what to install, and have "install" and "up" say it again', async (ctx) => {
  const prefix = join(ctx.tmp, 'without-go');
  const r = await installInto(prefix, [ctx.tarballs.wireguard4netns], NO_GO);
  assert.is(r.exitCode, 0, r.all);
  assert.match(
    r.all,
    `wireguard4netns: wireguard-go was not built: @wireguard4netns/${HERE}, the prebuilt wireguard-go, is not installed, and Go was not found (GO=/nonexistent, PATH, /usr/local/go/bin/go).`,
  );
  assert.match(r.all, `It needs Go >= ${GO_NEEDED} (https://go.dev/dl`);
  assert.match(r.all, 'then run "npm rebuild -g wireguard4netns"');
  const wg = join(installed(prefix), 'dist/wireguard-go');
  assert.not.ok(existsSync(wg));

  const cmd = join(prefix, 'bin/wireguard4netns');
  const advice = `wireguard-go not found at ${wg}, and @wireguard4netns/${HERE} is not installed; install Go (https://go.dev/dl) and run "npm rebuild -g wireguard4netns"`;
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

  const pid = await startSandbox(ctx.sandboxes);
  const conf = userFile('package-nogo.conf', ctx.peer!.config());
  const up = await asUser([cmd, 'up', String(pid), conf]);
  assert.is(up.exitCode, 1, up.stdout);
  assert.match(up.stderr, new RegExp(`^wireguard4netns: starting wireguard-go: ${escapeRegExp(advice)}[^\n]*$`), up.stderr);
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after a failed up');
});

test('should build with Go, not use, a prebuilt wireguard-go of another patch, and say so without Go', async (ctx) => {
  const fake = join(ctx.tmp, 'fake-prebuilt');
  mkdirSync(join(fake, 'bin'), { recursive: true });
  const pkg = { name: `@wireguard4netns/${HERE}`, version: PKG.version, os: ['linux'], cpu: [PLATFORMS[HERE].cpu] };
  writeFileSync(join(fake, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(fake, 'bin/wireguard-go'), '#!/bin/sh\necho "wireguard-go v0.0.1, wireguard4netns patch 000000000000"\n', {
    mode: 0o755,
  });
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', fake], { cwd: fake, env: ENV, extendEnv: false });
  const tarballs = [ctx.tarballs.wireguard4netns, join(fake, packed.stdout.trim())];

  const without = await installInto(join(ctx.tmp, 'fake-without-go'), tarballs, NO_GO);
  assert.is(without.exitCode, 0, without.all);
  assert.match(
    without.all,
    `wireguard-go was not built: @wireguard4netns/${HERE}'s wireguard-go is not built from this package's patch ${ctx.patch} (wireguard-go v0.0.1, wireguard4netns patch 000000000000), and Go was not found`,
  );

  const prefix = join(ctx.tmp, 'fake-with-go');
  const r = await installInto(prefix, tarballs);
  assert.is(r.exitCode, 0, r.all);
  assert.match(r.all, `wireguard4netns: built ${installed(prefix)}/dist/wireguard-go`);
  const hooks = join(ctx.tmp, 'fake-hooks');
  await execa(join(prefix, 'bin/wireguard4netns'), ['install', '--hooks-dir', hooks]);
  const hook = JSON.parse(readFileSync(join(hooks, 'wireguard4netns.json'), 'utf8'));
  assert.is(hook.hook.path, join(installed(prefix), 'dist/wireguard-go'), 'the build wins over the prebuilt package');
});

test('should say which Go it found when that Go is too old', async (ctx) => {
  const old = join(ctx.tmp, 'old-go');
  mkdirSync(old);
  writeFileSync(join(old, 'go'), '#!/bin/sh\necho go1.20.14\n', { mode: 0o755 });
  const r = await installInto(join(ctx.tmp, 'old-go-prefix'), [ctx.tarballs.wireguard4netns], { ...NO_GO, GO: join(old, 'go') });
  assert.is(r.exitCode, 0, r.all);
  assert.match(
    r.all,
    `wireguard-go was not built: @wireguard4netns/${HERE}, the prebuilt wireguard-go, is not installed, and ${join(old, 'go')} is go1.20.14. It needs Go >= ${GO_NEEDED}`,
  );
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
