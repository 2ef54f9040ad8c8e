import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseInput } from '../../../src/netavark/api.js';

const input = suite('parseInput');

input('should return the object netavark sent', () => {
  assert.equal(parseInput('{"name":"edge","id":"1","driver":"wireguard4netns"}', 'create', ['name', 'id']), {
    name: 'edge',
    id: '1',
    driver: 'wireguard4netns',
  });
});

input('should refuse, naming the subcommand :: not JSON, not an object, missing fields', () => {
  const cases: [string, string][] = [
    ['{', 'create: stdin is not JSON; expected what netavark sends (plugin-API.md)'],
    ['[]', 'create: stdin: missing name, id'],
    ['null', 'create: stdin: expected a JSON object'],
    ['{"name":"x"}', 'create: stdin: missing id'],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseInput(text, 'create', ['name', 'id']),
      (e: Error) => e.message === message,
      message,
    );
  }
});

input.run();
