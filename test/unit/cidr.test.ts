import { Address4, Address6 } from 'ip-address';
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

// The hook's parser against ip-address, the library it replaced (loading
// that cost every container start a tenth of the hook's time): the same
// answer for generated addresses in every textual form, and for broken ones.
const oracle = suite('parseCidr against ip-address');

function byLibrary(text: string): ReturnType<typeof parseCidr> {
  const [addr, prefixText, extra] = text.split('/');
  if (extra !== undefined || addr === '') return undefined;
  const family = addr.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  try {
    const parsed = family === 4 ? new Address4(`${addr}/${prefix}`) : new Address6(`${addr}/${prefix}`);
    if (family === 4 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) return undefined;
    if (family === 6 && addr.includes('%')) return undefined;
    return {
      family,
      address: parsed.correctForm(),
      prefix,
      first: parsed.startAddress().bigInt(),
      last: parsed.endAddress().bigInt(),
    };
  } catch {
    return undefined;
  }
}

/** A small deterministic generator (xorshift), so that a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** An address in one of the forms a person might write it: zero runs, compression, case, leading zeros, an IPv4 tail. */
function writeV6(r: (n: number) => number): string {
  const groups = Array.from({ length: 8 }, () => [0, 0, 1, 0xffff, r(0x10000)][r(5)]);
  let parts = groups.map((g) => {
    const h = g.toString(16);
    return [h, h.toUpperCase(), h.padStart(4, '0'), h.padStart(1 + r(4), '0')][r(4)];
  });
  if (r(4) === 0) parts = [...parts.slice(0, 6), `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`];
  if (r(2) === 0) {
    const at = r(parts.length);
    const len = 1 + r(Math.min(3, parts.length - at));
    return `${parts.slice(0, at).join(':')}::${parts.slice(at + len).join(':')}`;
  }
  return parts.join(':');
}

function writeV4(r: (n: number) => number): string {
  return Array.from({ length: 4 }, () => {
    const v = [0, 255, 10, r(256), r(300)][r(5)];
    return r(8) === 0 ? String(v).padStart(3, '0') : String(v);
  }).join('.');
}

/** Broken text: a character dropped, doubled or replaced. */
function mangle(text: string, r: (n: number) => number): string {
  const at = r(text.length + 1);
  const c = ':./0aFg%x9'[r(10)];
  return [text.slice(0, at) + text.slice(at + 1), text.slice(0, at) + c + text.slice(at), text.slice(0, at) + c + text.slice(at + 1)][r(3)];
}

oracle('should agree with ip-address on 20,000 generated addresses and prefixes, written well and badly', () => {
  const r = random(20261205);
  for (let i = 0; i < 20_000; i++) {
    const v6 = r(2) === 0;
    let text = v6 ? writeV6(r) : writeV4(r);
    if (r(2) === 0) text += `/${r(v6 ? 140 : 40)}`;
    if (r(3) === 0) text = mangle(text, r);
    assert.equal(parseCidr(text), byLibrary(text), text);
  }
});

oracle('should agree with ip-address on the edge cases', () => {
  for (const text of [
    '::',
    '::/0',
    '::1',
    '1::',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1:0:0:1:0:0:0:1',
    '0:0:1:0:0:1:0:0',
    '::ffff:1.2.3.4',
    '::1.2.3.4',
    '1::2::3',
    ':1::',
    '1:2:3:4:5:6:7:8:9',
    '0.0.0.0/0',
    '255.255.255.255',
    '256.1.1.1',
    '1.2.3.4/032',
  ]) {
    assert.equal(parseCidr(text), byLibrary(text), text);
  }
});

oracle.run();
