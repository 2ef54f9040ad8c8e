// Address math for Address= and AllowedIPs=, on top of ip-address.
import { Address4, Address6 } from 'ip-address';

export interface Cidr {
  family: 4 | 6;
  /** the address as written, normalised (10.0.0.2, fd00::2) */
  address: string;
  prefix: number;
  /** first and last address of the network, as numbers */
  first: bigint;
  last: bigint;
}

/** Parses "addr[/prefix]"; a missing prefix means a single host. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefixText, extra] = text.split('/');
  if (extra !== undefined || addr === '') return undefined;
  const family = addr.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  try {
    const parsed = family === 4 ? new Address4(`${addr}/${prefix}`) : new Address6(`${addr}/${prefix}`);
    if (family === 4 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) return undefined;
    if (family === 6 && addr.includes('%')) return undefined;
    return {
      family,
      address: parsed.correctForm(),
      prefix,
      first: parsed.startAddress().bigInt(),
      last: parsed.endAddress().bigInt(),
    };
  } catch {
    return undefined;
  }
}

export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

/** The network a CIDR names, as a route destination: 10.0.0.7/24 -> 10.0.0.0/24. */
export function networkOf(c: Cidr): string {
  const addr = c.family === 4 ? Address4.fromBigInt(c.first) : Address6.fromBigInt(c.first);
  return `${addr.correctForm()}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function isIPAddress(text: string): boolean {
  const c = parseCidr(text);
  return c !== undefined && !text.includes('/');
}
