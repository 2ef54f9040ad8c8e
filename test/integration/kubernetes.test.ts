// The hook on a real one-node cluster (test/helpers/kubernetes.ts: kine,
// kube-apiserver, the kubelet, CRI-O with the hook installed as
// docs/kubernetes.md says), rootful, then rootless (CRI-O and the kubelet
// in rootlesskit as an unprivileged user): `kubectl apply -f` of the docs'
// manifest, docs/kubernetes/pod.yaml, read from the docs with only its
// three placeholders filled in (the keys and the endpoint of a real,
// independent peer). The image it names is the test rootfs under that
// name in CRI-O's storage: nothing is pulled. No scheduler runs: the test
// binds the pod as the scheduler would. The pod runs, `kubectl exec` in it
// reaches the backend over IPv4 and IPv6 through wg0, `kubectl delete pod`
// leaves no daemon, folder or socket, and a Secret holding a bad config
// shows the hook's one line in `kubectl describe pod` and makes nothing,
// as does one naming a file of the node (the pods' policy, install
// --pods); a daemon killed before its pod ended leaves a folder that goes
// when the kubelet deletes the pod's container (the poststop hook). Then
// what only a cluster does: a rotated Secret comes up in the next pod,
// and in the restarted container of a running pod (the kubelet rewrites
// the Secret volume); docs/kubernetes/deployment.yaml scaled to 0 and back;
// docs/kubernetes/statefulset.yaml gives two pods two identities, and
// scaled to 110 pods (its Secret with a config per pod made as the docs'
// two are), started by one kubectl apply, a tunnel each: the times and the
// daemons' memory are printed in a note line. The
// controller manager makes the Deployment's and StatefulSet's pods; the
// test binds them as the scheduler would (no scheduler runs).
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePrivateKey, publicKeyOf } from '../../src/keys.js';
import { addTestUser, asTestUser, buildCrio, type TestUser } from '../helpers/crio.js';
import { BUNDLE, ROOT } from '../helpers/env.js';
import { buildKubernetes, type Cluster, kubernetesCleanSlate, startCluster } from '../helpers/kubernetes.js';
import { daemons, type Owner, ROOT_USER } from '../helpers/leaks.js';
import { assertFetchedBoth, type Peer, startPeer } from '../helpers/peer.js';
import { eventually } from '../helpers/poll.js';
import { setup, undoAll } from '../helpers/suite.js';

const DOCS = join(ROOT, 'docs/kubernetes');
/** The image the manifest names: the test rootfs is imported under it. */
const DOCS_IMAGE = 'docker.io/library/busybox:1.36';
const POD = 'edge-client';
/** The scale test's pods: the kubelet's default max-pods. */
const SCALE = 110;
const POD_CONF = 'container:/etc/wireguard4netns/edge.conf';
/** The manifest's tunnel addresses (as the peer must have them): 10.8.0.2/32 and fd42:8::2/128. */
const NETS = { v4: '10.8.0', v6: 'fd42:8:' };
/** The rootless node's user (usernetes style: CRI-O and the kubelet inside its rootlesskit). */
const USER = 'w4nkrl';

type Mode = 'rootful' | 'rootless';

interface Ctx {
  undo: (() => unknown)[];
  peer: Peer;
  cluster: Cluster;
  /** whose the tunnels are: root's, or the rootless node user's */
  owner: Owner;
  user?: TestUser;
  /** a config of the node's own (rootless: its user's, 0600), which no pod may name */
  nodeConf: string;
}

interface Tunnel {
  dir: string;
  /** the daemon's log, where the hook notes its steps' times */
  log: string;
  containers: string[];
  daemonPid: number | null;
  daemon: string;
  netns: string | null;
  config: string | null;
  /** the tunnel's own public key, as its daemon runs it */
  publicKey: string | null;
}

/** The owner's tunnels (`wireguard4netns status --json`, as the owner) that serve a container of this cluster's CRI-O in the namespace ns (root's may include another run's). */
async function tunnels(ctx: Ctx, ns: string): Promise<Tunnel[]> {
  const ps = await ctx.cluster.crio.crictl(['ps', '-a', '-q', '--no-trunc', '--label', `io.kubernetes.pod.namespace=${ns}`]);
  const ours = new Set(ps.stdout.split('\n').filter(Boolean));
  const status = [process.execPath, BUNDLE, 'status', '--json'];
  const r = ctx.user ? await asTestUser(ctx.user, status) : await execa(status[0], status.slice(1), { reject: false });
  if (r.exitCode !== 0 && /no tunnel/.test(r.stderr)) return [];
  if (r.exitCode !== 0) throw new Error(`wireguard4netns status failed (exit ${r.exitCode}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as Tunnel[]).filter((t) => t.containers.some((c) => ours.has(c)));
}

interface Client {
  privateKey: string;
  publicKey: string;
  /** its tunnel addresses are .host and ::host */
  host: number;
}

/** New client keys, one per host, that the peer lets in (a host given twice: the last key has it). */
async function newClients(ctx: Ctx, hosts: number[]): Promise<Client[]> {
  const clients = hosts.map((host) => {
    const key = generatePrivateKey();
    return { privateKey: key.toString('base64'), publicKey: publicKeyOf(key).toString('base64'), host };
  });
  await ctx.peer.allow(clients);
  return clients;
}

/**
 * A manifest of the docs (docs/kubernetes/FILE) with its placeholders
 * (REPLACE_WITH_NAME) filled in, and nothing else changed: every one
 * present is given, and the peer's are the test peer's.
 */
function fromDocs(ctx: Ctx, file: string, fill: Record<string, string>, text?: string): string {
  let yaml = text ?? readFileSync(join(DOCS, file), 'utf8');
  assert.match(yaml, `image: ${DOCS_IMAGE}\n`, `${file}: the image the test imports under its name`);
  assert.match(yaml, `AllowedIPs = ${NETS.v4}.0/24, ${NETS.v6}:/64\n`, `${file}: the networks behind the peer`);
  const all = { PEER_PUBLIC_KEY: ctx.peer.publicKey, PEER_ENDPOINT: ctx.peer.endpoint, ...fill };
  for (const [name, value] of Object.entries(all)) yaml = yaml.replaceAll(` = REPLACE_WITH_${name}\n`, ` = ${value}\n`);
  assert.not.match(yaml, / = REPLACE_WITH_/, `${file}: a placeholder not filled in`);
  return yaml;
}

/**
 * docs/kubernetes/statefulset.yaml for one pod per client: replicas, and
 * its Secret's configs made as the docs' two are (edge-0.conf, edge-1.conf:
 * asserted), the one of pod edge-I with the key and addresses of clients[I].
 */
function statefulSet(ctx: Ctx, clients: Client[]): string {
  const file = 'statefulset.yaml';
  const yaml = readFileSync(join(DOCS, file), 'utf8');
  const [first, second, end] = ['  edge-0.conf: |\n', '  edge-1.conf: |\n', '---\n'].map((m) => yaml.indexOf(m));
  assert.ok(first > 0 && second > first && end > second, `${file}: the Secret's edge-0.conf and edge-1.conf, then the StatefulSet`);
  const conf = (ordinal: number, host: number) =>
    yaml
      .slice(first, second)
      .replace('edge-0.conf', `edge-${ordinal}.conf`)
      .replace(' = REPLACE_WITH_PRIVATE_KEY_0\n', ` = REPLACE_WITH_PRIVATE_KEY_${ordinal}\n`)
      .replace(`Address = ${NETS.v4}.10/32, ${NETS.v6}:10/128\n`, `Address = ${NETS.v4}.${host}/32, ${NETS.v6}:${host}/128\n`);
  assert.is(yaml.slice(first, end), conf(0, 10) + conf(1, 11), `${file}: the configs of the pods differ in the key and the addresses only`);
  assert.match(yaml, '\n  replicas: 2\n', `${file}: two replicas`);
  const scaled = `${yaml.slice(0, first)}${clients.map((c, i) => conf(i, c.host)).join('')}${yaml.slice(end)}`.replace(
    '\n  replicas: 2\n',
    `\n  replicas: ${clients.length}\n`,
  );
  return fromDocs(ctx, file, Object.fromEntries(clients.map((c, i) => [`PRIVATE_KEY_${i}`, c.privateKey])), scaled);
}

/** docs/kubernetes/pod.yaml (and deployment.yaml) for this private key: the pod's addresses are .2 and ::2. */
function manifest(ctx: Ctx, privateKey: string, file = 'pod.yaml', fill: Record<string, string> = {}): string {
  const yaml = fromDocs(ctx, file, { PRIVATE_KEY: privateKey, ...fill });
  assert.match(yaml, `Address = ${NETS.v4}.2/32, ${NETS.v6}:2/128\n`, `${file}: the addresses the peer has for this key`);
  return yaml;
}

async function kubectl(ctx: Ctx, args: string[], input?: string, timeout?: number): Promise<string> {
  const r = await ctx.cluster.kubectl(args, { input, timeout });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function until(what: string, ok: () => Promise<boolean>, ms: number, detail: () => Promise<string> | string): Promise<void> {
  if (!(await eventually(ok, ms, 500))) throw new Error(`${what}: not within ${ms / 1000} s\n${await detail()}`);
}

/** What tells why pods of the namespace are not as expected: their description, the kubelet's and controller manager's logs. */
async function describe(ctx: Ctx, ns: string): Promise<string> {
  const r = await ctx.cluster.kubectl(['describe', 'pods', '-n', ns]);
  const tail = (c: 'kubelet' | 'kube-controller-manager') => `\n${c}:\n${ctx.cluster.log(c).slice(-3000)}`;
  return `${r.stdout.slice(-8000)}${r.stderr}${tail('kube-controller-manager')}${tail('kubelet')}`;
}

/** Binds the namespace's pods as the scheduler would, until n of them are Ready and no other is left; their names, sorted. */
async function readyPods(ctx: Ctx, ns: string, n: number, ms = 120_000): Promise<string[]> {
  let pods: string[][] = [];
  await until(
    `${n} pods Ready in namespace ${ns}, and no other`,
    async () => {
      await ctx.cluster.bindPending();
      const r = await kubectl(ctx, [
        'get',
        'pods',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      pods = r
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '));
      return pods.length === n && pods.every(([, ready]) => ready === 'True');
    },
    ms,
    () => describe(ctx, ns),
  );
  return pods.map(([name]) => name).sort();
}

/** Waits until the namespace has no pod at all (deleted, not only terminating). */
async function noPods(ctx: Ctx, ns: string): Promise<void> {
  await until(
    `no pod left in namespace ${ns}`,
    async () => (await kubectl(ctx, ['get', 'pods', '-n', ns, '-o', 'name'])) === '',
    150_000,
    () => describe(ctx, ns),
  );
}

/**
 * Waits until these tunnels' daemons and folders are gone, then asserts that status lists no tunnel of the namespace's pods.
 * A daemon that the kubelet killed with its pod's cgroup leaves its folder until the kubelet deletes the pod's containers
 * (at the latest in its garbage collection, once a minute) and the poststop hook sweeps it (docs/kubernetes.md, "When a pod ends").
 */
async function gone(ctx: Ctx, ns: string, old: Tunnel[]): Promise<void> {
  const left = async () => {
    const running = await daemons(ctx.owner);
    return old.filter((t) => existsSync(t.dir) || running.some((l) => l.startsWith(`${t.daemonPid} `)));
  };
  await until(
    'no daemon and no folder of the tunnels',
    async () => (await left()).length === 0,
    90_000,
    async () => {
      const logs = (await left()).map((t) => {
        try {
          return `\n${t.log}:\n${readFileSync(t.log, 'utf8').slice(-3000)}`;
        } catch (err) {
          return `\n${t.log}: ${(err as Error).message}`;
        }
      });
      return `left: ${(await left()).map((t) => `${t.dir} (daemon ${t.daemonPid})`).join(', ')}; the owner's daemons:\n${(await daemons(ctx.owner)).join('\n')}${logs.join('')}`;
    },
  );
  assert.equal(await tunnels(ctx, ns), [], `status lists no tunnel of namespace ${ns}`);
}

/** kubectl exec in the pod fetches both backend pages through wg0, which has the addresses .host and ::host. */
async function assertReaches(ctx: Ctx, ns: string, pod: string, host = 2): Promise<void> {
  const r = await ctx.cluster.kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', ctx.peer.fetchBoth], { timeout: 60_000 });
  assertFetchedBoth(r, `kubectl exec in ${ns}/${pod}`, NETS, host);
}

function clusterSuite(mode: Mode): void {
  const test = suite<Ctx>(`a one-node Kubernetes cluster with the hook (${mode})`);

  setup(test, async (ctx) => {
    ctx.undo = [];
    await buildCrio();
    await buildKubernetes();
    await kubernetesCleanSlate();
    const hooks = mkdtempSync('/tmp/w4nk-hooks-');
    ctx.undo.push(() => rmSync(hooks, { recursive: true, force: true }));
    ctx.undo.push(() => rmSync(`${hooks}.netavark`, { recursive: true, force: true }));
    // As docs/kubernetes.md says, for CRI-O: rootless, as the node's user.
    const install = [process.execPath, BUNDLE, 'install', '--pods', '--hooks-dir', hooks, '--plugin-dir', `${hooks}.netavark`];
    if (mode === 'rootless') {
      // With /run/user/UID, as logind makes it: rootlesskit's copied-up /run links the node's.
      const user = await addTestUser(USER, ctx.undo);
      ctx.user = user;
      ctx.owner = { uid: user.uid, base: `/run/user/${user.uid}/wireguard4netns` };
      chownSync(hooks, user.uid, user.gid);
      const dir = join(user.home, 'wg');
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, user.uid, user.gid);
      ctx.nodeConf = join(dir, 'node.conf');
    } else {
      ctx.owner = ROOT_USER;
      ctx.nodeConf = '/etc/wireguard4netns/w4nk-node.conf';
    }
    const r = ctx.user ? await asTestUser(ctx.user, install) : await execa(install[0], install.slice(1), { reject: false });
    if (r.exitCode !== 0) throw new Error(`install failed: ${r.stderr}`);
    ctx.peer = await startPeer(`w4nkpeer${mode === 'rootful' ? '' : 'rl'}`, mode === 'rootful' ? 50 : 51, NETS);
    ctx.undo.push(() => ctx.peer.down());
    // The node's own config, valid, which the policy keeps from pods.
    if (!existsSync(dirname(ctx.nodeConf))) {
      mkdirSync(dirname(ctx.nodeConf), { mode: 0o755 });
      ctx.undo.push(() => readdirSync(dirname(ctx.nodeConf)).length === 0 && rmSync(dirname(ctx.nodeConf), { recursive: true }));
    }
    writeFileSync(ctx.nodeConf, ctx.peer.config(), { mode: 0o600 });
    ctx.undo.push(() => rmSync(ctx.nodeConf, { force: true }));
    if (ctx.user) chownSync(ctx.nodeConf, ctx.user.uid, ctx.user.gid);
    ctx.cluster = await startCluster({ hooksDir: hooks, imageNames: [DOCS_IMAGE], user: ctx.user });
    ctx.undo.push(() => ctx.cluster.stop());
  });

  // uvu drops what an after hook throws: undoAll says it too.
  test.after((ctx) => undoAll(ctx.undo ?? [], `Kubernetes suite cleanup (${mode})`, true));

  test(`should run the docs' manifest with kubectl apply: wg0 from the pod's Secret, both backends reached with kubectl exec, nothing left after kubectl delete pod (${mode})`, async (ctx) => {
    const ns = 'default';
    await kubectl(ctx, ['apply', '-f', '-'], manifest(ctx, ctx.peer.clientPrivateKey));
    await readyPods(ctx, ns, 1);
    await assertReaches(ctx, ns, POD);

    const containerId = (await kubectl(ctx, ['get', 'pod', POD, '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])).replace(
      /^cri-o:\/\//,
      '',
    );
    const [mine, ...others] = await tunnels(ctx, ns);
    assert.ok(mine, `no tunnel in the cluster's pods\n${await describe(ctx, ns)}`);
    assert.equal(others, [], 'one tunnel');
    assert.equal(mine.containers, [containerId], "the tunnel serves the pod's container");
    assert.is(mine.config, POD_CONF);
    assert.is(mine.daemon, 'running');
    assert.ok(mine.dir.startsWith(`${ctx.owner.base}/`), `the tunnel is its owner's (${ctx.owner.uid}): ${mine.dir}`);

    await kubectl(ctx, ['delete', 'pod', POD, '--timeout=120s'], undefined, 150_000);
    await gone(ctx, ns, [mine]);
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

  test(`should remove the folder of a daemon killed before its pod ended, once the kubelet deletes the pod's container (the poststop hook) (${mode})`, async (ctx) => {
    const ns = 'w4nk-killed';
    await kubectl(ctx, ['create', 'namespace', ns]);
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], manifest(ctx, ctx.peer.clientPrivateKey));
    await readyPods(ctx, ns, 1);
    const [t] = await tunnels(ctx, ns);
    assert.ok(t?.daemonPid, `a daemon serves the pod\n${await describe(ctx, ns)}`);
    // What the kubelet does to what is left in a stopped pod's cgroup when it comes before the daemon's own end.
    process.kill(t.daemonPid, 'SIGKILL');
    await until(
      'the daemon gone',
      async () => !(await daemons(ctx.owner)).some((l) => l.startsWith(`${t.daemonPid} `)),
      5_000,
      () => '',
    );
    assert.ok(existsSync(t.dir), 'the killed daemon left its folder');
    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=150s'], undefined, 180_000);
    // No tunnel starts meanwhile whose sweep would take it: only the poststop hook can.
    const deleted = Date.now();
    await gone(ctx, ns, [t]);
    console.log(`  note: the killed daemon's folder went ${((Date.now() - deleted) / 1000).toFixed(0)} s after its namespace was deleted`);
  });

  test(`should bring up a rotated key (kubectl apply of the Secret) in the next pod, and in the restarted container of a running one, leaving nothing of the old tunnel (${mode})`, async (ctx) => {
    const ns = 'w4nk-rotate';
    await kubectl(ctx, ['create', 'namespace', ns]);
    const [first, second, third] = await newClients(ctx, [2, 2, 2]);
    // The peer has .2 for the last key it let in: each step lets in the key it rotates to.
    await ctx.peer.allow([first]);
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], manifest(ctx, first.privateKey));
    await readyPods(ctx, ns, 1);
    const [old] = await tunnels(ctx, ns);
    assert.is(old?.publicKey, first.publicKey, 'the first key runs');

    // A new pod: the Secret rotated, the pod deleted and applied again (what a Deployment's rollout does).
    await ctx.peer.allow([second]);
    const applied = await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], manifest(ctx, second.privateKey));
    assert.match(applied, 'secret/edge-wg configured', applied);
    assert.match(applied, `pod/${POD} unchanged`, applied);
    await kubectl(ctx, ['delete', 'pod', '-n', ns, POD, '--timeout=120s'], undefined, 150_000);
    await gone(ctx, ns, [old]);
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], manifest(ctx, second.privateKey));
    await readyPods(ctx, ns, 1);
    const [renewed, ...others] = await tunnels(ctx, ns);
    assert.equal(others, [], 'one tunnel');
    assert.is(renewed?.publicKey, second.publicKey, 'the rotated key runs in the new pod');
    await assertReaches(ctx, ns, POD);
    assert.ok((await ctx.peer.handshakes()).includes(second.publicKey), 'the peer saw a handshake from the rotated key');

    // The same pod: the kubelet rewrites its Secret volume; the container, stopped, is restarted by the
    // kubelet and its hook reads the new file (the tunnel ended with the pod's last container).
    await ctx.peer.allow([third]);
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], manifest(ctx, third.privateKey));
    await until(
      'the kubelet rewrote the Secret volume',
      async () => (await kubectl(ctx, ['exec', '-n', ns, POD, '--', 'cat', '/etc/wireguard4netns/edge.conf'])).includes(third.privateKey),
      120_000,
      () => describe(ctx, ns),
    );
    const restarts = () => kubectl(ctx, ['get', 'pod', '-n', ns, POD, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']);
    assert.is(await restarts(), '0');
    const stop = await ctx.cluster.crio.crictl(['stop', '--timeout', '1', renewed.containers[0]]);
    assert.is(stop.exitCode, 0, `crictl stop: ${stop.stderr}`);
    await gone(ctx, ns, [renewed]);
    await until(
      'the kubelet restarted the container',
      async () => (await restarts()) === '1',
      120_000,
      () => describe(ctx, ns),
    );
    await readyPods(ctx, ns, 1);
    const [restarted] = await tunnels(ctx, ns);
    assert.is(restarted?.publicKey, third.publicKey, 'the key of the rewritten Secret runs in the restarted container');
    await assertReaches(ctx, ns, POD);

    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=150s'], undefined, 180_000);
    await gone(ctx, ns, [restarted]);
  });

  test(`should show the hook's one line in kubectl describe pod for a Secret with a bad config, and make nothing (${mode})`, async (ctx) => {
    const ns = 'w4nk-bad';
    await kubectl(ctx, ['create', 'namespace', ns]);
    // The same manifest in a namespace of its own, its peer's key not a key.
    const yaml = manifest(ctx, ctx.peer.clientPrivateKey, 'pod.yaml', { PEER_PUBLIC_KEY: 'not-a-key' });
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
    assert.equal(await tunnels(ctx, ns), [], 'no tunnel');
    assert.equal(await daemons(ctx.owner).then((d) => d.filter((l) => l.includes(ctx.cluster.crio.lab))), [], 'no daemon');
    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=150s'], undefined, 180_000);
  });

  test(`should refuse a pod naming a file of the node, existing or not, in kubectl describe pod, in the same words, and make nothing (${mode})`, async (ctx) => {
    const ns = 'w4nk-nodefile';
    await kubectl(ctx, ['create', 'namespace', ns]);
    // The docs' pod, its annotation naming the node's own config (a pod author must not get its key, nor learn that it exists), then a file that does not exist.
    for (const path of [ctx.nodeConf, `${ctx.nodeConf}.missing`]) {
      const yaml = manifest(ctx, ctx.peer.clientPrivateKey).replace(
        `wireguard4netns.conf: ${POD_CONF}\n`,
        `wireguard4netns.conf: ${path}\n`,
      );
      assert.match(yaml, `wireguard4netns.conf: ${path}\n`, 'the annotation names the node file');
      await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], yaml);
      await ctx.cluster.bind(POD, ns);
      const line = `wireguard4netns: ${path}: this hook serves pods (installed with --pods), which may name only container:PATH, a file of the pod's own such as a Secret volume; not a file of the node`;
      let described = '';
      await until(
        "the hook's refusal in kubectl describe pod",
        async () => {
          described = (await ctx.cluster.kubectl(['describe', 'pod', '-n', ns, POD])).stdout;
          return described.includes(line);
        },
        120_000,
        () => `${described}\nkubelet:\n${ctx.cluster.log('kubelet').slice(-3000)}`,
      );
      assert.not.match(described, /no such file|owned by|[A-Za-z0-9+/]{43}=/, `${path}: says nothing of the file`);
      assert.equal(await tunnels(ctx, ns), [], 'no tunnel');
      await kubectl(ctx, ['delete', 'pod', '-n', ns, POD, '--timeout=120s'], undefined, 150_000);
    }
    assert.equal(await daemons(ctx.owner).then((d) => d.filter((l) => l.includes(ctx.cluster.crio.lab))), [], 'no daemon');
    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=150s'], undefined, 180_000);
  });

  test(`should scale the docs' Deployment to 0, leaving nothing, and back to 1, the tunnel up again (${mode})`, async (ctx) => {
    const ns = 'w4nk-deploy';
    await kubectl(ctx, ['create', 'namespace', ns]);
    const [client] = await newClients(ctx, [2]);
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], manifest(ctx, client.privateKey, 'deployment.yaml'));
    const [pod] = await readyPods(ctx, ns, 1);
    await assertReaches(ctx, ns, pod);
    const [first, ...others] = await tunnels(ctx, ns);
    assert.equal(others, [], 'one tunnel');
    assert.is(first?.publicKey, client.publicKey);

    await kubectl(ctx, ['scale', '-n', ns, 'deployment/edge-client', '--replicas=0']);
    await noPods(ctx, ns);
    await gone(ctx, ns, [first]);

    await kubectl(ctx, ['scale', '-n', ns, 'deployment/edge-client', '--replicas=1']);
    const [again] = await readyPods(ctx, ns, 1);
    assert.is.not(again, pod, 'a new pod');
    await assertReaches(ctx, ns, again);
    const [second, ...more] = await tunnels(ctx, ns);
    assert.equal(more, [], 'one tunnel');
    assert.is(second?.publicKey, client.publicKey);
    assert.is.not(second.daemonPid, first.daemonPid, 'a new daemon');

    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=150s'], undefined, 180_000);
    await gone(ctx, ns, [second]);
  });

  test(`should give the docs' StatefulSet's two pods a tunnel each, with the identity of each one's own config (${mode})`, async (ctx) => {
    const ns = 'w4nk-set';
    await kubectl(ctx, ['create', 'namespace', ns]);
    const clients = await newClients(ctx, [10, 11]);
    const yaml = fromDocs(ctx, 'statefulset.yaml', { PRIVATE_KEY_0: clients[0].privateKey, PRIVATE_KEY_1: clients[1].privateKey });
    assert.is(statefulSet(ctx, clients), yaml, 'the docs as they are, for two pods');
    for (const c of clients)
      assert.match(yaml, `PrivateKey = ${c.privateKey}\n    Address = ${NETS.v4}.${c.host}/32, ${NETS.v6}:${c.host}/128\n`);
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], yaml);
    const pods = await readyPods(ctx, ns, 2);
    assert.equal(pods, ['edge-0', 'edge-1']);
    for (const [i, pod] of pods.entries()) await assertReaches(ctx, ns, pod, clients[i].host);

    const running = await tunnels(ctx, ns);
    assert.is(running.length, 2, 'two tunnels');
    assert.equal(running.map((t) => t.publicKey).sort(), clients.map((c) => c.publicKey).sort(), 'two identities, one per pod');
    for (const t of running) assert.is(t.config, 'container:/etc/wireguard4netns/wg.conf');
    const seen = await ctx.peer.handshakes();
    for (const c of clients) assert.ok(seen.includes(c.publicKey), `the peer saw a handshake from ${c.publicKey}`);

    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=150s'], undefined, 180_000);
    await gone(ctx, ns, running);
  });

  test(`should start 110 pods (the kubelet's max-pods), each with a tunnel of its own, with one kubectl apply of the docs' StatefulSet (${mode})`, async (ctx) => {
    const ns = 'w4nk-scale';
    // Run with the kernel's default of 128 inotify instances a user: each daemon held one once, and a
    // 110th tunnel failed ("failed to listen on UAPI socket: too many open files"; docs/kubernetes.md).
    await kubectl(ctx, ['create', 'namespace', ns]);
    const clients = await newClients(
      ctx,
      Array.from({ length: SCALE }, (_, i) => 10 + i),
    );
    const yaml = statefulSet(ctx, clients);
    const applied = Date.now();
    await kubectl(ctx, ['apply', '-n', ns, '-f', '-'], yaml);
    const pods = await readyPods(ctx, ns, SCALE, 900_000);
    const allReady = (Date.now() - applied) / 1000;

    // When each pod's container started (the kubelet's seconds), from the apply and from the pod's creation.
    interface PodJson {
      metadata: { name: string; creationTimestamp: string };
      status: { containerStatuses: { state: { running?: { startedAt: string } } }[] };
    }
    const items = (JSON.parse(await kubectl(ctx, ['get', 'pods', '-n', ns, '-o', 'json'])) as { items: PodJson[] }).items;
    const starts = items
      .map((p) => {
        const started = Date.parse(p.status.containerStatuses[0].state.running?.startedAt ?? '');
        return { name: p.metadata.name, started, took: (started - Date.parse(p.metadata.creationTimestamp)) / 1000 };
      })
      .sort((a, b) => a.started - b.started);
    assert.ok(
      starts.every((s) => Number.isFinite(s.started)),
      'every container running',
    );
    const [first, last] = [starts[0], starts[starts.length - 1]];
    const since = (s: { started: number }) => Math.max(0, (s.started - applied) / 1000).toFixed(0);

    const running = await tunnels(ctx, ns);
    assert.is(running.length, SCALE, 'a tunnel per pod');
    assert.equal(running.map((t) => t.publicKey).sort(), clients.map((c) => c.publicKey).sort(), 'the identity of each pod its own');
    const inotify = running.filter((t) =>
      readdirSync(`/proc/${t.daemonPid}/fd`).some((fd) => readlinkSync(`/proc/${t.daemonPid}/fd/${fd}`) === 'anon_inode:inotify'),
    );
    assert.equal(inotify, [], 'no daemon holds an inotify instance');
    const pss = running.map((t) => Number(/^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${t.daemonPid}/smaps_rollup`, 'utf8'))?.[1]));
    assert.ok(
      pss.every((kb) => kb > 0),
      `the PSS of every daemon: ${pss.join(' ')}`,
    );
    const totalMiB = pss.reduce((a, b) => a + b, 0) / 1024;
    // The hook's own start of each tunnel, from its log line "wg0 up for container ... (resolve N ms, daemon N ms, ...)".
    const hook = running
      .map((t) => {
        const line = readFileSync(t.log, 'utf8')
          .split('\n')
          .find((l) => / wg0 up for container /.test(l));
        const steps = /\(resolve (\d+) ms, daemon (\d+) ms[,)]/.exec(line ?? '');
        return { at: line?.slice(0, 24) ?? '', ms: steps ? Number(steps[1]) + Number(steps[2]) : Number.NaN };
      })
      .sort((a, b) => a.at.localeCompare(b.at));
    assert.ok(
      hook.every((h) => Number.isFinite(h.ms)),
      "every tunnel's log has the hook's step times",
    );
    const median = [...hook].sort((a, b) => a.ms - b.ms)[Math.floor(SCALE / 2)].ms;
    console.log(
      `  note: ${SCALE} pods with one kubectl apply: all Running after ${allReady.toFixed(0)} s; the 1st started after ${since(first)} s (${first.took} s from its creation), the ${SCALE}th after ${since(last)} s (${last.took} s from its creation); the hook's tunnel start (resolve + daemon) ${hook[0].ms} ms for the 1st tunnel, ${hook[SCALE - 1].ms} ms for the ${SCALE}th, median ${median} ms; the daemons' PSS ${totalMiB.toFixed(1)} MiB in all, ${((totalMiB * 1024) / SCALE).toFixed(0)} KiB each`,
    );

    for (let i = 0; i < pods.length; i += 10) {
      await Promise.all(pods.slice(i, i + 10).map((pod) => assertReaches(ctx, ns, pod, clients[Number(pod.replace('edge-', ''))].host)));
    }
    const seen = new Set(await ctx.peer.handshakes());
    assert.equal(
      clients.filter((c) => !seen.has(c.publicKey)).map((c) => c.host),
      [],
      'the peer saw a handshake from every pod (their hosts)',
    );

    await kubectl(ctx, ['delete', 'namespace', ns, '--timeout=300s'], undefined, 330_000);
    await noPods(ctx, ns);
    const deleted = Date.now();
    const alive = (await daemons(ctx.owner)).map((l) => Number(l.split(' ')[0]));
    const killed = running.filter((t) => existsSync(t.dir) && !alive.includes(Number(t.daemonPid)));
    await gone(ctx, ns, running);
    console.log(
      `  note: once the pods were deleted, ${killed.length} of ${SCALE} daemons had been killed with their pods' cgroups, their folders swept after ${((Date.now() - deleted) / 1000).toFixed(0)} s`,
    );
  });

  test(`should leave nothing of the cluster once stopped: no folder (its own or the kubelet's on the host), mount, interface, log link or changed kernel setting (${mode})`, async (ctx) => {
    const labs = [ctx.cluster.lab, ctx.cluster.crio.lab];
    const sysctls = JSON.parse(readFileSync(join(ctx.cluster.lab, 'sysctls'), 'utf8')) as Record<string, string>;
    const made = readFileSync(join(ctx.cluster.lab, 'host-dirs-made'), 'utf8').split('\n').filter(Boolean);
    await ctx.cluster.stop();
    for (const lab of labs) assert.not.ok(existsSync(lab), `${lab} left`);
    assert.equal(
      made.filter((d) => existsSync(d)),
      [],
      "the kubelet's folders on the host that were not there before (/var/log/containers, /var/lib/kubelet)",
    );
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
}

clusterSuite('rootful');
clusterSuite('rootless');
