import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReport } from '../../../src/tunnel/daemon.js';

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
