import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeConfigBytes, parseConfigText } from '../../../src/config/parse.js';
import { configText, KEYS } from '../../helpers/config.js';

const F = '/etc/wg/edge.conf';

const parse = suite('parseConfigText');

parse('should keep several [Peer] sections apart :: the ini package would merge them', () => {
  const sections = parseConfigText(F, `${configText()}\n[Peer]\nPublicKey = ${KEYS.client.public}\nAllowedIPs = 10.9.0.0/16\n`);
  assert.equal(
    sections.map((s) => s.name),
    ['Interface', 'Peer', 'Peer'],
  );
  assert.equal(
    sections[2].entries.map((e) => [e.key, e.line]),
    [
      ['PublicKey', 12],
      ['AllowedIPs', 13],
    ],
  );
});

parse('should drop comments and keep the = of base64 keys', () => {
  const [iface] = parseConfigText(F, `# top\n[Interface] # c\nPrivateKey = ${KEYS.client.private} # mine\n`);
  assert.equal(iface.entries, [{ key: 'PrivateKey', value: KEYS.client.private, line: 3 }]);
});

parse('should reject a key before any section, and unknown sections', () => {
  assert.throws(
    () => parseConfigText(F, 'Address = 1.2.3.4'),
    /^\/etc\/wg\/edge.conf:1: expected an \[Interface\] or \[Peer\] header before the first key$/,
  );
  assert.throws(
    () => parseConfigText(F, '[Interface]\n[Wat]'),
    /^\/etc\/wg\/edge.conf:2: unknown section "\[Wat\]"; expected \[Interface\] or \[Peer\]$/,
  );
  assert.throws(() => parseConfigText(F, '[Interface]\nnonsense'), /:2: expected "Key = Value" or a \[Section\] header$/);
});

parse.run();

const bytes = suite('decodeConfigBytes');

bytes('should refuse empty, binary, non-UTF-8 and oversized files', () => {
  assert.throws(() => decodeConfigBytes(F, Buffer.alloc(0)), /: the file is empty; expected a WireGuard config/);
  assert.throws(() => decodeConfigBytes(F, Buffer.from('[Interface]\0')), /: the file holds a NUL byte; expected text$/);
  assert.throws(() => decodeConfigBytes(F, Buffer.from([0x5b, 0xff, 0xfe])), /: the file is not valid UTF-8; expected text$/);
  assert.throws(() => decodeConfigBytes(F, Buffer.alloc(65537, 0x23)), /: the file is larger than 65536 bytes/);
});

bytes.run();
