// Starts that race: a pod's containers whose hooks run at once, and "up"
// run at once on one namespace. Exactly one daemon results, every caller
// is told the truth and reaches the backend, and nothing is left after.
// A container that names another config than its namespace's tunnel is
// refused, and the tunnel is untouched.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION, WAIT_ANNOTATION } from '../../src/annotations.js';
import { generatePrivateKey } from '../../src/keys.js';
import { installHook, podman, ROOTFS, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate, daemons } from '../helpers/leaks.js';
import { BACKEND_V4, BACKEND_V6, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { cli, fetchIn, hook, killSandboxes, ociState, startSandbox } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

interface Ctx {
  peer: Peer;
  conf: string;
  /** the same peer, another client key: another tunnel */
  otherConf: string;
  sandboxes: number[];
}
const test = suite<Ctx>('concurrency: starts that race on one namespace');
const N = 10;
const POD = 'w4n-conc-pod';

async function removePod(): Promise<void> {
  await podman(['pod', 'rm', '-f', '-t', '0', '--ignore', POD], 120_000);
}

setup(test, async (ctx) => {
  await cleanSlate();
  await removePod();
  ctx.sandboxes = [];
  ctx.peer = await startPeer('w4nconc', 11);
  ctx.conf = userFile('concurrency.conf', ctx.peer.config());
  ctx.otherConf = userFile(
    'concurrency-other.conf',
    ctx.peer.config().replace(ctx.peer.clientPrivateKey, generatePrivateKey().toString('base64')),
  );
  await installHook();
  await assertNothingLeft('before the concurrency suite');
});

test.after(async (ctx) => {
  killSandboxes(ctx.sandboxes ?? []);
  await removePod();
  await ctx.peer?.down();
});

test.after.each(async (ctx) => {
  killSandboxes(ctx.sandboxes);
  await assertNothingLeft('after the case');
});

test(`should give ${N} hooks run at once on one namespace one daemon, some waiting for the handshake`, async (ctx) => {
  const first = await startSandbox(ctx.sandboxes);
  const members = [first, ...(await Promise.all(Array.from({ length: N - 1 }, () => startSandbox(ctx.sandboxes, 120, first))))];
  const runs = await Promise.all(
    members.map((pid, i) =>
      hook(ociState(`conc${i}`, pid, { [CONFIG_ANNOTATION]: ctx.conf, ...(i % 3 === 0 ? { [WAIT_ANNOTATION]: '10' } : {}) })),
    ),
  );
  for (const [i, r] of runs.entries()) assert.equal([r.exitCode, r.stderr], [0, ''], `hook ${i}`);
  assert.is((await daemons()).length, 1, (await daemons()).join('; '));
  const status = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[] }[];
  assert.is(status.length, 1);
  assert.equal(status[0].containers.sort(), members.map((_, i) => `conc${i}`).sort());
  for (const pid of members) assert.is((await fetchIn(pid, BACKEND_V4)).stdout, PAGE, `member ${pid}`);
  assert.is((await fetchIn(first, BACKEND_V6)).stdout, PAGE);

  // The tunnel lives while any member does, and its status lists only the living.
  killSandboxes([first]);
  await new Promise((r) => setTimeout(r, 200));
  const after = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[]; netns: string; daemon: string }[];
  assert.equal([after[0].daemon, after[0].containers.length], ['running', N - 1]);
  assert.not.match(after[0].netns, `/proc/${first}/`);
  assert.is((await fetchIn(members[1], BACKEND_V4)).stdout, PAGE, 'after the first member ended');
});

test(`should give ${N} "up" run at once on one namespace one daemon, and tell each the truth`, async (ctx) => {
  const pid = await startSandbox(ctx.sandboxes);
  const runs = await Promise.all(Array.from({ length: N }, () => cli('up', String(pid), ctx.conf)));
  for (const [i, r] of runs.entries()) assert.equal([r.exitCode, r.stderr], [0, ''], `up ${i}`);
  const said = runs.map((r) => r.stdout.split(' in ')[0]);
  assert.equal(said.filter((s) => s === 'wg0 up').length, 1, said.join('; '));
  assert.equal(said.filter((s) => s === 'wg0 was already up').length, N - 1, said.join('; '));
  assert.is((await daemons()).length, 1);
  assert.is((await fetchIn(pid, BACKEND_V4)).stdout, PAGE);
});

test(`should give ${N} containers started at once in one pod one tunnel that each reaches the backend`, async (ctx) => {
  const pod = await podman(['pod', 'create', '--name', POD, '--network', 'none']);
  assert.is(pod.exitCode, 0, pod.stderr);
  const runs = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      podman(
        [
          'run',
          '-d',
          '--pod',
          POD,
          '--name',
          `${POD}-${i}`,
          '--annotation',
          `${CONFIG_ANNOTATION}=${ctx.conf}`,
          ...(i % 3 === 0 ? ['--annotation', `${WAIT_ANNOTATION}=10`] : []),
          '--rootfs',
          ROOTFS,
          'sleep',
          '300',
        ],
        120_000,
      ),
    ),
  );
  for (const [i, r] of runs.entries()) assert.is(r.exitCode, 0, `container ${i}: ${r.stderr}`);
  assert.is((await daemons()).length, 1, (await daemons()).join('; '));
  const status = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[] }[];
  assert.equal(
    status.map((t) => t.containers.length),
    [N],
  );
  for (let i = 0; i < N; i++) {
    const r = await podman(['exec', `${POD}-${i}`, 'timeout', '10', 'wget', '-q', '-O-', BACKEND_V4], 30_000);
    assert.is(r.stdout, PAGE, `container ${i}: ${r.stderr}`);
  }
  const rm = await podman(['pod', 'rm', '-f', '-t', '0', POD], 120_000);
  assert.is(rm.exitCode, 0, rm.stderr);
});

test('should refuse a container that names another config than its namespace runs, naming both, and leave the tunnel alone', async (ctx) => {
  const first = await startSandbox(ctx.sandboxes);
  const second = await startSandbox(ctx.sandboxes, 120, first);
  const ok = await hook(ociState('conc-first', first, { [CONFIG_ANNOTATION]: ctx.conf }));
  assert.equal([ok.exitCode, ok.stderr], [0, '']);
  const [daemon] = await daemons();
  const refused = await hook(ociState('conc-other', second, { [CONFIG_ANNOTATION]: ctx.otherConf }));
  assert.is(refused.exitCode, 1);
  assert.is(
    refused.stderr,
    `wireguard4netns: /proc/${second}/ns/net already runs wg0 from ${ctx.conf}, and this start names ${ctx.otherConf}; expected the same config for every container of a namespace (apply a new one with "wireguard4netns reload")`,
  );
  assert.equal(await daemons(), [daemon], 'the running tunnel was touched');
  const status = JSON.parse((await cli('status', '--json')).stdout) as { containers: string[]; config: string }[];
  assert.equal(
    status.map((t) => [t.containers, t.config]),
    [[['conc-first'], ctx.conf]],
  );
  assert.is((await fetchIn(second, BACKEND_V4)).stdout, PAGE, 'the tunnel still works');
});

test.run();
