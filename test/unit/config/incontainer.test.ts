import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containerMay, loadContainerConfig, mountOf, readInContainer } from '../../../src/config/incontainer.js';
import { type BundleSpec, type Mount, parseBundleSpec } from '../../../src/oci.js';
import { fails } from '../../helpers/failure.js';

const KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PEER = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const CONF = `[Interface]\nPrivateKey = ${KEY}\nAddress = 10.0.0.2/32\n\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 10.0.0.0/24\nEndpoint = 127.0.0.1:51820\n`;
const OVERFLOW = { uid: 65534, gid: 65534 };

interface Ctx {
  dir: string;
  vol: string;
}

/** A Secret volume as kubelet's atomic writer lays it out: KEY -> ..data/KEY, ..data -> ..TIMESTAMP/. */
function secretVolume(dir: string, mode = 0o644): string {
  const vol = join(dir, 'volumes/kubernetes.io~secret/wg');
  const ts = join(vol, '..2026_11_29_07_00_00.123456789');
  mkdirSync(ts, { recursive: true });
  writeFileSync(join(ts, 'edge.conf'), CONF, { mode });
  chmodSync(join(ts, 'edge.conf'), mode);
  symlinkSync('..2026_11_29_07_00_00.123456789', join(vol, '..data'));
  symlinkSync('..data/edge.conf', join(vol, 'edge.conf'));
  return vol;
}

function spec(mounts: Mount[], over: Partial<BundleSpec> = {}): BundleSpec {
  return { file: '/b/config.json', mounts, uid: 0, gids: [0], capabilities: ['CAP_DAC_OVERRIDE'], ...over };
}

const bind = (destination: string, source: string): Mount => ({ destination, source, bind: true, readOnly: false });

const t = suite<Ctx>('readInContainer');
t.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'w4n-incontainer-'));
  ctx.vol = secretVolume(ctx.dir);
});
t.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

t('should read a key of a Secret volume through kubelet links, as a root or a non-root container', (ctx) => {
  assert.is(readInContainer(spec([bind('/etc/wg', ctx.vol)]), '/etc/wg/edge.conf', OVERFLOW).toString(), CONF);
  // 0644, root's: a container user without capabilities reads it by the other bits.
  const s = spec([bind('/etc/wg', ctx.vol)], { uid: 1000, gids: [1000], capabilities: [] });
  assert.is(readInContainer(s, '/etc/wg/edge.conf', OVERFLOW).toString(), CONF);
  const config = loadContainerConfig(spec([bind('/etc/wg', ctx.vol)]), '/etc/wg/edge.conf');
  assert.is(config.addresses.length, 1);
});

t('should read a podman secret, a file bind-mounted on its own', (ctx) => {
  const file = join(ctx.dir, 'secret');
  writeFileSync(file, CONF, { mode: 0o400 });
  const s = spec([bind('/run/secrets', ctx.dir), bind('/run/secrets/edge', file)]);
  assert.is(readInContainer(s, '/run/secrets/edge', OVERFLOW).toString(), CONF);
});

t('should refuse a path on no bind mount, or on a tmpfs over one', (ctx) => {
  fails(
    () => readInContainer(spec([bind('/etc/wg', ctx.vol)]), '/etc/passwd', OVERFLOW),
    /^container:\/etc\/passwd: not on a bind mount of the container \(\/b\/config.json\)/,
  );
  const s = spec([bind('/etc/wg', ctx.vol), { destination: '/etc/wg/sub', source: 'tmpfs', bind: false, readOnly: false }]);
  fails(() => readInContainer(s, '/etc/wg/sub/edge.conf', OVERFLOW), /not on a bind mount/);
});

t('should refuse symlinks that leave the mount, absolute or relative', (ctx) => {
  symlinkSync('/etc/shadow', join(ctx.vol, 'abs'));
  symlinkSync('../../../../../../../../etc/shadow', join(ctx.vol, 'rel'));
  symlinkSync('/etc/wg/..data/edge.conf', join(ctx.vol, 'inside'));
  const s = spec([bind('/etc/wg', ctx.vol)]);
  fails(
    () => readInContainer(s, '/etc/wg/abs', OVERFLOW),
    /^container:\/etc\/wg\/abs: \/etc\/wg\/abs is a symlink to \/etc\/shadow, out of the mount at \/etc\/wg/,
  );
  fails(() => readInContainer(s, '/etc/wg/rel', OVERFLOW), /is a symlink to \.\.\/.*, out of the mount at \/etc\/wg/);
  // An absolute link is the container's path: it is followed when it stays in the mount.
  assert.is(readInContainer(s, '/etc/wg/inside', OVERFLOW).toString(), CONF);
});

t('should refuse a symlink loop, a folder, a missing file and a path that is not normalised', (ctx) => {
  symlinkSync('b', join(ctx.vol, 'a'));
  symlinkSync('a', join(ctx.vol, 'b'));
  const s = spec([bind('/etc/wg', ctx.vol)]);
  fails(() => readInContainer(s, '/etc/wg/a', OVERFLOW), /more than 40 symlinks/);
  fails(() => readInContainer(s, '/etc/wg/..data', OVERFLOW), /^container:\/etc\/wg\/..data: not a regular file/);
  fails(() => readInContainer(s, '/etc/wg/none.conf', OVERFLOW), /^container:\/etc\/wg\/none.conf: \/etc\/wg\/none.conf: no such file/);
  fails(() => readInContainer(s, '/etc/wg/../wg/edge.conf', OVERFLOW), /expected an absolute, normalised path/);
  fails(() => readInContainer(s, 'etc/wg/edge.conf', OVERFLOW), /expected an absolute, normalised path/);
});

t('should refuse what the container user could not read or enter', (ctx) => {
  const vol = secretVolume(join(ctx.dir, 'private'), 0o600);
  const user = { uid: 1000, gids: [1000], capabilities: [] };
  fails(
    () => readInContainer(spec([bind('/etc/wg', vol)], user), '/etc/wg/edge.conf', OVERFLOW),
    /^container:\/etc\/wg\/edge.conf: the container's user \(uid 1000\) may not read it \(mode 0600\)/,
  );
  // Its own file, by the owner bits.
  chownSync(join(vol, '..2026_11_29_07_00_00.123456789/edge.conf'), 1000, 1000);
  assert.is(readInContainer(spec([bind('/etc/wg', vol)], user), '/etc/wg/edge.conf', OVERFLOW).toString(), CONF);
  chmodSync(join(vol, '..2026_11_29_07_00_00.123456789'), 0o700);
  fails(
    () => readInContainer(spec([bind('/etc/wg', vol)], user), '/etc/wg/edge.conf', OVERFLOW),
    /: \/etc\/wg\/..2026_11_29_07_00_00.123456789: the container's user may not enter this folder/,
  );
});

t('should count a non-root process only its ambient capabilities, and root its effective ones', (ctx) => {
  // Another user's 0600 file: only CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH reads it.
  const vol = secretVolume(join(ctx.dir, 'private'), 0o600);
  chownSync(join(vol, '..2026_11_29_07_00_00.123456789/edge.conf'), 1234, 1234);
  const bundle = (uid: number, capabilities: object) =>
    parseBundleSpec(
      '/b/config.json',
      JSON.stringify({
        process: { user: { uid, gid: uid }, capabilities },
        mounts: [{ destination: '/etc/wg', type: 'bind', source: vol }],
      }),
    );
  const dac = ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH'];
  fails(
    () => readInContainer(bundle(1000, { effective: dac, permitted: dac, bounding: dac }), '/etc/wg/edge.conf', OVERFLOW),
    /^container:\/etc\/wg\/edge.conf: the container's user \(uid 1000\) may not read it \(mode 0600\)/,
  );
  assert.is(
    readInContainer(bundle(1000, { effective: dac, ambient: ['CAP_DAC_READ_SEARCH'] }), '/etc/wg/edge.conf', OVERFLOW).toString(),
    CONF,
  );
  assert.is(readInContainer(bundle(0, { effective: dac }), '/etc/wg/edge.conf', OVERFLOW).toString(), CONF);
  fails(() => readInContainer(bundle(0, { ambient: dac }), '/etc/wg/edge.conf', OVERFLOW), /\(uid 0\) may not read it \(mode 0600\)/);
});

t.run();

const m = suite('mountOf');
m('should pick the deepest mount over a path, the later of equal ones, and only a bind mount', () => {
  const a = bind('/run', '/a');
  const b = bind('/run/secrets', '/b');
  const c = bind('/run/secrets', '/c');
  assert.is(mountOf([a, b, c], '/run/secrets/x'), c);
  assert.is(mountOf([a, b], '/run/secretsx'), a);
  assert.is(mountOf([a, b], '/run/secrets'), b);
  assert.is(mountOf([a, b], '/etc/x'), undefined);
  assert.is(mountOf([bind('/', '/r')], '/etc/x')?.source, '/r');
  assert.is(mountOf([a, { destination: '/run/s', source: 'tmpfs', bind: false, readOnly: false }], '/run/s/x'), undefined);
});
m.run();

const may = suite('containerMay');
const userns = {
  uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
};
may('should map the container user through its user namespace', () => {
  const s = spec([], { uid: 1000, gids: [1000, 5], capabilities: [], ...userns });
  assert.ok(containerMay(s, { uid: 101000, gid: 0, mode: 0o400 }, 4, OVERFLOW), 'owner bits');
  assert.not.ok(containerMay(s, { uid: 1000, gid: 0, mode: 0o400 }, 4, OVERFLOW), 'the host uid 1000 is not the container user');
  assert.ok(containerMay(s, { uid: 0, gid: 100005, mode: 0o040 }, 4, OVERFLOW), 'an additional group');
  assert.ok(containerMay(s, { uid: 0, gid: 0, mode: 0o001 }, 1, OVERFLOW), 'other bits');
});
may('should grant capabilities only over files whose owner and group are mapped', () => {
  const s = spec([], { uid: 0, gids: [0], capabilities: ['CAP_DAC_READ_SEARCH'], ...userns });
  assert.ok(containerMay(s, { uid: 100000, gid: 100000, mode: 0o000 }, 4, OVERFLOW));
  assert.not.ok(containerMay(s, { uid: 0, gid: 0, mode: 0o600 }, 4, OVERFLOW), 'the host root is unmapped');
  const rootless = spec([], { uid: 0, gids: [0], capabilities: ['CAP_DAC_OVERRIDE'] });
  assert.not.ok(containerMay(rootless, { uid: 65534, gid: 65534, mode: 0o600 }, 4, OVERFLOW), 'overflow uid: unmapped here');
});
may.run();
