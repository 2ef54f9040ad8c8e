// The original wireguard4netns's users, unchanged: Sinfonia tier3's exact
// sequence (test/env/tier3.py, with Debian's python3), through the Python
// entry point and through the original's command line, against the
// independent peer. The app must reach the backend in every round: the
// first call comes right after the spawn of "unshare", the race the
// original lost. Nothing may be left after the app exits.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generatePrivateKey } from '../../src/keys.js';
import { asUser, INSTALL, userFile } from '../helpers/env.js';
import { assertNothingLeft, cleanSlate } from '../helpers/leaks.js';
import { BACKEND_V4, PAGE, type Peer, startPeer } from '../helpers/peer.js';
import { setup } from '../helpers/suite.js';

interface Ctx {
  peer: Peer;
  /** as tier2 hands it out: one peer, AllowedIPs 0.0.0.0/0, keepalive 30, an endpoint, no preshared key (and an Address) */
  conf: string;
}
const test = suite<Ctx>("the original tool's users: Sinfonia tier3");
const ROUNDS = 20;

const tier3 = (mode: string, conf: string) =>
  asUser(
    ['env', `PYTHONPATH=${join(INSTALL, 'python')}`, '/usr/bin/python3', join(INSTALL, 'test/env/tier3.py'), mode, conf, BACKEND_V4],
    60_000,
  );

setup(test, async (ctx) => {
  await cleanSlate();
  ctx.peer = await startPeer('w4nseed', 14);
  const text = ctx.peer
    .config()
    .replace(/^Address = .*$/m, 'Address = 198.51.100.2/32')
    .replace(/^AllowedIPs = .*$/m, 'AllowedIPs = 0.0.0.0/0');
  ctx.conf = userFile('tier3.conf', `${text}PersistentKeepalive = 30\n`);
});

test.after(async (ctx) => {
  await ctx.peer?.down();
});

for (const mode of ['python', 'cli']) {
  test(`should reach the backend in ${ROUNDS} of ${ROUNDS} rounds of tier3's sequence through ${mode === 'python' ? 'the Python entry point' : "the original's command line"}`, async (ctx) => {
    for (let round = 1; round <= ROUNDS; round++) {
      const r = await tier3(mode, ctx.conf);
      assert.equal([r.exitCode, r.stdout, r.stderr], [0, PAGE, ''], `round ${round}`);
      await assertNothingLeft(`after round ${round}`);
    }
  });
}

test('should end the daemon when the temporary folder is deleted while the app runs', async (ctx) => {
  const r = await tier3('delete', ctx.conf);
  assert.equal([r.exitCode, r.stdout.trim(), r.stderr], [0, 'daemon ended while the app runs', '']);
  await assertNothingLeft('after the folder was deleted');
});

test('should raise CalledProcessError, which tier3 falls back on, for a config the peer set cannot use', async (ctx) => {
  const bad = userFile(
    'tier3-bad.conf',
    ctx.peer.config().replace(/^PrivateKey = .*$/m, `PrivateKey = ${generatePrivateKey().toString('base64').slice(0, 10)}`),
  );
  const r = await tier3('python', bad);
  assert.is(r.exitCode, 3, r.stdout + r.stderr);
  assert.is(r.stdout.trim(), 'CalledProcessError 1');
  assert.is(r.stderr, 'wireguard4netns: stdin:2: PrivateKey: expected base64 of exactly 32 bytes (as "wg genkey" prints)\n'.trimEnd());
  await assertNothingLeft('after a refused config');
});

test.run();
