// "setup NETNS" and "teardown NETNS": netavark calls them for each
// container on a wireguard4netns network, before the container's process
// exists and after it has ended. Rootless, they run as uid 0 of podman's
// user namespace inside its rootless network namespace (pasta), so the
// daemon's UDP leaves through pasta; rootful, as root in the host's.
//
// The tunnel is src/tunnel/up.ts's, with two differences from the hook's:
// - no pid to watch: the daemon waits (bounded) for the container's first
//   process to enter the namespace, then lives while any process is in it
//   (-await-process). teardown stops it; a podman killed in between cannot
//   leave it running past the container.
// - one container per network: a config is one WireGuard identity, so a
//   second container on the same network (or another network with the
//   same config) is refused, first here with the container that has it,
//   and, race-free, by the daemon's identity lock. Containers that should
//   share the tunnel share a namespace: a pod, or --network container:NAME.
import { statSync } from 'node:fs';
import { formatCidr } from '../cidr.js';
import { defaultOwners, loadConfig } from '../config/read.js';
import type { Config } from '../config/validate.js';
import { Failure } from '../errors.js';
import { tunnelDir, udpBrokerSocket } from '../paths.js';
import { isAlive } from '../tunnel/daemon.js';
import { configIdentity } from '../tunnel/identity.js';
import { resolveTarget } from '../tunnel/namespaces.js';
import { readState, type TunnelState, tunnelDirs } from '../tunnel/state.js';
import { down, up } from '../tunnel/up.js';
import type { PluginExec, StatusBlock } from './api.js';
import { parseOptions } from './options.js';

const IFACE = 'wg0';
/** How long the daemon waits for the container's first process after setup (WIREGUARD4NETNS_AWAIT_PROCESS overrides, for tests). */
const AWAIT_PROCESS = '30s';

/** The user's UDP broker, when one listens: the daemon then sends from the host's namespace, not through pasta. */
function brokerSocket(): string | undefined {
  const socket = udpBrokerSocket();
  try {
    return statSync(socket).isSocket() ? socket : undefined;
  } catch {
    return undefined;
  }
}

export function statusBlock(config: Config): StatusBlock {
  return {
    dns_search_domains: config.dnsSearch,
    dns_server_ips: config.dns,
    interfaces: { [IFACE]: { mac_address: '', subnets: config.addresses.map((a) => ({ ipnet: formatCidr(a) })) } },
  };
}

/** A live tunnel in another namespace that this network or this config already serves. */
async function holderOf(network: string, config: Config, netnsInode: number): Promise<TunnelState | undefined> {
  const identity = await configIdentity(config);
  for (const dir of tunnelDirs()) {
    const s = readState(dir);
    if (!s || s.netnsInode === netnsInode || !isAlive(s.daemonPid)) continue;
    if (s.network?.name === network || s.configIdentity === identity) return s;
  }
  return undefined;
}

function refuseSecond(network: string, config: Config, holder: TunnelState): never {
  const who = holder.network ? `container ${holder.network.containerName} (${holder.network.containerId.slice(0, 12)})` : holder.netns;
  const join = holder.network ? `, or join its namespace with --network container:${holder.network.containerName}` : '';
  throw new Failure(
    `network ${network}: ${config.file} already serves ${who}; a WireGuard config is one identity, so one container or pod at a time: to share the tunnel, run the containers in one pod (podman pod create --network ${network})${join}`,
  );
}

export async function setup(netns: string, input: PluginExec): Promise<StatusBlock> {
  const network = input.network.name;
  const options = parseOptions(network, input.network.options);
  if (input.port_mappings?.length) {
    throw new Failure(`network ${network}: -p/--publish has nothing to publish from: the container's only interface is ${IFACE}`);
  }
  if (input.network_options.static_ips?.length) {
    throw new Failure(`network ${network}: --ip is not used; the container's addresses are the config's Address =`);
  }
  const config = loadConfig(options.conf, { owners: defaultOwners() });
  const target = resolveTarget(netns, '/proc/self/ns/user');
  const holder = await holderOf(network, config, target.inode);
  if (holder) refuseSecond(network, config, holder);
  await up(target, config, {
    iface: IFACE,
    verbose: options.verbose,
    waitSeconds: options.waitSeconds,
    awaitProcess: process.env.WIREGUARD4NETNS_AWAIT_PROCESS || AWAIT_PROCESS,
    exclusive: true,
    network: { name: network, containerId: input.container_id, containerName: input.container_name },
    udpBroker: brokerSocket(),
  });
  return statusBlock(config);
}

/** Stops the namespace's tunnel; nothing to do when there is none (teardown may come twice, or after a refused setup). */
export async function teardown(netns: string): Promise<void> {
  let inode: number;
  try {
    inode = statSync(netns).ino;
  } catch {
    return;
  }
  const dir = tunnelDir(inode, IFACE);
  if (readState(dir)) await down(dir);
}
