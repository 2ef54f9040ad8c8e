// What must be gone after a tunnel ends: daemons, sockets, state, interfaces.
import { readdirSync, rmSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { STATE_BASE, UID } from './env.js';

// Daemons of the test user only: a run under another WG4NS_TEST_USER (or
// root's own tunnels) is not ours to see or kill.
const DAEMON = ['-u', String(UID), '-f', '^/\\S*wireguard-go wireguard4netns'];

export async function daemons(): Promise<string[]> {
  const r = await execa('pgrep', ['-a', ...DAEMON], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

export function stateEntries(): string[] {
  try {
    return readdirSync(STATE_BASE);
  } catch {
    return [];
  }
}

/** Waits (bounded) until no daemon and no state is left, then asserts it. */
export async function assertNothingLeft(what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ((await daemons()).length > 0 || stateEntries().length > 0)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await daemons(), [], `${what}: daemons left`);
  assert.equal(stateEntries(), [], `${what}: state left in ${STATE_BASE}`);
  const hostLinks = (await execa('ip', ['-o', 'link', 'show'])).stdout;
  assert.not.match(hostLinks, /: wg0[:@]/, `${what}: wg0 in the host namespace`);
}

/** A suite starts from nothing: no daemon and no tunnel folder that an earlier, interrupted run left. */
export async function cleanSlate(): Promise<void> {
  await execa('pkill', ['-KILL', ...DAEMON], { reject: false });
  rmSync(STATE_BASE, { recursive: true, force: true });
}
