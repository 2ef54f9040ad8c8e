// The hook under containerd 1.7.24 (Debian 13), which reads no hooks dirs:
// our NRI plugin (nri/, wireguard4netns-nri) injects the hook JSON that
// `wireguard4netns install --pods` writes, as docs/kubernetes.md says.
// containerd, the plugin and the pods run in a trixie session, rootful (as
// root) and rootless (as lab, containerd inside rootlesskit as usernetes
// runs it), driven with crictl as the kubelet drives them: a pod annotated
// wireguard4netns.conf, its config in its own Secret volume, with two app
// containers. Each reaches the backend behind a real, independent peer on
// the host, both share one tunnel, which outlives one container's stop and
// serves its restart; and once the pod is stopped and removed no daemon
// and no tunnel folder is left. A pod naming a file of the node fails
// StartContainer (containerd runs `runc create`, and so the createRuntime
// hook, there) with the hook's one line. A killed daemon's folder goes
// when its container stops (containerd deletes its task: the poststop hook).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';
import { buildContainerd, type Containerd, containerdCleanSlate, DIR, startContainerd } from '../helpers/containerd.js';
import { assertFetchedBoth, FETCH_BOTH, type Peer, startPeer } from '../helpers/peer.js';
import { assertStopAndRestart } from '../helpers/podcases.js';
import { eventually } from '../helpers/poll.js';
import { setup } from '../helpers/suite.js';
import { LAB_HOOK_LOG, LAB_STATE_BASE, TRIXIE_BUNDLE, type Trixie } from '../helpers/trixie.js';

const CONF_DIR = '/etc/wireguard4netns';
/** Where every pod mounts its Secret, and the annotation that names the config in it. */
const SECRET_DIR = '/etc/wireguard4netns';
const POD_CONF = `container:${SECRET_DIR}/edge.conf`;
/**
 * The Secret volume at SECRET_DIR. Rootless, read-write: runc cannot remount
 * this lab folder read-only inside rootlesskit ("operation not permitted":
 * its mount flags are locked in lab's user namespace), where kubelet's own
 * Secret tmpfs, mounted inside, has none locked.
 */
const secretMount = (ctx: Ctx, host_path: string) => [{ container_path: SECRET_DIR, host_path, readonly: ctx.mode === 'rootful' }];
type Mode = 'rootful' | 'rootless';
/** Whose tunnels, inside the session: root's, or lab's (the hook runs as root of lab's user namespace). */
const STATE_BASE = { rootful: '/run/wireguard4netns', rootless: LAB_STATE_BASE };
const HOOK_LOG = { rootful: '/run/wireguard4netns.log', rootless: LAB_HOOK_LOG };
// An app that ends on SIGTERM (a bare sleep as pid 1 ignores it).
const APP = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];

interface Ctx {
  mode: Mode;
  peer: Peer;
  containerd: Containerd;
  trixie: Trixie;
}

interface Tunnel {
  dir: string;
  containers: string[];
  daemonPid: number | null;
  daemon: string;
}

const root = (t: Trixie, cmd: string[], input = '') => t.run(cmd, { user: 'root', input });
/** As the user containerd runs as: root, or lab. */
const owner = (ctx: Ctx, cmd: string[]) => ctx.trixie.run(cmd, { user: ctx.mode === 'rootful' ? 'root' : 'lab' });

/**
 * A config the hook accepts (mode 0600) or refuses: root's in
 * /etc/wireguard4netns (inside: an overlay of the session), or lab's in
 * its own folder.
 */
async function config(ctx: Ctx, name: string, content: string, mode: number): Promise<string> {
  if (ctx.mode === 'rootless') return ctx.trixie.labFile(name, content, mode);
  const path = `${CONF_DIR}/${name}`;
  const r = await root(
    ctx.trixie,
    ['sh', '-c', 'umask 077 && mkdir -p "$1" && cat >"$2" && chmod "$3" "$2"', 'sh', CONF_DIR, path, mode.toString(8)],
    content,
  );
  if (r.exitCode !== 0) throw new Error(`writing ${path} failed: ${r.stderr}`);
  return path;
}

/** `wireguard4netns status FILTER --json` as the tunnels' owner, inside. */
async function tunnels(ctx: Ctx, filter: string): Promise<Tunnel[]> {
  const r = await owner(ctx, ['node', TRIXIE_BUNDLE, 'status', filter, '--json']);
  if (r.exitCode === 0) return JSON.parse(r.stdout) as Tunnel[];
  if (/no tunnel/.test(r.stderr)) return [];
  throw new Error(`wireguard4netns status ${filter} failed (exit ${r.exitCode}): ${r.stderr}`);
}

/** Daemons in the session (its own pid namespace: only this suite's). */
async function daemons(t: Trixie): Promise<string[]> {
  const r = await root(t, ['pgrep', '-a', '-f', '^/\\S*wireguard-go wireguard4netns']);
  return r.stdout.split('\n').filter(Boolean);
}

/** Waits (bounded) until no daemon and no tunnel folder is left, then asserts it. */
async function assertNothingLeft(ctx: Ctx, what: string, timeoutMs = 10_000): Promise<void> {
  const t = ctx.trixie;
  const base = STATE_BASE[ctx.mode];
  await eventually(async () => (await daemons(t)).length === 0 && t.list(base).length === 0, timeoutMs, 100);
  assert.equal(await daemons(t), [], `${what}: daemons left`);
  assert.equal(t.list(base), [], `${what}: tunnel folders left in ${base}`);
}

function containerdSuite(mode: Mode, peerName: string, peerIndex: number): void {
  const test = suite<Ctx>(`${mode} containerd (Debian 13) with the NRI plugin and the hook`);

  setup(test, async (ctx) => {
    ctx.mode = mode;
    await buildContainerd();
    await containerdCleanSlate();
    ctx.peer = await startPeer(peerName, peerIndex);
    ctx.containerd = await startContainerd({ rootless: mode === 'rootless' });
    ctx.trixie = ctx.containerd.trixie;
    // Hook JSON whose paths are valid inside the root, in the dir the plugin reads.
    const install = await owner(ctx, [
      'node',
      TRIXIE_BUNDLE,
      'install',
      '--pods',
      '--hooks-dir',
      ctx.containerd.hooksDir,
      '--plugin-dir',
      `${ctx.containerd.hooksDir}.netavark`,
    ]);
    if (install.exitCode !== 0) throw new Error(`install in the trixie root failed: ${install.stderr}`);
  });

  test.after(async (ctx) => {
    const errors: unknown[] = [];
    for (const undo of [() => ctx.containerd?.stop(), () => ctx.peer?.down()]) {
      try {
        await undo();
      } catch (err) {
        errors.push(err);
      }
    }
    // uvu drops what an after hook throws: say it, then throw.
    if (errors.length > 0) {
      const message = `${mode} containerd suite cleanup: ${errors.map(String).join('; ')}`;
      console.error(message);
      throw new AggregateError(errors, message);
    }
  });

  test(`should give both containers of an annotated pod wg0 reaching the backend, and leave nothing after stopp and rmp (${mode})`, async (ctx) => {
    const { containerd, trixie } = ctx;
    const volume = containerd.secretVolume('main-pod', { 'edge.conf': ctx.peer.config() });
    const pod = await containerd.runPod(
      'w4n-pod',
      { [CONFIG_ANNOTATION]: POD_CONF, 'example.com/other': 'kept' },
      { mounts: secretMount(ctx, volume) },
    );
    const first = await pod.start('first', APP);
    const second = await pod.start('second', APP);

    // One tunnel for the pod's network namespace, shared by both containers.
    const [mine] = await tunnels(ctx, first.slice(0, 12));
    assert.ok(mine, `no tunnel for container ${first}\n${containerd.log()}`);
    assert.equal(
      (await tunnels(ctx, second.slice(0, 12))).map((t) => t.dir),
      [mine.dir],
      'the second container joins the pod tunnel',
    );
    assert.is(mine.daemon, 'running');
    assert.ok(mine.dir.startsWith(`${STATE_BASE[mode]}/`), `${mine.dir} is under ${STATE_BASE[mode]}`);
    const running = await daemons(trixie);
    assert.is(running.length, 1, 'one daemon');
    if (mode === 'rootless') {
      // containerd is root of lab's user namespace, and the daemon is lab's.
      const ids = await root(trixie, [
        'sh',
        '-c',
        'cat /proc/$(pgrep -x containerd)/uid_map; stat -c %u /proc/$1',
        'sh',
        running[0].split(' ')[0],
      ]);
      assert.equal(
        ids.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' ')),
        ['0 2000 1', '1 2000000 65536', '2000'],
        ids.stderr,
      );
    }

    for (const ctr of [first, second]) {
      assertFetchedBoth(await pod.exec(ctr, ['sh', '-c', FETCH_BOTH]), ctr);
    }

    // One container stops and the other keeps the tunnel; its restart joins it.
    await assertStopAndRestart(pod, (f) => tunnels(ctx, f), mine, [first, second], APP);

    await pod.stop();
    await pod.remove();
    await assertNothingLeft(ctx, 'after crictl stopp + rmp');
  });

  test(`should remove a killed daemon's folder when its container stops: containerd deletes its task, and install --pods' poststop hook runs (${mode})`, async (ctx) => {
    // As the kubelet's kill of what is left in a stopped pod's cgroup (docs/kubernetes.md, "When a pod ends").
    const { containerd, trixie } = ctx;
    const base = STATE_BASE[ctx.mode];
    const volume = containerd.secretVolume('killed-pod', { 'edge.conf': ctx.peer.config() });
    const pod = await containerd.runPod('w4n-killed', { [CONFIG_ANNOTATION]: POD_CONF });
    const app = await pod.start('app', APP, { mounts: secretMount(ctx, volume) });
    const [t] = await tunnels(ctx, app.slice(0, 12));
    assert.ok(t?.daemonPid, `a daemon serves ${app}`);
    const kill = await root(trixie, ['kill', '-KILL', String(t.daemonPid)]);
    assert.is(kill.exitCode, 0, kill.stderr);
    await eventually(async () => (await daemons(trixie)).length === 0, 5000);
    assert.equal(await daemons(trixie), [], 'the daemon is gone');
    assert.equal(trixie.list(base), [t.dir.slice(base.length + 1)], 'the killed daemon left its folder');
    await pod.stopContainer(app);
    assert.equal(trixie.list(base), [], "the container's stop removed it");
    await pod.stop();
    await pod.remove();
    await assertNothingLeft(ctx, 'after the pod', 0);
  });

  test(`should read the config from the pod's own Secret volume, laid out as kubelet does (${mode})`, async (ctx) => {
    const { containerd } = ctx;
    const volume = containerd.secretVolume('secret-pod', { 'edge.conf': ctx.peer.config() });
    const pod = await containerd.runPod('w4n-secret', { [CONFIG_ANNOTATION]: POD_CONF });
    const app = await pod.start('app', APP, { mounts: secretMount(ctx, volume) });
    assertFetchedBoth(await pod.exec(app, ['sh', '-c', FETCH_BOTH]), 'the Secret pod');
    await pod.stop();
    await pod.remove();
    await assertNothingLeft(ctx, 'after the Secret pod');
  });

  test(`should fail StartContainer with the hook's one line for a pod naming a file of the node, and leave nothing (${mode})`, async (ctx) => {
    const { containerd, trixie } = ctx;
    // The node's own config (root's, or lab's): a pod author must not get its key.
    const conf = await config(ctx, 'w4n-containerd.conf', ctx.peer.config(), 0o600);
    const pod = await containerd.runPod('w4n-nodefile', { [CONFIG_ANNOTATION]: conf });
    // containerd creates the runtime's container (runc create, where
    // createRuntime hooks run) at StartContainer, not at CreateContainer.
    const created = await pod.create('app', APP);
    assert.is(created.exitCode, 0, created.stderr);
    const r = await containerd.crictl(['start', created.stdout.trim()]);
    assert.is.not(r.exitCode, 0, `StartContainer succeeded: ${r.stdout}`);
    const message = `wireguard4netns: ${conf}: this hook serves pods (installed with --pods), which may name only container:PATH`;
    assert.match(r.stderr, message, r.stderr);
    // The hook's stderr reaches crictl as one line (runc quotes it in its error).
    const line = r.stderr.split('\n').find((l) => l.includes(message)) ?? '';
    assert.ok(line.includes('error running hook'), `runc's error names the hook: ${line}`);
    // The hook's log keeps the line too.
    const logged = trixie
      .read(HOOK_LOG[mode])
      .split('\n')
      .filter((l) => l.includes(message));
    assert.is(logged.length, 1, trixie.read(HOOK_LOG[mode]));
    await pod.stop();
    await pod.remove();
    await assertNothingLeft(ctx, 'after a refused container', 0);
    assert.equal(
      trixie.list(`${DIR}/hooks.d`).sort(),
      ['wireguard4netns-poststop.json', 'wireguard4netns.json'],
      'what install --pods wrote',
    );
  });

  test.run();
}

// Peer indexes (veth addresses) no other suite and not the bench (20-23) uses.
containerdSuite('rootful', 'w4nctdroot', 42);
containerdSuite('rootless', 'w4nctdrl', 43);
