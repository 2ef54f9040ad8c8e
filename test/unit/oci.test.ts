import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseOciState } from '../../src/oci.js';

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
