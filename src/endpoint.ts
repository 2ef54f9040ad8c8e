// Endpoint hostnames are resolved here: wireguard-go takes only addresses.
import { lookup } from 'node:dns/promises';
import { isIPAddress } from './cidr.js';
import type { Endpoint } from './config/validate.js';
import { Failure } from './errors.js';
import type { ResolvedEndpoint } from './uapi.js';

export async function resolveEndpoint(e: Endpoint, timeoutMs = 3000): Promise<ResolvedEndpoint> {
  if (isIPAddress(e.host)) return { address: e.host, port: e.port };
  const what = `${e.where ?? 'config'}: Endpoint: cannot resolve ${e.host}`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const { address } = await Promise.race([lookup(e.host), timeout]);
    return { address, port: e.port };
  } catch (err) {
    if (err instanceof Failure) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new Failure(`${what}: ${code === 'ENOTFOUND' ? 'no such host' : (code ?? String(err))}`);
  } finally {
    clearTimeout(timer);
  }
}
