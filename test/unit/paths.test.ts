import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { homeOf, runtimeBase } from '../../src/paths.js';

const t = suite('runtime base');
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nx1001:x:1002:1001::/home/x1001:/bin/sh\nwg4ns:x:1001:1001::/home/wg4ns:/bin/bash\n';

t('homeOf should find a uid by its own field, not another number', () => {
  assert.is(homeOf(1001, PASSWD), '/home/wg4ns');
  assert.is(homeOf(1002, PASSWD), '/home/x1001');
  assert.is(homeOf(4242, PASSWD), '');
});

t('should never be in a shared tmp: root, /run/user/UID, or the home', () => {
  const saved = process.env.WIREGUARD4NETNS_RUNTIME_DIR;
  delete process.env.WIREGUARD4NETNS_RUNTIME_DIR;
  try {
    assert.is(runtimeBase(0), '/run/wireguard4netns');
    // uid 0's home exists in every passwd; no /run/user/4242424 exists here.
    assert.match(runtimeBase(4242424), /^\/nonexistent-home-of-uid-4242424\/.local\/state\/wireguard4netns$/);
    process.env.WIREGUARD4NETNS_RUNTIME_DIR = '/x/y';
    assert.is(runtimeBase(1), '/x/y');
  } finally {
    if (saved === undefined) delete process.env.WIREGUARD4NETNS_RUNTIME_DIR;
    else process.env.WIREGUARD4NETNS_RUNTIME_DIR = saved;
  }
});

t.run();
