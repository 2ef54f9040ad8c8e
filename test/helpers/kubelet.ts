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

/** An app container; n numbers it within its pod (the kubelet's container hash differs per container). */
export function containerConfig(o: { name: string; pod: string; image: string; command: string[]; n: number }): string {
  return JSON.stringify({
    metadata: { name: o.name, attempt: 0 },
    image: { image: o.image },
    command: o.command,
    // The kubelet's container annotations; the pod's stay on the sandbox.
    annotations: { 'io.kubernetes.container.hash': String(1000 + o.n), 'io.kubernetes.container.restartCount': '0' },
    labels: { 'io.kubernetes.container.name': o.name, 'io.kubernetes.pod.name': o.pod },
    log_path: `${o.name}/0.log`,
    linux: { security_context: NAMESPACE_OPTIONS },
  });
}
