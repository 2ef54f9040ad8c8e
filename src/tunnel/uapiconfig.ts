// wireguard-go's UAPI text protocol, the configurations: the first goes to
// the daemon through a pipe at its start, later ones over its unix socket
// (uapi.ts). Key material travels only these two ways, never argv or the
// environment.
import { networkOf } from '../cidr.js';
import type { Config } from '../config/validate.js';

export interface ResolvedEndpoint {
  address: string;
  port: number;
}

export function formatEndpoint(e: ResolvedEndpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** A new device's configuration: the body of a "set=1" request, which the daemon reads from a pipe. */
export function encodeConfig(config: Config, endpoints: (ResolvedEndpoint | undefined)[]): string {
  return `${encode(config, endpoints, ['replace_peers=true'], false).join('\n')}\n`;
}

/**
 * The request that takes a running device to config without touching
 * what stays (like "wg syncconf"): peers that are gone are removed, the
 * others are updated in place, so their sessions survive.
 */
export function encodeSync(config: Config, endpoints: (ResolvedEndpoint | undefined)[], currentPeersHex: string[]): string {
  const wanted = new Set(config.peers.map((p) => p.publicKey.toString('hex')));
  const removals = currentPeersHex.filter((k) => !wanted.has(k)).flatMap((k) => [`public_key=${k}`, 'remove=true']);
  return `set=1\n${encode(config, endpoints, removals, true).join('\n')}\n\n`;
}

function encode(config: Config, endpoints: (ResolvedEndpoint | undefined)[], before: string[], explicitPsk: boolean): string[] {
  const lines = [`private_key=${config.privateKey.toString('hex')}`];
  if (config.listenPort !== undefined) lines.push(`listen_port=${config.listenPort}`);
  lines.push(...before);
  config.peers.forEach((peer, i) => {
    lines.push(`public_key=${peer.publicKey.toString('hex')}`);
    if (peer.presharedKey || explicitPsk) lines.push(`preshared_key=${(peer.presharedKey ?? Buffer.alloc(32)).toString('hex')}`);
    const endpoint = endpoints[i];
    if (endpoint) lines.push(`endpoint=${formatEndpoint(endpoint)}`);
    lines.push(`persistent_keepalive_interval=${peer.persistentKeepalive ?? 0}`);
    lines.push('replace_allowed_ips=true');
    for (const ip of peer.allowedIPs) lines.push(`allowed_ip=${networkOf(ip)}`);
  });
  return lines;
}
