import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSeedArgs } from '../../../src/cli/seed.js';

const args = suite('parseSeedArgs');

args("should take the original's form, with --tmpdir anywhere and - for stdin", () => {
  assert.equal(parseSeedArgs(['4242', 'wg-abc', '/x/wg.conf']), { tmpdir: '.', pid: 4242, iface: 'wg-abc', config: '/x/wg.conf' });
  assert.equal(parseSeedArgs(['--tmpdir', '/t', '4242', 'wg-abc', '-']), { tmpdir: '/t', pid: 4242, iface: 'wg-abc', config: '-' });
  assert.equal(parseSeedArgs(['4242', '--tmpdir=/t', 'wg-abc', 'wg.conf']), {
    tmpdir: '/t',
    pid: 4242,
    iface: 'wg-abc',
    config: 'wg.conf',
  });
});

args('should leave our own commands and anything else to the command line', () => {
  for (const argv of [
    ['up', '4242', '/x.conf'],
    ['status'],
    ['4242', 'wg0'],
    ['4242', 'wg0', 'a', 'b'],
    ['--verbose', '4242', 'wg0', 'c'],
    ['x4242', 'wg0', 'c'],
    [],
  ]) {
    assert.is(parseSeedArgs(argv), undefined, argv.join(' '));
  }
});

args.run();
