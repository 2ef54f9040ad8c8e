// A one-node Kubernetes cluster for tests: kine (etcd's API on SQLite),
// kube-apiserver on loopback, CRI-O (startCrio, with the hooks dir given)
// and a kubelet that uses it, on an address of an interface of the test's
// own (the kubelet refuses a loopback node IP). The node is rootful, or
// rootless (a user given: CRI-O in rootlesskit, the kubelet beside it in
// the user namespace, as docs/kubernetes.md shows).
// test/env/kubernetes.sh builds the binaries. No scheduler (the test binds
// pods, as the scheduler does: bind, bindPending); a controller manager
// with the Deployment, ReplicaSet, StatefulSet, garbage collector and
// namespace controllers only (ServiceAccount admission off: no token volume); no pod
// network beyond loopback.
// Everything lives in a folder of its own under /srv/w4nk (certificates,
// kubeconfigs, kine's database, the kubelet's root, pod logs, the
// processes' logs). Each step registers its undo; stop() runs them all,
// last first, even after a failed start, and undoes what the kubelet does
// outside its folder: the kernel settings it changes, its links in
// /var/log/containers, the folders it makes on the host (HOST_DIRS), the
// tmpfs mounts of Secret volumes.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Crio, crioCleanSlate, startCrio, type TestUser, unmountUnder } from './crio.js';
import { ROOT } from './env.js';
import { sleep } from './poll.js';
import { undoAll } from './suite.js';

const TEST_DIR = process.env.WG4NS_TEST_DIR ?? '/var/lib/wireguard4netns-test';
const BIN = join(TEST_DIR, 'kubernetes/bin');
export const KUBERNETES_SH = join(ROOT, 'test/env/kubernetes.sh');
/** Short paths, on the root file system, as crio.ts's labs (see LABS there). */
const LABS = '/srv/w4nk';
const PREFIX = 'w4nk-';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The node's interface (one end of a veth pair, both in the host network namespace: no dummy module here), and its address: of this machine's test range, 198.18.0.0/15, above the peers' /30s. */
const NODE_LINK = 'w4nk0';
export const NODE_IP = '198.19.253.1';
const SERVICE_RANGE = '198.19.254.0/24';
export const NODE_NAME = 'w4nk-node';
/** The kernel settings the kubelet sets at start (protectKernelDefaults: false): put back at stop. */
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];
/** Where the kubelet links every container's log, whatever its config says. */
const CONTAINER_LOGS = '/var/log/containers';
/** Where a (rootful) kubelet keeps its device plugins' socket and checkpoint on the host, whatever its root folder. */
const DEVICE_PLUGINS_HOME = '/var/lib/kubelet';
/** Folders a kubelet makes on the host: removed at stop if the lab made them (the logs' only once empty). */
const HOST_DIRS = [CONTAINER_LOGS, DEVICE_PLUGINS_HOME];

type Undo = () => unknown;
type Component = 'kine' | 'kube-apiserver' | 'kube-controller-manager' | 'kubelet';
const COMPONENTS: Component[] = ['kine', 'kube-apiserver', 'kube-controller-manager', 'kubelet'];
type Result = Awaited<ReturnType<typeof run>>;

export interface Cluster {
  lab: string;
  crio: Crio;
  /** kubectl as the cluster's admin (system:masters); input is its stdin */
  kubectl(args: string[], o?: { input?: string; timeout?: number }): Promise<Result>;
  /** What the scheduler would do: binds a pending pod to the node. */
  bind(pod: string, namespace?: string): Promise<void>;
  /** What the scheduler would do for every pod not bound yet (a controller's): binds them to the node, in one kubectl call. */
  bindPending(): Promise<void>;
  /** a component's log so far */
  log(component: Component): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], o: { input?: string; timeout?: number; env?: Record<string, string> } = {}) {
  return execa(cmd, args, {
    cwd: '/',
    env: { PATH, HOME: '/root', ...o.env },
    extendEnv: false,
    reject: false,
    timeout: o.timeout ?? 60_000,
    input: o.input,
  });
}

async function must(what: string, r: Promise<Result>): Promise<string> {
  const done = await r;
  if (done.exitCode !== 0)
    throw new Error(`${what} failed (${done.timedOut ? 'timed out' : `exit ${done.exitCode}`}): ${done.stderr || done.stdout}`);
  return done.stdout.trim();
}

let built: Promise<void> | undefined;

/** Builds (or finds up to date) the cluster's binaries (COMPONENTS and kubectl), once per test process. */
export function buildKubernetes(): Promise<void> {
  built ??= (async () => {
    const r = await execa('bash', [KUBERNETES_SH], { reject: false, all: true, env: { PATH: `/usr/local/go/bin:${PATH}` } });
    if (r.exitCode !== 0) throw new Error(`test/env/kubernetes.sh failed:\n${r.all}`);
    process.stdout.write(`${r.all}\n`);
  })();
  return built;
}

export interface ClusterOptions {
  hooksDir: string;
  /** more names for the test image in CRI-O's storage (those the manifests name), so that no pull happens */
  imageNames?: string[];
  /**
   * A rootless node, usernetes style: CRI-O inside rootlesskit as this
   * user (its network the host's, /var/log copied up), and the kubelet as
   * root of that user namespace, in its mount namespace, with the feature
   * gate KubeletInUserNamespace; pods go below the cgroup delegated to the
   * user. The control plane stays root's, on loopback.
   */
  user?: TestUser;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const undo: Undo[] = [];
  try {
    return await start(opts, undo);
  } catch (err) {
    await undoAll(undo, 'cluster cleanup');
    throw err;
  }
}

/** A free TCP port on loopback (for a moment: the component binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The CA and the certificates of the cluster, with openssl (ECDSA P-256, valid 2 days). */
async function makeCertificates(pki: string): Promise<void> {
  const script = `set -eu
cd "$1"
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"; }
leaf() {
  key "$1"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%b\\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm "$1.csr" "$1.ext"
}
key ca
openssl req -x509 -new -key ca.key -subj /CN=w4nk-ca -days 2 -out ca.crt
leaf apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:$2\\nextendedKeyUsage=serverAuth"
leaf admin "/O=system:masters/CN=w4nk-admin" "extendedKeyUsage=clientAuth"
leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
leaf kubelet-client "/O=system:nodes/CN=system:node:$3" "extendedKeyUsage=clientAuth"
leaf kubelet-serving "/CN=$3" "subjectAltName=IP:$4\\nextendedKeyUsage=serverAuth"
key sa
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
`;
  const serviceIp = SERVICE_RANGE.replace(/0\/24$/, '1');
  await must('openssl', run('sh', ['-c', script, 'sh', pki, serviceIp, NODE_NAME, NODE_IP], { env: { HOME: pki } }));
}

function kubeconfig(server: string, pki: string, user: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'w4nk', cluster: { server, 'certificate-authority': join(pki, 'ca.crt') } }],
    users: [{ name: user, user: { 'client-certificate': join(pki, `${user}.crt`), 'client-key': join(pki, `${user}.key`) } }],
    contexts: [{ name: 'w4nk', context: { cluster: 'w4nk', user } }],
    'current-context': 'w4nk',
  });
}

/**
 * Starts a component with its output in LAB/NAME.log; the undo stops it by
 * pid, TERM then KILL. inside: as the user, in the user and mount
 * namespaces of the process nsPid (rootlesskit's, where a rootless CRI-O
 * runs), as root of that user namespace; the pid is then the component's,
 * below runuser.
 */
function spawnLogged(lab: string, name: string, args: string[], undo: Undo[], inside?: { user: TestUser; nsPid: number }): ChildProcess {
  const fd = openSync(join(lab, `${name}.log`), 'a');
  let proc: ChildProcess;
  try {
    const [cmd, argv] = inside
      ? [
          'runuser',
          [
            '-u',
            inside.user.name,
            '--',
            'env',
            '-i',
            `PATH=${PATH}`,
            `HOME=${lab}`,
            `USER=${inside.user.name}`,
            'nsenter',
            '-t',
            String(inside.nsPid),
            '-U',
            '-m',
            '--preserve-credentials',
            '--',
            join(BIN, name),
            ...args,
          ],
        ]
      : [join(BIN, name), args]; // prettier-ignore
    proc = spawn(cmd, argv, { cwd: lab, env: { PATH, HOME: lab }, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  undo.push(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    // runuser would pass TERM on, but KILL its child 2 s later: the component itself is signalled.
    const target = inside ? Number((await run('pgrep', ['-P', String(proc.pid)])).stdout.trim()) || proc.pid! : proc.pid!;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(target, s);
      } catch {}
    };
    signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([exited.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 20_000)))]);
    clearTimeout(timer);
    if (stopped) return;
    signal('SIGKILL');
    proc.kill('SIGKILL');
    await exited;
    throw new Error(`${name} did not stop within 20 s of SIGTERM`);
  });
  return proc;
}

async function waitFor(
  what: string,
  proc: ChildProcess | undefined,
  log: () => string,
  ok: () => Promise<boolean>,
  ms = 120_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc && (proc.exitCode !== null || proc.signalCode !== null))
      throw new Error(`${what}: it exited; its log ends:\n${log().slice(-3000)}`);
    if (await ok()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s; the log ends:\n${log().slice(-3000)}`);
    await sleep(500);
  }
}

/** Puts back the kernel settings saved in LAB/sysctls. */
function restoreSysctls(lab: string): void {
  let saved: Record<string, string>;
  try {
    saved = JSON.parse(readFileSync(join(lab, 'sysctls'), 'utf8'));
  } catch {
    return;
  }
  for (const [key, value] of Object.entries(saved)) {
    if (readFileSync(join('/proc/sys', key), 'utf8').trim() !== value) writeFileSync(join('/proc/sys', key), value);
  }
}

/** The kubelet's links to this lab's container logs, and the HOST_DIRS the lab made (LAB/host-dirs-made). */
function removeHostFiles(lab: string): void {
  for (const e of existsSync(CONTAINER_LOGS) ? readdirSync(CONTAINER_LOGS) : []) {
    const p = join(CONTAINER_LOGS, e);
    try {
      if (lstatSync(p).isSymbolicLink() && readlinkSync(p).startsWith(`${lab}/`)) rmSync(p);
    } catch {}
  }
  let made: string[] = [];
  try {
    made = readFileSync(join(lab, 'host-dirs-made'), 'utf8').split('\n');
  } catch {}
  if (made.includes(CONTAINER_LOGS) && existsSync(CONTAINER_LOGS) && readdirSync(CONTAINER_LOGS).length === 0) rmdirSync(CONTAINER_LOGS);
  if (made.includes(DEVICE_PLUGINS_HOME)) rmSync(DEVICE_PLUGINS_HOME, { recursive: true, force: true });
}

/**
 * runc, or on a host whose hugetlb controller is not mounted although
 * /sys/fs/cgroup/hugetlb exists (this one: provision.sh's mount of it was
 * undone), a wrapper that drops the hugepage limits from the container's
 * config. The kubelet sets them (0 for each page size the kernel has);
 * CRI-O passes them on when that folder exists, and runc then fails:
 * "cannot set hugetlb limit: container could not join or create cgroup".
 * crictl sets none.
 */
function runtimeFor(lab: string): string {
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === '/sys/fs/cgroup/hugetlb');
  if (mounted || !existsSync('/sys/fs/cgroup/hugetlb')) return '/usr/sbin/runc';
  const wrapper = join(lab, 'runc-no-hugetlb');
  writeFileSync(
    wrapper,
    `#!/bin/sh
# Written by test/helpers/kubernetes.ts: runc without hugepage limits (no hugetlb controller here).
prev= b=
for a in "$@"; do
  case "$prev" in --bundle|-b) b=$a ;; esac
  case "$a" in --bundle=*) b=\${a#--bundle=} ;; esac
  prev=$a
done
if [ -n "$b" ] && [ -f "$b/config.json" ]; then
  jq -c 'del(.linux.resources.hugepageLimits)' "$b/config.json" >"$b/config.json.w4nk" && mv "$b/config.json.w4nk" "$b/config.json"
fi
exec /usr/sbin/runc "$@"
`,
    { mode: 0o755 },
  );
  return wrapper;
}

async function start({ hooksDir, imageNames, user }: ClusterOptions, undo: Undo[]): Promise<Cluster> {
  for (const bin of [...COMPONENTS, 'kubectl']) {
    if (!existsSync(join(BIN, bin))) throw new Error(`${join(BIN, bin)} is missing: run "sudo test/env/kubernetes.sh" first`);
  }
  mkdirSync(LABS, { recursive: true, mode: 0o755 });
  const lab = mkdtempSync(join(LABS, PREFIX));
  undo.push(async () => {
    await unmountUnder(lab); // Secret volumes (tmpfs), the kubelet's own bind of its root
    rmSync(lab, { recursive: true, force: true });
    if (readdirSync(LABS).length === 0) rmdirSync(LABS);
  });
  const pki = join(lab, 'pki');
  for (const d of ['pki', 'kubelet', 'pod-logs', 'volume-plugins', 'kube-cache']) mkdirSync(join(lab, d), { mode: 0o700 });
  writeFileSync(join(lab, 'host-dirs-made'), HOST_DIRS.filter((d) => !existsSync(d)).join('\n'));
  undo.push(() => removeHostFiles(lab));
  const saved = Object.fromEntries(SYSCTLS.map((k) => [k, readFileSync(join('/proc/sys', k), 'utf8').trim()]));
  writeFileSync(join(lab, 'sysctls'), JSON.stringify(saved));
  undo.push(() => restoreSysctls(lab));

  // The node's address: the kubelet listens there, and the API server reaches it there (kubectl exec).
  await run('ip', ['link', 'del', NODE_LINK]); // an interrupted run's
  await must(`ip link add ${NODE_LINK}`, run('ip', ['link', 'add', NODE_LINK, 'type', 'veth', 'peer', 'name', `${NODE_LINK}p`]));
  undo.push(() => run('ip', ['link', 'del', NODE_LINK]));
  await must('ip addr add', run('ip', ['addr', 'add', `${NODE_IP}/32`, 'dev', NODE_LINK]));
  for (const link of [NODE_LINK, `${NODE_LINK}p`]) await must('ip link set up', run('ip', ['link', 'set', link, 'up']));

  await makeCertificates(pki);
  const [kinePort, apiPort, kubeletPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  writeFileSync(join(lab, 'admin.kubeconfig'), kubeconfig(server, pki, 'admin'));
  writeFileSync(join(lab, 'kubelet.kubeconfig'), kubeconfig(server, pki, 'kubelet-client'));
  const log = (component: string) => {
    try {
      return readFileSync(join(lab, `${component}.log`), 'utf8');
    } catch {
      return '';
    }
  };
  const kubectl = (args: string[], o: { input?: string; timeout?: number } = {}) =>
    run(join(BIN, 'kubectl'), ['--kubeconfig', join(lab, 'admin.kubeconfig'), '--cache-dir', join(lab, 'kube-cache'), ...args], {
      ...o,
      env: { HOME: lab },
    });

  const kine = spawnLogged(
    lab,
    'kine',
    [
      '--endpoint',
      `sqlite://${lab}/kine.db?_journal=WAL&cache=shared`,
      '--listen-address',
      `127.0.0.1:${kinePort}`,
      '--metrics-bind-address',
      '0', // else 0.0.0.0:8080
    ],
    undo,
  );
  const apiserver = spawnLogged(
    lab,
    'kube-apiserver',
    [
      `--etcd-servers=http://127.0.0.1:${kinePort}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--advertise-address=${NODE_IP}`,
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(lab, 'apiserver')}`,
      `--tls-cert-file=${pki}/apiserver.crt`,
      `--tls-private-key-file=${pki}/apiserver.key`,
      `--client-ca-file=${pki}/ca.crt`,
      `--service-cluster-ip-range=${SERVICE_RANGE}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki}/sa.pub`,
      `--service-account-signing-key-file=${pki}/sa.key`,
      '--authorization-mode=Node,RBAC',
      // No controller manager makes service accounts and their tokens.
      '--disable-admission-plugins=ServiceAccount',
      `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
      `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
      `--kubelet-certificate-authority=${pki}/ca.crt`,
      '--kubelet-preferred-address-types=InternalIP',
      '--profiling=false',
    ],
    undo,
  );
  await waitFor(
    'kube-apiserver ready',
    apiserver,
    () => log('kube-apiserver'),
    async () => {
      if (kine.exitCode !== null) throw new Error(`kine exited:\n${log('kine').slice(-3000)}`);
      return (await kubectl(['get', '--raw', '/readyz'], { timeout: 10_000 })).stdout === 'ok';
    },
  );

  // Only the controllers the tests use; it acts as the cluster's admin (no
  // service-account credentials: no token controller); no serving port.
  spawnLogged(
    lab,
    'kube-controller-manager',
    [
      `--kubeconfig=${join(lab, 'admin.kubeconfig')}`,
      '--controllers=deployment,replicaset,statefulset,garbagecollector,namespace',
      '--leader-elect=false',
      '--secure-port=0',
      '--profiling=false',
    ],
    undo,
  );

  const runtimePath = runtimeFor(lab);
  // The kubelet of a rootless node reads its certificates, keeps its root and writes pod logs here.
  if (user) await must('chown the lab', run('chown', ['-R', `${user.uid}:${user.gid}`, lab]));
  const crio = await startCrio({
    hooksDir,
    imageNames,
    runtimePath,
    ...(user && { user, network: 'host' as const, copyUp: [CONTAINER_LOGS.replace(/\/containers$/, '')] }),
  });
  undo.push(() => crio.stop());

  writeFileSync(
    join(lab, 'kubelet.yaml'),
    JSON.stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      containerRuntimeEndpoint: `unix://${crio.socket}`,
      cgroupDriver: 'cgroupfs',
      // The QoS cgroups (kubepods/...) and so every pod's below CRI-O's lab cgroup, which crio.stop()
      // removes (rootless: the one delegated to the user). Without them, the kubelet gives pods no
      // cgroup parent, and CRI-O makes theirs at the top of each hierarchy.
      cgroupsPerQOS: true,
      cgroupRoot: crio.cgroup,
      enforceNodeAllocatable: [],
      failSwapOn: false,
      address: NODE_IP,
      port: kubeletPort,
      readOnlyPort: 0,
      healthzPort: 0,
      tlsCertFile: `${pki}/kubelet-serving.crt`,
      tlsPrivateKeyFile: `${pki}/kubelet-serving.key`,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: `${pki}/ca.crt` } },
      authorization: { mode: 'AlwaysAllow' },
      resolvConf: '',
      localStorageCapacityIsolation: false,
      makeIPTablesUtilChains: false,
      podLogsDir: join(lab, 'pod-logs'),
      volumePluginDir: join(lab, 'volume-plugins'),
      // A shared, busy test machine: nothing of ours is evicted or collected.
      evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      // Root of a user namespace: the kernel settings, oom_score_adj and /dev/kmsg are not the kubelet's to have.
      ...(user && { featureGates: { KubeletInUserNamespace: true } }),
    }),
  );
  const kubelet = spawnLogged(
    lab,
    'kubelet',
    [
      `--config=${join(lab, 'kubelet.yaml')}`,
      `--kubeconfig=${join(lab, 'kubelet.kubeconfig')}`,
      `--root-dir=${join(lab, 'kubelet')}`,
      `--cert-dir=${join(lab, 'kubelet-pki')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      '--v=2',
    ],
    undo,
    user && { user, nsPid: await crio.pid() },
  );
  await waitFor(
    'the node Ready',
    kubelet,
    () => log('kubelet'),
    async () => {
      const r = await kubectl(['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], {
        timeout: 10_000,
      });
      return r.stdout === 'True';
    },
  );

  return {
    lab,
    crio,
    kubectl,
    log,
    stop: () => undoAll(undo, 'cluster cleanup'),
    bind: (pod, namespace = 'default') => bindAll(kubectl, [{ name: pod, namespace }]),
    bindPending: async () => {
      const pending = await must(
        'kubectl get pods not bound',
        kubectl([
          'get',
          'pods',
          '-A',
          '--field-selector=spec.nodeName=',
          '-o',
          'jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name}{"\\n"}{end}',
        ]),
      );
      const pods = pending
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [namespace, name] = l.split(' ');
          return { name, namespace };
        });
      if (pods.length > 0) await bindAll(kubectl, pods);
    },
  };
}

/** Binds the pods to the node, as the scheduler does: one Binding each, one kubectl call. */
async function bindAll(
  kubectl: (args: string[], o: { input?: string }) => Promise<Result>,
  pods: { name: string; namespace: string }[],
): Promise<void> {
  const items = pods.map(({ name, namespace }) => ({
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name, namespace },
    target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
  }));
  const what = `binding ${pods.map((p) => `${p.namespace}/${p.name}`).join(' ')}`;
  await must(what, kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) }));
}

/**
 * What an interrupted run left: its components (found by their binary and
 * lab paths), CRI-O's lab (crioCleanSlate), the kernel settings, the log
 * links, the node's interface, the labs.
 */
export async function kubernetesCleanSlate(): Promise<void> {
  const pids = (await run('pgrep', ['-f', `^${BIN}/(${COMPONENTS.join('|')}) .*${LABS}/${PREFIX}`])).stdout.split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
  await crioCleanSlate();
  for (const name of existsSync(LABS) ? readdirSync(LABS).filter((e) => e.startsWith(PREFIX)) : []) {
    const lab = join(LABS, name);
    restoreSysctls(lab);
    removeHostFiles(lab);
    await unmountUnder(lab);
    rmSync(lab, { recursive: true, force: true });
  }
  if (existsSync(LABS) && readdirSync(LABS).length === 0) rmdirSync(LABS);
  await run('ip', ['link', 'del', NODE_LINK]);
}
