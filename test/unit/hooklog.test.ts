// The hook's error log: where it lives, what a line looks like, its bound.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hookLogPath, isoTime, logHookError } from '../../src/hooklog.js';

const test = suite('hook log');
const DIR = mkdtempSync(join(tmpdir(), 'wg4ns-hooklog-'));

test.after(() => {
  rmSync(DIR, { recursive: true, force: true });
});

test('should write times as toISOString does, leap days and year ends included', () => {
  const day = 86_400_000;
  const edges = [
    0,
    day - 1,
    Date.UTC(2000, 1, 29),
    Date.UTC(2100, 2, 1) - 1,
    Date.UTC(2024, 11, 31, 23, 59, 59, 999),
    Date.UTC(9999, 11, 31),
  ];
  let ms = 0;
  for (let i = 0; i < 50_000; i++) {
    ms = (ms * 7 + 1_234_567_891) % Date.UTC(10000, 0, 1); // spread over years 1970-9999
    edges.push(ms);
  }
  for (const t of edges) assert.is(isoTime(t), new Date(t).toISOString(), String(t));
});

test('should live beside the runtime base, not in it', () => {
  assert.is(hookLogPath('/run/user/1000/wireguard4netns'), '/run/user/1000/wireguard4netns.log');
  assert.is(hookLogPath('/run/wireguard4netns/'), '/run/wireguard4netns.log');
});

test('should append one line per error, with time and container id, mode 0600', () => {
  const log = join(DIR, 'lines.log');
  logHookError('3f2a9c', '/c.conf:6: PublicKey: bad', log);
  logHookError(undefined, 'OCI state on stdin: not valid JSON', log);
  logHookError('evil\nid', 'two\nlines', log);
  const lines = readFileSync(log, 'utf8').split('\n');
  assert.is(lines.length, 4);
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z container 3f2a9c: wireguard4netns: \/c\.conf:6: PublicKey: bad$/);
  assert.match(lines[1], / container \(unknown\): wireguard4netns: OCI state on stdin: not valid JSON$/);
  assert.match(lines[2], / container \(unknown\): wireguard4netns: two lines$/);
  assert.is(statSync(log).mode & 0o777, 0o600);
});

test('should move a log over 1 MiB aside before the next line', () => {
  const log = join(DIR, 'big.log');
  writeFileSync(log, 'x'.repeat((1 << 20) + 1));
  logHookError('id', 'next', log);
  assert.match(readFileSync(log, 'utf8'), / container id: wireguard4netns: next\n$/);
  assert.is(statSync(`${log}.1`).size, (1 << 20) + 1);
});

test('should never throw, even where it cannot write', () => {
  logHookError('id', 'lost', '/nonexistent/dir/w.log');
});

test.run();
