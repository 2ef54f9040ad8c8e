// The hook on a real one-node cluster (test/helpers/kubernetes.ts: kine,
// kube-apiserver, the kubelet, CRI-O with the hook installed as
// docs/kubernetes.md says, rootful): `kubectl apply -f` of the docs'
// manifest, docs/kubernetes/pod.yaml, read from the docs with only its
// three placeholders filled in (the keys and the endpoint of a real,
// independent peer). The image it names is the test rootfs under that
// name in CRI-O's storage: nothing is pulled. No scheduler runs: the test
// binds the pod as the scheduler would. The pod runs, `kubectl exec` in it
// reaches the backend over IPv4 and IPv6 through wg0, `kubectl delete pod`
// leaves no daemon, folder or socket, and a Secret holding a bad config
// shows the hook's one line in `kubectl describe pod` and makes nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCrio } from '../helpers/crio.js';
import { BUNDLE, ROOT } from '../helpers/env.js';
import { buildKubernetes, type Cluster, kubernetesCleanSlate, startCluster } from '../helpers/kubernetes.js';
import { daemons, ROOT_USER } from '../helpers/leaks.js';
import { assertFetchedBoth, type Peer, startPeer } from '../helpers/peer.js';
import { setup, undoAll } from '../helpers/suite.js';

const MANIFEST = join(ROOT, 'docs/kubernetes/pod.yaml');
/** The image the manifest names: the test rootfs is imported under it. */
const DOCS_IMAGE = 'docker.io/library/busybox:1.36';
const POD = 'edge-client';
const POD_CONF = 'container:/etc/wireguard4netns/edge.conf';
/** The manifest's tunnel addresses (as the peer must have them): 10.8.0.2/32 and fd42:8::2/128. */
const NETS = { v4: '10.8.0', v6: 'fd42:8:' };

interface Ctx {
  undo: (() => unknown)[];
  peer: Peer;
  cluster: Cluster;
}

interface Tunnel {
  dir: string;
  containers: string[];
  daemonPid: number | null;
  daemon: string;
  netns: string | null;
  config: string | null;
}

/** Root's tunnels (`wireguard4netns status --json`) that serve a container of this cluster's CRI-O (root's may include another run's). */
async function tunnels(ctx: Ctx): Promise<Tunnel[]> {
  const ours = new Set((await ctx.cluster.crio.crictl(['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean));
  const r = await execa(process.execPath, [BUNDLE, 'status', '--json'], { reject: false });
  if (r.exitCode !== 0 && /no tunnel/.test(r.stderr)) return [];
  if (r.exitCode !== 0) throw new Error(`wireguard4netns status failed (exit ${r.exitCode}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as Tunnel[]).filter((t) => t.containers.some((c) => ours.has(c)));
}

/** The docs' manifest with its three placeholders filled in, and nothing else changed. */
function manifest(fill: { privateKey: string; peerPublicKey: string; endpoint: string }): string {
  const yaml = readFileSync(MANIFEST, 'utf8');
  assert.match(yaml, `image: ${DOCS_IMAGE}\n`, 'the image the test imports under its name');
  assert.match(yaml, `Address = ${NETS.v4}.2/32, ${NETS.v6}:2/128\n`, 'the addresses the peer has for this key');
  assert.match(yaml, `AllowedIPs = ${NETS.v4}.0/24, ${NETS.v6}:/64\n`, 'the networks behind the peer');
  return yaml
    .replace('PrivateKey = REPLACE_WITH_PRIVATE_KEY', `PrivateKey = ${fill.privateKey}`)
    .replace('PublicKey = REPLACE_WITH_PEER_PUBLIC_KEY', `PublicKey = ${fill.peerPublicKey}`)
    .replace('Endpoint = REPLACE_WITH_PEER_ENDPOINT', `Endpoint = ${fill.endpoint}`);
}

async function kubectl(ctx: Ctx, args: string[], input?: string, timeout?: number): Promise<string> {
  const r = await ctx.cluster.kubectl(args, { input, timeout });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function until(what: string, ok: () => Promise<boolean>, ms: number, detail: () => Promise<string> | string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s\n${await detail()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const test = suite<Ctx>('a one-node Kubernetes cluster with the hook (rootful)');

setup(test, async (ctx) => {
  ctx.undo = [];
  await buildCrio();
  await buildKubernetes();
  await kubernetesCleanSlate();
  const hooks = mkdtempSync('/tmp/w4nk-hooks-');
  ctx.undo.push(() => rmSync(hooks, { recursive: true, force: true }));
  ctx.undo.push(() => rmSync(`${hooks}.netavark`, { recursive: true, force: true }));
  // As docs/kubernetes.md says, for CRI-O.
  const r = await execa(process.execPath, [BUNDLE, 'install', '--pods', '--hooks-dir', hooks, '--plugin-dir', `${hooks}.netavark`], {
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`install failed: ${r.stderr}`);
  ctx.peer = await startPeer('w4nkpeer', 50, NETS);
  ctx.undo.push(() => ctx.peer.down());
  ctx.cluster = await startCluster({ hooksDir: hooks, imageNames: [DOCS_IMAGE] });
  ctx.undo.push(() => ctx.cluster.stop());
});

// uvu drops what an after hook throws: undoAll says it too.
test.after((ctx) => undoAll(ctx.undo ?? [], 'Kubernetes suite cleanup', true));

test("should run the docs' manifest with kubectl apply: wg0 from the pod's Secret, both backends reached with kubectl exec, nothing left after kubectl delete pod", async (ctx) => {
  const yaml = manifest({ privateKey: ctx.peer.clientPrivateKey, peerPublicKey: ctx.peer.publicKey, endpoint: ctx.peer.endpoint });
  await kubectl(ctx, ['apply', '-f', '-'], yaml);
  await ctx.cluster.bind(POD);
  const describe = () =>
    ctx.cluster
      .kubectl(['describe', 'pod', POD])
      .then((r) => `${r.stdout}${r.stderr}\nkubelet:\n${ctx.cluster.log('kubelet').slice(-3000)}`);
  await until(
    'the pod Ready',
    async () =>
      (await ctx.cluster.kubectl(['get', 'pod', POD, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True',
    120_000,
    describe,
  );

  const r = await ctx.cluster.kubectl(['exec', POD, '--', 'sh', '-c', ctx.peer.fetchBoth], { timeout: 60_000 });
  assertFetchedBoth(r, 'kubectl exec in the pod', NETS);

  const containerId = (await kubectl(ctx, ['get', 'pod', POD, '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])).replace(
    /^cri-o:\/\//,
    '',
  );
  const [mine, ...others] = await tunnels(ctx);
  assert.ok(mine, `no tunnel in the cluster's pods\n${await describe()}`);
  assert.equal(others, [], 'one tunnel');
  assert.equal(mine.containers, [containerId], "the tunnel serves the pod's container");
  assert.is(mine.config, POD_CONF);
  assert.is(mine.daemon, 'running');

  await kubectl(ctx, ['delete', 'pod', POD, '--timeout=120s'], undefined, 150_000);
  await until(
    'no daemon and no folder of the pod',
    async () => !existsSync(mine.dir) && !(await daemons(ROOT_USER)).some((l) => l.startsWith(`${mine.daemonPid} `)),
    15_000,
    async () => `folder ${mine.dir} exists: ${existsSync(mine.dir)}; root's daemons:\n${(await daemons(ROOT_USER)).join('\n')}`,
  );
  assert.equal(await tunnels(ctx), [], 'status lists no tunnel of the cluster');
  // The pod's sandbox is stopped, and its network namespace gone (and so any socket in it). The
  // kubelet removes a stopped sandbox later, in its garbage collection (crictl's rmp did at once).
  const ready = await ctx.cluster.crio.crictl(['pods', '-q', '--state', 'ready']);
  assert.is(ready.stdout.trim(), '', `CRI-O still has a ready pod: ${ready.stdout}`);
  await until(
    'no pinned network namespace',
    async () => readdirSync(join(ctx.cluster.crio.lab, 'ns/netns')).length === 0,
    30_000,
    () => readdirSync(join(ctx.cluster.crio.lab, 'ns/netns')).join(' '),
  );
  await kubectl(ctx, ['delete', 'secret', 'edge-wg']);
});

test("should show the hook's one line in kubectl describe pod for a Secret with a bad config, and make nothing", async (ctx) => {
  const ns = 'w4nk-bad';
  await kubectl(ctx, ['create', 'namespace', ns]);
  // The same manifest in a namespace of its own, its peer's key not a key.
  const yaml = manifest({ privateKey: ctx.peer.clientPrivateKey, peerPublicKey: 'not-a-key', endpoint: ctx.peer.endpoint });
  await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], yaml);
  await ctx.cluster.bind(POD, ns);
  const line = `wireguard4netns: ${POD_CONF}:6: PublicKey: expected base64 of exactly 32 bytes (as `;
  let described = '';
  let reason = '';
  await until(
    "the hook's line in kubectl describe pod, the container waiting in CreateContainerError",
    async () => {
      described = (await ctx.cluster.kubectl(['describe', 'pod', '-n', ns, POD])).stdout;
      reason = (
        await ctx.cluster.kubectl(['get', 'pod', '-n', ns, POD, '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}'])
      ).stdout;
      return described.includes(line) && reason === 'CreateContainerError';
    },
    120_000,
    () => `reason ${reason}\n${described}\nkubelet:\n${ctx.cluster.log('kubelet').slice(-3000)}`,
  );
  assert.not.match(described, /[A-Za-z0-9+/]{43}=/, 'no key material in the pod description');
  assert.equal(await tunnels(ctx), [], 'no tunnel');
  assert.equal(await daemons(ROOT_USER).then((d) => d.filter((l) => l.includes(ctx.cluster.crio.lab))), [], 'no daemon');
  await kubectl(ctx, ['delete', '-n', ns, '-f', '-', '--timeout=120s'], yaml, 150_000);
});

test('should leave nothing of the cluster once stopped: no folder, mount, interface, log link or changed kernel setting', async (ctx) => {
  const labs = [ctx.cluster.lab, ctx.cluster.crio.lab];
  const sysctls = JSON.parse(readFileSync(join(ctx.cluster.lab, 'sysctls'), 'utf8')) as Record<string, string>;
  await ctx.cluster.stop();
  for (const lab of labs) assert.not.ok(existsSync(lab), `${lab} left`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => labs.some((lab) => l.includes(`${lab}/`) || l.includes(`${lab} `)));
  assert.equal(mounts, [], 'mounts of the labs left');
  assert.is((await execa('ip', ['link', 'show', 'w4nk0'], { reject: false })).exitCode, 1, 'the node interface is gone');
  for (const [key, value] of Object.entries(sysctls)) assert.is(readFileSync(join('/proc/sys', key), 'utf8').trim(), value, key);
  const links = existsSync('/var/log/containers')
    ? readdirSync('/var/log/containers').map((e) => readlinkSync(join('/var/log/containers', e)))
    : [];
  assert.equal(
    links.filter((l) => labs.some((lab) => l.startsWith(lab))),
    [],
    'log links left in /var/log/containers',
  );
});

test.run();
