import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWait, readAnnotations } from '../../src/annotations.js';

const wait = suite('parseWait');

wait('should take whole seconds from 1 to 45, and none', () => {
  assert.is(parseWait(undefined), undefined);
  assert.is(parseWait('1'), 1);
  assert.is(parseWait('45'), 45);
});

wait('should refuse anything else, naming the annotation and the range', () => {
  for (const bad of ['0', '46', '1.5', '1m', '', ' 5', '-1', '0045']) {
    assert.throws(
      () => parseWait(bad),
      (e: Error) => e.message.startsWith('annotation wireguard4netns.wait: expected whole seconds from 1 to 45, got '),
      bad,
    );
  }
});

wait.run();

const ours = suite('readAnnotations');

ours('should read ours of a container annotations and leave the rest', () => {
  assert.equal(
    readAnnotations({ 'wireguard4netns.conf': '/c.conf', 'wireguard4netns.wait': '5', 'wireguard4netns.verbose': 'yes', other: 'x' }),
    {
      config: '/c.conf',
      waitSeconds: 5,
      verbose: true,
    },
  );
  assert.equal(readAnnotations({ 'wireguard4netns.conf': '' }), { config: undefined, waitSeconds: undefined, verbose: false });
  assert.equal(readAnnotations({ 'wireguard4netns.verbose': '0' }).verbose, false);
});

ours.run();
