import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../../src/run.js';

const runs = suite('run');

runs('should survive a command that exits without reading its input :: getent, found by the re-resolve test', async () => {
  const r = await run(['/bin/true'], 'x'.repeat(1 << 20), 2000);
  assert.equal([r.code, r.timedOut], [0, false]);
});

runs('should kill a command that hangs, and say so', async () => {
  const started = Date.now();
  const r = await run(['/bin/sleep', '10'], '', 200);
  assert.is(r.timedOut, true);
  assert.ok(Date.now() - started < 2000);
});

runs.run();
