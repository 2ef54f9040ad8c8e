// The CRI requests the kubelet makes, as crictl's JSON files: a pod sandbox
// with the pod's annotations, and app containers with the kubelet's own
// annotations and namespace options. CRI-O and containerd tests both drive
// their runtime with these.

/** As the kubelet sets them: the pod shares its network and IPC, each container has its own PIDs. */
const NAMESPACE_OPTIONS = { namespace_options: { network: 0, pid: 1, ipc: 0 } };

export function podSandboxConfig(o: {
  name: string;
  uid: string;
  logDir: string;
  cgroupParent: string;
  annotations: Record<string, string>;
}): string {
  return JSON.stringify({
    metadata: { name: o.name, namespace: 'default', uid: o.uid, attempt: 0 },
    hostname: o.name,
    log_directory: o.logDir,
    annotations: o.annotations,
    labels: { 'io.kubernetes.pod.name': o.name, 'io.kubernetes.pod.namespace': 'default' },
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
 * A Secret volume laid out as kubelet's atomic writer does, in dir: each
 * KEY -> ..data/KEY, ..data -> ..TIMESTAMP, the files in ..TIMESTAMP with
 * the volume's mode (kubelet's default: 0644). Returns the writes to make,
 * relative to dir, for a caller that writes them where the runtime sees them.
 */
export function secretVolume(
  files: Record<string, string>,
  mode = 0o644,
): { dirs: string[]; files: [string, string, number][]; links: [string, string][] } {
  const ts = '..2026_11_29_07_00_00.123456789';
  return {
    dirs: [ts],
    files: Object.entries(files).map(([k, v]) => [`${ts}/${k}`, v, mode]),
    links: [['..data', ts], ...Object.keys(files).map((k): [string, string] => [k, `..data/${k}`])],
  };
}
