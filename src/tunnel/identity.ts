// What a config makes of a tunnel, as a digest: its keys, addresses, peers
// and settings, not its comments or layout. Two containers of a namespace
// share a tunnel only when theirs are the same.
//
// A start sends identityInput down the daemon's config pipe (it holds the
// preshared keys), and the daemon derives the public key and the digest
// (wireguard-go/identity.go identityOf), so the hook loads no crypto.
// Other callers (reload, the netavark plugin) compute the same here: the
// first 16 bytes of SHA-256 over "PUBLICKEYHEX\n" and the input, in hex
// (test/fixtures/contract/identity.json pins both).
import { formatCidr } from '../cidr.js';
import type { Config } from '../config/validate.js';

/** The config's identity without its public key (which only the private key gives): canonical JSON. */
export function identityInput(config: Config): string {
  const hex = (b?: Buffer) => b?.toString('hex');
  return JSON.stringify({
    addresses: config.addresses.map(formatCidr),
    listenPort: config.listenPort,
    mtu: config.mtu,
    dns: config.dns,
    dnsSearch: config.dnsSearch,
    routes: config.routes,
    peers: config.peers.map((p) => ({
      publicKey: hex(p.publicKey),
      presharedKey: hex(p.presharedKey),
      allowedIPs: p.allowedIPs.map(formatCidr),
      endpoint: p.endpoint && `${p.endpoint.host}:${p.endpoint.port}`,
      persistentKeepalive: p.persistentKeepalive,
    })),
  });
}

/** The digest of input for the public key publicKeyHex (32 hex digits), as identityOf computes it. */
export function identityDigest(publicKeyHex: string, input: string): string {
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(`${publicKeyHex}\n${input}`).digest('hex').slice(0, 32);
}

/** The digest a daemon writes as configIdentity for config. */
export async function configIdentity(config: Config): Promise<string> {
  const { publicKeyOf } = await import('../keys.js');
  return identityDigest(publicKeyOf(config.privateKey).toString('hex'), identityInput(config));
}
