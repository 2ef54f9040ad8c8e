// The kubelet's side of CRI, for the CRI-O and containerd tests alike: its
// requests as crictl's JSON files (a pod sandbox with the pod's
// annotations, app containers with the kubelet's own annotations,
// namespace options and volumes), Secret volumes as its atomic writer lays
// them out, and a pod driven through crictl (criPod).
import { chmodSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** As the kubelet sets them: the pod shares its network and IPC, each container has its own PIDs. */
const NAMESPACE_OPTIONS = { namespace_options: { network: 0, pid: 1, ipc: 0 } };

export function podSandboxConfig(o: {
  name: string;
  /** the pod's Kubernetes namespace (default: "default") */
  namespace?: string;
  uid: string;
  logDir: string;
  cgroupParent: string;
  annotations: Record<string, string>;
}): string {
  const namespace = o.namespace ?? 'default';
  return JSON.stringify({
    metadata: { name: o.name, namespace, uid: o.uid, attempt: 0 },
    hostname: o.name,
    log_directory: o.logDir,
    annotations: o.annotations,
    labels: { 'io.kubernetes.pod.name': o.name, 'io.kubernetes.pod.namespace': namespace },
    linux: { cgroup_parent: o.cgroupParent, security_context: NAMESPACE_OPTIONS },
  });
}

/** A volume as the kubelet mounts it: a Secret volume is read-only. */
export interface VolumeMount {
  container_path: string;
  host_path: string;
  readonly: boolean;
}

/** What an app container is, beyond its name and command. */
export interface ContainerOptions {
  /** the kubelet's restart count: 0, then 1, 2, ... for each restart in the same pod */
  attempt?: number;
  mounts?: VolumeMount[];
}

/** An app container; n numbers it within its pod (the kubelet's container hash differs per container). */
export function containerConfig(o: { name: string; pod: string; image: string; command: string[]; n: number } & ContainerOptions): string {
  const attempt = o.attempt ?? 0;
  return JSON.stringify({
    metadata: { name: o.name, attempt },
    image: { image: o.image },
    command: o.command,
    // The kubelet's container annotations; the pod's stay on the sandbox.
    annotations: { 'io.kubernetes.container.hash': String(1000 + o.n), 'io.kubernetes.container.restartCount': String(attempt) },
    labels: { 'io.kubernetes.container.name': o.name, 'io.kubernetes.pod.name': o.pod },
    log_path: `${o.name}/${attempt}.log`,
    mounts: o.mounts ?? [],
    linux: { security_context: NAMESPACE_OPTIONS },
  });
}

/**
 * Writes a Secret volume into dir as kubelet's atomic writer lays it out:
 * each KEY -> ..data/KEY, ..data -> ..TIMESTAMP, the files in ..TIMESTAMP
 * with the volume's mode (kubelet's default: 0644), all owned by the
 * kubelet's user (root; rootless, the user root of rootlesskit is).
 */
export function writeSecretVolume(dir: string, files: Record<string, string>, mode = 0o644, owner?: { uid: number; gid: number }): void {
  const ts = '..2026_11_29_07_00_00.123456789';
  mkdirSync(join(dir, ts), { recursive: true, mode: 0o755 });
  for (const [key, text] of Object.entries(files)) {
    writeFileSync(join(dir, ts, key), text);
    chmodSync(join(dir, ts, key), mode);
    symlinkSync(`..data/${key}`, join(dir, key));
  }
  symlinkSync(ts, join(dir, '..data'));
  if (owner) {
    for (const p of [dir, join(dir, ts), join(dir, '..data'), ...Object.keys(files).flatMap((k) => [join(dir, k), join(dir, ts, k)])])
      lchownSync(p, owner.uid, owner.gid);
  }
}

/** What crictl answered. */
export interface CrictlResult {
  exitCode?: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/** crictl against one runtime; the timeout in seconds. */
export type Crictl = (args: string[], timeoutSeconds?: number) => Promise<CrictlResult>;

/** A command's stdout, or an error naming what failed and why. */
export async function must(what: string, r: Promise<CrictlResult>): Promise<string> {
  const done = await r;
  if (done.exitCode !== 0)
    throw new Error(`${what} failed (${done.timedOut ? 'timed out' : `exit ${done.exitCode}`}): ${done.stderr || done.stdout}`);
  return done.stdout.trim();
}

/** A pod sandbox, driven as the kubelet drives it. */
export interface Pod {
  id: string;
  /** CreateContainer + StartContainer; returns the container id. */
  start(name: string, command: string[], options?: ContainerOptions): Promise<string>;
  /** CreateContainer only, its result as crictl gave it. */
  create(name: string, command: string[], options?: ContainerOptions): Promise<CrictlResult>;
  /** StopContainer, as the kubelet does before a restart. */
  stopContainer(container: string): Promise<void>;
  /** RemoveContainer, as the kubelet's garbage collection does. */
  removeContainer(container: string): Promise<void>;
  /** ExecSync (crictl exec --sync). */
  exec(container: string, command: string[], timeoutSeconds?: number): Promise<CrictlResult>;
  stop(): Promise<void>;
  remove(): Promise<void>;
}

/**
 * The pod sandbox id that RunPodSandbox gave, as a Pod. writeContainer
 * writes an app container's CRI config (n numbers it within the pod) and
 * returns its path as crictl sees it; log() is the runtime's log so far,
 * for a failed start's message.
 */
export function criPod(o: {
  id: string;
  name: string;
  podConfig: string;
  crictl: Crictl;
  writeContainer: (name: string, command: string[], options: ContainerOptions, n: number) => string;
  log: () => string;
}): Pod {
  const { id, name, crictl } = o;
  let containers = 0;
  const create = (ctrName: string, command: string[], options: ContainerOptions = {}) =>
    crictl(['create', id, o.writeContainer(ctrName, command, options, ++containers), o.podConfig]);
  return {
    id,
    create,
    stopContainer: async (ctr) => {
      await must(`crictl stop ${ctr}`, crictl(['stop', ctr]));
    },
    removeContainer: async (ctr) => {
      await must(`crictl rm ${ctr}`, crictl(['rm', ctr]));
    },
    start: async (ctrName, command, options) => {
      try {
        const ctr = await must(`crictl create ${ctrName}`, create(ctrName, command, options));
        await must(`crictl start ${ctrName}`, crictl(['start', ctr]));
        return ctr;
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${o.log()}`);
      }
    },
    exec: (ctr, command, timeoutSeconds = 30) =>
      crictl(['exec', '--sync', '--timeout', String(timeoutSeconds), ctr, ...command], timeoutSeconds + 30),
    stop: async () => {
      await must(`crictl stopp ${name}`, crictl(['stopp', id]));
    },
    remove: async () => {
      await must(`crictl rmp ${name}`, crictl(['rmp', id]));
    },
  };
}
