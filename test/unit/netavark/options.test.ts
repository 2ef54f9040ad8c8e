import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseOptions } from '../../../src/netavark/options.js';

const options = suite('parseOptions');

options('should take conf, and wait and verbose when given', () => {
  assert.equal(parseOptions('edge', { conf: '/etc/wg/a.conf' }), { conf: '/etc/wg/a.conf', waitSeconds: undefined, verbose: false });
  assert.equal(parseOptions('edge', { conf: '/a.conf', wait: '5', verbose: 'true' }), { conf: '/a.conf', waitSeconds: 5, verbose: true });
});

options('should refuse, naming the network and the option :: missing, relative, unknown, bad wait or verbose', () => {
  const cases: [Record<string, string> | null, string][] = [
    [null, 'network edge: expected -o conf=/absolute/path/of/wg.conf'],
    [{ conf: 'wg/a.conf' }, 'network edge: conf "wg/a.conf": expected an absolute path'],
    [{ conf: '/a.conf', mtu: '1400' }, 'network edge: option "mtu" is not ours; expected -o conf=..., -o wait=..., -o verbose=...'],
    [{ conf: '/a.conf', wait: '90' }, 'network edge: wait "90": expected whole seconds from 1 to 45'],
    [{ conf: '/a.conf', verbose: 'loud' }, 'network edge: verbose "loud": expected true or false'],
  ];
  for (const [o, message] of cases) {
    assert.throws(
      () => parseOptions('edge', o),
      (e: Error) => e.message === message,
      message,
    );
  }
});

options.run();
