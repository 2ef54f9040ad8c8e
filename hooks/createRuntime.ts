// createRuntime: the container's namespaces exist, its process has not
// started. Give its network namespace a configured wg0, or fail so that it
// does not start at all.
import { type Annotations, inContainerPath } from '../src/annotations.js';
import { loadContainerConfig } from '../src/config/incontainer.js';
import { type HookArgs, hookReadPolicy, refuseHostPathForPods } from '../src/config/policy.js';
import { loadConfig } from '../src/config/read.js';
import { Failure } from '../src/errors.js';
import { type BundleSpec, type OciState, readBundleSpec } from '../src/oci.js';
import type { EarlyDaemon } from '../src/tunnel/daemon.js';
import { containerTarget } from '../src/tunnel/namespaces.js';
import { resolvConfPath } from '../src/tunnel/resolvconf.js';
import { up } from '../src/tunnel/up.js';

/** The hook's interface: the launcher starts its daemon for it (wireguard-go/hook.go; test/fixtures/contract/launcher.json). */
export const HOOK_INTERFACE = 'wg0';

/** early: the daemon the hook's first process started (wireguard-go/hook.go), waiting for the config. */
export async function createRuntime(
  state: OciState,
  ours: Annotations & { config: string },
  args: HookArgs,
  early?: EarlyDaemon,
): Promise<void> {
  // Read and check everything before touching anything. A "container:PATH"
  // config is the container's own file (a Secret volume), reached through
  // its mounts; a host path must pass the hook's read policy, and a hook
  // for pods reads none.
  const inside = inContainerPath(ours.config);
  if (!inside && args.pods) refuseHostPathForPods(ours.config);
  let spec: BundleSpec | undefined;
  const bundleSpec = () => (spec ??= readBundleSpec(state.bundle));
  const config = inside ? loadContainerConfig(bundleSpec(), inside) : loadConfig(ours.config, hookReadPolicy());
  if (state.pid <= 0) throw new Failure('OCI state on stdin: pid: expected the container process id at createRuntime');
  const target = containerTarget(state.pid);

  // Where DNS goes, now or at a reload; without DNS a bundle that says nothing of it is no error.
  // Looked up while the daemon applies the config: a failure then ends that daemon.
  const dnsWanted = config.dns.length > 0;
  const resolvConf = () => {
    try {
      return resolvConfPath(bundleSpec(), dnsWanted);
    } catch (err) {
      if (dnsWanted) throw err;
      return undefined;
    }
  };

  // Tunnel up: daemon, keys and peers, addresses and routes, DNS.
  await up(target, config, {
    iface: HOOK_INTERFACE,
    containerId: state.id,
    resolvConf,
    verbose: ours.verbose,
    waitSeconds: ours.waitSeconds,
    early,
  });
}
