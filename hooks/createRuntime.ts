// createRuntime: the container's namespaces exist, its process has not
// started. Give its network namespace a configured wg0, or fail so that it
// does not start at all.
import { type Annotations, inContainerPath } from '../src/annotations.js';
import { loadContainerConfig } from '../src/config/incontainer.js';
import { hookReadPolicy } from '../src/config/policy.js';
import { loadConfig } from '../src/config/read.js';
import { Failure } from '../src/errors.js';
import { type OciState, readBundleSpec } from '../src/oci.js';
import type { EarlyDaemon } from '../src/tunnel/daemon.js';
import { containerTarget } from '../src/tunnel/namespaces.js';
import { resolvConfPath } from '../src/tunnel/resolvconf.js';
import { up } from '../src/tunnel/up.js';

/** The hook's interface: the launcher starts its daemon for it (wireguard-go/hook.go; test/fixtures/contract/launcher.json). */
export const HOOK_INTERFACE = 'wg0';

/** early: the daemon the hook's first process started (wireguard-go/hook.go), waiting for the config. */
export async function createRuntime(state: OciState, ours: Annotations & { config: string }, early?: EarlyDaemon): Promise<void> {
  // Read and check everything before touching anything. A "container:PATH"
  // config is the container's own file (a Secret volume), reached through
  // its mounts; a host path must pass the hook's read policy.
  const inside = inContainerPath(ours.config);
  const config = inside ? loadContainerConfig(readBundleSpec(state.bundle), inside) : loadConfig(ours.config, hookReadPolicy());
  if (state.pid <= 0) throw new Failure('OCI state on stdin: pid: expected the container process id at createRuntime');
  const target = containerTarget(state.pid);

  // Tunnel up: daemon, keys and peers, addresses and routes, DNS.
  await up(target, config, {
    iface: HOOK_INTERFACE,
    containerId: state.id,
    resolvConf: resolvConfPath(state.bundle),
    verbose: ours.verbose,
    waitSeconds: ours.waitSeconds,
    early,
  });
}
