import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHookArgs, parseHookConfig, refuseHostPathForPods } from '../../../src/config/policy.js';
import { fails } from '../../helpers/failure.js';

const hookConfig = suite('parseHookConfig');

hookConfig('should take a list of absolute directories', () => {
  assert.equal(parseHookConfig('{"configDirs": ["/etc/wireguard4netns", "/srv/wg"]}'), ['/etc/wireguard4netns', '/srv/wg']);
});

hookConfig('should refuse what is not, naming the file and the field', () => {
  assert.throws(() => parseHookConfig('{'), /^\/etc\/wireguard4netns\/hook\.json: not valid JSON; expected \{"configDirs"/);
  for (const bad of ['{"configDirs": "/"}', '{"configDirs": ["/"]}', '{"configDirs": ["relative"]}', '{}', 'null', '{"configDirs": [1]}']) {
    assert.throws(
      () => parseHookConfig(bad),
      /^\/etc\/wireguard4netns\/hook\.json: configDirs: expected a list of absolute directories other than \/$/,
      bad,
    );
  }
});

hookConfig.run();

const args = suite('parseHookArgs');

args('should take --pods or nothing, and refuse anything else in one line', () => {
  assert.equal(parseHookArgs([]), { pods: false });
  assert.equal(parseHookArgs(['--pods']), { pods: true });
  fails(() => parseHookArgs(['--pod']), /^hook arguments: "--pod": expected --pods or nothing \(the hook JSON that "install" writes\)$/);
});

args.run();

const pods = suite('refuseHostPathForPods');

pods('should refuse any host path in the same words, saying nothing of the file', () => {
  const words = (p: string) => {
    try {
      refuseHostPathForPods(p);
    } catch (err) {
      return (err as Error).message.replace(p, 'PATH');
    }
    return 'not refused';
  };
  assert.is(words('/etc/passwd'), words('/no/such/file'));
  fails(
    () => refuseHostPathForPods('/home/u/wg/a.conf'),
    /^\/home\/u\/wg\/a\.conf: this hook serves pods \(installed with --pods\), which may name only container:PATH/,
  );
});

pods.run();
