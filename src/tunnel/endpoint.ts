// Endpoint hostnames are resolved here: wireguard-go takes only addresses.
// The lookup runs in a child (getent, so /etc/hosts and nsswitch count as
// they would for getaddrinfo) that is killed when it hangs: an in-process
// getaddrinfo cannot be cancelled, and libuv joins its thread at exit, so a
// silent DNS server would hold the container start past our own bound.
import { isIPAddress } from '../cidr.js';
import type { Endpoint } from '../config/validate.js';
import { Failure } from '../errors.js';
import { run } from '../run.js';
import { systemTool } from '../tools.js';
import type { ResolvedEndpoint } from './uapiconfig.js';

export async function resolveEndpoint(e: Endpoint, timeoutMs = 3000): Promise<ResolvedEndpoint> {
  if (isIPAddress(e.host)) return { address: e.host, port: e.port };
  const what = `${e.where ?? 'config'}: Endpoint: cannot resolve ${e.host}`;
  const r = await run([systemTool('getent'), 'ahosts', e.host], '', timeoutMs);
  if (r.timedOut) throw new Failure(`${what}: no answer within ${timeoutMs} ms`);
  // "ADDRESS STREAM name" lines, in getaddrinfo's order of preference.
  const address = r.stdout.split('\n')[0]?.split(/\s+/)[0];
  if (r.code !== 0 || !address || !isIPAddress(address)) throw new Failure(`${what}: no such host`);
  return { address, port: e.port };
}
