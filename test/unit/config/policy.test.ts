import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHookConfig } from '../../../src/config/policy.js';

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
