// Sections -> a checked Config. Every error names the file, the line and the
// key, says what was expected, and never repeats key material.

import { type Cidr, formatCidr, overlaps, parseCidr } from '../cidr.js';
import { Failure, quote as shown } from '../errors.js';
import { decodeKey } from '../keytext.js';
import type { Entry, Section } from './parse.js';

export interface Endpoint {
  host: string;
  port: number;
  /** where the config says it, for errors found later (resolving the host) */
  where?: string;
}

export interface PeerConfig {
  publicKey: Buffer;
  presharedKey?: Buffer;
  allowedIPs: Cidr[];
  endpoint?: Endpoint;
  persistentKeepalive?: number;
  line: number;
}

export interface Config {
  file: string;
  privateKey: Buffer;
  addresses: Cidr[];
  listenPort?: number;
  mtu: number;
  dns: string[];
  dnsSearch: string[];
  /** false for Table = off: no routes from AllowedIPs */
  routes: boolean;
  peers: PeerConfig[];
}

export const DEFAULT_MTU = 1420;

const NOT_SUPPORTED: Record<string, string> = {
  preup: 'wireguard4netns runs no commands from a config',
  postup: 'wireguard4netns runs no commands from a config',
  predown: 'wireguard4netns runs no commands from a config',
  postdown: 'wireguard4netns runs no commands from a config',
  saveconfig: 'the config file is never written',
  fwmark: 'the tunnel owns its namespace, no policy routing is needed',
};

const INTERFACE_KEYS = ['PrivateKey', 'Address', 'ListenPort', 'MTU', 'DNS', 'Table'];
const PEER_KEYS = ['PublicKey', 'PresharedKey', 'AllowedIPs', 'Endpoint', 'PersistentKeepalive'];

class Fields {
  constructor(
    private readonly file: string,
    private readonly section: Section,
    private readonly known: string[],
  ) {
    for (const e of section.entries) {
      if (this.canonical(e) !== undefined) continue;
      const why = NOT_SUPPORTED[e.key.toLowerCase()];
      if (why) fail(`${file}:${e.line}: ${e.key}: not supported (${why})`);
      fail(`${file}:${e.line}: unknown key ${shown(e.key)} in [${section.name}]; expected one of ${known.join(', ')}`);
    }
  }

  fail(e: Entry | undefined, message: string): never {
    const where = e ? `${this.file}:${e.line}: ${this.canonical(e)}` : `${this.file}:${this.section.line}: [${this.section.name}]`;
    return fail(`${where}: ${message}`);
  }

  /** All entries of key (lists may repeat the key). */
  all(key: string): Entry[] {
    return this.section.entries.filter((e) => this.canonical(e) === key);
  }

  /** The one entry of key, if any. */
  one(key: string): Entry | undefined {
    const [first, second] = this.all(key);
    if (second) this.fail(second, `given twice (also on line ${first.line}); expected it once`);
    return first;
  }

  /** Keys are case-insensitive, as in wg-quick. */
  private canonical(e: Entry): string | undefined {
    return this.known.find((k) => k.toLowerCase() === e.key.toLowerCase());
  }
}

function fail(message: string): never {
  throw new Failure(message);
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function key(f: Fields, e: Entry): Buffer {
  // Never echo the value: it may be a private key.
  return decodeKey(e.value) ?? f.fail(e, 'expected base64 of exactly 32 bytes (as "wg genkey" prints)');
}

function integer(f: Fields, e: Entry, min: number, max: number, what = 'an integer'): number {
  const n = /^\d{1,6}$/.test(e.value) ? Number(e.value) : NaN;
  if (!(n >= min && n <= max)) f.fail(e, `expected ${what} from ${min} to ${max}, got ${shown(e.value)}`);
  return n;
}

function cidrs(f: Fields, e: Entry): Cidr[] {
  return list(e.value).map(
    (text) => parseCidr(text) ?? f.fail(e, `expected an IPv4 or IPv6 address with an optional /prefix, got ${shown(text)}`),
  );
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const [, host, portText] = m;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  const bracketed = text.startsWith('[');
  if (bracketed && !(parseCidr(host)?.family === 6 && !host.includes('/'))) return undefined;
  if (!bracketed && !HOSTNAME.test(host)) return undefined;
  if (!bracketed && /^[\d.]+$/.test(host) && !parseCidr(host)) return undefined;
  return { host, port };
}

/** What a caller needs of a config beyond its format. */
export interface Rules {
  /** false when the caller sets the addresses itself (the original's command line): Address may be absent */
  addressRequired?: boolean;
}

function interfaceSection(file: string, s: Section, rules: Rules) {
  const f = new Fields(file, s, INTERFACE_KEYS);
  const privateKeyEntry = f.one('PrivateKey') ?? f.fail(undefined, 'PrivateKey is missing; expected the base64 private key of this end');
  const addresses = f.all('Address').flatMap((e) => cidrs(f, e));
  if (addresses.length === 0 && rules.addressRequired !== false)
    f.fail(undefined, 'Address is missing; expected at least one IPv4 or IPv6 address for the interface');
  const dns: string[] = [];
  const dnsSearch: string[] = [];
  for (const e of f.all('DNS')) {
    for (const item of list(e.value)) {
      const ip = parseCidr(item);
      if (ip && !item.includes('/')) dns.push(ip.address);
      else if (HOSTNAME.test(item) && !/^[\d.]+$/.test(item)) dnsSearch.push(item);
      else f.fail(e, `expected an IP address of a name server or a search domain, got ${shown(item)}`);
    }
  }
  const hasV6 = addresses.some((a) => a.family === 6);
  const mtuEntry = f.one('MTU');
  const mtu = mtuEntry ? integer(f, mtuEntry, hasV6 ? 1280 : 576, 65535, hasV6 ? 'an MTU (IPv6 is used)' : 'an MTU') : DEFAULT_MTU;
  const portEntry = f.one('ListenPort');
  const tableEntry = f.one('Table');
  const table = tableEntry?.value.toLowerCase() ?? 'auto';
  if (table !== 'auto' && table !== 'off') f.fail(tableEntry, `expected "auto" or "off", got ${shown(tableEntry!.value)}`);
  return {
    privateKey: key(f, privateKeyEntry),
    addresses,
    listenPort: portEntry ? integer(f, portEntry, 0, 65535, 'a port') : undefined,
    mtu,
    dns,
    dnsSearch,
    routes: table === 'auto',
  };
}

function peerSection(file: string, s: Section): PeerConfig {
  const f = new Fields(file, s, PEER_KEYS);
  const publicKeyEntry = f.one('PublicKey') ?? f.fail(undefined, 'PublicKey is missing; expected the base64 public key of the peer');
  const pskEntry = f.one('PresharedKey');
  const endpointEntry = f.one('Endpoint');
  const keepaliveEntry = f.one('PersistentKeepalive');
  const keepalive =
    keepaliveEntry && keepaliveEntry.value.toLowerCase() !== 'off' ? integer(f, keepaliveEntry, 0, 65535, 'seconds') : undefined;
  const endpoint = endpointEntry
    ? {
        ...(parseEndpoint(endpointEntry.value) ??
          f.fail(endpointEntry, `expected host:port or [IPv6]:port with a port from 1 to 65535, got ${shown(endpointEntry.value)}`)),
        where: `${file}:${endpointEntry.line}`,
      }
    : undefined;
  return {
    publicKey: key(f, publicKeyEntry),
    presharedKey: pskEntry ? key(f, pskEntry) : undefined,
    allowedIPs: f.all('AllowedIPs').flatMap((e) => cidrs(f, e)),
    endpoint,
    persistentKeepalive: keepalive || undefined,
    line: s.line,
  };
}

export function validateConfig(file: string, sections: Section[], rules: Rules = {}): Config {
  const interfaces = sections.filter((s) => s.name === 'Interface');
  if (interfaces.length === 0) fail(`${file}: no [Interface] section; expected one`);
  if (interfaces.length > 1)
    fail(`${file}:${interfaces[1].line}: a second [Interface] section (the first is on line ${interfaces[0].line}); expected one`);
  const iface = interfaceSection(file, interfaces[0], rules);
  const peers = sections.filter((s) => s.name === 'Peer').map((s) => peerSection(file, s));
  if (peers.length === 0) fail(`${file}: no [Peer] section; expected at least one`);

  // A peer with this end's own key: the daemon finds it, since the public key is derived there (selfPeerMessage).
  peers.forEach((peer, i) => {
    const where = `${file}:${peer.line}: [Peer]`;
    const twin = peers.findIndex((p) => p.publicKey.equals(peer.publicKey));
    if (twin < i) fail(`${where}: PublicKey is the same as the peer on line ${peers[twin].line}; expected each peer once`);
    for (const other of peers.slice(0, i)) {
      for (const a of peer.allowedIPs) {
        const b = other.allowedIPs.find((o) => overlaps(a, o));
        if (b)
          fail(
            `${where}: AllowedIPs ${formatCidr(a)} overlaps ${formatCidr(b)} of the peer on line ${other.line}; expected disjoint AllowedIPs`,
          );
      }
    }
  });
  return { file, ...iface, peers };
}

/** The error for a peer whose PublicKey is this end's own (publicKeyHex, which the daemon derived and reports). */
export function selfPeerMessage(config: Config, publicKeyHex: string): string {
  const peer = config.peers.find((p) => p.publicKey.toString('hex') === publicKeyHex);
  const where = peer ? `${config.file}:${peer.line}: [Peer]` : `${config.file}: a [Peer]`;
  return `${where}: PublicKey is this interface's own public key; expected the peer's`;
}
