import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { resolvConfText } from '../../../src/tunnel/resolvconf.js';
import { configText } from '../../helpers/config.js';

const config = (text: string) => validateConfig('/c.conf', parseConfigText('/c.conf', text));

const dns = suite('resolvConfText');

dns('should write name servers and search domains', () => {
  const c = config(configText({ iface: 'DNS = 198.51.100.53, fd5a::53, corp.example', peer: '' }));
  assert.is(
    resolvConfText(c),
    '# written by wireguard4netns from /c.conf\nnameserver 198.51.100.53\nnameserver fd5a::53\nsearch corp.example\n',
  );
});

dns.run();
