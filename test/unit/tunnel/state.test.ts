import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { netnsInodeOf } from '../../../src/tunnel/namespaces.js';
import { liveContainers, processStart, registerContainer } from '../../../src/tunnel/state.js';

const containers = suite<{ dir: string }>('registerContainer, liveContainers');

containers.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'w4n-state-'));
});
containers.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

containers('should list a container while its process lives in the namespace, and forget it on undo', (ctx) => {
  const inode = netnsInodeOf(process.pid)!;
  const me = { id: 'aaa', pid: process.pid, start: processStart(process.pid)! };
  const undo = registerContainer(ctx.dir, me);
  assert.equal(liveContainers(ctx.dir, inode), [me]);
  assert.is(statSync(join(ctx.dir, 'containers', 'aaa.json')).mode & 0o777, 0o600);
  undo();
  assert.equal(liveContainers(ctx.dir, inode), []);
  assert.equal(readdirSync(join(ctx.dir, 'containers')), []);
});

containers('should leave out a reused pid, a dead pid and a process of another namespace', (ctx) => {
  const inode = netnsInodeOf(process.pid)!;
  registerContainer(ctx.dir, { id: 'reused', pid: process.pid, start: processStart(process.pid)! + 1 });
  registerContainer(ctx.dir, { id: 'dead', pid: 2 ** 22 + 1, start: 1 });
  registerContainer(ctx.dir, { id: 'elsewhere', pid: process.pid, start: processStart(process.pid)! });
  assert.equal(
    liveContainers(ctx.dir, inode).map((c) => c.id),
    ['elsewhere'],
  );
  assert.equal(liveContainers(ctx.dir, inode + 1), []);
});

containers('should fail when the tunnel folder is gone (its daemon ended)', (ctx) => {
  rmSync(ctx.dir, { recursive: true });
  assert.throws(() => registerContainer(ctx.dir, { id: 'x', pid: process.pid, start: 0 }), /ENOENT/);
  mkdirSync(ctx.dir);
});

containers.run();
