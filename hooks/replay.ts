// Replay entries: what a start sent its daemon, kept so that the next start
// with the same inputs needs no Node (wireguard-go/replay.go replays it).
// The hook's first process asks for one when it read a config it may
// replay: WIREGUARD4NETNS_HOOK_REPLAY="KEY ENTRY FD DEV INO UID MODE", the
// key of the inputs it read, where the entry goes, a descriptor holding
// the config's bytes as it read them, and the file as it saw it. An entry
// is left only when the checked start read the very same, so the key
// describes what was checked. It holds no key material: where each key
// is in the config file instead, which the replay reads again.
import { closeSync, mkdirSync, readFileSync, renameSync, type Stats, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../src/config/validate.js';
import { type DaemonOptions, lateFlags } from '../src/tunnel/daemon.js';
import { resolvConfText } from '../src/tunnel/resolvconf.js';

const REPLAY_ENV = 'WIREGUARD4NETNS_HOOK_REPLAY';

export interface ReplayRequest {
  key: string;
  entry: string;
  /** the config's bytes as the first process read them */
  fd: number;
  dev: number;
  ino: number;
  uid: number;
  /** permission bits */
  mode: number;
}

/** The first process's request, if it made one (and forgets it: one use). */
export function replayRequest(env: NodeJS.ProcessEnv = process.env): ReplayRequest | undefined {
  const m = /^([0-9a-f]{64}) (\/\S+\.json) (\d+) (\d+) (\d+) (\d+) (\d+)$/.exec(env[REPLAY_ENV] ?? '');
  delete env[REPLAY_ENV];
  if (!m) return undefined;
  const [fd, dev, ino, uid, mode] = m.slice(3).map(Number);
  return { key: m[1], entry: m[2], fd, dev, ino, uid, mode };
}

/** What the checked start read of its config file (src/config/read.ts Seen). */
export interface ReadConfig {
  bytes: Buffer;
  st: Stats;
}

/**
 * The entry for a start that read `read` and sent `sent`, or undefined
 * when the start may not be replayed: the file it checked is not the one
 * the first process read, a peer's endpoint is a name (resolved at each
 * start), or a key is not in the file as its canonical base64.
 */
export function replayEntry(req: ReplayRequest, goRead: Buffer, read: ReadConfig, config: Config, sent: DaemonOptions) {
  const { st } = read;
  const same =
    read.bytes.equals(goRead) && st.dev === req.dev && st.ino === req.ino && st.uid === req.uid && (st.mode & 0o7777) === req.mode;
  if (!same || (sent.reresolve?.length ?? 0) > 0) return undefined;
  const keys = [config.privateKey, ...config.peers.flatMap((p) => (p.presharedKey ? [p.presharedKey] : []))];
  const secrets = keys.map((k) => [read.bytes.indexOf(k.toString('base64')), 44]);
  if (secrets.some(([offset]) => offset < 0)) return undefined;
  const blank = (text: string) => keys.reduce((t, k, i) => t.split(k.toString('hex')).join(`{{secret ${i}}}`), text);
  const flags = lateFlags(sent);
  flags.splice(flags.indexOf('-state'), 2); // the replay adds the start's own
  const { netns, netnsInode, created, ...state } = sent.state;
  return {
    key: req.key,
    config: config.file,
    flags: flags.map(blank),
    state,
    uapi: blank(sent.config),
    secrets,
    ...(config.dns.length > 0 ? { resolvConf: resolvConfText(config) } : {}),
  };
}

/** Leaves the entry the first process asked for, when this start may be replayed; best effort, as a cache. */
export function saveReplay(req: ReplayRequest, read: ReadConfig, config: Config, sent: DaemonOptions): void {
  try {
    const entry = replayEntry(req, readFileSync(req.fd), read, config, sent);
    if (!entry) return;
    try {
      mkdirSync(dirname(req.entry), { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const tmp = `${req.entry}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, req.entry);
  } catch {
  } finally {
    try {
      closeSync(req.fd);
    } catch {}
  }
}
