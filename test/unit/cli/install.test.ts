import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hookJson, pluginScript, poststopJson } from '../../../src/cli/install.js';

const json = suite('hookJson, poststopJson');

json('should run the hook bundle under prlimit --core=0 at createRuntime, for the config annotation', () => {
  assert.equal(JSON.parse(hookJson('/usr/bin/prlimit', '/usr/bin/node', '/opt/w4n/dist/wireguard4netns-hook')), {
    version: '1.0.0',
    hook: {
      path: '/usr/bin/prlimit',
      args: ['prlimit', '--core=0', '--', '/usr/bin/node', '/opt/w4n/dist/wireguard4netns-hook'],
      timeout: 60,
    },
    when: { annotations: { '^wireguard4netns\\.conf$': '.+' } },
    stages: ['createRuntime'],
  });
});

json('should run our wireguard-go sweep at poststop, for the same annotation', () => {
  assert.equal(JSON.parse(poststopJson('/opt/w4n/dist/wireguard-go')), {
    version: '1.0.0',
    hook: { path: '/opt/w4n/dist/wireguard-go', args: ['wireguard-go', 'wireguard4netns-sweep'], timeout: 10 },
    when: { annotations: { '^wireguard4netns\\.conf$': '.+' } },
    stages: ['poststop'],
  });
});

json.run();

const plugin = suite('pluginScript');

plugin('should exec the plugin bundle under prlimit --core=0 with its arguments, every path quoted', () => {
  assert.is(
    pluginScript('/usr/bin/prlimit', '/usr/bin/node', "/opt/it's/dist/wireguard4netns-netavark"),
    `#!/bin/sh
# netavark plugin "wireguard4netns", written by "wireguard4netns install"
exec '/usr/bin/prlimit' '--core=0' '--' '/usr/bin/node' '/opt/it'\\''s/dist/wireguard4netns-netavark' "$@"
`,
  );
});

plugin.run();
