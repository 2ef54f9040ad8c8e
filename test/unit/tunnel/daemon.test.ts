import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { earlyDaemon, lateFlags, parseReport } from '../../../src/tunnel/daemon.js';

const report = suite('parseReport');

report('should read each line the daemon reports', () => {
  assert.equal(parseReport('owner'), { kind: 'owner' });
  assert.equal(parseReport('joined'), { kind: 'joined', sameConfig: true });
  assert.equal(parseReport('joined other'), { kind: 'joined', sameConfig: false });
  const own = '5481e59b264030789f7c82cee2b97ab53d5fb5e1e314de50bc5314c78b189239';
  assert.equal(parseReport(`self-peer ${own}`), { kind: 'self-peer', publicKeyHex: own });
  assert.equal(parseReport('ready tun 0.7 ms, device 0.5 ms'), { kind: 'ready', phases: 'tun 0.7 ms, device 0.5 ms' });
  assert.equal(parseReport('ready'), { kind: 'ready', phases: '' });
  assert.equal(parseReport('error: ListenPort is in use'), { kind: 'error', message: 'ListenPort is in use' });
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

const flags = suite('lateFlags');

flags('should put what comes from the config on the flags line, keys never', () => {
  const line = lateFlags({
    iface: 'wg0',
    link: { mtu: 1380, addresses: ['10.0.0.2/32'], routes: ['10.0.0.0/24'] },
    config: 'private_key=00\n',
    identity: '{"peers":[]}',
    dir: '/run/d',
    state: { iface: 'wg0' } as never,
    reresolve: ['ab=edge.example.net:51820'],
    verbose: true,
    selfPeer: () => '',
  });
  assert.equal(line, [
    '-mtu',
    '1380',
    '-address',
    '10.0.0.2/32',
    '-route',
    '10.0.0.0/24',
    '-reresolve',
    'ab=edge.example.net:51820',
    '-verbose',
    '-state',
    '{"iface":"wg0"}',
    '-identity',
    '{"peers":[]}',
  ]);
});

flags.run();
