// Running commands for the bench: as root (namespaces, peers, servers) or
// as the bench user (rootless podman), bounded, timed, and failing with the
// command's own stderr.
import { execa } from 'execa';
import { asUser, HOOKS_DIR } from '../test/helpers/env.js';

export interface Ran {
  stdout: string;
  stderr: string;
  /** wall time of the whole command, spawn included */
  ms: number;
}

type Result = { exitCode?: number; stdout?: unknown; stderr?: unknown; timedOut?: boolean };

function checked(what: string[], r: Result, ms: number): Ran {
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  if (r.exitCode !== 0) {
    const why = r.timedOut ? 'timed out' : `exit ${r.exitCode}`;
    throw new Error(`${what.join(' ')}: ${why}: ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return { stdout, stderr, ms };
}

/** Runs a command as root; throws unless it exits 0. */
export async function sh(cmd: string[], o: { timeout?: number; input?: string } = {}): Promise<Ran> {
  const t0 = performance.now();
  const r = await execa(cmd[0], cmd.slice(1), { reject: false, timeout: o.timeout ?? 60_000, input: o.input ?? '' });
  return checked(cmd, r, performance.now() - t0);
}

/** Runs a command as the bench user (a login without a session, a clean environment); throws unless it exits 0. */
export async function user(cmd: string[], timeout = 60_000, input = ''): Promise<Ran> {
  const t0 = performance.now();
  const r = await asUser(cmd, timeout, input);
  return checked(cmd, r, performance.now() - t0);
}

/** Runs podman as the bench user, reading hooks from hooksDir (the installed hook's); throws unless it exits 0. */
export async function pod(args: string[], timeout = 60_000, hooksDir = HOOKS_DIR): Promise<Ran> {
  const t0 = performance.now();
  const r = await asUser(['podman', '--hooks-dir', hooksDir, ...args], timeout);
  return checked(['podman', ...args], r, performance.now() - t0);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
