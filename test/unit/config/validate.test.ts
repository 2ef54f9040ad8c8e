import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { parseEndpoint, selfPeerMessage, validateConfig } from '../../../src/config/validate.js';
import { Failure } from '../../../src/errors.js';
import { configText, KEYS } from '../../helpers/config.js';

const F = '/etc/wg/edge.conf';
const load = (text: string) => validateConfig(F, parseConfigText(F, text));
const failure = (text: string): string => {
  try {
    load(text);
  } catch (err) {
    assert.instance(err, Failure);
    return (err as Error).message;
  }
  assert.unreachable('expected a Failure');
  return '';
};

const validate = suite('validateConfig');

validate('should read a complete config', () => {
  const c = load(
    configText({
      iface: 'ListenPort = 51000\nMTU = 1380\nDNS = 198.51.100.53, corp.example',
      peer: `PresharedKey = ${KEYS.psk}\nPersistentKeepalive = 25`,
    }),
  );
  assert.equal(
    c.addresses.map((a) => `${a.address}/${a.prefix}`),
    ['198.51.100.2/32', 'fd5a:7b1e:c0de::2/128'],
  );
  assert.is(c.listenPort, 51000);
  assert.is(c.mtu, 1380);
  assert.equal(c.dns, ['198.51.100.53']);
  assert.equal(c.dnsSearch, ['corp.example']);
  assert.is(c.peers.length, 1);
  assert.equal(c.peers[0].endpoint, { host: '198.18.0.2', port: 51820, where: '/etc/wg/edge.conf:9' });
  assert.is(c.peers[0].persistentKeepalive, 25);
  assert.is(c.peers[0].presharedKey?.toString('base64'), KEYS.psk);
  assert.is(c.routes, true);
});

validate('should default the MTU to 1420 and accept keys in any case', () => {
  const c = load(configText().replace('PrivateKey', 'privatekey').replace('AllowedIPs', 'allowedips'));
  assert.is(c.mtu, 1420);
  assert.is(c.peers[0].allowedIPs.length, 2);
});

validate('should never echo a key that a damaged line put in a key name :: found by the fuzz test', () => {
  const msg = failure(configText().replace('PrivateKey = ', 'Private '));
  assert.is(
    msg,
    '/etc/wg/edge.conf:2: unknown key "Private <hidden>" in [Interface]; expected one of PrivateKey, Address, ListenPort, MTU, DNS, Table',
  );
});

validate('should name file, line and key, and never echo a key :: bad PrivateKey', () => {
  const msg = failure(configText().replace(KEYS.client.private, 'c2VjcmV0LWJ1dC10b28tc2hvcnQ='));
  assert.is(msg, '/etc/wg/edge.conf:2: PrivateKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)');
  assert.not.match(msg, 'c2VjcmV0');
});

const cases: [string, string, string][] = [
  [
    'bad address',
    configText().replace('198.51.100.2/32', '198.51.100.300/32'),
    ':3: Address: expected an IPv4 or IPv6 address with an optional /prefix, got "198.51.100.300/32"',
  ],
  [
    'prefix too long',
    configText().replace('::2/128', '::2/129'),
    ':3: Address: expected an IPv4 or IPv6 address with an optional /prefix, got "fd5a:7b1e:c0de::2/129"',
  ],
  [
    'MTU below IPv6 minimum',
    configText({ iface: 'MTU = 1200', peer: '' }),
    ':4: MTU: expected an MTU (IPv6 is used) from 1280 to 65535, got "1200"',
  ],
  [
    'ListenPort out of range',
    configText({ iface: 'ListenPort = 70000', peer: '' }),
    ':4: ListenPort: expected a port from 0 to 65535, got "70000"',
  ],
  [
    'endpoint without port',
    configText().replace('198.18.0.2:51820', '198.18.0.2'),
    ':7: Endpoint: expected host:port or [IPv6]:port with a port from 1 to 65535, got "198.18.0.2"',
  ],
  [
    'endpoint port 0',
    configText().replace(':51820', ':0'),
    ':7: Endpoint: expected host:port or [IPv6]:port with a port from 1 to 65535, got "198.18.0.2:0"',
  ],
  [
    'keepalive',
    configText({ iface: '', peer: 'PersistentKeepalive = soon' }),
    ':9: PersistentKeepalive: expected seconds from 0 to 65535, got "soon"',
  ],
  [
    'unknown key',
    configText({ iface: 'Colour = blue', peer: '' }),
    ':4: unknown key "Colour" in [Interface]; expected one of PrivateKey, Address, ListenPort, MTU, DNS, Table',
  ],
  [
    'PostUp',
    configText({ iface: 'PostUp = rm -rf /', peer: '' }),
    ':4: PostUp: not supported (wireguard4netns runs no commands from a config)',
  ],
  ['twice', configText({ iface: 'MTU = 1400\nMTU = 1380', peer: '' }), ':5: MTU: given twice (also on line 4); expected it once'],
  ['second interface', `${configText()}[Interface]\n`, ':10: a second [Interface] section (the first is on line 1); expected one'],
  ['no peer', `[Interface]\nPrivateKey = ${KEYS.client.private}\nAddress = 10.0.0.2/32\n`, ': no [Peer] section; expected at least one'],
  [
    'peer without key',
    configText().replace(/PublicKey = .*/, ''),
    ':5: [Peer]: PublicKey is missing; expected the base64 public key of the peer',
  ],
  [
    'duplicate peer',
    `${configText()}[Peer]\nPublicKey = ${KEYS.server.public}\n`,
    ':10: [Peer]: PublicKey is the same as the peer on line 5; expected each peer once',
  ],
  [
    'overlapping AllowedIPs',
    `${configText()}[Peer]\nPublicKey = ${KEYS.psk}\nAllowedIPs = 10.1.0.0/16\n`,
    ':10: [Peer]: AllowedIPs 10.1.0.0/16 overlaps 0.0.0.0/0 of the peer on line 5; expected disjoint AllowedIPs',
  ],
  [
    'no address',
    configText().replace(/Address = .*/, ''),
    ':1: [Interface]: Address is missing; expected at least one IPv4 or IPv6 address for the interface',
  ],
  [
    'bad DNS',
    configText({ iface: 'DNS = 1.2.3.4/24', peer: '' }),
    ':4: DNS: expected an IP address of a name server or a search domain, got "1.2.3.4/24"',
  ],
];
for (const [name, text, expected] of cases) {
  validate(`should refuse :: ${name}`, () => {
    assert.is(failure(text), `${F}${expected}`);
  });
}

validate('should leave a peer with our own key to the daemon, and name its line from the key the daemon reports', () => {
  const config = load(configText().replace(KEYS.server.public, KEYS.client.public));
  const own = Buffer.from(KEYS.client.public, 'base64').toString('hex');
  assert.is(selfPeerMessage(config, own), `${F}:5: [Peer]: PublicKey is this interface's own public key; expected the peer's`);
});

validate.run();

const endpoint = suite('parseEndpoint');

endpoint('should accept IPv4, bracketed IPv6 and hostnames', () => {
  assert.equal(parseEndpoint('198.18.0.2:51820'), { host: '198.18.0.2', port: 51820 });
  assert.equal(parseEndpoint('[fd5a::1]:1'), { host: 'fd5a::1', port: 1 });
  assert.equal(parseEndpoint('edge.example.net:65535'), { host: 'edge.example.net', port: 65535 });
});

endpoint('should refuse what is not host:port', () => {
  for (const bad of ['fd5a::1:51820', '[198.18.0.2]:1', 'host:65536', 'host:', ':1', 'a_b:1', '1.2.3.999:1', '[fd5a::1]']) {
    assert.is(parseEndpoint(bad), undefined, bad);
  }
});

endpoint.run();
