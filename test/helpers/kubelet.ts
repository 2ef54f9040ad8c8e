import { chmodSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
