// What wg-quick does to the interface: addresses, MTU, link up, and a route
// for every peer's AllowedIPs (the netns has no other route, so a /0 simply
// becomes the default route). The daemon applies it at start (daemon.ts);
// what was applied is kept in state.json, so that a reload changes exactly
// the difference, with "ip -batch" inside the namespace.
import { formatCidr, networkOf } from '../cidr.js';
import type { Config } from '../config/validate.js';
import { Failure } from '../errors.js';
import { netnsPrefix, type Target } from './namespaces.js';
import { run } from '../run.js';
import { systemTool } from '../tools.js';

const LINK_TIMEOUT_MS = 2000;

export interface Applied {
  addresses: string[];
  routes: string[];
  mtu: number;
}

export function appliedOf(config: Config): Applied {
  const routes = config.routes ? config.peers.flatMap((p) => p.allowedIPs.map(networkOf)) : [];
  return { addresses: config.addresses.map(formatCidr), routes: [...new Set(routes)], mtu: config.mtu };
}

const addAddress = (iface: string, a: string) => `address add ${a} dev ${iface}${a.includes(':') ? ' nodad' : ''}`;

/** What takes the interface from before to after: removals, then additions. */
export function reloadCommands(iface: string, before: Applied, after: Applied): { remove: string[]; add: string[] } {
  const gone = (list: string[], from: string[]) => list.filter((x) => !from.includes(x));
  return {
    remove: [
      ...gone(before.routes, after.routes).map((r) => `route del ${r} dev ${iface}`),
      ...gone(before.addresses, after.addresses).map((a) => `address del ${a} dev ${iface}`),
    ],
    add: [
      ...gone(after.addresses, before.addresses).map((a) => addAddress(iface, a)),
      ...(after.mtu !== before.mtu ? [`link set dev ${iface} mtu ${after.mtu}`] : []),
      ...after.routes.map((r) => `route replace ${r} dev ${iface}`),
    ],
  };
}

/** Runs commands in one "ip -batch" inside the namespace; with force, errors of single commands are ignored. */
export async function ipBatch(t: Target, iface: string, commands: string[], force = false): Promise<void> {
  if (commands.length === 0) return;
  const argv = [...netnsPrefix(t), systemTool('ip'), ...(force ? ['-force'] : []), '-batch', '-'];
  const r = await run(argv, `${commands.join('\n')}\n`, LINK_TIMEOUT_MS);
  if (r.timedOut) throw new Failure(`configuring ${iface} inside the namespace: timed out after ${LINK_TIMEOUT_MS / 1000} s`);
  if (r.code !== 0 && !force) {
    throw new Failure(`configuring ${iface} inside the namespace: ${r.stderr.trim().split('\n').pop() || `exit code ${r.code}`}`);
  }
}
