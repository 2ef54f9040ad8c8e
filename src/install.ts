// "wireguard4netns install": the OCI hook JSON (oci-hooks.d/), pointing at
// this installation, in a hooks directory podman reads.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import template from '../oci-hooks.d/wireguard4netns.json' with { type: 'json' };
import { describe } from './errors.js';
import { distDir, systemTool, wireguardGo } from './tools.js';

export function defaultHooksDir(): string {
  return process.geteuid!() === 0 ? '/etc/containers/oci/hooks.d' : join(homedir(), '.config/containers/oci/hooks.d');
}

/** The containers.conf podman reads for this user (root's is system-wide). */
function containersConf(): string {
  return process.geteuid!() === 0 ? '/etc/containers/containers.conf' : '~/.config/containers/containers.conf';
}

/** The bundle the hook JSON runs: the hook alone, without the command line's code (see hooks/main.ts). */
export const HOOK_BUNDLE = 'wireguard4netns-hook';

/** The hook runs under prlimit --core=0: it holds key material, and Node cannot set rlimits itself. */
export function hookJson(prlimitPath: string, nodePath: string, hookBundlePath: string): string {
  const args = ['prlimit', '--core=0', '--', nodePath, hookBundlePath];
  const hook = { ...template, hook: { ...template.hook, path: prlimitPath, args } };
  return `${JSON.stringify(hook, null, 2)}\n`;
}

/** Writes DIR/wireguard4netns.json and returns its path and how podman is made to read it. */
export function installHook(dir: string): { file: string; advice: string } {
  const file = join(dir, 'wireguard4netns.json');
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.tmp`, hookJson(systemTool('prlimit'), process.execPath, join(distDir(), HOOK_BUNDLE)));
  renameSync(`${file}.tmp`, file);
  // npm hides what its install script printed: a missing wireguard-go is said again here.
  try {
    wireguardGo();
  } catch (err) {
    process.stderr.write(`wireguard4netns: warning: ${describe(err)}\n`);
  }
  const readByDefault = ['/etc/containers/oci/hooks.d', '/usr/share/containers/oci/hooks.d'].includes(resolve(dir));
  const advice = readByDefault
    ? 'podman reads this directory by default'
    : `podman reads it with "podman --hooks-dir ${dir} run ..." or with hooks_dir = ["${dir}"] under [engine] in ${containersConf()}`;
  return { file, advice };
}
