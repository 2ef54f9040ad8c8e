// A checkout the test user cannot read fails every hook the tests run as
// that user, with nothing that names the cause: test/env/readable.sh says
// it in one line before any test runs (test/env/reset.sh calls it).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, USER } from '../helpers/env.js';

const test = suite('checkout: readable by the test user');

test('should name the folder the test user cannot enter, in one line', async () => {
  const closed = mkdtempSync('/var/tmp/w4n-closed-');
  try {
    chmodSync(closed, 0o700);
    mkdirSync(join(closed, 'checkout/test/env'), { recursive: true });
    cpSync(join(ROOT, 'test/env/readable.sh'), join(closed, 'checkout/test/env/readable.sh'));
    const r = await execa('bash', [join(closed, 'checkout/test/env/readable.sh')], { reject: false });
    assert.is(r.exitCode, 1);
    assert.is(
      r.stderr,
      `readable: the test user ${USER} cannot enter ${closed} (drwx------ root:root), so its hooks cannot load this checkout; clone it where every user can read it (e.g. /srv or /tmp), or chmod o+x ${closed}`,
    );
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
});

test('should pass this checkout, which the tests run from', async () => {
  const r = await execa('bash', [join(ROOT, 'test/env/readable.sh')], { reject: false });
  assert.equal([r.exitCode, r.stderr], [0, '']);
});

test.run();
