import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { configIdentity, identityDigest } from '../../../src/tunnel/identity.js';
import { configText, KEYS } from '../../helpers/config.js';

const config = (text: string, file = '/c.conf') => validateConfig(file, parseConfigText(file, text));

const identity = suite('configIdentity');

identity('should be the same for the same tunnel, whatever the file, comments or layout', async () => {
  const a = await configIdentity(config(configText()));
  const b = await configIdentity(config(`# a comment\n${configText().replace('Address = ', 'Address   =   ')}\n\n`, '/elsewhere.conf'));
  assert.is(a, b);
  assert.match(a, /^[0-9a-f]{32}$/);
});

identity('should differ when the key, an address, a peer or a setting differs', async () => {
  const base = await configIdentity(config(configText()));
  for (const [what, text] of [
    ['private key', configText().replace(KEYS.client.private, KEYS.psk)],
    ['address', configText().replace('198.51.100.2/32', '198.51.100.3/32')],
    ['allowed ips', configText().replace('0.0.0.0/0', '10.0.0.0/8')],
    ['endpoint', configText().replace(':51820', ':51821')],
    ['keepalive', configText({ iface: '', peer: 'PersistentKeepalive = 25' })],
    ['mtu', configText({ iface: 'MTU = 1380', peer: '' })],
  ]) {
    assert.is.not(await configIdentity(config(text)), base, what);
  }
});

identity('should be the digest the daemon computes (the vector of wireguard-go/identity_test.go TestIdentityOf)', async () => {
  const publicHex = Buffer.from(KEYS.client.public, 'base64').toString('hex');
  assert.is(identityDigest(publicHex, '{"addresses":["198.51.100.2/32"]}'), '92ba4c97001679d348546ebb3d1fa263');
});

identity.run();
