// The netavark plugin under podman 5.4 (Debian 13 root of test/env/trixie.sh):
//   podman network create -d wireguard4netns -o conf=FILE edge
//   podman run --network edge IMAGE
// rootless (netavark runs the plugin as uid 0 of podman's user namespace,
// in its pasta-backed rootless network namespace) under crun and runc, and
// rootful. The plugin and the containers.conf line are what
// `wireguard4netns install` writes and prints. After every case no daemon,
// tunnel folder or identity lock is left.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assertFetchedBoth, FETCH_BOTH, type Peer, startPeer } from '../helpers/peer.js';
import { eventually } from '../helpers/poll.js';
import { setup } from '../helpers/suite.js';
import {
  LAB_HOME,
  LAB_HOOKS_DIR,
  LAB_STATE_BASE,
  startBroker,
  startTrixie,
  TRIXIE_BUNDLE,
  TRIXIE_ROOTFS,
  type Trixie,
} from '../helpers/trixie.js';

const test = suite<{ peer: Peer; trixie: Trixie; conf: string }>('podman 5 network plugin (netavark)');
const RUNTIMES = ['crun', 'runc'];
const PLUGIN_DIR = `${LAB_HOME}/.local/libexec/netavark`;
const DNS = 'DNS = 198.51.100.53, corp.example';
/** Rootful podman keeps its storage in the session's tmpfs, not in the cached root. */
const ROOT_STORAGE = ['--root', '/tmp/w4n-storage', '--runroot', '/run/w4n-storage'];
const ROOT_STATE_BASE = '/run/wireguard4netns';

setup(test, async (ctx) => {
  ctx.trixie = await startTrixie();
  ctx.peer = await startPeer('w4nnetavark', 6);
  const install = await ctx.trixie.run(['node', TRIXIE_BUNDLE, 'install', '--hooks-dir', LAB_HOOKS_DIR]);
  if (install.exitCode !== 0) throw new Error(`install in the trixie root failed: ${install.stderr}`);
  // What install prints is what the user puts into containers.conf.
  const line = /netavark_plugin_dirs = \[.*\] under \[network\]/.exec(install.stdout)?.[0] ?? '';
  if (!line.includes(PLUGIN_DIR)) throw new Error(`install printed no plugin dir line for ${PLUGIN_DIR}: ${install.stdout}`);
  const conf = `[network]\n${line.replace(/ under \[network\]$/, '')}\n`;
  const w = await ctx.trixie.run(['sh', '-c', 'mkdir -p ~/.config/containers && cat > ~/.config/containers/containers.conf'], {
    input: conf,
  });
  if (w.exitCode !== 0) throw new Error(w.stderr);
  ctx.conf = ctx.trixie.labFile('edge.conf', ctx.peer.config(DNS));
  const create = await podman(ctx.trixie, ['network', 'create', '-d', 'wireguard4netns', '-o', `conf=${ctx.conf}`, 'edge']);
  if (create.exitCode !== 0) throw new Error(`podman network create: ${create.stderr}`);
});

test.after(async (ctx) => {
  await ctx.trixie?.end();
  await ctx.peer?.down();
});

const podman = (t: Trixie, args: string[], user: 'lab' | 'root' = 'lab') =>
  t.run(['podman', ...(user === 'root' ? ROOT_STORAGE : []), ...args], { user });

/** Starts a `sleep 300` container on the network edge (podman options before run: extra). */
const startOnEdge = (t: Trixie, name: string, extra: string[] = []) =>
  podman(t, [...extra, 'run', '-d', '--name', name, '--network', 'edge', '--rootfs', TRIXIE_ROOTFS, 'sleep', '300']);

/** Whether the one tunnel's daemon has its UDP sockets in the host's network namespace (the session's `ss` lists them). */
async function sendsFromHostNetns(t: Trixie): Promise<boolean> {
  const [dir] = t.list(LAB_STATE_BASE).filter((d) => /^\d+-wg0$/.test(d));
  const pid = JSON.parse(t.read(`${LAB_STATE_BASE}/${dir}/state.json`)).daemonPid;
  const ss = await t.run(['ss', '-u', '-a', '-n', '-p'], { user: 'root' });
  return ss.stdout.includes(`pid=${pid},`);
}

/** Daemons in the root (its own pid namespace: only this session's). */
async function daemons(t: Trixie): Promise<string[]> {
  const r = await t.run(['pgrep', '-a', '-f', '^/\\S*wireguard-go wireguard4netns'], { user: 'root' });
  return r.stdout.split('\n').filter(Boolean);
}

/** Waits (bounded) until no daemon and nothing in the state folders is left in the root, then asserts it. */
async function assertNothingLeft(t: Trixie, what: string, timeoutMs = 5000): Promise<void> {
  const left = async () => [...(await daemons(t)), ...t.list(LAB_STATE_BASE), ...t.list(ROOT_STATE_BASE)];
  await eventually(async () => (await left()).length === 0, timeoutMs, 100);
  assert.equal(await daemons(t), [], `${what}: daemons left`);
  assert.equal(t.list(LAB_STATE_BASE), [], `${what}: left in ${LAB_STATE_BASE}`);
  assert.equal(t.list(ROOT_STATE_BASE), [], `${what}: left in ${ROOT_STATE_BASE}`);
}

test('should create the network with the config checked, and without aardvark-dns', async (ctx) => {
  const r = await podman(ctx.trixie, ['network', 'inspect', 'edge', '--format', '{{.Driver}} {{.DNSEnabled}} {{.Options.conf}}']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(r.stdout, `wireguard4netns false ${ctx.conf}`);
});

test('should refuse to create a network from a bad config, with its file:line:field error on one line', async (ctx) => {
  const bad = ctx.trixie.labFile('bad.conf', ctx.peer.config().replace(/^PublicKey = .*$/m, 'PublicKey = short'));
  const r = await podman(ctx.trixie, ['network', 'create', '-d', 'wireguard4netns', '-o', `conf=${bad}`, 'badnet']);
  assert.is.not(r.exitCode, 0);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, `${bad}:6: PublicKey: expected base64 of exactly 32 bytes`, r.stderr);
  const missing = await podman(ctx.trixie, ['network', 'create', '-d', 'wireguard4netns', 'noconf']);
  assert.match(missing.stderr, 'network noconf: expected -o conf=/absolute/path/of/wg.conf');
  const exists = await podman(ctx.trixie, ['network', 'ls', '--format', '{{.Name}}']);
  assert.equal(exists.stdout.split('\n').sort(), ['edge', 'podman'], 'no network was made');
});

for (const runtime of RUNTIMES) {
  test(`should give a container on the network wg0, both backends, the config's DNS and its status (${runtime})`, async (ctx) => {
    const name = `w4n-net-${runtime}`;
    const start = await startOnEdge(ctx.trixie, name, ['--runtime', runtime]);
    try {
      assert.is(start.exitCode, 0, start.stderr);
      const exec = await podman(ctx.trixie, ['exec', name, 'sh', '-c', `${FETCH_BOTH}; ip -o link; cat /etc/resolv.conf`]);
      assertFetchedBoth(exec, runtime);
      assert.not.match(exec.stdout, 'eth0', 'wg0 is the only interface beside lo');
      assert.match(exec.stdout, /^nameserver 198\.51\.100\.53$/m);
      assert.match(exec.stdout, /^search corp\.example$/m);
      const inspect = await podman(ctx.trixie, ['inspect', name, '--format', '{{json .NetworkSettings.Networks}}']);
      const edge = JSON.parse(inspect.stdout).edge;
      assert.is(edge.IPAddress, '198.51.100.2', inspect.stdout);
      assert.is(edge.IPPrefixLen, 32, inspect.stdout);
      assert.is(edge.GlobalIPv6Address, 'fd5a:7b1e:c0de::2', inspect.stdout);
      // `status` knows the tunnel by its container.
      const id = (await podman(ctx.trixie, ['inspect', name, '--format', '{{.Id}}'])).stdout;
      const status = await ctx.trixie.run(['node', TRIXIE_BUNDLE, 'status', id.slice(0, 12), '--json']);
      const tunnels = JSON.parse(status.stdout);
      assert.is(tunnels.length, 1, status.stdout + status.stderr);
      assert.equal(tunnels[0].containers, [id]);
      assert.is(tunnels[0].daemon, 'running');
      assert.not.ok(await sendsFromHostNetns(ctx.trixie), 'without a broker, the daemon sends from the rootless netns');
    } finally {
      const rm = await podman(ctx.trixie, ['rm', '-f', '-t', '0', name]);
      assert.is(rm.exitCode, 0, rm.stderr);
    }
    await assertNothingLeft(ctx.trixie, `after podman rm (${runtime})`);
  });
}

test('should run podman run --rm on the network and leave nothing', async (ctx) => {
  const r = await podman(ctx.trixie, ['run', '--rm', '--network', 'edge', '--rootfs', TRIXIE_ROOTFS, 'sh', '-c', FETCH_BOTH]);
  assertFetchedBoth(r, 'run --rm');
  await assertNothingLeft(ctx.trixie, 'after podman run --rm');
});

test("should send from the host's network namespace with a UDP broker, not through pasta, and reach both backends", async (ctx) => {
  const stop = await startBroker(ctx.trixie);
  const name = 'w4n-broker';
  try {
    const start = await startOnEdge(ctx.trixie, name);
    assert.is(start.exitCode, 0, start.stderr);
    assertFetchedBoth(await podman(ctx.trixie, ['exec', name, 'sh', '-c', FETCH_BOTH]), 'through the broker');
    assert.ok(await sendsFromHostNetns(ctx.trixie), "the daemon's UDP sockets are in the host's network namespace");
  } finally {
    await podman(ctx.trixie, ['rm', '-f', '-t', '0', name]);
    await stop();
  }
  await assertNothingLeft(ctx.trixie, 'after a container whose daemon used the broker');
});

test('should refuse a second container on the network with one line naming the first, which keeps working', async (ctx) => {
  const first = await startOnEdge(ctx.trixie, 'w4n-first');
  try {
    assert.is(first.exitCode, 0, first.stderr);
    const second = await podman(ctx.trixie, [
      'run',
      '--rm',
      '--name',
      'w4n-second',
      '--network',
      'edge',
      '--rootfs',
      TRIXIE_ROOTFS,
      'echo',
      'STARTED',
    ]);
    assert.is.not(second.exitCode, 0);
    assert.not.match(second.stdout, 'STARTED');
    assert.is(second.stderr.trim().split('\n').length, 1, second.stderr);
    assert.match(second.stderr, `network edge: ${ctx.conf} already serves container w4n-first (`);
    assert.match(second.stderr, 'podman pod create --network edge');
    assert.is((await daemons(ctx.trixie)).length, 1, 'the first tunnel only');
    assertFetchedBoth(await podman(ctx.trixie, ['exec', 'w4n-first', 'sh', '-c', FETCH_BOTH]), 'the first, after the refusal');
  } finally {
    await podman(ctx.trixie, ['rm', '-f', '-t', '0', 'w4n-first']);
  }
  await assertNothingLeft(ctx.trixie, 'after the refused second container');
});

test('should give the containers of a pod on the network one tunnel', async (ctx) => {
  const pod = 'w4n-netpod';
  const create = await podman(ctx.trixie, ['pod', 'create', '--network', 'edge', '--name', pod]);
  assert.is(create.exitCode, 0, create.stderr);
  try {
    for (const n of [1, 2]) {
      const r = await podman(ctx.trixie, ['run', '-d', '--pod', pod, '--name', `${pod}-${n}`, '--rootfs', TRIXIE_ROOTFS, 'sleep', '300']);
      assert.is(r.exitCode, 0, r.stderr);
    }
    assert.is((await daemons(ctx.trixie)).length, 1, 'one tunnel for the pod');
    for (const n of [1, 2]) assertFetchedBoth(await podman(ctx.trixie, ['exec', `${pod}-${n}`, 'sh', '-c', FETCH_BOTH]), `container ${n}`);
  } finally {
    const rm = await podman(ctx.trixie, ['pod', 'rm', '-f', '-t', '0', pod]);
    assert.is(rm.exitCode, 0, rm.stderr);
  }
  await assertNothingLeft(ctx.trixie, 'after podman pod rm');
});

test('should end the daemon with the container when podman never tears down (conmon killed)', async (ctx) => {
  const name = 'w4n-killed';
  const start = await startOnEdge(ctx.trixie, name);
  assert.is(start.exitCode, 0, start.stderr);
  const pids = await podman(ctx.trixie, ['inspect', name, '--format', '{{.State.ConmonPid}} {{.State.Pid}}']);
  assert.is((await daemons(ctx.trixie)).length, 1, 'the tunnel is up');
  // No conmon: no "podman container cleanup", so netavark's teardown never runs.
  const kill = await ctx.trixie.run(['kill', '-KILL', ...pids.stdout.trim().split(' ')], { user: 'root' });
  assert.is(kill.exitCode, 0, kill.stderr);
  await assertNothingLeft(ctx.trixie, 'after the container died without a teardown');
  await podman(ctx.trixie, ['rm', '-f', '-t', '0', name]);
});

test('should end the daemon when no process enters the namespace after setup (podman killed before the start)', async (ctx) => {
  // netavark's part, by hand: a namespace nobody is in, set up as netavark would, in podman's user namespace.
  const ns = `/run/user/2000/w4n-empty-netns`;
  const input = JSON.stringify({
    container_id: 'f'.repeat(64),
    container_name: 'never-started',
    port_mappings: null,
    network: { name: 'edge', id: 'e'.repeat(64), driver: 'wireguard4netns', options: { conf: ctx.conf } },
    network_options: { interface_name: 'eth0' },
  });
  const r = await ctx.trixie.run(
    [
      'podman',
      'unshare',
      'sh',
      '-c',
      `touch ${ns} && unshare --net=${ns} true && WIREGUARD4NETNS_AWAIT_PROCESS=1s ${PLUGIN_DIR}/wireguard4netns setup ${ns}`,
    ],
    { input },
  );
  assert.is(r.exitCode, 0, `${r.stdout} ${r.stderr}`);
  assert.equal(JSON.parse(r.stdout).interfaces.wg0.subnets, [{ ipnet: '198.51.100.2/32' }, { ipnet: 'fd5a:7b1e:c0de::2/128' }]);
  assert.is((await daemons(ctx.trixie)).length, 1, 'the tunnel came up');
  await assertNothingLeft(ctx.trixie, 'a second after a setup no container followed', 4000);
});

test('should give a rootful container on the network wg0 reaching both backends, and leave nothing', async (ctx) => {
  const dir = '/tmp/w4n-rootful';
  const plugin = `${dir}/netavark`;
  const prep = await ctx.trixie.run(
    [
      'sh',
      '-c',
      `set -e; mkdir -p -m 0700 ${dir}; cat > ${dir}/edge.conf; chmod 0600 ${dir}/edge.conf
       node ${TRIXIE_BUNDLE} install --hooks-dir ${dir}/hooks.d --plugin-dir ${plugin}
       printf '[network]\\nnetavark_plugin_dirs = ["${plugin}"]\\n' > ${dir}/containers.conf`,
    ],
    { user: 'root', input: ctx.peer.config() },
  );
  assert.is(prep.exitCode, 0, prep.stderr);
  const rootful = (args: string[]) =>
    ctx.trixie.run(['env', `CONTAINERS_CONF_OVERRIDE=${dir}/containers.conf`, 'podman', ...ROOT_STORAGE, ...args], { user: 'root' });
  const create = await rootful(['network', 'create', '-d', 'wireguard4netns', '-o', `conf=${dir}/edge.conf`, 'edge-root']);
  assert.is(create.exitCode, 0, create.stderr);
  const r = await rootful(['run', '--rm', '--network', 'edge-root', '--rootfs', TRIXIE_ROOTFS, 'sh', '-c', FETCH_BOTH]);
  assertFetchedBoth(r, 'rootful');
  await assertNothingLeft(ctx.trixie, 'after a rootful podman run --rm');
  await rootful(['network', 'rm', 'edge-root']);
});

test.run();
