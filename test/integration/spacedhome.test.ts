// Issue 21 item 7: a user whose home folder has a space and who has no
// /run/user/UID keeps the tunnels in HOME/.local/state/wireguard4netns, and
// the launcher names that folder to Node on its env line (JSON since the
// "PID DIR R C" line, which Node parsed with \S+, failed such a start after
// about 5 s). The installed hook runs as a rootless runtime runs it, as a
// user made here and removed after; the tunnel must come up in a folder
// under the spaced home and be gone once the container's process is.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configText } from '../helpers/config.js';
import { HOOK_BUNDLE, WIREGUARD_GO } from '../helpers/env.js';
import { eventually } from '../helpers/poll.js';
import { ociState } from '../helpers/sandbox.js';
import { setup } from '../helpers/suite.js';

const USER = 'w4nspace';
const HOME = '/home/w4n space';
const BASE = join(HOME, '.local/state/wireguard4netns');
const test = suite('a home with a space');
const sandboxes: number[] = [];
let uid = 0;

/** Runs cmd as the spaced user, as a login without a session would: no XDG_RUNTIME_DIR. */
const asSpaced = (cmd: string[], input = '', timeout = 60_000) =>
  execa(
    'runuser',
    ['-u', USER, '--', 'env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', `HOME=${HOME}`, `USER=${USER}`, ...cmd],
    {
      cwd: '/',
      reject: false,
      timeout,
      input,
    },
  );

const removeUser = () => {
  try {
    execFileSync('userdel', ['--remove', '--force', USER], { stdio: 'ignore' });
  } catch {}
};

setup(test, async () => {
  removeUser(); // what a killed run left
  execFileSync('useradd', ['--create-home', '--home-dir', HOME, '--shell', '/usr/sbin/nologin', USER]);
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  if (existsSync(`/run/user/${uid}`)) throw new Error(`/run/user/${uid} exists: the tunnels would not go to ${BASE}`);
});

test.after(() => {
  for (const pid of sandboxes.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  removeUser();
});

test('the hook starts a tunnel under the spaced home, which is gone after', async () => {
  const dir = join(HOME, 'wg');
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, uid, uid);
  const conf = join(dir, 'edge.conf');
  writeFileSync(conf, configText(), { mode: 0o600 });
  chownSync(conf, uid, uid);

  const proc = asSpaced(['unshare', '-rn', '--', 'sh', '-c', 'echo $$; exec sleep 120'], '', 150_000);
  const pid = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', () => reject(new Error('sandbox exited')));
  });
  sandboxes.push(pid);

  // As a rootless runtime runs the installed hook: root of the container's user namespace, the launcher first.
  const started = Date.now();
  const r = await asSpaced(
    [
      'nsenter',
      '-t',
      String(pid),
      '--user',
      '--preserve-credentials',
      '--',
      WIREGUARD_GO,
      'wireguard4netns-hook',
      process.execPath,
      HOOK_BUNDLE,
    ],
    JSON.stringify(ociState('spacedhome', pid, { 'wireguard4netns.conf': conf })),
  );
  assert.is(r.exitCode, 0, `the hook failed: ${r.stderr}`);
  assert.ok(Date.now() - started < 4000, `the start took ${Date.now() - started} ms: did Node wait for the launcher's daemon in vain?`);

  const tunnel = join(BASE, `${statSync(`/proc/${pid}/ns/net`).ino}-wg0`);
  assert.ok(existsSync(join(tunnel, 'state.json')), `no ${tunnel}/state.json`);
  const link = await asSpaced([
    'nsenter',
    '-t',
    String(pid),
    '--user',
    '--net',
    '--preserve-credentials',
    'ip',
    '-o',
    'link',
    'show',
    'wg0',
  ]);
  assert.is(link.exitCode, 0, `no wg0 in the container's namespace: ${link.stderr}`);

  process.kill(pid, 'SIGKILL');
  sandboxes.splice(sandboxes.indexOf(pid), 1);
  assert.ok(await eventually(() => !existsSync(tunnel), 5000), `${tunnel} is still there 5 s after the container's process ended`);
});

test.run();
