import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReport } from '../../../src/tunnel/daemon.js';

const report = suite('parseReport');

report('should read each line the daemon reports on fd 3', () => {
  assert.equal(parseReport('owner'), { kind: 'owner' });
  assert.equal(parseReport('joined'), { kind: 'joined' });
  assert.equal(parseReport('ready tun 0.7 ms, device 0.5 ms'), { kind: 'ready', phases: 'tun 0.7 ms, device 0.5 ms' });
  assert.equal(parseReport('ready'), { kind: 'ready', phases: '' });
  assert.equal(parseReport('error: ListenPort is in use'), { kind: 'error', message: 'ListenPort is in use' });
});

report('should take any other line for an error, word for word', () => {
  assert.equal(parseReport('readiness'), { kind: 'error', message: 'readiness' });
  assert.equal(parseReport('panic: oops'), { kind: 'error', message: 'panic: oops' });
});

report.run();
