// Random mutations of valid configs through the whole reading path: the only
// thing that may come out is a Config or our clean one-line Failure, and
// never any key material. Seeded, so a failure can be replayed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeConfigBytes, parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { Failure } from '../../../src/errors.js';
import { configText, KEYS } from '../../helpers/config.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 20000);

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
}

const SECRETS = [KEYS.client.private, KEYS.psk].flatMap((k) => [k, Buffer.from(k, 'base64').toString('hex'), k.slice(0, 20)]);
const PIECES = [
  '\n',
  '=',
  '[',
  ']',
  '#',
  ',',
  '/',
  ':',
  ' ',
  '\0',
  '\u00e9',
  '\ud800',
  '[Peer]',
  '[Interface]',
  'AllowedIPs = ',
  '::',
  '0',
  '65536',
  '255.255.255.255/32',
  '[::1]:1',
];

function mutate(text: string, next: (n: number) => number): string {
  let t = text;
  for (let k = 0, n = 1 + next(4); k < n; k++) {
    const at = next(t.length + 1);
    switch (next(6)) {
      case 0:
        t = t.slice(0, at) + t.slice(at + 1 + next(8));
        break;
      case 1:
        t = t.slice(0, at) + PIECES[next(PIECES.length)] + t.slice(at);
        break;
      case 2:
        t = t.slice(0, at) + String.fromCharCode(next(0x3000)) + t.slice(at);
        break;
      case 3: {
        const lines = t.split('\n');
        lines.splice(next(lines.length + 1), 0, lines[next(lines.length)]);
        t = lines.join('\n');
        break;
      }
      case 4: {
        const lines = t.split('\n');
        const [a, b] = [next(lines.length), next(lines.length)];
        [lines[a], lines[b]] = [lines[b], lines[a]];
        t = lines.join('\n');
        break;
      }
      default:
        t = t.slice(0, at) + t.slice(at).replace(/[0-9a-zA-Z+/]/, String.fromCharCode(33 + next(90)));
    }
  }
  return t;
}

const fuzz = suite('config reading under random mutation');

fuzz(`should give a Config or a one-line Failure without key material :: ${ROUNDS} rounds, seed ${SEED}`, () => {
  const next = rng(SEED);
  const seeds = [
    configText(),
    configText({
      iface: 'ListenPort = 1\nMTU = 1400\nDNS = 198.51.100.53, x.test',
      peer: `PresharedKey = ${KEYS.psk}\nPersistentKeepalive = 25`,
    }),
  ];
  let accepted = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const text = mutate(seeds[next(seeds.length)], next);
    try {
      validateConfig('/f', parseConfigText('/f', decodeConfigBytes('/f', Buffer.from(text))));
      accepted++;
    } catch (err) {
      if (!(err instanceof Failure)) throw new Error(`round ${i}: ${String(err)} for ${JSON.stringify(text)}`);
      assert.not.match(err.message, '\n', `round ${i}: a multi-line message`);
      assert.ok(err.message.startsWith('/f'), `round ${i}: ${err.message}`);
      assert.ok(err.message.length < 300, `round ${i}: ${err.message}`);
      for (const s of SECRETS) assert.not.ok(err.message.includes(s), `round ${i} leaked a key: ${err.message}`);
    }
  }
  // Both outcomes happen: the mutations are neither all harmless nor all fatal.
  assert.ok(accepted > ROUNDS / 50 && accepted < ROUNDS / 2, `accepted ${accepted} of ${ROUNDS}`);
});

fuzz('should refuse random bytes cleanly', () => {
  const next = rng(SEED + 1);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: next(200) }, () => next(256)));
    try {
      validateConfig('/f', parseConfigText('/f', decodeConfigBytes('/f', bytes)));
      assert.unreachable(`round ${i}: random bytes were accepted`);
    } catch (err) {
      assert.instance(err, Failure, `round ${i}: ${String(err)}`);
    }
  }
});

fuzz.run();
