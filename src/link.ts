// What wg-quick does to the interface, as one "ip -batch" inside the netns:
// addresses, link up, and a route for every peer's AllowedIPs (the netns has
// no other route, so a /0 simply becomes the default route).
import { formatCidr, networkOf } from './cidr.js';
import type { Config } from './config/validate.js';
import { Failure } from './errors.js';
import { netnsPrefix, type Target } from './namespaces.js';
import { run } from './run.js';
import { systemTool } from './tools.js';

const LINK_TIMEOUT_MS = 2000;

export function linkCommands(iface: string, config: Config): string[] {
  const cmds = config.addresses.map((a) => `address add ${formatCidr(a)} dev ${iface}${a.family === 6 ? ' nodad' : ''}`);
  cmds.push(`link set dev ${iface} mtu ${config.mtu} up`);
  if (config.routes) {
    const routes = new Set(config.peers.flatMap((p) => p.allowedIPs.map(networkOf)));
    for (const r of routes) cmds.push(`route replace ${r} dev ${iface}`);
  }
  return cmds;
}

export async function configureLink(t: Target, iface: string, config: Config): Promise<void> {
  const r = await run([...netnsPrefix(t), systemTool('ip'), '-batch', '-'], `${linkCommands(iface, config).join('\n')}\n`, LINK_TIMEOUT_MS);
  if (r.code !== 0 || r.timedOut) {
    const why = r.timedOut ? `timed out after ${LINK_TIMEOUT_MS / 1000} s` : (r.stderr.trim().split('\n').pop() ?? `exit code ${r.code}`);
    throw new Failure(`configuring ${iface} inside the namespace: ${why}`);
  }
}
