import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePrivateKey, publicKeyOf } from '../../src/keys.js';
import { decodeKey } from '../../src/keytext.js';
import { KEYS } from '../helpers/config.js';

const keys = suite('keys');

keys('should derive the public key "wg pubkey" derives', () => {
  assert.is(publicKeyOf(decodeKey(KEYS.client.private)!).toString('base64'), KEYS.client.public);
  assert.is(publicKeyOf(decodeKey(KEYS.server.private)!).toString('base64'), KEYS.server.public);
});

keys('should decode only canonical base64 of 32 bytes', () => {
  assert.is(decodeKey(KEYS.psk)?.length, 32);
  assert.is(decodeKey(KEYS.psk.slice(1)), undefined);
  assert.is(decodeKey(`${KEYS.psk.slice(0, 42)}B=`), undefined, 'non-canonical last character');
  assert.is(generatePrivateKey().length, 32);
});

keys('should clamp new private keys as "wg genkey" does', () => {
  for (let i = 0; i < 20; i++) {
    const k = generatePrivateKey();
    assert.equal([k[0] & 7, k[31] & 128, k[31] & 64], [0, 0, 64]);
  }
});

keys.run();
