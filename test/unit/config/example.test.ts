import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exampleConfig } from '../../../src/config/example.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { KEYS } from '../../helpers/config.js';

const config = (text: string) => validateConfig('/c.conf', parseConfigText('/c.conf', text));
const example = suite('exampleConfig');

example('should print an example config that validates once the peer key is filled in', () => {
  const text = exampleConfig(KEYS.client.private).replace('REPLACE_WITH_THE_PEER_PUBLIC_KEY=', KEYS.server.public);
  const c = config(text);
  assert.is(c.peers[0].endpoint?.host, 'edge.example.net');
  assert.throws(() => config(exampleConfig(KEYS.client.private)), /PublicKey: expected base64 of exactly 32 bytes/);
});

example.run();
