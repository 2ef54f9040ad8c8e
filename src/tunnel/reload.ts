// "wireguard4netns reload ID CONFIG": a running tunnel takes a changed
// config without a restart. Everything is read and checked first, so a bad
// config changes nothing; then keys and peers go over UAPI (as "wg
// syncconf"), and addresses, MTU and routes change by exactly the
// difference from what was applied before (as wg-quick would redo them).
import { defaultOwners, loadConfig } from '../config/read.js';
import { Failure, step, wrap } from '../errors.js';
import { isAlive } from './daemon.js';
import { resolveEndpoint } from './endpoint.js';
import { configIdentity } from './identity.js';
import { appliedOf, changeLink, linkChange } from './link.js';
import { netnsInodeOfPid, processInNetns, resolveTarget } from './namespaces.js';
import { writeResolvConf } from './resolvconf.js';
import {
  type ContainerEntry,
  liveContainers,
  readState,
  selectTunnels,
  socketOf,
  type TunnelState,
  tunnelDirs,
  writeState,
} from './state.js';
import { parseDevice, uapiRequest } from './uapi.js';
import { encodeSync } from './uapiconfig.js';
import { reresolveList } from './up.js';

function findOne(filter: string): { dir: string; state: TunnelState; containers: ContainerEntry[] } {
  const all = tunnelDirs().flatMap((dir) => {
    const state = readState(dir);
    if (!state) return [];
    const live = liveContainers(dir, state.netnsInode);
    return [{ dir, state, live, containers: live.map((c) => c.id), netnsInode: state.netnsInode }];
  });
  const found = selectTunnels(all, filter, netnsInodeOfPid(filter));
  if (found.length === 0) throw new Failure(`no tunnel matches ${filter}`);
  if (found.length > 1) throw new Failure(`${filter} matches ${found.length} tunnels; expected a longer container id prefix`);
  const { dir, state, live } = found[0];
  return { dir, state, containers: live };
}

function fail(message: string): never {
  throw new Failure(message);
}

export async function reload(filter: string, file: string): Promise<string> {
  const config = loadConfig(file, { owners: defaultOwners() });
  const { dir, state, containers } = findOne(filter);
  if (!isAlive(state.daemonPid))
    throw new Failure(`the daemon of that tunnel (pid ${state.daemonPid}) is not running; restart the container`);
  if (!state.applied) throw new Failure(`that tunnel was started by an older wireguard4netns; restart the container`);
  // Act in the namespace through a process still in it (a pod's first container may be gone),
  // with the daemon's user namespace: the one its starter had capabilities in. The
  // container's own may be a child where we are unprivileged (--userns=keep-id).
  const pid = processInNetns(state.netnsInode) ?? fail("no process is left in the tunnel's namespace");
  const target = resolveTarget(String(pid), `/proc/${state.daemonPid}/ns/user`);
  // The daemon re-resolves the endpoint names it was started with; it cannot learn new ones.
  if (JSON.stringify(reresolveList(config)) !== JSON.stringify(state.reresolve ?? [])) {
    throw new Failure(
      `${file}: the endpoint host names differ from the running tunnel's, which the daemon re-resolves; restart the container to change them`,
    );
  }
  const endpoints = await Promise.all(config.peers.map((p) => p.endpoint && resolveEndpoint(p.endpoint)));

  const socket = socketOf(dir, state);
  const current = parseDevice(await uapiRequest(socket, 'get=1\n\n')).peers.map((p) => Buffer.from(p.publicKey, 'base64').toString('hex'));
  try {
    await uapiRequest(socket, encodeSync(config, endpoints, current));
  } catch (err) {
    throw wrap('reconfiguring wireguard-go over its UAPI socket', err);
  }
  // The original's callers set the link themselves: theirs stays as it is.
  const applied = state.linkByCaller ? state.applied : appliedOf(config);
  await changeLink(target, state.iface, linkChange(state.applied, applied));
  // The tunnel runs the new config now, whatever a container's resolv.conf (its own file) turns out to be.
  writeState(dir, { ...state, config: file, configIdentity: await configIdentity(config), applied });
  if (config.dns.length > 0) {
    for (const c of containers)
      if (c.resolvConf) await step(`writing DNS for container ${c.id}`, () => writeResolvConf(c.resolvConf!, config));
  }
  return `${state.iface} in ${state.netns} reloaded from ${file}`;
}
