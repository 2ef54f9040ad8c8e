import type { Stats } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ReplayRequest, replayEntry, replayRequest } from '../../../hooks/replay.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import type { DaemonOptions } from '../../../src/tunnel/daemon.js';
import { identityInput } from '../../../src/tunnel/identity.js';
import { appliedOf } from '../../../src/tunnel/link.js';
import { encodeConfig } from '../../../src/tunnel/uapiconfig.js';
import { configText, KEYS } from '../../helpers/config.js';

const FILE = '/home/u/edge.conf';
const text = configText({ iface: 'DNS = 198.51.100.53', peer: `PresharedKey = ${KEYS.psk}` });
const bytes = Buffer.from(text);
const config = validateConfig(FILE, parseConfigText(FILE, text));
const st = { dev: 2049, ino: 77, uid: 1001, mode: 0o100600 } as Stats;
const req: ReplayRequest = {
  key: 'f'.repeat(64),
  entry: '/run/user/1001/wireguard4netns-hook.replay/e.json',
  fd: 9,
  dev: 2049,
  ino: 77,
  uid: 1001,
  mode: 0o600,
};

function sentFor(reresolve: string[] = []): DaemonOptions {
  const applied = appliedOf(config);
  const state = { iface: 'wg0', netns: '/proc/42/ns/net', netnsInode: 4026532183, config: FILE, applied, reresolve, created: 1 };
  const endpoints = config.peers.map((p) => p.endpoint && { address: p.endpoint.host, port: p.endpoint.port });
  return {
    iface: 'wg0',
    link: applied,
    config: encodeConfig(config, endpoints),
    identity: identityInput(config),
    dir: '/run/x/4026532183-wg0',
    state,
    reresolve,
    selfPeer: () => '',
  };
}

const entry = suite('replayEntry');

entry('should hold no key material, only where the keys are in the file', () => {
  const e = replayEntry(req, bytes, { bytes, st }, config, sentFor())!;
  const json = JSON.stringify(e);
  for (const key of [KEYS.client.private, KEYS.psk]) {
    assert.not.ok(json.includes(key), 'a key in base64');
    assert.not.ok(json.includes(Buffer.from(key, 'base64').toString('hex')), 'a key in hex');
    assert.ok(
      e.secrets.some(([offset, n]) => text.slice(offset, offset + n) === key),
      `where ${key.slice(0, 4)}... is`,
    );
  }
  assert.match(e.uapi, /^private_key=\{\{secret 0\}\}\n/);
  assert.match(e.uapi, /\npreshared_key=\{\{secret 1\}\}\n/);
  assert.ok(
    e.flags.some((f) => f.includes('"presharedKey":"{{secret 1}}"')),
    'the identity names the preshared key by its place',
  );
});

entry("should leave the start's own state to the replay, and keep the rest", () => {
  const e = replayEntry(req, bytes, { bytes, st }, config, sentFor())!;
  assert.not.ok(e.flags.includes('-state'));
  assert.equal(Object.keys(e.state).sort(), ['applied', 'config', 'iface', 'reresolve']);
  assert.is(e.key, req.key);
  assert.is(e.config, FILE);
  assert.is(e.resolvConf, `# written by wireguard4netns from ${FILE}\nnameserver 198.51.100.53\n`);
});

entry('should make none when the checked file is not the one the first process read, or an endpoint is a name', () => {
  const other = Buffer.from(text.replace('198.51.100.2/32', '198.51.100.3/32'));
  assert.is(replayEntry(req, other, { bytes, st }, config, sentFor()), undefined, 'other bytes');
  for (const changed of [{ ino: 78 }, { uid: 0 }, { mode: 0o100640 }, { dev: 1 }]) {
    assert.is(
      replayEntry(req, bytes, { bytes, st: { ...st, ...changed } as Stats }, config, sentFor()),
      undefined,
      JSON.stringify(changed),
    );
  }
  assert.is(replayEntry(req, bytes, { bytes, st }, config, sentFor(['00=edge.example:51820'])), undefined, 'a name to resolve');
});

const request = suite('replayRequest');

request('should read the first process variable once', () => {
  const env: NodeJS.ProcessEnv = { WIREGUARD4NETNS_HOOK_REPLAY: `${'a'.repeat(64)} /run/r/e.json 7 2049 77 1001 384` };
  assert.equal(replayRequest(env), { key: 'a'.repeat(64), entry: '/run/r/e.json', fd: 7, dev: 2049, ino: 77, uid: 1001, mode: 0o600 });
  assert.is(env.WIREGUARD4NETNS_HOOK_REPLAY, undefined);
  assert.is(replayRequest({ WIREGUARD4NETNS_HOOK_REPLAY: 'nonsense' }), undefined);
  assert.is(replayRequest({}), undefined);
});

entry.run();
request.run();
