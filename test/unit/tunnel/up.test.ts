import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { configIdentity, reresolveList } from '../../../src/tunnel/up.js';
import { configText, KEYS } from '../../helpers/config.js';

const config = (text: string, file = '/c.conf') => validateConfig(file, parseConfigText(file, text));

const identity = suite('configIdentity');

identity('should be the same for the same tunnel, whatever the file, comments or layout', () => {
  const a = config(configText());
  const b = config(`# a comment\n${configText().replace('Address = ', 'Address   =   ')}\n\n`, '/elsewhere.conf');
  assert.is(configIdentity(a), configIdentity(b));
  assert.match(configIdentity(a), /^[0-9a-f]{32}$/);
});

identity('should differ when the key, an address, a peer or a setting differs', () => {
  const base = configIdentity(config(configText()));
  for (const [what, text] of [
    ['private key', configText().replace(KEYS.client.private, KEYS.psk)],
    ['address', configText().replace('198.51.100.2/32', '198.51.100.3/32')],
    ['allowed ips', configText().replace('0.0.0.0/0', '10.0.0.0/8')],
    ['endpoint', configText().replace(':51820', ':51821')],
    ['keepalive', configText({ iface: '', peer: 'PersistentKeepalive = 25' })],
    ['mtu', configText({ iface: 'MTU = 1380', peer: '' })],
  ]) {
    assert.is.not(configIdentity(config(text)), base, what);
  }
});

identity.run();

const reresolve = suite('reresolveList');

reresolve('should list only peers whose endpoint is a host name, as PUBKEYHEX=HOST:PORT', () => {
  const hex = Buffer.from(KEYS.server.public, 'base64').toString('hex');
  assert.equal(reresolveList(config(configText())), []);
  assert.equal(reresolveList(config(configText().replace('198.18.0.2:51820', 'edge.example.net:51820'))), [
    `${hex}=edge.example.net:51820`,
  ]);
});

reresolve.run();
