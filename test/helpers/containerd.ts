// containerd for tests, driven with crictl the way the kubelet drives it.
// containerd reads no hooks dirs: our NRI plugin (nri/, wireguard4netns-nri)
// adds the hooks of a hooks dir to the containers it creates.
// test/env/containerd.sh builds the plugin and crictl and checks that the
// Debian 13 root of trixie.sh has containerd 1.7.24; startContainerd()
// runs containerd (NRI on) and the plugin in a trixie session, as root or
// rootless (as the root's user lab, containerd inside rootlesskit, as
// usernetes runs it), with everything in the session's /tmp (config,
// root, state, sockets, logs, hooks dir), a loopback-only CNI network and
// local images made from the provisioned rootfs tarball (no registry). /etc and /var/lib are
// overlays of the session, so nothing it writes there (the CNI result
// cache, configs in /etc/wireguard4netns) reaches the cached root. Ending
// the session ends every process started in it; what stays on the host
// (the pods' cgroups) is removed by stop().
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT, ROOTFS } from './env.js';
import {
  type CrictlResult,
  containerConfig,
  criPod,
  must,
  type Pod,
  podSandboxConfig,
  type VolumeMount,
  writeSecretVolume,
} from './kubelet.js';
import { LAB_UID, startTrixie, type Trixie } from './trixie.js';

const TEST_DIR = process.env.WG4NS_TEST_DIR ?? '/var/lib/wireguard4netns-test';
const BIN = join(TEST_DIR, 'containerd/bin');
const CONTAINERD_SH = join(ROOT, 'test/env/containerd.sh');
const LO_AS_ETH0 = join(ROOT, 'test/env/containerd/lo-as-eth0');
const ROOTFS_TAR = `${ROOTFS}.tar`;
/** Every cgroup of ours starts with this: an interrupted run's are found by it. */
const PREFIX = 'w4n-containerd-';
/** The test's folder, inside the session (its /tmp is the session's own tmpfs). */
export const DIR = '/tmp/w4n-containerd';
export const IMAGE = 'localhost/w4n/busybox:latest';
const PAUSE_IMAGE = 'localhost/w4n/pause:latest';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Containerd {
  trixie: Trixie;
  rootless: boolean;
  /** the hooks dir the plugin reads (inside) */
  hooksDir: string;
  /** crictl against this containerd */
  crictl(args: string[], timeoutSeconds?: number): Promise<CrictlResult>;
  /** RunPodSandbox with kubelet-style config, pod annotations on the sandbox only. */
  /** A pod; o.mounts are every container's volumes (each container may add its own). */
  runPod(name: string, annotations: Record<string, string>, o?: { mounts?: VolumeMount[] }): Promise<Pod>;
  /** A Secret volume as the kubelet writes it (its files owned by the kubelet's user), inside; returns its path there. */
  secretVolume(name: string, files: Record<string, string>, mode?: number): string;
  /** containerd's and the plugin's logs so far (for failure messages). */
  log(): string;
  /** Removes every pod, ends the session and removes the pods' cgroups. */
  stop(): Promise<void>;
}

let built: Promise<void> | undefined;

/** Runs test/env/containerd.sh once per test process; prints its step lines. */
export function buildContainerd(): Promise<void> {
  built ??= (async () => {
    const r = await execa('bash', [CONTAINERD_SH], { reject: false, all: true, env: { PATH: `/usr/local/go/bin:${PATH}` } });
    if (r.exitCode !== 0) throw new Error(`test/env/containerd.sh failed:\n${r.all}`);
    process.stdout.write(`${r.all}\n`);
  })();
  return built;
}

// ---------------------------------------------------------------- cgroups

function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 8 && /^cgroup2?$/.test(f[f.indexOf('-') + 1]))
    .map((f) => f[4]);
}

/** Removes the cgroup trees `name` (children first); one with processes stays, and is named. */
async function removeCgroups(name: string): Promise<string[]> {
  const left: string[] = [];
  for (const mount of cgroupMounts()) {
    const dir = join(mount, name);
    if (!existsSync(dir)) continue;
    // The session's end killed the processes; their cgroups empty out a moment later.
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      await execa('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { reject: false });
      if (existsSync(dir)) await new Promise((r) => setTimeout(r, 100));
    }
    if (existsSync(dir)) left.push(dir);
  }
  return left;
}

/** Empty cgroup trees an interrupted run left (a running test's are busy: rmdir leaves them). */
export async function containerdCleanSlate(): Promise<void> {
  for (const mount of cgroupMounts()) {
    for (const e of readdirSync(mount)) {
      if (e.startsWith(PREFIX))
        await execa('find', [join(mount, e), '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { reject: false });
    }
  }
}

// ---------------------------------------------------------------- files

function config(rootless: boolean): string {
  return `# Written by test/helpers/containerd.ts: every path under ${DIR}
version = 2
root = "${DIR}/root"
state = "${DIR}/state"

[grpc]
  address = "${DIR}/containerd.sock"
[ttrpc]
  address = "${DIR}/containerd.sock.ttrpc"

[plugins."io.containerd.nri.v1.nri"]
  disable = false
  socket_path = "${DIR}/nri.sock"
  plugin_path = "${DIR}/nri-plugins"
  plugin_config_path = "${DIR}/nri-conf.d"

[plugins."io.containerd.internal.v1.opt"]
  path = "${DIR}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # The kubelet's -998 for the sandbox needs CAP_SYS_RESOURCE, which root lacks on some VMs.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
${
  rootless
    ? `  # lab owns no cgroup (v1 is not delegated), and no AppArmor or hugetlb settings in a user namespace.
  disable_cgroup = true
  disable_apparmor = true
  disable_hugetlb_controller = true
`
    : ''
}  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "${DIR}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${DIR}/cni-bin"
    conf_dir = "${DIR}/cni"
`;
}

/**
 * A docker-archive holding IMAGE and PAUSE_IMAGE, both the rootfs tarball
 * as their one layer: what `ctr images import` reads, no registry needed.
 */
function writeImages(dir: string): void {
  mkdirSync(dir);
  copyFileSync(ROOTFS_TAR, join(dir, 'layer.tar'));
  const diffId = `sha256:${createHash('sha256')
    .update(readFileSync(join(dir, 'layer.tar')))
    .digest('hex')}`;
  const architecture = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  const image = (cmd: string[]) => ({
    architecture,
    os: 'linux',
    config: { Env: [`PATH=${PATH}`], Cmd: cmd },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  });
  writeFileSync(join(dir, 'busybox.json'), JSON.stringify(image(['/bin/sh'])));
  writeFileSync(join(dir, 'pause.json'), JSON.stringify(image(['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 2147483647 & wait'])));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify([
      { Config: 'busybox.json', RepoTags: [IMAGE], Layers: ['layer.tar'] },
      { Config: 'pause.json', RepoTags: [PAUSE_IMAGE], Layers: ['layer.tar'] },
    ]),
  );
}

// The first steps in the session, as root: /etc and /var/lib become
// overlays of the session, containerd and the plugin start in the
// background (setsid, output in their logs), each waited for. Rootless,
// both run as lab, containerd inside rootlesskit as usernetes runs it:
// root of a user namespace, its own network namespace reaching out
// through slirp4netns, /etc, /run and /var/lib writable copies.
function startScript(rootless: boolean): string {
  const as = rootless ? 'as-lab ' : '';
  // The CNI library keeps results in /var/lib/cni (no setting moves it).
  // A copy-up leaves a folder of the root there as a link to it, which
  // root owns ("mkdir /var/lib/cni/results: permission denied"): inside
  // rootlesskit, the link is replaced by an empty folder of its own.
  const ownCni = `sh -c 'if [ -L /var/lib/cni ]; then rm /var/lib/cni; fi; exec "$@"' sh`;
  const containerd = rootless
    ? `rootlesskit --state-dir="$D/rk" --net=slirp4netns --disable-host-loopback --copy-up=/etc --copy-up=/run --copy-up=/var/lib --propagation=rslave ${ownCni} containerd`
    : 'containerd';
  return `set -eu
D=${DIR}
ln -s /usr/lib/cni/loopback "$D/cni-bin/"
for d in etc var/lib; do
  mkdir -p "$D/overlay/$d/upper" "$D/overlay/$d/work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$D/overlay/$d/upper,workdir=$D/overlay/$d/work" "/$d"
done
${rootless ? `chown -R ${LAB_UID}:${LAB_UID} "$D"` : ''}
${as}setsid -f ${containerd} --config "$D/config.toml" >"$D/containerd.log" 2>&1 </dev/null
i=0; until [ -S "$D/containerd.sock" ] && [ -S "$D/nri.sock" ]; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "containerd made no sockets in 30 s" >&2; exit 1; }; sleep 0.1
done
${as}setsid -f "$D/bin/wireguard4netns-nri" -socket "$D/nri.sock" -hooks-dir "$D/hooks.d" >"$D/nri.log" 2>&1 </dev/null
i=0; until grep -q "Started plugin" "$D/nri.log"; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "the plugin did not register in 30 s" >&2; exit 1; }; sleep 0.1
done
tar -C "$D/images" -cf "$D/images.tar" .
ctr -a "$D/containerd.sock" -n k8s.io images import "$D/images.tar" >/dev/null
rm -rf "$D/images" "$D/images.tar"
`;
}

// ---------------------------------------------------------------- start

export async function startContainerd({ rootless = false } = {}): Promise<Containerd> {
  for (const bin of ['wireguard4netns-nri', 'crictl']) {
    if (!existsSync(join(BIN, bin))) throw new Error(`${join(BIN, bin)} is missing: run "sudo test/env/containerd.sh" first`);
  }
  if (!existsSync(ROOTFS_TAR)) throw new Error(`${ROOTFS_TAR} is missing: run "sudo test/env/provision.sh" first`);
  const trixie = await startTrixie();
  const cgroup = `${PREFIX}${trixie.pid}`; // unique while the session lives
  const stop = async () => {
    await trixie.run([join(DIR, 'bin/crictl'), '--config', join(DIR, 'crictl.yaml'), 'rmp', '--force', '--all'], {
      user: 'root',
      timeout: 60,
    });
    await trixie.end();
    const left = await removeCgroups(cgroup);
    if (left.length > 0) throw new Error(`cgroups left: ${left.join(', ')}`);
  };
  const inside = (path: string) => `/proc/${trixie.pid}/root${path}`;
  const log = () =>
    `containerd's log ends:\n${trixie.read(join(DIR, 'containerd.log')).slice(-3000)}\nthe plugin's log ends:\n${trixie.read(join(DIR, 'nri.log')).slice(-2000)}`;
  try {
    // ------------------------------------------------------------ files
    for (const d of ['', 'bin', 'cni', 'cni-bin', 'hooks.d', 'logs', 'nri-plugins', 'nri-conf.d'])
      mkdirSync(inside(join(DIR, d)), { mode: 0o700 });
    for (const b of ['wireguard4netns-nri', 'crictl']) copyFileSync(join(BIN, b), inside(join(DIR, 'bin', b)));
    for (const b of ['wireguard4netns-nri', 'crictl']) chmodSync(inside(join(DIR, 'bin', b)), 0o755);
    copyFileSync(LO_AS_ETH0, inside(join(DIR, 'cni-bin/lo-as-eth0')));
    chmodSync(inside(join(DIR, 'cni-bin/lo-as-eth0')), 0o755);
    writeFileSync(inside(join(DIR, 'config.toml')), config(rootless));
    // Pods get a network namespace with only lo (lo-as-eth0: see its header).
    writeFileSync(
      inside(join(DIR, 'cni/10-lo.conflist')),
      JSON.stringify({ cniVersion: '1.0.0', name: 'w4n-lo', plugins: [{ type: 'loopback' }, { type: 'lo-as-eth0' }] }),
    );
    writeFileSync(
      inside(join(DIR, 'crictl.yaml')),
      `runtime-endpoint: unix://${DIR}/containerd.sock\nimage-endpoint: unix://${DIR}/containerd.sock\ntimeout: 60\n`,
    );
    writeImages(inside(join(DIR, 'images')));
    const start = await trixie.run(['sh', '-c', startScript(rootless)], { user: 'root', timeout: 120 });
    if (start.exitCode !== 0) throw new Error(`starting containerd failed (exit ${start.exitCode}): ${start.stderr}\n${log()}`);
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const crictl = (args: string[], timeout = 90) =>
    trixie.run([join(DIR, 'bin/crictl'), '--config', join(DIR, 'crictl.yaml'), ...args], { user: 'root', timeout });
  let pods = 0;
  // Rootless, containerd (root of lab's user namespace) writes the containers' logs: lab owns their folders.
  const mkdirOwned = (path: string) => {
    mkdirSync(inside(path));
    if (rootless) chownSync(inside(path), LAB_UID, LAB_UID);
  };
  return {
    trixie,
    rootless,
    hooksDir: join(DIR, 'hooks.d'),
    crictl,
    secretVolume: (volume, files, mode) => {
      const dir = join(DIR, 'kubelet', volume, 'volumes/kubernetes.io~secret/wg');
      writeSecretVolume(inside(dir), files, mode, rootless ? { uid: LAB_UID, gid: LAB_UID } : undefined);
      return dir;
    },
    log,
    stop,
    runPod: async (podName, annotations, podOptions = {}) => {
      pods++;
      const podConfig = join(DIR, `pod-${podName}.json`);
      const logDir = join(DIR, 'logs', podName); // the kubelet makes the pod's and each container's log folder
      mkdirOwned(logDir);
      writeFileSync(
        inside(podConfig),
        podSandboxConfig({
          name: podName,
          uid: `${cgroup}-${podName}-${pods}`,
          logDir,
          cgroupParent: `/${cgroup}/${podName}`,
          annotations,
        }),
      );
      const id = await must(`crictl runp ${podName}`, crictl(['runp', podConfig]));
      return criPod({
        id,
        name: podName,
        podConfig,
        crictl,
        log,
        writeContainer: (ctrName, command, options, n) => {
          const ctrConfig = join(DIR, `ctr-${podName}-${ctrName}-${options.attempt ?? 0}.json`);
          if (!existsSync(inside(join(logDir, ctrName)))) mkdirOwned(join(logDir, ctrName));
          const mounts = [...(podOptions.mounts ?? []), ...(options.mounts ?? [])];
          writeFileSync(inside(ctrConfig), containerConfig({ name: ctrName, pod: podName, image: IMAGE, command, n, ...options, mounts }));
          return ctrConfig;
        },
      });
    },
  };
}
