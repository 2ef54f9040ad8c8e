import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { appliedOf, linkChange } from '../../../src/tunnel/link.js';
import { configText } from '../../helpers/config.js';

const config = (text: string) => validateConfig('/c.conf', parseConfigText('/c.conf', text));

const link = suite('appliedOf');

link('should take the addresses and MTU, and route every AllowedIPs once', () => {
  const c = config(configText({ iface: 'MTU = 1380', peer: 'AllowedIPs = 198.51.100.9/24, 0.0.0.0/0' }));
  assert.equal(appliedOf(c), {
    addresses: ['198.51.100.2/32', 'fd5a:7b1e:c0de::2/128'],
    routes: ['0.0.0.0/0', '::/0', '198.51.100.0/24'],
    mtu: 1380,
  });
});

link('should add no routes with Table = off', () => {
  assert.equal(appliedOf(config(configText({ iface: 'Table = off', peer: '' }))).routes, []);
});

link('should change only what changed, and replace every route :: linkChange', () => {
  const before = { addresses: ['198.51.100.2/32', 'fd5a::2/128'], routes: ['0.0.0.0/0', '::/0'], mtu: 1420 };
  const after = { addresses: ['198.51.100.3/32', 'fd5a::2/128'], routes: ['198.51.100.0/24', '::/0'], mtu: 1380 };
  assert.equal(linkChange(before, after), {
    delRoutes: ['0.0.0.0/0'],
    delAddresses: ['198.51.100.2/32'],
    addAddresses: ['198.51.100.3/32'],
    routes: ['198.51.100.0/24', '::/0'],
    mtu: 1380,
  });
  assert.equal(linkChange(before, before), {
    delRoutes: [],
    delAddresses: [],
    addAddresses: [],
    routes: ['0.0.0.0/0', '::/0'],
    mtu: undefined,
  });
});

link.run();
