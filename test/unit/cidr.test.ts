import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCidr, networkOf, overlaps, parseCidr } from '../../src/cidr.js';

const cidr = suite('parseCidr');

cidr('should normalise addresses and default to a host prefix', () => {
  assert.is(formatCidr(parseCidr('198.51.100.7')!), '198.51.100.7/32');
  assert.is(formatCidr(parseCidr('FD5A:0:0::0002/64')!), 'fd5a::2/64');
  assert.is(parseCidr('::/0')!.prefix, 0);
});

cidr('should refuse malformed input', () => {
  for (const bad of [
    '',
    '/24',
    '1.2.3/24',
    '1.2.3.4/33',
    '1.2.3.4/',
    '1.2.3.4/24/1',
    'fd5a::1/129',
    'fd5a::1%eth0',
    'zz::1',
    '1.2.3.4/x',
    '01.2.3.4.5',
  ]) {
    assert.is(parseCidr(bad), undefined, bad);
  }
});

cidr.run();

const net = suite('networkOf and overlaps');

net('should give the route destination of an address', () => {
  assert.is(networkOf(parseCidr('198.51.100.7/24')!), '198.51.100.0/24');
  assert.is(networkOf(parseCidr('fd5a:7b1e:c0de::2/64')!), 'fd5a:7b1e:c0de::/64');
});

net('should see overlaps only within one family', () => {
  const p = (t: string) => parseCidr(t)!;
  assert.ok(overlaps(p('10.0.0.0/8'), p('10.1.2.3/32')));
  assert.ok(overlaps(p('::/0'), p('fd5a::/16')));
  assert.not.ok(overlaps(p('10.0.0.0/16'), p('10.1.0.0/16')));
  assert.not.ok(overlaps(p('0.0.0.0/0'), p('::/0')));
});

net.run();
