// Rootful podman: real root runs the hook, under each OCI runtime that
// starts containers here. The tunnel's state is under /run/wireguard4netns,
// configs are read only from the allow-list (/etc/wireguard4netns), and
// nothing is left once the container is gone.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';
import { hookLogPath } from '../../src/hooklog.js';
import { BUNDLE, hookRunArgs, ROOTFS, RUNTIMES } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons, ROOT_USER, stateEntries } from '../helpers/leaks.js';
import { FETCH_BOTH, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { setup } from '../helpers/suite.js';

const test = suite<{ peer: Peer; hooks: string; outside: string; installed: string }>('rootful podman with the hook');
const CONF_DIR = '/etc/wireguard4netns';
const CONF = join(CONF_DIR, 'w4nb-rootful.conf');
const PREFIX = 'w4nb-rootful-';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Root's own podman (storage in /var/lib/containers): runtime and cgroup manager explicit, whatever its defaults. */
function rootPodman(hooks: string, runtime: string, args: string[], timeout = 60_000) {
  const engine = ['--runtime', runtime, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--hooks-dir', hooks];
  return execa('podman', [...engine, ...args], { cwd: '/', env: { PATH, HOME: '/root' }, extendEnv: false, reject: false, timeout });
}

/**
 * podman run as root. Root's podman raises the container's nofile and nproc
 * limits (to 1048576 and more); a test machine that is itself a container
 * may lack CAP_SYS_RESOURCE ("error setting rlimit type 7: operation not
 * permitted"), so the limits are set below any host's hard limit.
 */
function rootRun(hooks: string, runtime: string, args: string[]) {
  return rootPodman(hooks, runtime, ['run', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', ...args]);
}

/** A config file root owns, mode 0600. */
function rootFile(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** Removes root's containers this suite made, by name: root's other containers are not ours. */
async function removeOurContainers(hooks: string): Promise<void> {
  const ps = await rootPodman(hooks, 'runc', ['ps', '-a', '--filter', `name=^${PREFIX}`, '--format', '{{.Names}}']);
  const names = ps.stdout.split('\n').filter(Boolean);
  if (names.length > 0) await rootPodman(hooks, 'runc', ['rm', '-f', '-t', '0', ...names]);
}

setup(test, async (ctx) => {
  await cleanSlate(ROOT_USER);
  ctx.hooks = mkdtempSync('/run/w4nb-rootful-hooks-');
  // The netavark plugin beside the hooks, not in the host's /usr/local/libexec/netavark.
  const install = await execa(process.execPath, [BUNDLE, 'install', '--hooks-dir', ctx.hooks, '--plugin-dir', `${ctx.hooks}.netavark`], {
    reject: false,
  });
  if (install.exitCode !== 0) throw new Error(`install failed: ${install.stderr}`);
  ctx.installed = install.stdout;
  await removeOurContainers(ctx.hooks);
  mkdirSync(CONF_DIR, { recursive: true, mode: 0o755 });
  ctx.outside = mkdtempSync('/run/w4nb-rootful-outside-');
  ctx.peer = await startPeer('w4nbroot', 13);
  rootFile(CONF, ctx.peer.config());
});

test.after(async (ctx) => {
  if (ctx.hooks) await removeOurContainers(ctx.hooks);
  rmSync(CONF, { force: true });
  for (const dir of [ctx.hooks, ctx.hooks && `${ctx.hooks}.netavark`, ctx.outside]) if (dir) rmSync(dir, { recursive: true, force: true });
  await ctx.peer?.down();
});

test('should tell root where its podman reads hooks_dir from', (ctx) => {
  assert.is(
    ctx.installed,
    `wrote ${ctx.hooks}/wireguard4netns.json; podman reads it with "podman --hooks-dir ${ctx.hooks} run ..." or with hooks_dir = ["${ctx.hooks}"] under [engine] in /etc/containers/containers.conf
wrote ${ctx.hooks}.netavark/wireguard4netns; podman 5 reads it with netavark_plugin_dirs = ["${ctx.hooks}.netavark"] under [network] in /etc/containers/containers.conf`,
  );
});

for (const runtime of RUNTIMES) {
  const run = (hooks: string, ...args: string[]) => rootRun(hooks, runtime, ['--rm', '--network', 'none', ...args]);

  test(`should start a rootful container with wg0 reaching the backend over IPv4 and IPv6 (${runtime})`, async (ctx) => {
    const r = await run(ctx.hooks, '--annotation', `${CONFIG_ANNOTATION}=${CONF}`, '--rootfs', ROOTFS, 'sh', '-c', FETCH_BOTH);
    assert.is(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, 'inet 198.51.100.2/32');
    assert.match(r.stdout, 'inet6 fd5a:7b1e:c0de::2/128');
    assert.not.match(r.stdout, 'FAILED');
    assert.is(r.stdout.split(PAGE).length - 1, 2, r.stdout);
    await assertNothingLeft('after a rootful podman run --rm', 5000, ROOT_USER);
  });

  test(`should refuse a config outside /etc/wireguard4netns, say why, log it, and not start the container (${runtime})`, async (ctx) => {
    const conf = rootFile(join(ctx.outside, 'outside.conf'), ctx.peer.config());
    const line = `wireguard4netns: ${conf}: outside the directories this hook reads configs from (${CONF_DIR})`;
    const hookStderr = join(ctx.outside, `hook-stderr-${runtime}`);
    const cidFile = join(ctx.outside, `${runtime}.cid`);
    const r = await run(
      ctx.hooks,
      '--cidfile',
      cidFile,
      '--annotation',
      `run.oci.hooks.stderr=${hookStderr}`,
      '--annotation',
      `${CONFIG_ANNOTATION}=${conf}`,
      '--rootfs',
      ROOTFS,
      'echo',
      'STARTED',
    );
    assert.is.not(r.exitCode, 0);
    assert.not.match(r.stdout, 'STARTED');
    if (runtime === 'crun') assert.is(readFileSync(hookStderr, 'utf8'), `${line}\n`);
    else assert.ok(r.stderr.trimEnd().endsWith(`stderr: ${line}`), r.stderr);
    const id = readFileSync(cidFile, 'utf8').trim();
    const logged = readFileSync(hookLogPath(ROOT_USER.base), 'utf8')
      .split('\n')
      .filter((l) => l.includes(id));
    assert.equal(
      logged.map((l) => l.replace(/^\S+ /, 'TIME ')),
      [`TIME container ${id}: ${line}`],
    );
    await assertNothingLeft('after a refused rootful container', 0, ROOT_USER);
  });
}

test('should keep the tunnel of a detached rootful container, as a root daemon, until it is removed', async (ctx) => {
  const name = `${PREFIX}detached`;
  const start = await rootRun(ctx.hooks, 'runc', ['-d', '--name', name, ...hookRunArgs(CONF), 'sleep', '300']);
  assert.is(start.exitCode, 0, start.stderr);
  assert.is((await daemons(ROOT_USER)).length, 1, 'one root daemon');
  assert.is(stateEntries(ROOT_USER).length, 1, `one tunnel folder in ${ROOT_USER.base}`);
  const exec = await rootPodman(ctx.hooks, 'runc', ['exec', name, 'sh', '-c', FETCH_BOTH]);
  assert.is(exec.stdout.split(PAGE).length - 1, 2, exec.stdout);
  const rm = await rootPodman(ctx.hooks, 'runc', ['rm', '-f', '-t', '0', name]);
  assert.is(rm.exitCode, 0, rm.stderr);
  await assertNothingLeft('after podman rm -f of a rootful container', 5000, ROOT_USER);
});

test.run();
