import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { earlyDaemon, parseReport } from '../../../src/tunnel/daemon.js';

const report = suite('parseReport');

// Each line the daemon writes: test/fixtures/contract/reports.json (test/unit/contract.test.ts).
report('should take a ready without its phases', () => {
  assert.equal(parseReport('ready'), { kind: 'ready', phases: '' });
});

report('should take any other line for an error, word for word', () => {
  assert.equal(parseReport('readiness'), { kind: 'error', message: 'readiness' });
  assert.equal(parseReport('panic: oops'), { kind: 'error', message: 'panic: oops' });
});

report.run();

const early = suite('earlyDaemon');

early("should take the daemon the hook's first process named, once", () => {
  const dir = '/home/a user/.local/state/wireguard4netns/4026532187-wg0';
  const env: NodeJS.ProcessEnv = {
    WIREGUARD4NETNS_HOOK_DAEMON: JSON.stringify({ pid: 4242, dir, reportFd: 5, configFd: 7 }),
    PATH: '/bin',
  };
  assert.equal(earlyDaemon(env), { pid: 4242, dir, reportFd: 5, configFd: 7 });
  assert.equal(env, { PATH: '/bin' }, 'gone from the environment: no child inherits it');
  assert.is(earlyDaemon(env), undefined);
});

early('should take nothing from a malformed value', () => {
  const line = (o: object) => JSON.stringify({ pid: 4242, dir: '/run/d', reportFd: 5, configFd: 7, ...o });
  for (const value of [
    '',
    '4242',
    '4242 /run/d 5 7',
    '[]',
    'null',
    line({ dir: 'relative/dir' }),
    line({ pid: 'x' }),
    line({ configFd: undefined }),
    line({ pid: 0 }),
  ]) {
    assert.is(earlyDaemon({ WIREGUARD4NETNS_HOOK_DAEMON: value }), undefined, value);
  }
});

early.run();
