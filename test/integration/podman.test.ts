// The hook end to end: rootless podman runs it at createRuntime, under
// every OCI runtime that starts containers here (runc, and crun where it
// can: RUNTIMES in test/helpers/env.ts). The container reaches the backend
// behind a real, independent peer, and nothing is left once it is gone.

import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chownSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';
import { hookLogPath } from '../../src/hooklog.js';
import {
  asUser,
  BUNDLE,
  GID,
  HOME,
  HOOK_BUNDLE,
  HOOKS_DIR,
  hookRunArgs,
  IMAGE,
  installHook,
  podman,
  ROOTFS,
  RUNTIMES,
  STATE_BASE,
  testDir,
  UID,
  userFile,
} from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons } from '../helpers/leaks.js';
import { FETCH_BOTH, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { setup } from '../helpers/suite.js';

const test = suite<{ peer: Peer }>('rootless podman with the hook');

setup(test, async (ctx) => {
  await cleanSlate();
  await podman(['rm', '-af', '-t', '0']);
  ctx.peer = await startPeer('w4npodman', 2);
  await installHook();
});

test.after(async (ctx) => {
  await podman(['rm', '-af', '-t', '0']);
  await ctx.peer?.down();
});

test('should install a hook whose first process is our wireguard-go, which runs node on the bundle (without core dumps)', () => {
  const hook = JSON.parse(readFileSync(join(HOOKS_DIR, 'wireguard4netns.json'), 'utf8'));
  assert.equal(hook.hook.args.slice(0, 2), ['wireguard-go', 'wireguard4netns-hook']);
  assert.equal(hook.hook.args.slice(2), [process.execPath, HOOK_BUNDLE]);
  assert.equal(hook.stages, ['createRuntime']);
  assert.equal(hook.when, { annotations: { '^wireguard4netns\\.conf$': '.+' } });
});

for (const runtime of RUNTIMES) {
  const run = (...args: string[]) => podman(['--runtime', runtime, 'run', '--rm', '--network', 'none', ...args]);

  test(`should start the container with wg0 reaching the backend over IPv4 and IPv6 (${runtime})`, async (ctx) => {
    const conf = userFile('podman.conf', ctx.peer.config());
    const r = await run('--annotation', `${CONFIG_ANNOTATION}=${conf}`, '--rootfs', ROOTFS, 'sh', '-c', FETCH_BOTH);
    assert.is(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, 'inet 198.51.100.2/32');
    assert.match(r.stdout, 'inet6 fd5a:7b1e:c0de::2/128');
    assert.not.match(r.stdout, 'FAILED');
    assert.is(r.stdout.split(PAGE).length - 1, 2, r.stdout);
    await assertNothingLeft('after podman run --rm');
  });

  test(`should not start a container whose config is bad, say why, log it, and leave nothing (${runtime})`, async (ctx) => {
    const conf = userFile('bad.conf', ctx.peer.config().replace(/PublicKey = .*/, 'PublicKey = not-a-key'));
    const message = `wireguard4netns: ${conf}:6: PublicKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)`;
    // crun discards hook stderr unless this annotation names a file for it.
    const hookStderr = join(HOME, `wg4ns-test/hook-stderr-${runtime}`);
    const cidFile = join(HOME, `wg4ns-test/bad-${runtime}.cid`);
    rmSync(hookStderr, { force: true });
    rmSync(cidFile, { force: true });
    const r = await run(
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
    if (runtime === 'crun') assert.is(readFileSync(hookStderr, 'utf8'), `${message}\n`);
    else assert.match(r.stderr, message);
    // The hook's log keeps the line, whatever the runtime did with stderr.
    const id = readFileSync(cidFile, 'utf8').trim();
    const logged = readFileSync(hookLogPath(STATE_BASE), 'utf8')
      .split('\n')
      .filter((l) => l.includes(id));
    assert.equal(
      logged.map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, 'TIME ')),
      [`TIME container ${id}: ${message}`],
    );
    await assertNothingLeft('after a refused container', 0);
  });

  test(`should read the config from a podman secret, as the container sees it, and refuse one its user cannot read (${runtime})`, async (ctx) => {
    const secret = `w4n-secret-${runtime}`;
    await podman(['secret', 'rm', secret]);
    const made = await podman(['secret', 'create', secret, userFile('secret.conf', ctx.peer.config())]);
    assert.is(made.exitCode, 0, made.stderr);
    try {
      // The hook reads /run/secrets/NAME through the container's own mounts: no host path in the annotation.
      const ok = await run(
        '--secret',
        secret,
        '--annotation',
        `${CONFIG_ANNOTATION}=container:/run/secrets/${secret}`,
        IMAGE,
        'sh',
        '-c',
        FETCH_BOTH,
      );
      assert.is(ok.exitCode, 0, ok.stderr);
      assert.is(ok.stdout.split(PAGE).length - 1, 2, ok.stdout);
      await assertNothingLeft('after the podman secret container');

      // Made 0400, root's in the container: a container running as uid 1000 could not read it, nor may the hook.
      const refused = await run(
        '--user',
        '1000',
        '--secret',
        `${secret},mode=0400`,
        '--annotation',
        `${CONFIG_ANNOTATION}=container:/run/secrets/${secret}`,
        IMAGE,
        'echo',
        'STARTED',
      );
      assert.is.not(refused.exitCode, 0);
      assert.not.match(refused.stdout, 'STARTED');
      if (runtime !== 'crun')
        assert.match(
          refused.stderr,
          `wireguard4netns: container:/run/secrets/${secret}: the container's user (uid 1000) may not read it (mode 0400)`,
        );
      await assertNothingLeft('after a refused secret', 0);

      const outside = await run('--secret', secret, '--annotation', `${CONFIG_ANNOTATION}=container:/etc/passwd`, IMAGE, 'echo', 'STARTED');
      assert.is.not(outside.exitCode, 0);
      if (runtime !== 'crun') assert.match(outside.stderr, 'wireguard4netns: container:/etc/passwd: not on a bind mount of the container');
      await assertNothingLeft('after a config off the mounts', 0);
    } finally {
      await podman(['secret', 'rm', secret]);
    }
  });

  test(`should write DNS= into the container resolv.conf (${runtime})`, async (ctx) => {
    const conf = userFile('dns.conf', ctx.peer.config('DNS = 198.51.100.53, tunnel.test'));
    const r = await run('--annotation', `${CONFIG_ANNOTATION}=${conf}`, IMAGE, 'cat', '/etc/resolv.conf');
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stdout, `# written by wireguard4netns from ${conf}\nnameserver 198.51.100.53\nsearch tunnel.test`);
    await assertNothingLeft('after the DNS container');
  });

  test(`should refuse a FIFO resolv.conf at once and write nothing through a symlink out of the root (${runtime})`, async (ctx) => {
    // A rootfs of the user's (root in the container), whose /etc/resolv.conf is a FIFO, then a link to a host file.
    const rootfs = testDir(`evil-rootfs-${runtime}`);
    rmSync(rootfs, { recursive: true, force: true });
    execFileSync('cp', ['-a', `${ROOTFS}/.`, rootfs]);
    execFileSync('chown', ['-R', `${UID}:${GID}`, rootfs]);
    const file = join(rootfs, 'etc/resolv.conf');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    chownSync(file, UID, GID);
    const conf = userFile('dns-evil.conf', ctx.peer.config('DNS = 198.51.100.53'));
    const hookStderr = join(HOME, `wg4ns-test/hook-stderr-evil-${runtime}`);
    const start = (what: string) => {
      rmSync(hookStderr, { force: true });
      return run(
        '--annotation',
        `run.oci.hooks.stderr=${hookStderr}`,
        '--annotation',
        `${CONFIG_ANNOTATION}=${conf}`,
        '--rootfs',
        rootfs,
        'echo',
        what,
      );
    };
    const stderrOf = (r: { stderr: string }) => (runtime === 'crun' ? readFileSync(hookStderr, 'utf8') : r.stderr);
    try {
      const began = Date.now();
      const fifo = await start('STARTED');
      assert.is.not(fifo.exitCode, 0);
      assert.not.match(fifo.stdout, 'STARTED');
      assert.ok(Date.now() - began < 15_000, `the start took ${Date.now() - began} ms: it waited on the FIFO`);
      assert.match(
        stderrOf(fifo),
        `wireguard4netns: writing DNS: ${file}: not a regular file (a FIFO); expected the container's resolv.conf`,
      );
      await assertNothingLeft('after a FIFO resolv.conf');

      const host = userFile('host-resolv.conf', 'host file\n');
      rmSync(file);
      symlinkSync(host, file);
      const link = await start('STARTED');
      assert.is.not(link.exitCode, 0);
      assert.match(stderrOf(link), `wireguard4netns: writing DNS: ${file}: `);
      assert.is(readFileSync(host, 'utf8'), 'host file\n', 'the host file the link names is untouched');
      await assertNothingLeft('after a resolv.conf linked out of the root');
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  });

  test(`should give a --userns=keep-id container wg0 reaching the backend, reload it, and leave nothing (${runtime})`, async (ctx) => {
    // keep-id: the container has a user namespace of its own, a child of podman's, where the user is itself.
    const conf = userFile('keepid.conf', ctx.peer.config());
    const name = `w4n-keepid-${runtime}`;
    const start = await podman([
      '--runtime',
      runtime,
      'run',
      '-d',
      '--name',
      name,
      '--userns=keep-id',
      '--network',
      'none',
      '--annotation',
      `${CONFIG_ANNOTATION}=${conf}`,
      IMAGE,
      'sleep',
      '300',
    ]);
    try {
      assert.is(start.exitCode, 0, start.stderr);
      const exec = await podman(['exec', name, 'sh', '-c', `id -u; ${FETCH_BOTH}`]);
      assert.is(exec.stdout.split('\n')[0], String(UID), 'the container runs as the user, not as root');
      assert.not.match(exec.stdout, 'FAILED');
      assert.is(exec.stdout.split(PAGE).length - 1, 2, exec.stdout);
      const reload = await asUser([
        process.execPath,
        BUNDLE,
        'reload',
        start.stdout.trim().slice(0, 12),
        userFile('keepid2.conf', ctx.peer.config('MTU = 1380')),
      ]);
      assert.is(reload.stderr, '');
      assert.match((await podman(['exec', name, 'ip', '-o', 'link', 'show', 'dev', 'wg0'])).stdout, 'mtu 1380');
    } finally {
      const rm = await podman(['rm', '-f', '-t', '0', name]);
      assert.is(rm.exitCode, 0, rm.stderr);
    }
    await assertNothingLeft('after a keep-id container');
  });
}

test('should undo a started daemon when a later step fails :: ListenPort in use', async (ctx) => {
  const taken = createSocket('udp4');
  await new Promise<void>((resolve) => taken.bind(0, '0.0.0.0', resolve));
  try {
    const port = taken.address().port;
    const conf = userFile('port.conf', ctx.peer.config(`ListenPort = ${port}`));
    const r = await podman(['run', '--rm', ...hookRunArgs(conf), 'echo', 'STARTED']);
    assert.is.not(r.exitCode, 0);
    assert.not.match(r.stdout, 'STARTED');
    assert.match(
      r.stderr,
      `wireguard4netns: starting wireguard-go: ListenPort is in use (listen udp4 :${port}: bind: address already in use)`,
      r.stderr,
    );
    await assertNothingLeft('after a ListenPort in use', 0);
  } finally {
    taken.close();
  }
});

test('should keep the tunnel for a detached container until it is stopped', async (ctx) => {
  const conf = userFile('podman.conf', ctx.peer.config());
  const run = await podman(['run', '-d', '--name', 'w4n-detached', ...hookRunArgs(conf), 'sleep', '300']);
  assert.is(run.exitCode, 0, run.stderr);
  assert.is((await daemons()).length, 1);
  const exec = await podman(['exec', 'w4n-detached', 'sh', '-c', FETCH_BOTH]);
  assert.is(exec.stdout.split(PAGE).length - 1, 2, exec.stdout);
  const stop = await podman(['rm', '-f', '-t', '0', 'w4n-detached']);
  assert.is(stop.exitCode, 0, stop.stderr);
  await assertNothingLeft('after podman rm -f');
});

test('should give every container of a kube pod the pod tunnel', async (ctx) => {
  const conf = userFile('pod.conf', ctx.peer.config());
  const yaml = userFile(
    'pod.yaml',
    `apiVersion: v1
kind: Pod
metadata:
  name: w4n-pod
  annotations:
    ${CONFIG_ANNOTATION}: ${conf}
spec:
  restartPolicy: Never
  containers:
  - name: first
    image: ${IMAGE}
    command: ["sh", "-c", "${FETCH_BOTH}; sleep 300"]
  - name: second
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; ${FETCH_BOTH}; sleep 300"]
`,
  );
  const play = await podman(['kube', 'play', '--network', 'none', yaml]);
  assert.is(play.exitCode, 0, play.stderr);
  assert.is((await daemons()).length, 1, 'one tunnel for the pod');
  for (const name of ['first', 'second']) {
    let logs = '';
    for (let i = 0; i < 100 && logs.split(PAGE).length - 1 < 2 && !logs.includes('FAILED'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = (await podman(['logs', `w4n-pod-${name}`])).stdout;
    }
    assert.is(logs.split(PAGE).length - 1, 2, `${name}: ${logs}`);
  }
  const down = await podman(['kube', 'down', yaml]);
  assert.is(down.exitCode, 0, down.stderr);
  await assertNothingLeft('after kube down');
});

test.run();
