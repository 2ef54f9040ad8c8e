import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { parseBundleSpec } from '../../../src/oci.js';
import { resolvConfPath, resolvConfRoot, resolvConfText, writeResolvConf } from '../../../src/tunnel/resolvconf.js';
import { configText } from '../../helpers/config.js';
import { fails } from '../../helpers/failure.js';

const config = (text: string) => validateConfig('/c.conf', parseConfigText('/c.conf', text));
const DNS = config(configText({ iface: 'DNS = 198.51.100.53, corp.example', peer: '' }));
const WRITTEN = resolvConfText(DNS);

// The FIFO case runs in a child (this file again), so that a write that blocks is killed rather than hanging the suite.
const CHILD = 'W4N_RESOLV_CONF_CHILD';
if (process.env[CHILD]) {
  const started = process.hrtime.bigint();
  let outcome: string;
  try {
    writeResolvConf(process.env[CHILD], DNS);
    outcome = 'written';
  } catch (err) {
    outcome = (err as Error).message;
  }
  process.stdout.write(JSON.stringify({ ms: Number(process.hrtime.bigint() - started) / 1e6, outcome }));
  process.exit(0);
}

const dns = suite('resolvConfText');

dns('should write name servers and search domains', () => {
  const c = config(configText({ iface: 'DNS = 198.51.100.53, fd5a::53, corp.example', peer: '' }));
  assert.is(
    resolvConfText(c),
    '# written by wireguard4netns from /c.conf\nnameserver 198.51.100.53\nnameserver fd5a::53\nsearch corp.example\n',
  );
});

dns.run();

const where = suite('resolvConfRoot');

where('should keep a root filesystem whole, and any other file in its folder', () => {
  assert.equal(resolvConfRoot('/s/overlay/x/merged/etc/resolv.conf'), {
    root: { source: '/s/overlay/x/merged', dest: '/' },
    inside: '/etc/resolv.conf',
  });
  assert.equal(resolvConfRoot('/run/c/userdata/resolv.conf'), { root: { source: '/run/c/userdata', dest: '/' }, inside: '/resolv.conf' });
  assert.equal(resolvConfRoot('/etc/resolv.conf'), { root: { source: '/', dest: '/' }, inside: '/etc/resolv.conf' });
});

where.run();

const path = suite('resolvConfPath');
const specOf = (spec: object) => parseBundleSpec('/b/config.json', JSON.stringify(spec));
const resolvMount = (source: string, options = ['rbind', 'rw']) => ({ destination: '/etc/resolv.conf', type: 'bind', source, options });

path('should take the mount the container sees, the last one at /etc/resolv.conf, else the root filesystem', () => {
  assert.is(resolvConfPath(specOf({ root: { path: 'rootfs' } }), true), '/b/rootfs/etc/resolv.conf');
  assert.is(resolvConfPath(specOf({ root: { path: 'rootfs' }, mounts: [resolvMount('/run/c/resolv.conf')] }), true), '/run/c/resolv.conf');
  assert.is(resolvConfPath(specOf({ mounts: [resolvMount('/run/a'), resolvMount('/run/b')] }), true), '/run/b');
  assert.is(resolvConfPath(specOf({}), true), undefined);
});

path('should refuse a read-only mount, which the container may not write either (a hostPath a pod mounts there)', () => {
  const hostPath = specOf({ mounts: [resolvMount('/run/c/resolv.conf'), resolvMount('/etc/shadow', ['rbind', 'ro'])] });
  assert.is(resolvConfPath(hostPath, false), undefined, 'without DNS: nothing to write, now or at a reload');
  fails(
    () => resolvConfPath(hostPath, true),
    /^\/b\/config\.json: the container's \/etc\/resolv\.conf is a read-only mount of \/etc\/shadow, which the hook does not write; mount it read-write or leave DNS out of the config$/,
  );
});

path.run();

interface Ctx {
  dir: string;
  /** the container's root filesystem */
  rootfs: string;
  /** a host folder the container must never reach */
  outside: string;
  file: string;
}

const HOST = 'host file, never to be touched\n';

const w = suite<Ctx>('writeResolvConf: a root filesystem the image controls');
w.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'w4n-resolvconf-'));
  ctx.rootfs = join(ctx.dir, 'rootfs');
  ctx.outside = join(ctx.dir, 'host');
  mkdirSync(join(ctx.rootfs, 'etc'), { recursive: true });
  mkdirSync(ctx.outside);
  ctx.file = join(ctx.rootfs, 'etc/resolv.conf');
});
w.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

/** The host folder holds only its own file, unchanged, if it had one. */
function untouched(ctx: Ctx, hadFile: boolean) {
  const host = join(ctx.outside, 'resolv.conf');
  if (hadFile) assert.is(readFileSync(host, 'utf8'), HOST, 'the host file is neither truncated nor written');
  else assert.not.ok(existsSync(host), 'no file is created in the host folder');
}

w('should write a regular file and undo it :: an existing file', (ctx) => {
  writeFileSync(ctx.file, 'nameserver 10.0.0.1\n');
  const undo = writeResolvConf(ctx.file, DNS);
  assert.is(readFileSync(ctx.file, 'utf8'), WRITTEN);
  undo();
  assert.is(readFileSync(ctx.file, 'utf8'), 'nameserver 10.0.0.1\n');
});

w('should write a regular file and undo it :: a missing file, created and removed', (ctx) => {
  const undo = writeResolvConf(ctx.file, DNS);
  assert.is(readFileSync(ctx.file, 'utf8'), WRITTEN);
  assert.is(lstatSync(ctx.file).mode & 0o777, 0o644);
  undo();
  assert.not.ok(existsSync(ctx.file));
});

w('should write a regular file and undo it :: the undo leaves a file the container replaced', (ctx) => {
  const undo = writeResolvConf(ctx.file, DNS);
  writeFileSync(join(ctx.rootfs, 'etc/new'), 'the container own\n');
  renameSync(join(ctx.rootfs, 'etc/new'), ctx.file);
  undo();
  assert.is(readFileSync(ctx.file, 'utf8'), 'the container own\n');
});

w('should not follow a symlinked /etc out of the root :: absolute link to a host folder', (ctx) => {
  writeFileSync(join(ctx.outside, 'resolv.conf'), HOST);
  rmSync(join(ctx.rootfs, 'etc'), { recursive: true });
  symlinkSync(ctx.outside, join(ctx.rootfs, 'etc'));
  // Inside the root, the link names ROOT/<host path>, which does not exist.
  fails(() => writeResolvConf(ctx.file, DNS), new RegExp(`^${ctx.file}: /[^:]+: no such file$`));
  untouched(ctx, true);
});

w('should not follow a symlinked /etc out of the root :: relative link, resolved inside', (ctx) => {
  rmSync(join(ctx.rootfs, 'etc'), { recursive: true });
  symlinkSync('../../../../../../host', join(ctx.rootfs, 'etc'));
  fails(() => writeResolvConf(ctx.file, DNS), /: \/host: no such file$/);
  untouched(ctx, false);
  // Where the link points inside the root, the file is written there.
  mkdirSync(join(ctx.rootfs, 'host'));
  writeResolvConf(ctx.file, DNS);
  assert.is(readFileSync(join(ctx.rootfs, 'host/resolv.conf'), 'utf8'), WRITTEN);
  untouched(ctx, false);
});

w('should resolve a symlinked resolv.conf inside the root :: absolute link to a host file', (ctx) => {
  writeFileSync(join(ctx.outside, 'resolv.conf'), HOST);
  symlinkSync(join(ctx.outside, 'resolv.conf'), ctx.file);
  fails(() => writeResolvConf(ctx.file, DNS), /: no such file$/);
  untouched(ctx, true);
  assert.ok(lstatSync(ctx.file).isSymbolicLink(), 'the link stays');
});

w('should resolve a symlinked resolv.conf inside the root :: relative link out, to a file inside', (ctx) => {
  writeFileSync(join(ctx.outside, 'resolv.conf'), HOST);
  symlinkSync('../../host/resolv.conf', ctx.file);
  fails(() => writeResolvConf(ctx.file, DNS), /: \/host: no such file$/);
  untouched(ctx, true);
  mkdirSync(join(ctx.rootfs, 'host'));
  writeFileSync(join(ctx.rootfs, 'host/resolv.conf'), 'image\n');
  const undo = writeResolvConf(ctx.file, DNS);
  assert.is(readFileSync(join(ctx.rootfs, 'host/resolv.conf'), 'utf8'), WRITTEN);
  undo();
  assert.is(readFileSync(join(ctx.rootfs, 'host/resolv.conf'), 'utf8'), 'image\n');
  untouched(ctx, true);
});

w('should resolve a symlinked resolv.conf inside the root :: a link to a missing file creates nothing', (ctx) => {
  symlinkSync('/run/systemd/resolve/stub-resolv.conf', ctx.file);
  fails(() => writeResolvConf(ctx.file, DNS), /: \/run: no such file$/);
  mkdirSync(join(ctx.rootfs, 'run/systemd/resolve'), { recursive: true });
  fails(() => writeResolvConf(ctx.file, DNS), /: \/run\/systemd\/resolve\/stub-resolv.conf: no such file$/);
  assert.not.ok(existsSync(join(ctx.rootfs, 'run/systemd/resolve/stub-resolv.conf')));
});

w('should refuse what is not a regular file :: a folder', (ctx) => {
  mkdirSync(ctx.file);
  fails(
    () => writeResolvConf(ctx.file, DNS),
    new RegExp(`^${ctx.file}: not a regular file \\(a folder\\); expected the container's resolv.conf$`),
  );
});

w('should refuse what is not a regular file :: /etc a file', (ctx) => {
  rmSync(join(ctx.rootfs, 'etc'), { recursive: true });
  writeFileSync(join(ctx.rootfs, 'etc'), '');
  fails(() => writeResolvConf(ctx.file, DNS), /: \/etc: not a folder$/);
});

w('should refuse what is not a regular file :: a FIFO, at once', (ctx) => {
  const mk = spawnSync('mkfifo', [ctx.file]);
  assert.is(mk.status, 0, String(mk.stderr));
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD]: ctx.file },
    timeout: 10_000,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  assert.is(child.signal, null, 'the write blocked on the FIFO until killed');
  const { ms, outcome } = JSON.parse(child.stdout) as { ms: number; outcome: string };
  assert.is(outcome, `${ctx.file}: not a regular file (a FIFO); expected the container's resolv.conf`);
  assert.ok(ms < 1000, `refused after ${ms} ms; expected well within 1 s`);
  assert.ok(lstatSync(ctx.file).isFIFO());
});

w('should refuse what is not a regular file :: larger than 64 KiB, left as it was', (ctx) => {
  const big = 'x'.repeat(64 * 1024 + 1);
  writeFileSync(ctx.file, big);
  fails(() => writeResolvConf(ctx.file, DNS), /: larger than 64 KiB; expected the container's resolv.conf$/);
  assert.is(readFileSync(ctx.file, 'utf8'), big);
});

w('should never write outside while the container swaps /etc for a symlink :: racing renames', async (ctx) => {
  // A running container (reload) swaps its /etc between a real folder and a symlink to a host folder, as fast as it can.
  symlinkSync(ctx.outside, join(ctx.rootfs, 'etc.link'));
  const shared = new Int32Array(new SharedArrayBuffer(8)); // [stop, swaps]
  const swapper = new Worker(
    `const { renameSync } = require('node:fs');
     const { workerData: { rootfs, shared } } = require('node:worker_threads');
     const mv = (a, b) => { try { renameSync(rootfs + '/' + a, rootfs + '/' + b); } catch {} };
     while (Atomics.load(shared, 0) === 0) {
       mv('etc', 'etc.dir'); mv('etc.link', 'etc'); mv('etc', 'etc.link'); mv('etc.dir', 'etc');
       Atomics.add(shared, 1, 1);
     }`,
    { eval: true, workerData: { rootfs: ctx.rootfs, shared } },
  );
  const ended = new Promise((resolve) => swapper.once('exit', resolve));
  let written = 0;
  let refused = 0;
  try {
    while (Atomics.load(shared, 1) === 0) await new Promise((r) => setTimeout(r, 1));
    for (let i = 0; i < 5000; i++) {
      try {
        const undo = writeResolvConf(ctx.file, DNS);
        written++;
        undo();
      } catch {
        refused++;
      }
      assert.not.ok(existsSync(join(ctx.outside, 'resolv.conf')), `a resolv.conf in the host folder after ${i + 1} writes`);
    }
  } finally {
    Atomics.store(shared, 0, 1);
    await ended;
  }
  assert.ok(Atomics.load(shared, 1) > 100, `the container swapped /etc only ${Atomics.load(shared, 1)} times`);
  assert.ok(written > 0 && refused > 0, `written ${written}, refused ${refused}: expected both while /etc changes`);
  untouched(ctx, false);
});

w.run();
