// Address math for Address= and AllowedIPs=: IPv4 and IPv6 text to
// numbers and back, in RFC 5952's form. Our own, not a library's: these
// checks run on every container start, and loading ip-address (which the
// unit tests keep as the oracle this must agree with) was a tenth of the
// hook's own time (docs/performance.md).

export interface Cidr {
  family: 4 | 6;
  /** the address as written, normalised (10.0.0.2, fd00::2) */
  address: string;
  prefix: number;
  /** first and last address of the network, as numbers */
  first: bigint;
  last: bigint;
}

const V4 = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;
const GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** An IPv4 address in dotted decimal (each part 0-255, no leading zeros: 010 is octal to some), as a number. */
function parseV4(text: string): bigint | undefined {
  if (!V4.test(text)) return undefined;
  let n = 0;
  for (const part of text.split('.')) {
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return BigInt(n);
}

/** An IPv6 address (with "::" and a dotted IPv4 tail allowed, no zone), as a number. */
function parseV6(text: string): bigint | undefined {
  let hex = text;
  const colon = text.lastIndexOf(':');
  if (text.includes('.', colon)) {
    const v4 = parseV4(text.slice(colon + 1));
    if (v4 === undefined || colon < 1) return undefined;
    hex = `${text.slice(0, colon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]) {
    if (!GROUP.test(g)) return undefined;
    n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return n;
}

function formatV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

/** RFC 5952: lower case, no leading zeros, the first longest run of two or more zero groups as "::". */
function formatV6(n: bigint): string {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((n >> s) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let len = 0;
    while (i + len < 8 && groups[i + len] === 0) len++;
    if (len > best.len) best = { at: i, len };
    i += len;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best.at < 0) return hex(groups);
  return `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`;
}

/** Parses "addr[/prefix]"; a missing prefix means a single host. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefixText, extra] = text.split('/');
  if (extra !== undefined || addr === '') return undefined;
  const family = addr.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const n = family === 4 ? parseV4(addr) : parseV6(addr);
  if (n === undefined) return undefined;
  const hostBits = BigInt(bits - prefix);
  const first = (n >> hostBits) << hostBits;
  return {
    family,
    address: family === 4 ? formatV4(n) : formatV6(n),
    prefix,
    first,
    last: first | ((1n << hostBits) - 1n),
  };
}

export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

/** The network a CIDR names, as a route destination: 10.0.0.7/24 -> 10.0.0.0/24. */
export function networkOf(c: Cidr): string {
  return `${c.family === 4 ? formatV4(c.first) : formatV6(c.first)}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function isIPAddress(text: string): boolean {
  const c = parseCidr(text);
  return c !== undefined && !text.includes('/');
}
