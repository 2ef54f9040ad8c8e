import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hookJson, pluginScript, poststopJson, slowNodeNote } from '../../../src/cli/install.js';

const json = suite('hookJson');

json('should run our wireguard-go first, which runs node on the hook bundle, at createRuntime, for the config annotation', () => {
  assert.equal(JSON.parse(hookJson('/opt/w4n/dist/wireguard-go', '/usr/bin/node', '/opt/w4n/dist/wireguard4netns-hook')), {
    version: '1.0.0',
    hook: {
      path: '/opt/w4n/dist/wireguard-go',
      args: ['wireguard-go', 'wireguard4netns-hook', '/usr/bin/node', '/opt/w4n/dist/wireguard4netns-hook'],
      timeout: 60,
    },
    when: { annotations: { '^wireguard4netns\\.conf$': '.+' } },
    stages: ['createRuntime'],
  });
});

json('should pass --pods on to the hook when installed for pods', () => {
  assert.equal(JSON.parse(hookJson('/w', '/n', '/h', true)).hook.args, ['wireguard-go', 'wireguard4netns-hook', '/n', '/h', '--pods']);
});

json("should sweep with our wireguard-go alone at poststop, for the same annotation (a pods install's second file)", () => {
  const hook = JSON.parse(poststopJson('/opt/w4n/dist/wireguard-go'));
  const create = JSON.parse(hookJson('/opt/w4n/dist/wireguard-go', '/n', '/h', true));
  assert.equal(hook.hook, { path: '/opt/w4n/dist/wireguard-go', args: ['wireguard-go', 'wireguard4netns-sweep'], timeout: 10 });
  assert.equal(hook.stages, ['poststop']);
  assert.equal([hook.version, hook.when], [create.version, create.when]);
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

const slow = suite('slowNodeNote');

slow('should say nothing of an official build, and name what a slow one lacks', () => {
  assert.is(slowNodeNote({ node_use_node_snapshot: true, node_use_node_code_cache: true }, '/usr/bin/node'), undefined);
  assert.is(slowNodeNote({}, '/usr/bin/node'), undefined, 'nothing known: nothing said');
  const both = slowNodeNote({ node_use_node_snapshot: false, node_use_node_code_cache: false, node_shared: true }, '/usr/bin/node');
  assert.match(both ?? '', /^\/usr\/bin\/node was built without its startup snapshot or code cache for its built-in modules, so it starts/);
  assert.match(slowNodeNote({ node_use_node_snapshot: false }, '/n') ?? '', /^\/n was built without its startup snapshot, so/);
});

slow('should be silent for the Node running these tests when it is an official build', () => {
  const v = process.config.variables as unknown as Record<string, unknown>;
  assert.is(slowNodeNote(v, process.execPath) === undefined, v.node_use_node_snapshot !== false && v.node_use_node_code_cache !== false);
});

slow.run();
