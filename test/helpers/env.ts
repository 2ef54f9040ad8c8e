// The test machine as test/env/provision.sh leaves it: an unprivileged
// user with subuids, rootless podman (runc, cgroupfs) and a busybox rootfs.
// Tests run as root and act as that user; they fail, never skip, when the
// machine is not provisioned.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { CONFIG_ANNOTATION } from '../../src/annotations.js';

/** The checkout: this is bundled into dist/test/unit, dist/test/integration or dist/bench. */
export const ROOT = resolve(import.meta.dirname.replace(/\/dist\/(test\/[^/]+|bench)$/, ''));
export const TEST_DIR = process.env.WG4NS_TEST_DIR ?? '/var/lib/wireguard4netns-test';
/**
 * The build as the test users run it: a copy that every user can read
 * (test/env/stage.sh, which reset.sh runs), wherever the checkout is.
 */
export const INSTALL = join(TEST_DIR, 'install');
export const BUNDLE = join(INSTALL, 'dist/wireguard4netns');
/** What the hook JSON runs: the hook's own bundle. */
export const HOOK_BUNDLE = join(INSTALL, 'dist/wireguard4netns-hook');
/** Our wireguard-go: the hook's first process and the daemon (wireguard-go/build.sh). */
export const WIREGUARD_GO = join(INSTALL, 'dist/wireguard-go');
export const USER = process.env.WG4NS_TEST_USER ?? 'wg4ns';
export const ROOTFS = join(TEST_DIR, 'rootfs');

/** `podman run` arguments for a container with the hook: no network of podman's, the config annotation, the test rootfs (last: the command follows it). */
export const hookRunArgs = (conf: string, rootfs = ROOTFS) => [
  '--network',
  'none',
  '--annotation',
  `${CONFIG_ANNOTATION}=${conf}`,
  '--rootfs',
  rootfs,
];
export const IMAGE = process.env.WG4NS_TEST_IMAGE ?? 'localhost/wg4ns-busybox';

function id(flag: string): number {
  try {
    return Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(`test user ${USER} is missing: run "sudo test/env/provision.sh" first`);
  }
}
export const UID = id('-u');
export const GID = id('-g');
export const HOME = `/home/${USER}`;
export const RUNTIME_DIR = `/run/user/${UID}`;
export const STATE_BASE = join(RUNTIME_DIR, 'wireguard4netns');
export const HOOKS_DIR = join(HOME, '.config/containers/oci/hooks.d');
if (!existsSync(ROOTFS)) throw new Error(`test rootfs ${ROOTFS} is missing: run "sudo test/env/provision.sh" first`);
if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "sudo test/env/stage.sh" after "npm run build"`);

/** The OCI runtimes the podman cases run under: provision.sh makes both start a container, or fails. */
export const RUNTIMES = ['runc', 'crun'];

/** Runs a command as the test user, as a login without a session would. */
export function asUser(cmd: string[], timeout = 60_000, input = '') {
  return execa(
    'runuser',
    [
      '-u',
      USER,
      '--',
      'env',
      '-i',
      'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      `HOME=${HOME}`,
      `USER=${USER}`,
      `XDG_RUNTIME_DIR=${RUNTIME_DIR}`,
      ...cmd,
    ],
    { cwd: '/', reject: false, timeout, input },
  );
}

/**
 * The test user's folder for the tests' files, HOME/wg4ns-test, or a folder
 * below it: made here whatever ran before, each part owned by the test user
 * (test/env/reset.sh removes it at the start of a run).
 */
export function testDir(sub?: string): string {
  const dir = join(HOME, 'wg4ns-test');
  for (const d of sub ? [dir, join(dir, sub)] : [dir]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chownSync(d, UID, GID);
  }
  return sub ? join(dir, sub) : dir;
}

/** Writes a file the test user owns, mode 0600 (configs hold private keys). */
export function userFile(name: string, content: string): string {
  const path = join(testDir(), name);
  writeFileSync(path, content, { mode: 0o600 });
  chownSync(path, UID, GID);
  return path;
}

/** Installs the hook JSON into the test user's hooks directory. */
export async function installHook(): Promise<void> {
  const r = await asUser([process.execPath, BUNDLE, 'install', '--hooks-dir', HOOKS_DIR]);
  if (r.exitCode !== 0) throw new Error(`install failed: ${r.stderr}`);
}

export function podman(args: string[], timeout?: number) {
  return asUser(['podman', '--hooks-dir', HOOKS_DIR, ...args], timeout);
}
