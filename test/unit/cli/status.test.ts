import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatAgo, formatBytes, formatJson, formatStatus, status, type TunnelStatus } from '../../../src/cli/status.js';
import { Failure } from '../../../src/errors.js';
import { netnsInodeOf } from '../../../src/tunnel/namespaces.js';
import { processStart, registerContainer, selectTunnels } from '../../../src/tunnel/state.js';
import { parseDevice, parseReply } from '../../../src/tunnel/uapi.js';
import { configText, KEYS } from '../../helpers/config.js';
import { setup } from '../../helpers/suite.js';

const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
const OTHER = 'mBj1Wy0kVdo3BR3BHU2m2LnqVLoVvzL6q1GQ4Nk7Jk0=';

/** A "get=1" reply as wireguard-go writes it, with every secret it holds. */
const REPLY = [
  `private_key=${hex(KEYS.client.private)}`,
  'listen_port=43211',
  `public_key=${hex(KEYS.server.public)}`,
  `preshared_key=${hex(KEYS.psk)}`,
  'protocol_version=1',
  'endpoint=198.18.0.2:51820',
  'last_handshake_time_sec=1700000000',
  'last_handshake_time_nsec=123',
  'tx_bytes=3500',
  'rx_bytes=1234',
  'persistent_keepalive_interval=25',
  'allowed_ip=198.51.100.0/24',
  'allowed_ip=fd5a:7b1e:c0de::/64',
  `public_key=${hex(OTHER)}`,
  `preshared_key=${'0'.repeat(64)}`,
  'protocol_version=1',
  'last_handshake_time_sec=0',
  'last_handshake_time_nsec=0',
  'tx_bytes=0',
  'rx_bytes=0',
  'persistent_keepalive_interval=0',
  'errno=0',
  '',
  '',
].join('\n');

/** Every form a secret of REPLY could take in an output. */
const SECRETS = [KEYS.client.private, KEYS.psk].flatMap((k) => [k, hex(k), hex(k).toUpperCase()]);

function assertNoSecret(text: string): void {
  for (const s of SECRETS) assert.not.ok(text.includes(s), 'a private or preshared key leaked');
  assert.not.match(text, /private|preshared/i);
}

const SERVER_PEER = {
  publicKey: KEYS.server.public,
  endpoint: '198.18.0.2:51820',
  latestHandshake: 1700000000,
  rxBytes: 1234,
  txBytes: 3500,
  persistentKeepalive: 25,
  allowedIPs: ['198.51.100.0/24', 'fd5a:7b1e:c0de::/64'],
};
const OTHER_PEER = { publicKey: OTHER, endpoint: null, latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 0, allowedIPs: [] };

const DIR = '/run/user/1001/wireguard4netns/4026532001-wg0';

function tunnel(over: Partial<TunnelStatus> = {}): TunnelStatus {
  return {
    dir: DIR,
    iface: 'wg0',
    netns: '/proc/4242/ns/net',
    netnsInode: 4026532001,
    containers: [],
    daemonPid: 4300,
    daemon: 'running',
    error: null,
    config: '/home/u/wg/edge.conf',
    addresses: ['198.51.100.2/32', 'fd5a:7b1e:c0de::2/128'],
    log: `${DIR}/daemon.log`,
    socket: `${DIR}/wg0.sock`,
    publicKey: KEYS.client.public,
    listenPort: 43211,
    udpBufferNotice: null,
    peers: [SERVER_PEER],
    ...over,
  };
}

const parse = suite('parseDevice');

parse('should read the device and each peer, keys in base64, and drop every secret', () => {
  const device = parseDevice(parseReply(REPLY).entries);
  assert.equal(device, { publicKey: KEYS.client.public, listenPort: 43211, peers: [SERVER_PEER, OTHER_PEER] });
  assertNoSecret(JSON.stringify(device));
});

parse('should leave the public key unknown when the device has no private key', () => {
  assert.equal(parseDevice([['listen_port', '0']]), { publicKey: null, listenPort: 0, peers: [] });
  assert.equal(parseDevice([['private_key', '0'.repeat(64)]]), { publicKey: null, listenPort: null, peers: [] });
});

parse.run();

const bytes = suite('formatBytes');

bytes('should use B below 1 KiB and one decimal above', () => {
  assert.equal([0, 1023, 1024, 1234, 3 * 1024 ** 2, 5.5 * 1024 ** 3, 2 * 1024 ** 6].map(formatBytes), [
    '0 B',
    '1023 B',
    '1.0 KiB',
    '1.2 KiB',
    '3.0 MiB',
    '5.5 GiB',
    '2048.0 PiB',
  ]);
});

bytes.run();

const ago = suite('formatAgo');

ago('should say never for 0 and use the largest whole unit otherwise', () => {
  const now = 1700000000;
  assert.equal(
    [0, now, now - 12, now - 59, now - 60, now - 200, now - 3600, now - 7300, now - 86400 * 3, now + 5].map((t) => formatAgo(t, now)),
    ['never', '0 s ago', '12 s ago', '59 s ago', '1 min ago', '3 min ago', '1 h ago', '2 h ago', '3 d ago', '0 s ago'],
  );
});

ago.run();

const select = suite('selectTunnels');

select('should match a container id prefix or the namespace of a pid', () => {
  const a = tunnel({ containers: ['3f2a9c0011223344', 'aa00'], netnsInode: 1 });
  const b = tunnel({ containers: [], netnsInode: 2 });
  assert.equal(selectTunnels([a, b], '3f2a'), [a]);
  assert.equal(selectTunnels([a, b], 'aa0'), [a]);
  assert.equal(selectTunnels([a, b], '77', 2), [b]);
  assert.equal(selectTunnels([a, b], '77'), []);
  assert.equal(selectTunnels([a, b], 'bb', undefined), []);
});

select.run();

const text = suite('formatStatus');
const NOW = 1700000012;

text('should say so when there is no tunnel', () => {
  assert.is(formatStatus([], NOW), 'no tunnels');
});

text('should show a running tunnel and its peers', () => {
  const t = tunnel({ containers: ['3f2a9c0011223344556677', 'b0b0b0b0b0b0b0b0'], peers: [SERVER_PEER, OTHER_PEER] });
  assert.is(
    formatStatus([t], NOW),
    `wg0 in /proc/4242/ns/net
  containers:      3f2a9c001122, b0b0b0b0b0b0
  daemon:          pid 4300
  config:          /home/u/wg/edge.conf
  addresses:       198.51.100.2/32, fd5a:7b1e:c0de::2/128
  public key:      ${KEYS.client.public}
  listening port:  43211
  log:             ${DIR}/daemon.log

  peer ${KEYS.server.public}
    endpoint:              198.18.0.2:51820
    latest handshake:      12 s ago
    transfer:              1.2 KiB received, 3.4 KiB sent
    persistent keepalive:  every 25 s
    allowed ips:           198.51.100.0/24, fd5a:7b1e:c0de::/64

  peer ${OTHER}
    endpoint:              (none)
    latest handshake:      never
    transfer:              0 B received, 0 B sent
    persistent keepalive:  off
    allowed ips:           (none)`,
  );
});

text('should show dead, silent and half-made tunnels, an unreadable config as "?", and separate tunnels by a blank line', () => {
  const dead = tunnel({ daemon: 'dead', peers: [], publicKey: null, listenPort: null, addresses: null });
  const deadPod = tunnel({ daemon: 'dead', peers: [], containers: ['3f2a9c0011223344'], publicKey: null, listenPort: null });
  const silent = tunnel({ daemon: 'not-answering', error: 'no reply within 1000 ms', peers: [], publicKey: null, listenPort: null });
  const noPeers = tunnel({ peers: [] });
  const noState = tunnel({
    daemon: 'no-state',
    netns: null,
    daemonPid: null,
    config: null,
    addresses: null,
    publicKey: null,
    listenPort: null,
    peers: [],
  });
  assert.is(
    formatStatus([dead, deadPod, silent, noPeers, noState], NOW),
    `wg0 in /proc/4242/ns/net
  containers:  none (command line)
  daemon:      pid 4300 dead, so wg0 is gone and its containers have no network; leftovers in ${DIR} go at the next tunnel start, or now with "wireguard4netns prune"
  config:      /home/u/wg/edge.conf
  addresses:   ?
  log:         ${DIR}/daemon.log

wg0 in /proc/4242/ns/net
  containers:  3f2a9c001122
  daemon:      pid 4300 dead, so wg0 is gone and its containers have no network; leftovers in ${DIR} go at the next tunnel start, or now with "wireguard4netns prune"
  config:      /home/u/wg/edge.conf
  addresses:   198.51.100.2/32, fd5a:7b1e:c0de::2/128
  log:         ${DIR}/daemon.log

wg0 in /proc/4242/ns/net
  containers:  none (command line)
  daemon:      pid 4300, socket not answering (no reply within 1000 ms)
  config:      /home/u/wg/edge.conf
  addresses:   198.51.100.2/32, fd5a:7b1e:c0de::2/128
  log:         ${DIR}/daemon.log

wg0 in /proc/4242/ns/net
  containers:      none (command line)
  daemon:          pid 4300
  config:          /home/u/wg/edge.conf
  addresses:       198.51.100.2/32, fd5a:7b1e:c0de::2/128
  public key:      ${KEYS.client.public}
  listening port:  43211
  log:             ${DIR}/daemon.log

  no peers

wg0 in the network namespace with inode 4026532001
  state:  no state.json in ${DIR} (a tunnel being set up, or left by a failed start)`,
  );
});

text("should show the daemon's UDP buffer notice of a running tunnel, and not of a dead one", () => {
  const notice = 'UDP buffers capped below the 7 MiB wireguard-go asks for (...); as root on the host: sysctl -w net.core.rmem_max=7340032';
  const out = formatStatus([tunnel({ peers: [], udpBufferNotice: notice })], NOW);
  assert.ok(out.includes(`\n  udp buffers:     ${notice}\n  log:`), out);
  assert.not.ok(formatStatus([tunnel({ daemon: 'dead', peers: [], udpBufferNotice: notice })], NOW).includes('udp buffers'));
});

text('should never print a secret of the reply', () => {
  const t = tunnel({ ...parseDevice(parseReply(REPLY).entries) });
  assertNoSecret(formatStatus([t], NOW));
});

text.run();

const json = suite('formatJson');

json('should print an array with handshakes in unix seconds, sizes in bytes and nothing but the known fields', () => {
  assert.is(formatJson([]), '[]');
  const t = {
    ...tunnel({ peers: [{ ...SERVER_PEER, presharedKey: KEYS.psk } as never] }),
    privateKey: KEYS.client.private,
  } as TunnelStatus;
  const out = formatJson([t]);
  assert.equal(JSON.parse(out), [{ ...tunnel(), peers: [SERVER_PEER] }]);
  assertNoSecret(out);
});

json('should never print a secret of the reply', () => {
  const out = formatJson([tunnel({ ...parseDevice(parseReply(REPLY).entries) })]);
  assert.not.match(out, /private_key|preshared_key|privateKey|presharedKey/);
  assertNoSecret(out);
  assert.equal(JSON.parse(out)[0].peers[1], OTHER_PEER);
});

json.run();

// status() against fake tunnel folders: a daemon that answers (with its
// secrets), one that hangs, one whose socket is gone, one that is dead.
interface Ctx {
  base: string;
  fakeDaemon: ChildProcess;
  servers: Server[];
  sockets: Socket[];
}
const io = suite<Ctx>('status', { servers: [], sockets: [] } as never);

function fakeTunnel(ctx: Ctx, name: string, state: object): string {
  const dir = join(ctx.base, name);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  return dir;
}

function listen(ctx: Ctx, path: string, onConnection: (s: Socket) => void): Promise<void> {
  const server = createServer((s) => {
    ctx.sockets.push(s);
    onConnection(s);
  });
  ctx.servers.push(server);
  return new Promise((resolve) => server.listen(path, resolve));
}

setup(io, async (ctx) => {
  ctx.base = mkdtempSync(join(tmpdir(), 'wg4ns-status-'));
  // isAlive() wants a live process with "wireguard4netns" as an argument.
  ctx.fakeDaemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', 'wireguard4netns'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 100));
  const conf = join(ctx.base, 'edge.conf');
  writeFileSync(conf, configText(), { mode: 0o600 });
  // Every tunnel is in this process's namespace, which status shows as long as we live.
  const netns = { netns: `/proc/${process.pid}/ns/net`, netnsInode: netnsInodeOf(process.pid) };
  const base = { iface: 'wg0', config: conf, created: 0, daemonPid: ctx.fakeDaemon.pid, ...netns };
  const up = fakeTunnel(ctx, '101-wg0', base);
  registerContainer(up, { id: '3f2a9c00112233', pid: process.pid, start: processStart(process.pid)! });
  await listen(ctx, join(up, 'wg0.sock'), (s) =>
    s.on('data', (d) => {
      if (d.toString() === 'get=1\n\n') s.end(REPLY);
    }),
  );
  const hung = fakeTunnel(ctx, '102-wg0', base);
  await listen(ctx, join(hung, 'wg0.sock'), () => {});
  fakeTunnel(ctx, '103-wg0', base);
  fakeTunnel(ctx, '104-wg0', { ...base, daemonPid: process.pid, config: join(ctx.base, 'gone.conf') });
  mkdirSync(join(ctx.base, '105-wg1'));
  mkdirSync(join(ctx.base, 'not-a-tunnel'));
});

io.after((ctx) => {
  ctx.fakeDaemon?.kill('SIGKILL');
  for (const s of ctx.sockets) s.destroy();
  for (const s of ctx.servers) s.close();
  if (ctx.base) rmSync(ctx.base, { recursive: true, force: true });
});

io('should list every tunnel within the timeout, whatever state its daemon is in', async (ctx) => {
  const started = Date.now();
  const out = JSON.parse(await status({ base: ctx.base, json: true, timeoutMs: 300 })) as TunnelStatus[];
  assert.ok(Date.now() - started < 1500, 'the sockets were asked in parallel, within the timeout');
  assert.equal(
    out.map((t) => [t.dir.slice(ctx.base.length + 1), t.daemon, t.daemonPid === ctx.fakeDaemon.pid]),
    [
      ['101-wg0', 'running', true],
      ['102-wg0', 'not-answering', true],
      ['103-wg0', 'not-answering', true],
      ['104-wg0', 'dead', false],
      ['105-wg1', 'no-state', false],
    ],
  );
  assert.equal(out[0], {
    ...tunnel(),
    dir: join(ctx.base, '101-wg0'),
    log: join(ctx.base, '101-wg0/daemon.log'),
    socket: join(ctx.base, '101-wg0/wg0.sock'),
    netns: `/proc/${process.pid}/ns/net`,
    netnsInode: netnsInodeOf(process.pid)!,
    containers: ['3f2a9c00112233'],
    daemonPid: ctx.fakeDaemon.pid!,
    config: join(ctx.base, 'edge.conf'),
    addresses: ['198.51.100.2/32', 'fd5a:7b1e:c0de::2/128'],
    peers: [SERVER_PEER, OTHER_PEER],
  });
  assert.is(out[1].error, `${ctx.base}/102-wg0/wg0.sock: the daemon did not answer within 300 ms; see "wireguard4netns status"`);
  assert.is(out[2].error, `${ctx.base}/103-wg0/wg0.sock: no such socket (its daemon has ended); see "wireguard4netns status"`);
  assert.is(out[3].addresses, null);
  assert.equal([out[4].iface, out[4].netnsInode], ['wg1', 105]);
});

io('should keep every secret out of the text and the JSON', async (ctx) => {
  const text = await status({ base: ctx.base, timeoutMs: 300 });
  assert.match(text, `  peer ${KEYS.server.public}\n`);
  assert.match(text, `  public key:      ${KEYS.client.public}\n`);
  assertNoSecret(text);
  assertNoSecret(await status({ base: ctx.base, json: true, timeoutMs: 300 }));
});

io('should filter by container id prefix and fail when nothing matches', async (ctx) => {
  const out = JSON.parse(await status({ base: ctx.base, json: true, filter: '3f2a', timeoutMs: 300 })) as TunnelStatus[];
  assert.equal(
    out.map((t) => t.dir),
    [join(ctx.base, '101-wg0')],
  );
  try {
    await status({ base: ctx.base, filter: 'ffff' });
    assert.unreachable('a filter that matches nothing');
  } catch (err) {
    assert.instance(err, Failure);
    assert.is((err as Failure).message, 'no tunnel matches ffff');
  }
});

io('should say "no tunnels" and print [] when there is none', async (ctx) => {
  const empty = join(ctx.base, 'empty');
  assert.is(await status({ base: empty }), 'no tunnels');
  assert.is(await status({ base: empty, json: true }), '[]');
});

io.run();
