// WireGuard keys: Curve25519, from Node's crypto (keytext.ts reads them).
// Off the hook's path: the daemon derives the public key there
// (wireguard-go/identity.go).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function publicKeyOf(privateKey: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
}

/** A new private key, clamped as "wg genkey" prints it. */
export function generatePrivateKey(): Buffer {
  const { privateKey } = generateKeyPairSync('x25519');
  const key = Buffer.from(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32));
  key[0] &= 248;
  key[31] = (key[31] & 127) | 64;
  return key;
}

export function generatePresharedKey(): Buffer {
  return randomBytes(32);
}
