import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBundleSpec, parseOciState } from '../../src/oci.js';

const oci = suite('parseOciState');

oci('should read a createRuntime state', () => {
  const s = parseOciState(
    JSON.stringify({
      ociVersion: '1.0.2',
      id: 'abc',
      status: 'creating',
      pid: 42,
      bundle: '/b',
      annotations: { 'wireguard4netns.conf': '/c' },
    }),
  );
  assert.equal(s, { id: 'abc', status: 'creating', pid: 42, bundle: '/b', annotations: { 'wireguard4netns.conf': '/c' } });
});

oci('should read a poststop state without pid or annotations', () => {
  assert.equal(parseOciState('{"id":"abc","status":"stopped"}'), { id: 'abc', status: 'stopped', pid: 0, bundle: '', annotations: {} });
});

oci('should refuse bad states with the field named', () => {
  const cases: [string, string][] = [
    ['not json', 'OCI state on stdin: not valid JSON; expected the runtime state object'],
    ['[]', 'OCI state on stdin: expected a JSON object'],
    ['{"status":"creating"}', 'OCI state on stdin: id: expected a container id'],
    ['{"id":"a","status":"creating","pid":"12"}', 'OCI state on stdin: pid: expected a process id'],
    ['{"id":"a","status":"creating","pid":-1}', 'OCI state on stdin: pid: expected a process id'],
    ['{"id":"a","pid":1}', 'OCI state on stdin: status: expected a status string'],
    ['{"id":"a","status":"creating","annotations":[]}', 'OCI state on stdin: annotations: expected an object'],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseOciState(text),
      (err: Error) => err.message === message,
      text,
    );
});

oci.run();

const spec = suite('parseBundleSpec');

spec('should read the mounts, the user, its capabilities and the user namespace mappings', () => {
  const s = parseBundleSpec(
    '/b/config.json',
    JSON.stringify({
      process: {
        user: { uid: 1000, gid: 1000, additionalGids: [5, 6] },
        capabilities: { effective: ['CAP_KILL', 'CAP_CHOWN'], ambient: ['CAP_KILL'] },
      },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/etc/wg', type: 'bind', source: '/v/wg', options: ['rbind', 'ro'] },
        { destination: '/run/secrets', source: '/s', options: ['rbind'] },
      ],
      linux: {
        namespaces: [{ type: 'network' }, { type: 'user' }],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      },
    }),
  );
  assert.equal(s.mounts, [
    { destination: '/proc', source: 'proc', bind: false, readOnly: false },
    { destination: '/etc/wg', source: '/v/wg', bind: true, readOnly: true },
    { destination: '/run/secrets', source: '/s', bind: true, readOnly: false },
  ]);
  assert.is(s.root, undefined);
  assert.equal([s.uid, s.gids, s.capabilities], [1000, [1000, 5, 6], ['CAP_KILL']]);
  assert.equal(s.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
});

spec('should resolve the root filesystem against the bundle', () => {
  assert.is(parseBundleSpec('/b/config.json', '{"root":{"path":"rootfs"}}').root, '/b/rootfs');
  assert.is(parseBundleSpec('/b/config.json', '{"root":{"path":"/srv/r"}}').root, '/srv/r');
});

spec('should take the effective set for uid 0 and only the ambient set for any other uid', () => {
  const caps = { effective: ['CAP_DAC_OVERRIDE', 'CAP_KILL'], permitted: ['CAP_DAC_OVERRIDE', 'CAP_KILL'], ambient: ['CAP_KILL'] };
  const parsed = (user: object, capabilities: object = caps) =>
    parseBundleSpec('/b/config.json', JSON.stringify({ process: { user, capabilities } })).capabilities;
  assert.equal(parsed({ uid: 0, gid: 0 }), ['CAP_DAC_OVERRIDE', 'CAP_KILL'], 'root keeps its effective set');
  assert.equal(parsed({}), ['CAP_DAC_OVERRIDE', 'CAP_KILL'], 'no user is root');
  assert.equal(parsed({ uid: 1000, gid: 1000 }), ['CAP_KILL'], 'a non-root process keeps only the ambient set');
  assert.equal(parsed({ uid: 1000, gid: 0 }, { effective: ['CAP_DAC_OVERRIDE'] }), [], 'no ambient set: nothing');
  assert.equal(parsed({ uid: 0, gid: 0 }, { ambient: ['CAP_KILL'] }), [], 'root without an effective set');
});

spec('should take no mappings without a user namespace of its own, and root without a user', () => {
  const s = parseBundleSpec('/b/config.json', JSON.stringify({ linux: { uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] } }));
  assert.equal([s.uid, s.gids, s.uidMappings, s.mounts], [0, [0], undefined, []]);
});

spec('should name the file and the field of a bad configuration', () => {
  assert.throws(() => parseBundleSpec('/b/config.json', '{'), /^\/b\/config.json: not valid JSON/);
  assert.throws(() => parseBundleSpec('/b/config.json', '{"mounts":{}}'), /^\/b\/config.json: mounts: expected a list$/);
  assert.throws(() => parseBundleSpec('/b/config.json', '{"mounts":[{}]}'), /mounts\[0\]\.destination: expected a path/);
  assert.throws(() => parseBundleSpec('/b/config.json', '{"process":{"user":{"uid":-1}}}'), /process\.user\.uid: expected a whole number/);
});

spec.run();
