import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../../src/run.js';

// Run again as a child that inherits a pipe at fd 3, as the hook's Node
// inherits the daemon's pipe ends from its first process (wireguard-go/hook.go):
// what does a command it runs (getent, the sweep) see there, and the child itself?
const CHILD = 'W4N_RUN_CHILD';
if (process.env[CHILD]) {
  const own = (await import('node:fs')).readFileSync('/proc/self/fdinfo/3', 'utf8');
  const r = await run(['/bin/sh', '-c', 'readlink /proc/self/fd/3 || echo none'], '', 5000);
  process.stdout.write(JSON.stringify({ flags: /^flags:\s+(\d+)$/m.exec(own)?.[1], command: r.stdout.trim() }));
  process.exit(0);
}

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

runs("should pass no descriptor Node inherited on to a command :: the daemon's pipe ends, which hold the config", () => {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD]: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  const { flags, command } = JSON.parse(r.stdout) as { flags: string; command: string };
  // Node marks what it inherits close-on-exec at its start (O_CLOEXEC, 02000000 octal): it still reads and writes them.
  assert.ok((Number.parseInt(flags, 8) & 0o2000000) !== 0, `fd 3 in Node: flags ${flags}`);
  assert.is(command, 'none', 'the command holds nothing at fd 3');
});

runs.run();
