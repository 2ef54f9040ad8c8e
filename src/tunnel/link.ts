// What wg-quick does to the interface: addresses, MTU, link up, and a route
// for every peer's AllowedIPs (the netns has no other route, so a /0 simply
// becomes the default route). The daemon applies it at start (daemon.ts);
// what was applied is kept in state.json, so that a reload changes exactly
// the difference, through the same rtnetlink code (wireguard-go/link.go).
import { formatCidr, networkOf } from '../cidr.js';
import type { Config } from '../config/validate.js';
import { Failure } from '../errors.js';
import { run } from '../run.js';
import { wireguardGo } from '../tools.js';
import { type Target, userPrefix } from './namespaces.js';

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

/** What takes the interface from before to after (wireguard-go/link.go applies it). */
export interface LinkChange {
  delRoutes: string[];
  delAddresses: string[];
  addAddresses: string[];
  /** every route of after: replaced, so the ones that stay are kept */
  routes: string[];
  /** undefined: unchanged */
  mtu?: number;
}

export function linkChange(before: Applied, after: Applied): LinkChange {
  const gone = (list: string[], from: string[]) => list.filter((x) => !from.includes(x));
  return {
    delRoutes: gone(before.routes, after.routes),
    delAddresses: gone(before.addresses, after.addresses),
    addAddresses: gone(after.addresses, before.addresses),
    routes: after.routes,
    mtu: after.mtu !== before.mtu ? after.mtu : undefined,
  };
}

/** Makes the change inside the namespace, with the daemon's rtnetlink code: one owner of the link's state. */
export async function changeLink(t: Target, iface: string, c: LinkChange): Promise<void> {
  const args = ['wireguard4netns-link', '-netns', t.netns, '-interface', iface];
  for (const r of c.delRoutes) args.push('-del-route', r);
  for (const a of c.delAddresses) args.push('-del-address', a);
  for (const a of c.addAddresses) args.push('-address', a);
  for (const r of c.routes) args.push('-route', r);
  if (c.mtu !== undefined) args.push('-mtu', String(c.mtu));
  const r = await run([...userPrefix(t), wireguardGo(), ...args], '', LINK_TIMEOUT_MS);
  if (r.timedOut) throw new Failure(`changing ${iface} inside the namespace: timed out after ${LINK_TIMEOUT_MS / 1000} s`);
  if (r.code !== 0)
    throw new Failure(`changing ${iface} inside the namespace: ${r.stderr.trim().split('\n').pop() || `exit code ${r.code}`}`);
}
