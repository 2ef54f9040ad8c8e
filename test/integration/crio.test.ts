// The hook under real CRI-O (test/env/crio.sh builds it), driven with
// crictl as the kubelet drives it: pods annotated wireguard4netns.conf,
// the hook installed as docs/kubernetes.md says (install --pods).
// Rootful (root's tunnels) and rootless (CRI-O inside rootlesskit as a
// user of this suite's own). Every app container reaches the backend
// behind a real, independent peer through the pod's one tunnel, its config
// from the pod's own Secret volume, through container stops and restarts;
// status is the same from the host and from inside rootlesskit; a pod
// naming a file of the node is refused whether it exists or not (the
// node's own configs, another tenant's); a bad config fails
// CreateContainer with the hook's line; a killed daemon's folder goes when
// its container is deleted (the poststop hook of install --pods); and once
// the pod is stopped and removed no daemon and no tunnel folder is left.
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';
import { addTestUser, asTestUser, buildCrio, type Crio, crioCleanSlate, startCrio, type TestUser } from '../helpers/crio.js';
import { BUNDLE } from '../helpers/env.js';
import type { VolumeMount } from '../helpers/kubelet.js';
import { assertNothingLeft, daemons, type Owner, ROOT_USER } from '../helpers/leaks.js';
import { assertFetchedBoth, FETCH_BOTH, type Peer, startPeer } from '../helpers/peer.js';
import { assertStopAndRestart } from '../helpers/podcases.js';
import { eventually } from '../helpers/poll.js';
import { setup, undoAll } from '../helpers/suite.js';

const USER = 'w4ncrio';
const CONF_DIR = '/etc/wireguard4netns';
/** Where every pod of this suite mounts its Secret, and the annotation that names the config in it. */
const SECRET_DIR = '/etc/wireguard4netns';
const POD_CONF = `container:${SECRET_DIR}/edge.conf`;
const secretMount = (host_path: string): VolumeMount[] => [{ container_path: SECRET_DIR, host_path, readonly: true }];
// An app that ends on SIGTERM (a bare sleep as pid 1 ignores it, and stopp then waits out CRI-O's grace period).
const APP = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];

interface Ctx {
  undo: (() => unknown)[];
  peer: Peer;
  crio: Crio;
  /** a config file of the node's (root's, or the rootless user's), for the command line, which pods may not name */
  conf: string;
  /** the Secret volume every pod of the main case mounts */
  secret: VolumeMount[];
  user?: TestUser;
  owner: Owner;
}

interface Tunnel {
  dir: string;
  containers: string[];
  daemonPid: number | null;
  daemon: string;
  netns: string | null;
  config: string | null;
  addresses: string[] | null;
}

/** `wireguard4netns status FILTER --json`, as the tunnels' owner. */
async function tunnels(ctx: Ctx, filter?: string): Promise<Tunnel[]> {
  const cmd = [process.execPath, BUNDLE, 'status', ...(filter ? [filter] : []), '--json'];
  const r = ctx.user ? await asTestUser(ctx.user, cmd) : await execa(cmd[0], cmd.slice(1), { reject: false });
  if (r.exitCode === 0) return JSON.parse(r.stdout) as Tunnel[];
  if (/no tunnel/.test(r.stderr)) return [];
  throw new Error(`wireguard4netns status ${filter} failed (exit ${r.exitCode}): ${r.stderr}`);
}

function crioSuite(mode: 'rootful' | 'rootless', peerName: string, peerIndex: number): void {
  const test = suite<Ctx>(`${mode} CRI-O with the hook`);

  setup(test, async (ctx) => {
    ctx.undo = [];
    await buildCrio();
    await crioCleanSlate();
    const hooks = mkdtempSync('/tmp/w4nc-crio-hooks-');
    ctx.undo.push(() => rmSync(hooks, { recursive: true, force: true }));
    ctx.peer = await startPeer(peerName, peerIndex);
    ctx.undo.push(() => ctx.peer.down());
    ctx.undo.push(() => rmSync(`${hooks}.netavark`, { recursive: true, force: true }));
    const install = [process.execPath, BUNDLE, 'install', '--pods', '--hooks-dir', hooks, '--plugin-dir', `${hooks}.netavark`];
    if (mode === 'rootful') {
      ctx.owner = ROOT_USER;
      const r = await execa(install[0], install.slice(1), { reject: false });
      if (r.exitCode !== 0) throw new Error(`install failed: ${r.stderr}`);
      // Root's configs come from the allow-list only: /etc/wireguard4netns, root's, 0600.
      if (!existsSync(CONF_DIR)) {
        mkdirSync(CONF_DIR, { mode: 0o755 });
        ctx.undo.push(() => readdirSync(CONF_DIR).length === 0 && rmdirSync(CONF_DIR));
      }
      ctx.conf = join(CONF_DIR, 'w4nc-crio.conf');
      ctx.undo.push(() => rmSync(ctx.conf, { force: true }));
      writeFileSync(ctx.conf, ctx.peer.config(), { mode: 0o600 });
      ctx.crio = await startCrio({ hooksDir: hooks });
    } else {
      // No /run/user/UID (no logind, as on many a bare node): the tunnels go
      // to the home, which the host and rootlesskit both see at one path.
      const user = await addTestUser(USER, ctx.undo, { runtimeDir: false });
      ctx.user = user;
      ctx.owner = { uid: user.uid, base: `${user.home}/.local/state/wireguard4netns` };
      chownSync(hooks, user.uid, user.gid);
      const r = await asTestUser(user, install);
      if (r.exitCode !== 0) throw new Error(`install failed: ${r.stderr}`);
      // The user's own config, 0600, in a folder only it can read.
      const dir = join(user.home, 'wg');
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, user.uid, user.gid);
      ctx.conf = join(dir, 'crio.conf');
      writeFileSync(ctx.conf, ctx.peer.config(), { mode: 0o600 });
      chownSync(ctx.conf, user.uid, user.gid);
      ctx.crio = await startCrio({ hooksDir: hooks, user });
    }
    ctx.undo.push(() => ctx.crio.stop());
    ctx.secret = secretMount(ctx.crio.secretVolume('main-pod', { 'edge.conf': ctx.peer.config() }));
  });

  // uvu drops what an after hook throws: undoAll says it too.
  test.after((ctx) => undoAll(ctx.undo ?? [], `${mode} CRI-O suite cleanup`, true));

  /** No tunnel of this pod's left: no daemon, no folder, and status lists none. */
  async function assertPodTunnelGone(ctx: Ctx, mine: Tunnel, ctr: string, what: string): Promise<void> {
    const left = async () => existsSync(mine.dir) || (await daemons(ctx.owner)).some((l) => l.startsWith(`${mine.daemonPid} `));
    await eventually(async () => !(await left()), 10_000, 100);
    assert.equal(await daemons(ctx.owner).then((d) => d.filter((l) => l.startsWith(`${mine.daemonPid} `))), [], `${what}: daemon left`);
    assert.not.ok(existsSync(mine.dir), `${what}: tunnel folder ${mine.dir} left`);
    assert.equal(await tunnels(ctx, ctr.slice(0, 12)), [], `${what}: status still lists the tunnel`);
  }

  /** A refused pod made nothing: no tunnel (rootless: nothing at all of the suite's user). */
  async function assertNoTunnelOf(ctx: Ctx, what: string): Promise<void> {
    if (ctx.user) await assertNothingLeft(`after ${what} (${mode})`, 5_000, ctx.owner);
    else
      assert.equal(
        (await tunnels(ctx)).filter((t) => t.config === POD_CONF).map((t) => t.dir),
        [],
        `after ${what}: no tunnel`,
      );
  }

  /** status seen from the host, and (rootless) from inside rootlesskit's user and mount namespaces: the same tunnels. */
  async function assertStatusBothSides(ctx: Ctx, what: string): Promise<Tunnel[]> {
    // Root's tunnels may include another suite's: a rootful run looks at this suite's config's only.
    const outside = (await tunnels(ctx)).filter((t) => ctx.user || t.config === POD_CONF || t.config === ctx.conf);
    if (ctx.user) {
      const cmd = ['nsenter', '-t', String(await ctx.crio.pid()), '-U', '-m', '--', process.execPath, BUNDLE, 'status', '--json'];
      const r = await execa(cmd[0], cmd.slice(1), { reject: false });
      if (r.exitCode !== 0 && !/no tunnel/.test(r.stderr)) throw new Error(`status inside rootlesskit failed: ${r.stderr}`);
      const inside = r.exitCode === 0 ? (JSON.parse(r.stdout) as Tunnel[]) : [];
      const view = (ts: Tunnel[]) => ts.map((t) => [t.dir, t.containers, t.daemonPid, t.daemon, t.netns]);
      assert.equal(view(inside), view(outside), `${what}: status inside rootlesskit`);
    }
    for (const t of outside) {
      assert.ok(t.netns && existsSync(t.netns), `${what}: status shows a namespace path that exists now (${t.netns})`);
    }
    return outside;
  }

  test(`should give every container of an annotated pod wg0 through one tunnel, through stops and restarts, and leave nothing after stopp and rmp (${mode})`, async (ctx) => {
    const pod = await ctx.crio.runPod('w4nc-pod', { [CONFIG_ANNOTATION]: POD_CONF, 'example.com/other': 'kept' }, { mounts: ctx.secret });
    const first = await pod.start('first', APP);
    const second = await pod.start('second', APP);

    // One tunnel for the pod's network namespace, shared by both containers, in the owner's folder.
    const [mine] = await tunnels(ctx, first.slice(0, 12));
    assert.ok(mine, `no tunnel for container ${first}\n${ctx.crio.log().slice(-2000)}`);
    assert.equal(
      (await tunnels(ctx, second.slice(0, 12))).map((t) => t.dir),
      [mine.dir],
      'the second container joins the pod tunnel',
    );
    assert.is(mine.daemon, 'running');
    assert.equal(mine.containers.sort(), [first, second].sort());
    assert.ok(mine.dir.startsWith(`${ctx.owner.base}/`), `${mine.dir} is under ${ctx.owner.base}`);
    assert.ok(
      (await daemons(ctx.owner)).some((l) => l.startsWith(`${mine.daemonPid} `)),
      `daemon ${mine.daemonPid} runs as uid ${ctx.owner.uid}`,
    );
    await assertStatusBothSides(ctx, 'two containers');
    // reload and prune, from the host, find the tunnel where the hook put it.
    const cli = (args: string[]) => {
      const cmd = [process.execPath, BUNDLE, ...args];
      return ctx.user ? asTestUser(ctx.user, cmd) : execa(cmd[0], cmd.slice(1), { reject: false });
    };
    const reload = await cli(['reload', first.slice(0, 12), ctx.conf]);
    assert.is(reload.exitCode, 0, reload.stderr);
    const prune = await cli(['prune']);
    assert.is(prune.exitCode, 0, prune.stderr);
    assert.ok(existsSync(mine.dir), 'prune keeps a live tunnel');
    for (const ctr of [first, second]) {
      assertFetchedBoth(await pod.exec(ctr, ['sh', '-c', FETCH_BOTH]), ctr);
    }

    // One container stops and the other keeps the tunnel; its restart joins it.
    const again = await assertStopAndRestart(
      pod,
      (f) => tunnels(ctx, f),
      mine,
      [first, second],
      APP,
      () => assertStatusBothSides(ctx, 'one container stopped'),
    );

    // Every app container stops while CRI-O still pins the pod's namespace:
    // the tunnel ends with them (see docs/kubernetes.md, "What a container restart does").
    await pod.stopContainer(again);
    await pod.stopContainer(second);
    await assertPodTunnelGone(ctx, mine, second, 'all app containers stopped');
    await assertStatusBothSides(ctx, 'all app containers stopped');
    // ...and a restart (attempt 2) starts the pod's tunnel afresh.
    const third = await pod.start('first', APP, { attempt: 2 });
    assertFetchedBoth(await pod.exec(third, ['sh', '-c', FETCH_BOTH]), 'the first, restarted after a gap');
    const [fresh] = await tunnels(ctx, third.slice(0, 12));
    assert.ok(fresh && fresh.daemonPid !== mine.daemonPid, 'a new daemon serves the restarted pod');

    await pod.stop();
    await pod.remove();
    if (ctx.user) {
      // The user is this suite's own: all of its tunnels are this pod's.
      await assertNothingLeft(`after crictl stopp + rmp (${mode})`, 10_000, ctx.owner);
    } else {
      // Root's tunnels may include another test run's: check this pod's only.
      await assertPodTunnelGone(ctx, fresh, third, 'after crictl stopp + rmp');
    }
  });

  test(`should read the config from the pod's own Secret volume, laid out as kubelet does, through the container's mount (${mode})`, async (ctx) => {
    // kubelet's default Secret mode, 0644, owned by the kubelet's user; nowhere the host policy lists.
    const volume = ctx.crio.secretVolume('secret-pod', { 'edge.conf': ctx.peer.config() });
    const mounts = [{ container_path: '/etc/wireguard4netns', host_path: volume, readonly: true }];
    const pod = await ctx.crio.runPod('w4nc-secret', { [CONFIG_ANNOTATION]: 'container:/etc/wireguard4netns/edge.conf' });
    const app = await pod.start('app', APP, { mounts });
    assertFetchedBoth(await pod.exec(app, ['sh', '-c', FETCH_BOTH]), 'the Secret pod');
    const [t] = await tunnels(ctx, app.slice(0, 12));
    assert.is(t?.config, 'container:/etc/wireguard4netns/edge.conf');
    // status cannot read the container's file from the node: it shows the addresses the tunnel applied.
    assert.equal(t?.addresses, ['198.51.100.2/32', 'fd5a:7b1e:c0de::2/128']);

    // A container without that volume has no such file: CreateContainer fails with the hook's line, and the pod's tunnel is untouched.
    const bare = await pod.create('bare', APP);
    assert.is.not(bare.exitCode, 0, 'CreateContainer succeeded without the Secret volume');
    assert.match(bare.stderr, 'wireguard4netns: container:/etc/wireguard4netns/edge.conf: not on a bind mount of the container');
    assert.equal(
      (await tunnels(ctx, app.slice(0, 12))).map((x) => x.containers),
      [[app]],
    );
    await pod.stop();
    await pod.remove();
    await assertPodTunnelGone(ctx, t, app, 'after the Secret pod');
  });

  test(`should remove a killed daemon's folder when its container is deleted (install --pods' poststop hook), as after the kubelet's kill of a pod's cgroup (${mode})`, async (ctx) => {
    // The kubelet kills with SIGKILL what is left in a stopped pod's cgroup, the daemon among it
    // if it has not ended yet (docs/kubernetes.md, "When a pod ends").
    const volume = ctx.crio.secretVolume('killed-pod', { 'edge.conf': ctx.peer.config() });
    const pod = await ctx.crio.runPod('w4nc-killed', { [CONFIG_ANNOTATION]: POD_CONF }, { mounts: secretMount(volume) });
    const app = await pod.start('app', APP);
    const [t] = await tunnels(ctx, app.slice(0, 12));
    assert.ok(t?.daemonPid, `a daemon serves ${app}`);
    process.kill(t.daemonPid, 'SIGKILL');
    await pod.stopContainer(app);
    const killed = async () => (await daemons(ctx.owner)).filter((l) => l.startsWith(`${t.daemonPid} `));
    await eventually(async () => (await killed()).length === 0, 5000);
    assert.equal(await killed(), [], 'the daemon is gone');
    assert.ok(existsSync(t.dir), 'the killed daemon left its folder, which the stop did not remove');
    await pod.removeContainer(app);
    assert.not.ok(existsSync(t.dir), `the container's deletion removed ${t.dir}`);
    await pod.stop();
    await pod.remove();
    await assertPodTunnelGone(ctx, t, app, 'after the deletion');
  });

  test(`should fail CreateContainer with the hook's one line for a bad config, and leave nothing (${mode})`, async (ctx) => {
    const volume = ctx.crio.secretVolume('bad-pod', { 'edge.conf': ctx.peer.config().replace(/PublicKey = .*/, 'PublicKey = not-a-key') });
    const pod = await ctx.crio.runPod('w4nc-bad', { [CONFIG_ANNOTATION]: POD_CONF }, { mounts: secretMount(volume) });
    const r = await pod.create('app', APP);
    assert.is.not(r.exitCode, 0, `CreateContainer succeeded: ${r.stdout}`);
    // CRI-O quotes runc's message, which quotes the hook's stderr: the line up to its own quotes.
    const message = `wireguard4netns: ${POD_CONF}:6: PublicKey: expected base64 of exactly 32 bytes (as `;
    const line = r.stderr.split('\n').find((l) => l.includes(message));
    assert.ok(line?.includes('error running hook'), `CRI-O's error carries the hook's one line: ${r.stderr}`);
    assert.not.match(r.stderr, /PrivateKey|[A-Za-z0-9+/]{43}=/, 'no key material');
    await pod.stop();
    await pod.remove();
    await assertNoTunnelOf(ctx, 'w4nc-bad');
  });

  test(`should refuse a pod naming a file of the node, existing or not, in the same words, and leave nothing (${mode})`, async (ctx) => {
    // The node's own config (root's, or the rootless node user's): a pod author must not get its key, nor learn it exists.
    const refusal = (path: string) =>
      `wireguard4netns: ${path}: this hook serves pods (installed with --pods), which may name only container:PATH, a file of the pod's own such as a Secret volume; not a file of the node`;
    for (const [i, path] of [ctx.conf, `${ctx.conf}.missing`, '/etc/shadow'].entries()) {
      const pod = await ctx.crio.runPod(`w4nc-nodefile-${i}`, { [CONFIG_ANNOTATION]: path });
      const r = await pod.create('app', APP);
      assert.is.not(r.exitCode, 0, `CreateContainer succeeded for ${path}: ${r.stdout}`);
      assert.ok(r.stderr.includes(refusal(path)), `${path}: ${r.stderr}`);
      assert.not.match(r.stderr, /no such file|owned by|PrivateKey|[A-Za-z0-9+/]{43}=/, `${path}: says nothing of the file`);
      await pod.stop();
      await pod.remove();
    }
    await assertNoTunnelOf(ctx, 'w4nc-nodefile');
  });

  test(`should give two namespaces' pods their own Secrets' tunnels, and neither a file of the node (${mode})`, async (ctx) => {
    const other = await startPeer(`w4ncriob${mode === 'rootful' ? 'r' : 'l'}`, peerIndex + 2);
    try {
      const tenants = [
        { namespace: 'tenant-a', peer: ctx.peer },
        { namespace: 'tenant-b', peer: other },
      ];
      const pods = [];
      for (const { namespace, peer } of tenants) {
        const volume = ctx.crio.secretVolume(`${namespace}-pod`, { 'edge.conf': peer.config() });
        const pod = await ctx.crio.runPod(
          `w4nc-${namespace}`,
          { [CONFIG_ANNOTATION]: POD_CONF },
          { namespace, mounts: secretMount(volume) },
        );
        const app = await pod.start('app', APP);
        assertFetchedBoth(await pod.exec(app, ['sh', '-c', FETCH_BOTH]), namespace);
        const [t] = await tunnels(ctx, app.slice(0, 12));
        pods.push({ pod, app, t });
      }
      assert.is.not(pods[0].t.dir, pods[1].t.dir, 'a tunnel each');
      assert.is.not(pods[0].t.daemonPid, pods[1].t.daemonPid, 'a daemon each');
      // tenant-a's pod names the node's copy of a config: refused, as any file of the node.
      const nodeCopy = `${ctx.conf.replace(/\.conf$/, '')}-tenant-b.conf`;
      writeFileSync(nodeCopy, other.config(), { mode: 0o600 });
      if (ctx.user) chownSync(nodeCopy, ctx.user.uid, ctx.user.gid);
      try {
        const thief = await ctx.crio.runPod(
          'w4nc-thief',
          { [CONFIG_ANNOTATION]: nodeCopy, 'io.kubernetes.pod.namespace': 'tenant-b' },
          { namespace: 'tenant-a' },
        );
        const r = await thief.create('app', APP);
        assert.is.not(r.exitCode, 0, `CreateContainer succeeded: ${r.stdout}`);
        assert.match(r.stderr, `wireguard4netns: ${nodeCopy}: this hook serves pods`);
        await thief.stop();
        await thief.remove();
      } finally {
        rmSync(nodeCopy, { force: true });
      }
      for (const { pod, app, t } of pods) {
        await pod.stop();
        await pod.remove();
        await assertPodTunnelGone(ctx, t, app, 'after the tenants');
      }
    } finally {
      await other.down();
    }
  });

  test(`should leave nothing of the lab once CRI-O is stopped: no folder, no mount (${mode})`, async (ctx) => {
    const lab = ctx.crio.lab;
    await ctx.crio.stop();
    assert.not.ok(existsSync(lab), `${lab} left`);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`${lab}/`) || l.includes(`${lab} `));
    assert.equal(mounts, [], `mounts of the lab left`);
  });

  test.run();
}

// Peer indexes (veth addresses) no other suite and not the bench (20-23) uses; each suite's second tenant takes its index + 2.
crioSuite('rootful', 'w4ncrioroot', 30);
crioSuite('rootless', 'w4ncriorl', 31);
