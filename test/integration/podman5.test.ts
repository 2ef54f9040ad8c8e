// The hook under podman 5.4 (Debian 13), next to the host's podman 4.3:
// rootless podman in the trixie root of test/env/trixie.sh runs the hook
// JSON that `wireguard4netns install` writes there, under crun and runc;
// and rootful podman 5 runs it once, with a config in /etc/wireguard4netns.
// The peer runs on the host (the root shares the host's network), and
// after every case no daemon and no tunnel folder is left in the root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';
import { hookRunArgs } from '../helpers/env.js';
import { assertFetchedBoth, FETCH_BOTH, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { eventually } from '../helpers/poll.js';
import { setup } from '../helpers/suite.js';
import {
  LAB_DIR,
  LAB_HOOK_LOG,
  LAB_HOOKS_DIR,
  LAB_STATE_BASE,
  LAB_UID,
  startTrixie,
  TRIXIE_BUNDLE,
  TRIXIE_ROOTFS,
  type Trixie,
} from '../helpers/trixie.js';

const test = suite<{ peer: Peer; trixie: Trixie; installStderr: string }>('podman 5 (Debian 13) with the hook: rootless, and rootful');
const RUNTIMES = ['crun', 'runc'];

setup(test, async (ctx) => {
  ctx.trixie = await startTrixie();
  ctx.peer = await startPeer('w4npodman5', 5);
  const install = await ctx.trixie.run(['node', TRIXIE_BUNDLE, 'install', '--hooks-dir', LAB_HOOKS_DIR]);
  if (install.exitCode !== 0) throw new Error(`install in the trixie root failed: ${install.stderr}`);
  ctx.installStderr = install.stderr;
});

test("should say at install that Debian 13's Node, without its startup snapshot and code cache, slows every start", (ctx) => {
  assert.match(
    ctx.installStderr,
    /^wireguard4netns: note: \/usr\/bin\/node was built without its startup snapshot or code cache for its built-in modules, so it starts several times slower/m,
  );
});

test.after(async (ctx) => {
  await ctx.trixie?.end();
  await ctx.peer?.down();
});

const podman = (t: Trixie, args: string[]) => t.run(['podman', '--hooks-dir', LAB_HOOKS_DIR, ...args]);
const pages = (out: string) => out.split(PAGE).length - 1;

/** Daemons in the root (its own pid namespace: only this session's). */
async function daemons(t: Trixie): Promise<string[]> {
  const r = await t.run(['pgrep', '-a', '-f', '^/\\S*wireguard-go wireguard4netns'], { user: 'root' });
  return r.stdout.split('\n').filter(Boolean);
}

/** Waits (bounded) until no daemon and no tunnel folder (in base: lab's, or root's) is left in the root, then asserts it. */
async function assertNothingLeft(t: Trixie, what: string, timeoutMs = 5000, base = LAB_STATE_BASE): Promise<void> {
  await eventually(async () => (await daemons(t)).length === 0 && t.list(base).length === 0, timeoutMs, 100);
  assert.equal(await daemons(t), [], `${what}: daemons left`);
  assert.equal(t.list(base), [], `${what}: tunnel folders left in ${base}`);
}

test('should install hook JSON whose paths are valid inside the root', async (ctx) => {
  const files = ctx.trixie.list(LAB_HOOKS_DIR).filter((f) => f.endsWith('.json'));
  const hooks = files.map((f) => JSON.parse(ctx.trixie.read(`${LAB_HOOKS_DIR}/${f}`)));
  const create = hooks.find((h) => h.stages.includes('createRuntime'));
  assert.ok(create, `a createRuntime hook among ${files}`);
  assert.ok(create.hook.args.includes('/opt/w4n/dist/wireguard4netns-hook'), JSON.stringify(create.hook.args));
  const paths = hooks.flatMap((h) => [h.hook.path, ...h.hook.args.filter((a: string) => a.startsWith('/'))]);
  const r = await ctx.trixie.run(['sh', '-c', 'for p; do [ -r "$p" ] || echo "missing: $p"; done', 'sh', ...paths]);
  assert.is(r.stdout, '', `${JSON.stringify(hooks)}: ${r.stdout}`);
  assert.is(r.exitCode, 0, r.stderr);
});

for (const runtime of RUNTIMES) {
  const run = (t: Trixie, ...args: string[]) => podman(t, ['--runtime', runtime, 'run', ...args]);

  test(`should start a --rootfs container with wg0 reaching the backend over IPv4 and IPv6 (${runtime})`, async (ctx) => {
    const conf = ctx.trixie.labFile('run.conf', ctx.peer.config());
    const r = await run(ctx.trixie, '--rm', ...hookRunArgs(conf, TRIXIE_ROOTFS), 'sh', '-c', FETCH_BOTH);
    assert.is(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, 'inet 198.51.100.2/32');
    assert.match(r.stdout, 'inet6 fd5a:7b1e:c0de::2/128');
    assert.not.match(r.stdout, 'FAILED');
    assert.is(pages(r.stdout), 2, r.stdout);
    await assertNothingLeft(ctx.trixie, 'after podman run --rm');
  });

  test(`should give both containers of a pod one tunnel, kept while either runs (${runtime})`, async (ctx) => {
    const conf = ctx.trixie.labFile('pod.conf', ctx.peer.config());
    const pod = `w4n-pod-${runtime}`;
    const create = await podman(ctx.trixie, ['pod', 'create', '--network', 'none', '--name', pod]);
    assert.is(create.exitCode, 0, create.stderr);
    try {
      for (const n of [1, 2]) {
        const r = await run(
          ctx.trixie,
          '-d',
          '--pod',
          pod,
          '--name',
          `${pod}-${n}`,
          '--annotation',
          `${CONFIG_ANNOTATION}=${conf}`,
          '--rootfs',
          TRIXIE_ROOTFS,
          'sleep',
          '300',
        );
        assert.is(r.exitCode, 0, r.stderr);
      }
      assert.is((await daemons(ctx.trixie)).length, 1, 'one tunnel for the pod');
      assert.ok(ctx.trixie.list(LAB_STATE_BASE).length > 0, `the tunnel's folder is in ${LAB_STATE_BASE}`);
      for (const n of [1, 2]) {
        const exec = await podman(ctx.trixie, ['exec', `${pod}-${n}`, 'sh', '-c', FETCH_BOTH]);
        assert.match(exec.stdout, 'inet 198.51.100.2/32');
        assert.is(pages(exec.stdout), 2, `container ${n}: ${exec.stdout} ${exec.stderr}`);
      }
      // The tunnel belongs to the pod's netns, not to the container that made it.
      const rm = await podman(ctx.trixie, ['rm', '-f', '-t', '0', `${pod}-1`]);
      assert.is(rm.exitCode, 0, rm.stderr);
      const exec = await podman(ctx.trixie, ['exec', `${pod}-2`, 'sh', '-c', FETCH_BOTH]);
      assert.is(pages(exec.stdout), 2, `after the first container is gone: ${exec.stdout} ${exec.stderr}`);
    } finally {
      const rm = await podman(ctx.trixie, ['pod', 'rm', '-f', '-t', '0', pod]);
      assert.is(rm.exitCode, 0, rm.stderr);
    }
    await assertNothingLeft(ctx.trixie, 'after podman pod rm');
  });

  test(`should give a --userns=keep-id container wg0 reaching the backend (${runtime})`, async (ctx) => {
    const conf = ctx.trixie.labFile('keepid.conf', ctx.peer.config());
    const name = `w4n-keepid-${runtime}`;
    // --read-only: with keep-id, podman 5.4 writes lab into the rootfs's
    // /etc/passwd, which is root's (permission denied), unless read-only.
    const start = await run(
      ctx.trixie,
      '-d',
      '--name',
      name,
      '--userns=keep-id',
      '--read-only',
      ...hookRunArgs(conf, TRIXIE_ROOTFS),
      'sleep',
      '300',
    );
    try {
      assert.is(start.exitCode, 0, start.stderr);
      const exec = await podman(ctx.trixie, ['exec', name, 'sh', '-c', `id -u; ${FETCH_BOTH}`]);
      assert.is(exec.stdout.split('\n')[0], String(LAB_UID), 'the container runs as lab, not as root');
      assert.not.match(exec.stdout, 'FAILED');
      assert.is(pages(exec.stdout), 2, exec.stdout);
    } finally {
      const rm = await podman(ctx.trixie, ['rm', '-f', '-t', '0', name]);
      assert.is(rm.exitCode, 0, rm.stderr);
    }
    await assertNothingLeft(ctx.trixie, 'after a keep-id container');
  });

  test(`should refuse a config readable by others with one line, log it, and leave nothing (${runtime})`, async (ctx) => {
    const conf = ctx.trixie.labFile(`open-${runtime}.conf`, ctx.peer.config(), 0o644);
    // crun discards hook stderr unless this annotation names a file for it.
    const hookStderr = `${LAB_DIR}/hook-stderr-${runtime}`;
    const cidFile = `${LAB_DIR}/open-${runtime}.cid`;
    // No --rm: podman 5 removes the cidfile with the container.
    const name = `w4n-open-${runtime}`;
    const r = await run(
      ctx.trixie,
      '--name',
      name,
      '--network',
      'none',
      '--cidfile',
      cidFile,
      '--annotation',
      `run.oci.hooks.stderr=${hookStderr}`,
      '--annotation',
      `${CONFIG_ANNOTATION}=${conf}`,
      '--rootfs',
      TRIXIE_ROOTFS,
      'echo',
      'STARTED',
    );
    const id = ctx.trixie.read(cidFile).trim();
    const rm = await podman(ctx.trixie, ['rm', '-f', '-t', '0', name]);
    assert.is(rm.exitCode, 0, rm.stderr);
    assert.is.not(r.exitCode, 0);
    assert.not.match(r.stdout, 'STARTED');
    const message = `wireguard4netns: ${conf}: permissions 0644`;
    if (runtime === 'crun') {
      const stderr = ctx.trixie.read(hookStderr);
      assert.is(stderr.split('\n').length, 2, `one line: ${stderr}`);
      assert.ok(stderr.startsWith(message), stderr);
    } else {
      assert.match(r.stderr, message, r.stderr);
    }
    // The hook's log keeps the line, whatever the runtime did with stderr.
    assert.match(id, /^[0-9a-f]{64}$/, 'podman wrote the container id');
    const logged = ctx.trixie
      .read(LAB_HOOK_LOG)
      .split('\n')
      .filter((l) => l.includes(id));
    assert.is(logged.length, 1, ctx.trixie.read(LAB_HOOK_LOG));
    assert.match(logged[0], `container ${id}: ${message}`);
    await assertNothingLeft(ctx.trixie, 'after a refused container', 0);
  });
}

test('should start a rootful container with wg0 reaching the backend over IPv4 and IPv6, and leave nothing', async (ctx) => {
  // Root's configs must be in /etc/wireguard4netns: a tmpfs of this session
  // over it, and podman's storage in the session's tmpfs, keep the cached root as built.
  const dir = '/tmp/w4n-rootful-hook';
  const prep = await ctx.trixie.run(
    [
      'sh',
      '-c',
      `set -e; mount -t tmpfs -o mode=0755 tmpfs /etc/wireguard4netns
       (umask 077; cat > /etc/wireguard4netns/edge.conf)
       node ${TRIXIE_BUNDLE} install --hooks-dir ${dir}/hooks.d --plugin-dir ${dir}/netavark >/dev/null`,
    ],
    { user: 'root', input: ctx.peer.config() },
  );
  assert.is(prep.exitCode, 0, prep.stderr);
  const r = await ctx.trixie.run(
    [
      'podman',
      '--root',
      `${dir}/storage`,
      '--runroot',
      '/run/w4n-rootful-hook',
      '--hooks-dir',
      `${dir}/hooks.d`,
      'run',
      '--rm',
      ...hookRunArgs('/etc/wireguard4netns/edge.conf', TRIXIE_ROOTFS),
      'sh',
      '-c',
      FETCH_BOTH,
    ],
    { user: 'root' },
  );
  assertFetchedBoth(r, 'rootful podman 5');
  await assertNothingLeft(ctx.trixie, 'after a rootful podman run --rm', 5000, '/run/wireguard4netns');
});

test.run();
