// A checkout may be anywhere, /root (mode 0700, where a newcomer working as
// root clones) included: the tests and the demo run a copy of the build
// that every user can read (test/env/stage.sh, which setup.sh and reset.sh
// run), never the checkout itself.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asUser, BUNDLE, INSTALL, ROOT } from '../helpers/env.js';

const test = suite('checkout: anywhere, the build staged for the test users');
const STAGED = [
  'dist/wireguard4netns',
  'dist/wireguard4netns-hook',
  'dist/wireguard4netns-hook.js',
  'dist/wireguard4netns-netavark',
  'dist/wireguard-go',
  'python/wireguard4netns/__init__.py',
  'test/env/tier3.py',
  'test/env/tier3-helper.sh',
];

/** A copy of this checkout's build and stage.sh in a folder only root may enter; removed by the callback's end. */
async function closedCheckout(body: (checkout: string, testDir: string) => Promise<void>, files = STAGED): Promise<void> {
  const closed = mkdtempSync('/var/tmp/w4n-closed-');
  try {
    chmodSync(closed, 0o700);
    const checkout = join(closed, 'project');
    for (const f of ['test/env/stage.sh', ...files]) {
      mkdirSync(join(checkout, f, '..'), { recursive: true });
      cpSync(join(ROOT, f), join(checkout, f), { preserveTimestamps: true });
    }
    const testDir = mkdtempSync('/var/tmp/w4n-stage-');
    try {
      chmodSync(testDir, 0o755);
      await body(checkout, testDir);
    } finally {
      rmSync(testDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
}

test('should stage a build in a folder only root may enter where the test user runs the command line, the hook and the Python module', async () => {
  await closedCheckout(async (checkout, testDir) => {
    assert.is.not(
      (await asUser(['test', '-r', join(checkout, 'dist/wireguard4netns')])).exitCode,
      0,
      'the checkout is closed to the test user',
    );
    const r = await execa('bash', [join(checkout, 'test/env/stage.sh')], { env: { WG4NS_TEST_DIR: testDir }, reject: false });
    assert.equal([r.exitCode, r.stdout, r.stderr], [0, join(testDir, 'install'), '']);
    const cli = await asUser([process.execPath, join(testDir, 'install/dist/wireguard4netns'), '--version']);
    assert.is(cli.exitCode, 0, cli.stderr);
    const wg = await asUser([join(testDir, 'install/dist/wireguard-go'), '--version']);
    assert.is(wg.exitCode, 0, wg.stderr);
    const py = await asUser([
      'env',
      `PYTHONPATH=${join(testDir, 'install/python')}`,
      '/usr/bin/python3',
      '-c',
      'import wireguard4netns, sys; sys.exit(0)',
    ]);
    assert.is(py.exitCode, 0, py.stderr);
  });
});

test('should name a missing build in one line, and stage nothing', async () => {
  await closedCheckout(
    async (checkout, testDir) => {
      const r = await execa('bash', [join(checkout, 'test/env/stage.sh')], { env: { WG4NS_TEST_DIR: testDir }, reject: false });
      assert.equal([r.exitCode, r.stderr], [1, `stage: ${checkout}/dist/wireguard-go is missing: run "npm run build" first`]);
      assert.is((await execa('ls', ['-A', testDir])).stdout, '');
    },
    STAGED.filter((f) => f !== 'dist/wireguard-go'),
  );
});

test("should run the tests from the staged build, the same bytes as this checkout's", async () => {
  assert.ok(BUNDLE.startsWith(`${INSTALL}/`));
  for (const f of STAGED) {
    const [a, b] = await Promise.all([execa('sha256sum', [join(ROOT, f)]), execa('sha256sum', [join(INSTALL, f)])]);
    assert.is(b.stdout.split(' ')[0], a.stdout.split(' ')[0], `${f} staged as built`);
  }
});

test.run();
