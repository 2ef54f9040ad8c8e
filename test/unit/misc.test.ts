import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../src/config/parse.js';
import { validateConfig } from '../../src/config/validate.js';
import { exampleConfig } from '../../src/config/example.js';
import { decodeKey, generatePrivateKey, publicKeyOf } from '../../src/keys.js';
import { appliedOf, reloadCommands } from '../../src/tunnel/link.js';
import { mapToParent } from '../../src/userns.js';
import { resolvConfText } from '../../src/tunnel/resolvconf.js';
import { run } from '../../src/run.js';
import { configText, KEYS } from '../helpers/config.js';

const config = (text: string) => validateConfig('/c.conf', parseConfigText('/c.conf', text));

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

keys('should print an example config that validates once the peer key is filled in', () => {
  const text = exampleConfig(KEYS.client.private).replace('REPLACE_WITH_THE_PEER_PUBLIC_KEY=', KEYS.server.public);
  const c = config(text);
  assert.is(c.peers[0].endpoint?.host, 'edge.example.net');
  assert.throws(() => config(exampleConfig(KEYS.client.private)), /PublicKey: expected base64 of exactly 32 bytes/);
});

keys.run();

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

link('should reload only what changed :: reloadCommands', () => {
  const before = { addresses: ['198.51.100.2/32', 'fd5a::2/128'], routes: ['0.0.0.0/0', '::/0'], mtu: 1420 };
  const after = { addresses: ['198.51.100.3/32', 'fd5a::2/128'], routes: ['198.51.100.0/24', '::/0'], mtu: 1380 };
  assert.equal(reloadCommands('wg0', before, after), {
    remove: ['route del 0.0.0.0/0 dev wg0', 'address del 198.51.100.2/32 dev wg0'],
    add: ['address add 198.51.100.3/32 dev wg0', 'link set dev wg0 mtu 1380', 'route replace 198.51.100.0/24 dev wg0', 'route replace ::/0 dev wg0'],
  });
  assert.equal(reloadCommands('wg0', before, before), { remove: [], add: ['route replace 0.0.0.0/0 dev wg0', 'route replace ::/0 dev wg0'] });
});

link.run();

const paths = suite('mapToParent');

paths('should map ids through a uid_map', () => {
  assert.is(mapToParent(0, '         0       1000          1\n         1     100000      65536\n'), 1000);
  assert.is(mapToParent(5, '         0       1000          1\n         1     100000      65536\n'), 100004);
  assert.is(mapToParent(1000, '         0          0 4294967295\n'), 1000);
});

paths.run();

const dns = suite('resolvConfText');

dns('should write name servers and search domains', () => {
  const c = config(configText({ iface: 'DNS = 198.51.100.53, fd5a::53, corp.example', peer: '' }));
  assert.is(resolvConfText(c), '# written by wireguard4netns from /c.conf\nnameserver 198.51.100.53\nnameserver fd5a::53\nsearch corp.example\n');
});

dns.run();

const runs = suite('run');

runs('should survive a command that exits without reading its input :: getent, found by the re-resolve test', async () => {
  const r = await run(['/bin/true'], 'x'.repeat(1 << 20), 2000);
  assert.equal([r.code, r.timedOut], [0, false]);
});

runs('should kill a command that hangs, and say so', async () => {
  const started = Date.now();
  const r = await run(['/bin/sleep', '10'], '', 200);
  assert.is(r.timedOut, true);
  assert.ok(Date.now() - started < 2000);
});

runs.run();
