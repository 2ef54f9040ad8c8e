import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mapToParent } from '../../src/userns.js';

const paths = suite('mapToParent');

paths('should map ids through a uid_map', () => {
  assert.is(mapToParent(0, '         0       1000          1\n         1     100000      65536\n'), 1000);
  assert.is(mapToParent(5, '         0       1000          1\n         1     100000      65536\n'), 100004);
  assert.is(mapToParent(1000, '         0          0 4294967295\n'), 1000);
});

paths.run();
