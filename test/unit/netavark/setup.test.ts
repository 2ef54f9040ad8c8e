import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configFromBytes } from '../../../src/config/read.js';
import { statusBlock } from '../../../src/netavark/setup.js';
import { configText } from '../../helpers/config.js';

const status = suite('statusBlock');

status("should give wg0 the config's addresses, and its DNS servers and search domains", () => {
  const config = configFromBytes('/a.conf', Buffer.from(configText({ iface: 'DNS = 198.51.100.53, fd5a::53, corp.example', peer: '' })));
  assert.equal(statusBlock(config), {
    dns_search_domains: ['corp.example'],
    dns_server_ips: ['198.51.100.53', 'fd5a::53'],
    interfaces: { wg0: { mac_address: '', subnets: [{ ipnet: '198.51.100.2/32' }, { ipnet: 'fd5a:7b1e:c0de::2/128' }] } },
  });
});

status.run();
