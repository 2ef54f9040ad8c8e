// createRuntime: the container's namespaces exist, its process has not
// started. Give its network namespace a configured wg0, or fail so that it
// does not start at all.
import { hookReadPolicy } from '../src/config/policy.js';
import { loadConfig } from '../src/config/read.js';
import { Failure } from '../src/errors.js';
import { containerTarget } from '../src/namespaces.js';
import { CONFIG_ANNOTATION, type OciState } from '../src/oci.js';
import { resolvConfPath } from '../src/resolvconf.js';
import { up } from '../src/tunnel.js';
import { parseWait, WAIT_ANNOTATION } from '../src/wait.js';

export const INTERFACE = 'wg0';
export const VERBOSE_ANNOTATION = 'wireguard4netns.verbose';

export async function createRuntime(state: OciState): Promise<void> {
  // Read and check everything before touching anything.
  const config = loadConfig(state.annotations[CONFIG_ANNOTATION], hookReadPolicy());
  const waitSeconds = parseWait(state.annotations[WAIT_ANNOTATION]);
  if (state.pid <= 0) throw new Failure('OCI state on stdin: pid: expected the container process id at createRuntime');
  const target = containerTarget(state.pid);

  // Tunnel up: daemon, keys and peers, addresses and routes, DNS.
  await up(target, config, {
    iface: INTERFACE,
    containerId: state.id,
    resolvConf: resolvConfPath(state.bundle),
    verbose: /^(1|true|yes)$/i.test(state.annotations[VERBOSE_ANNOTATION] ?? ''),
    waitSeconds,
  });
}
