// What netavark and podman hand a network plugin, and what it hands back
// (netavark 1.14, plugin-API.md): the network on stdin of "create", the
// container's options on stdin of "setup" and "teardown", a status block
// on stdout of "setup", {"error": "..."} on stdout of any failure. Only the
// fields we read or write are typed; the rest passes through untouched.
import { Failure } from '../errors.js';

export const API_VERSION = '1.0.0';
/** The driver name: `podman network create -d wireguard4netns`, and the plugin's file name. */
export const DRIVER = 'wireguard4netns';

export interface Network {
  name: string;
  id: string;
  driver: string;
  options?: Record<string, string> | null;
  subnets?: unknown[] | null;
  dns_enabled?: boolean;
  [field: string]: unknown;
}

export interface PortMapping {
  container_port: number;
  host_port: number;
  protocol: string;
}

/** stdin of setup and teardown */
export interface PluginExec {
  container_id: string;
  container_name: string;
  port_mappings?: PortMapping[] | null;
  network: Network;
  network_options: { static_ips?: string[] | null; interface_name?: string };
}

export interface StatusBlock {
  dns_search_domains: string[];
  dns_server_ips: string[];
  interfaces: Record<string, { mac_address: string; subnets: { ipnet: string }[] }>;
}

/** Parses stdin as JSON of the shape a subcommand expects (what: which one, for the error). */
export function parseInput<T>(text: string, what: string, required: string[]): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Failure(`${what}: stdin is not JSON; expected what netavark sends (plugin-API.md)`);
  }
  if (typeof value !== 'object' || value === null) throw new Failure(`${what}: stdin: expected a JSON object`);
  const missing = required.filter((k) => !(k in value));
  if (missing.length > 0) throw new Failure(`${what}: stdin: missing ${missing.join(', ')}`);
  return value as T;
}
