// The hook under real CRI-O (test/env/crio.sh builds it), driven with
// crictl as the kubelet drives it: a pod annotated wireguard4netns.conf
// with two app containers. Rootful (configs in /etc/wireguard4netns, root's
// tunnels) and rootless (CRI-O inside rootlesskit as a user of this suite's
// own). Each container reaches the backend behind a real, independent peer,
// and once the pod is stopped and removed no daemon and no tunnel folder is
// left.
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addTestUser, asTestUser, buildCrio, type Crio, crioCleanSlate, startCrio, type TestUser } from '../helpers/crio.js';
import { BUNDLE } from '../helpers/env.js';
import { assertNothingLeft, daemons, type Owner, ROOT_USER } from '../helpers/leaks.js';
import { assertFetchedBoth, FETCH_BOTH, type Peer, startPeer } from '../helpers/peer.js';
import { setup } from '../helpers/suite.js';

const ANNOTATION = 'wireguard4netns.conf';
const USER = 'w4ncrio';
const CONF_DIR = '/etc/wireguard4netns';
// An app that ends on SIGTERM (a bare sleep as pid 1 ignores it, and stopp then waits out CRI-O's grace period).
const APP = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];

interface Ctx {
  undo: (() => unknown)[];
  peer: Peer;
  crio: Crio;
  conf: string;
  user?: TestUser;
  owner: Owner;
  /** host folders CRI-O or podman would make if a path escaped the lab, and whether they were there before */
  before: Map<string, boolean>;
}
const ESCAPES = ['/etc/crio', '/var/lib/containers', '/var/lib/cni', '/var/lib/crio', '/var/log/crio', '/run/crio', '/run/containers'];

interface Tunnel {
  dir: string;
  containers: string[];
  daemonPid: number | null;
  daemon: string;
}

/** `wireguard4netns status FILTER --json`, as the tunnels' owner. */
async function tunnels(ctx: Ctx, filter: string): Promise<Tunnel[]> {
  const cmd = [process.execPath, BUNDLE, 'status', filter, '--json'];
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
    ctx.before = new Map(ESCAPES.map((p) => [p, existsSync(p)]));
    const hooks = mkdtempSync('/tmp/w4nc-crio-hooks-');
    ctx.undo.push(() => rmSync(hooks, { recursive: true, force: true }));
    ctx.peer = await startPeer(peerName, peerIndex);
    ctx.undo.push(() => ctx.peer.down());
    ctx.undo.push(() => rmSync(`${hooks}.netavark`, { recursive: true, force: true }));
    const install = [process.execPath, BUNDLE, 'install', '--hooks-dir', hooks, '--plugin-dir', `${hooks}.netavark`];
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
      const user = await addTestUser(USER, ctx.undo);
      ctx.user = user;
      ctx.owner = { uid: user.uid, base: `/run/user/${user.uid}/wireguard4netns` };
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
  });

  test.after(async (ctx) => {
    const errors: unknown[] = [];
    for (const undo of (ctx.undo ?? []).splice(0).reverse()) {
      try {
        await undo();
      } catch (err) {
        errors.push(err);
      }
    }
    // uvu drops what an after hook throws: say it, then throw.
    if (errors.length > 0) {
      const message = `${mode} CRI-O suite cleanup: ${errors.map(String).join('; ')}`;
      console.error(message);
      throw new AggregateError(errors, message);
    }
  });

  test(`should give both containers of an annotated pod wg0 reaching the backend, and leave nothing after stopp and rmp (${mode})`, async (ctx) => {
    const pod = await ctx.crio.runPod('w4nc-pod', { [ANNOTATION]: ctx.conf, 'example.com/other': 'kept' });
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
    assert.ok(mine.dir.startsWith(`${ctx.owner.base}/`), `${mine.dir} is under ${ctx.owner.base}`);
    assert.ok(
      (await daemons(ctx.owner)).some((l) => l.startsWith(`${mine.daemonPid} `)),
      `daemon ${mine.daemonPid} runs as uid ${ctx.owner.uid}`,
    );

    for (const ctr of [first, second]) {
      assertFetchedBoth(await pod.exec(ctr, ['sh', '-c', FETCH_BOTH]), ctr);
    }

    await pod.stop();
    await pod.remove();
    if (ctx.user) {
      // The user is this suite's own: all of its tunnels are this pod's.
      await assertNothingLeft(`after crictl stopp + rmp (${mode})`, 10_000, ctx.owner);
      assert.not.ok(existsSync(`/tmp/wireguard4netns-${ctx.user.uid}`), 'no tunnel folder in /tmp either');
    } else {
      // Root's tunnels may include another test run's: check this pod's only.
      const deadline = Date.now() + 10_000;
      const left = async () => existsSync(mine.dir) || (await daemons(ROOT_USER)).some((l) => l.startsWith(`${mine.daemonPid} `));
      while ((await left()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await daemons(ROOT_USER).then((d) => d.filter((l) => l.startsWith(`${mine.daemonPid} `))), [], 'daemon left');
      assert.not.ok(existsSync(mine.dir), `tunnel folder ${mine.dir} left`);
      assert.equal(await tunnels(ctx, first.slice(0, 12)), [], 'status still lists the tunnel');
    }
  });

  test(`should leave nothing outside its folder once CRI-O is stopped (${mode})`, async (ctx) => {
    await ctx.crio.stop();
    assert.not.ok(existsSync(ctx.crio.lab), `${ctx.crio.lab} left`);
    const made = ESCAPES.filter((p) => !ctx.before.get(p) && existsSync(p));
    assert.equal(made, [], 'host folders made by CRI-O or podman');
  });

  test.run();
}

// Peer indexes (veth addresses) no other suite and not the bench (20-23) uses.
crioSuite('rootful', 'w4ncrioroot', 30);
crioSuite('rootless', 'w4ncriorl', 31);
