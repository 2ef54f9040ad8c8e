// What must be gone after a tunnel ends: daemons, sockets, state, interfaces.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { LOG_FILE } from '../../src/tunnel/daemon.js';
import { STATE_BASE, UID } from './env.js';
import { eventually } from './poll.js';

/** Whose tunnels: the test user's (rootless) by default, or real root's (rootful). */
export interface Owner {
  uid: number;
  base: string;
}
export const TEST_USER: Owner = { uid: UID, base: STATE_BASE };
export const ROOT_USER: Owner = { uid: 0, base: '/run/wireguard4netns' };

// Daemons of one user only: a run under another WG4NS_TEST_USER (or
// root's own tunnels) is not ours to see or kill.
const daemonPattern = (o: Owner) => ['-u', String(o.uid), '-f', '^/\\S*wireguard-go wireguard4netns'];

export async function daemons(o = TEST_USER): Promise<string[]> {
  const r = await execa('pgrep', ['-a', ...daemonPattern(o)], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

export function stateEntries(o = TEST_USER): string[] {
  try {
    return readdirSync(o.base);
  } catch {
    return [];
  }
}

/** Waits (bounded) until no daemon and no state is left, then asserts it. */
export async function assertNothingLeft(what: string, timeoutMs = 5000, o = TEST_USER): Promise<void> {
  await eventually(async () => (await daemons(o)).length === 0 && stateEntries(o).length === 0, timeoutMs);
  assert.equal(await daemons(o), [], `${what}: daemons left`);
  const left = stateEntries(o);
  assert.equal(left, [], `${what}: state left in ${o.base}${left.map((e) => logOf(join(o.base, e))).join('')}`);
  const hostLinks = (await execa('ip', ['-o', 'link', 'show'])).stdout;
  assert.not.match(hostLinks, /: wg0[:@]/, `${what}: wg0 in the host namespace`);
}

/** What a leftover tunnel folder's daemon logged, to tell why it is left. */
function logOf(dir: string): string {
  try {
    return `\n${dir}/${LOG_FILE}:\n${readFileSync(join(dir, LOG_FILE), 'utf8').slice(-4000)}`;
  } catch (err) {
    return `\n${dir}: ${(err as Error).message}`;
  }
}

/** A suite starts from nothing: no daemon and no tunnel folder that an earlier, interrupted run left. */
export async function cleanSlate(o = TEST_USER): Promise<void> {
  await execa('pkill', ['-KILL', ...daemonPattern(o)], { reject: false });
  rmSync(o.base, { recursive: true, force: true });
}
