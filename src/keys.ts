// WireGuard keys: base64 of 32 bytes, Curve25519, from Node's crypto.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Decodes a key; undefined unless it is canonical base64 of exactly 32 bytes. */
export function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

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
