import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { parseReply } from '../../../src/tunnel/uapi.js';
import { encodeConfig, encodeSync } from '../../../src/tunnel/uapiconfig.js';
import { configText, KEYS } from '../../helpers/config.js';

const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
const config = (text: string) => validateConfig('/c.conf', parseConfigText('/c.conf', text));

const set = suite('encodeConfig');

set('should encode keys in hex, endpoints and allowed IPs as networks', () => {
  const c = config(
    configText({ iface: 'ListenPort = 51000', peer: `PresharedKey = ${KEYS.psk}\nPersistentKeepalive = 25` }).replace(
      '0.0.0.0/0, ::/0',
      '198.51.100.9/24',
    ),
  );
  assert.is(
    encodeConfig(c, [{ address: '198.18.0.2', port: 51820 }]),
    [
      `private_key=${hex(KEYS.client.private)}`,
      'listen_port=51000',
      'replace_peers=true',
      `public_key=${hex(KEYS.server.public)}`,
      `preshared_key=${hex(KEYS.psk)}`,
      'endpoint=198.18.0.2:51820',
      'persistent_keepalive_interval=25',
      'replace_allowed_ips=true',
      'allowed_ip=198.51.100.0/24',
      '',
    ].join('\n'),
  );
});

set('should bracket IPv6 endpoints and leave out what is not set', () => {
  const text = encodeConfig(config(configText()), [{ address: 'fd5a::1', port: 1 }]);
  assert.match(text, '\nendpoint=[fd5a::1]:1\n');
  assert.not.match(text, 'listen_port');
  assert.not.match(text, 'preshared_key');
  assert.match(text, '\npersistent_keepalive_interval=0\n');
});

set('should remove gone peers and keep the others in place :: encodeSync', () => {
  const gone = 'ab'.repeat(32);
  const text = encodeSync(config(configText()), [undefined], [hex(KEYS.server.public), gone]);
  assert.not.match(text, 'replace_peers');
  assert.match(text, `\npublic_key=${gone}\nremove=true\npublic_key=${hex(KEYS.server.public)}\npreshared_key=${'00'.repeat(32)}\n`);
  assert.is(text.split('remove=true').length - 1, 1, 'only the gone peer is removed');
});

set.run();

const reply = suite('parseReply');

reply('should split entries and the errno', () => {
  assert.equal(parseReply('listen_port=5\npublic_key=ab\nerrno=0\n\n'), {
    errno: 0,
    entries: [
      ['listen_port', '5'],
      ['public_key', 'ab'],
    ],
  });
  assert.is(parseReply('errno=-98\n\n').errno, -98);
  assert.ok(Number.isNaN(parseReply('garbage').errno));
});

reply.run();
