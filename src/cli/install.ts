// "wireguard4netns install": the OCI hook JSON (oci-hooks.d/), pointing at
// this installation, in a hooks directory podman reads; and the netavark
// plugin (src/netavark/), in a plugin directory podman 5 reads.
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import template from '../../oci-hooks.d/wireguard4netns.json' with { type: 'json' };
import { PODS_ARG } from '../config/policy.js';
import { describe } from '../errors.js';
import { DRIVER } from '../netavark/api.js';
import { distDir, systemTool, wireguardGo } from '../tools.js';

export function defaultHooksDir(): string {
  return process.geteuid!() === 0 ? '/etc/containers/oci/hooks.d' : join(homedir(), '.config/containers/oci/hooks.d');
}

/** The containers.conf podman reads for this user (root's is system-wide). */
function containersConf(): string {
  return process.geteuid!() === 0 ? '/etc/containers/containers.conf' : '~/.config/containers/containers.conf';
}

/** The bundle the hook JSON runs: the hook alone, without the command line's code (see hooks/main.ts). */
const HOOK_BUNDLE = 'wireguard4netns-hook';
/** The netavark plugin's bundle (src/netavark/main.ts). */
const PLUGIN_BUNDLE = 'wireguard4netns-netavark';

/**
 * The hook's first process is our wireguard-go (wireguard-go/hook.go): it
 * starts the daemon at once and runs Node on the bundle, with core dumps
 * off (the hook reads key material, and Node cannot set rlimits itself).
 */
export function hookJson(wireguardGoPath: string, nodePath: string, hookBundlePath: string, pods = false): string {
  const args = ['wireguard-go', 'wireguard4netns-hook', nodePath, hookBundlePath, ...(pods ? [PODS_ARG] : [])];
  return `${JSON.stringify({ ...template, hook: { ...template.hook, path: wireguardGoPath, args } }, null, 2)}\n`;
}

/**
 * The poststop hook of a pods install: our wireguard-go sweeps the
 * runtime's user's tunnel folders that no daemon holds (one process
 * start, no Node) when the runtime deletes a container. Under Kubernetes
 * the daemon lives in the pod's cgroup, and the kubelet kills what is
 * left there with SIGKILL once the pod has stopped: a daemon that had not
 * ended by then leaves its folder, and no other sweep may come (no tunnel
 * need ever start on that node again). See docs/kubernetes.md, "When a
 * pod ends". podman kills no daemon: there each daemon sweeps once ready
 * (wireguard-go/serve.go), and its install has no poststop hook, which
 * made every `podman run --rm` slower (docs/performance.md).
 */
const POSTSTOP_JSON = 'wireguard4netns-poststop.json';

export function poststopJson(wireguardGoPath: string): string {
  const hook = { path: wireguardGoPath, args: ['wireguard-go', 'wireguard4netns-sweep'], timeout: 10 };
  return `${JSON.stringify({ ...template, hook, stages: ['poststop'] }, null, 2)}\n`;
}

function writeAtomically(file: string, text: string, mode = 0o644): void {
  writeFileSync(`${file}.tmp`, text);
  chmodSync(`${file}.tmp`, mode);
  renameSync(`${file}.tmp`, file);
}

/**
 * A note when the Node that the hook will run starts slowly: a build
 * without Node's startup snapshot or its built-in code cache (Debian 13's
 * shared libnode; the README's Performance section has its start time)
 * adds that much to every container start. Undefined for an ordinary
 * build.
 */
export function slowNodeNote(variables: Record<string, unknown>, nodePath: string): string | undefined {
  const missing = [
    variables.node_use_node_snapshot === false && 'startup snapshot',
    variables.node_use_node_code_cache === false && 'code cache for its built-in modules',
  ].filter(Boolean);
  if (missing.length === 0) return undefined;
  return `${nodePath} was built without its ${missing.join(' or ')}, so it starts several times slower than an official Node build, and every container start with the hook waits for it; run "install" with an official Node build for faster starts`;
}

/**
 * Writes DIR/wireguard4netns.json; returns what it wrote and how podman is
 * made to read DIR. pods: for a runtime that serves Kubernetes pods
 * (CRI-O, containerd), whose annotations pod authors write: the hook then
 * reads no host file, and DIR/wireguard4netns-poststop.json is written
 * too (removed otherwise: an earlier version wrote it for podman).
 */
export function installHook(dir: string, pods = false): { file: string; advice: string } {
  const file = join(dir, 'wireguard4netns.json');
  const poststop = join(dir, POSTSTOP_JSON);
  mkdirSync(dir, { recursive: true });
  // npm hides what its install script printed: a missing wireguard-go is said again here.
  let wgGo = join(distDir(), 'wireguard-go');
  try {
    wgGo = wireguardGo();
  } catch (err) {
    process.stderr.write(`wireguard4netns: warning: ${describe(err)}\n`);
  }
  writeAtomically(file, hookJson(wgGo, process.execPath, join(distDir(), HOOK_BUNDLE), pods));
  if (pods) writeAtomically(poststop, poststopJson(wgGo));
  else rmSync(poststop, { force: true });
  const readByDefault = ['/etc/containers/oci/hooks.d', '/usr/share/containers/oci/hooks.d'].includes(resolve(dir));
  const advice = readByDefault
    ? 'podman reads this directory by default'
    : `podman reads it with "podman --hooks-dir ${dir} run ..." or with hooks_dir = ["${dir}"] under [engine] in ${containersConf()}`;
  return { file: pods ? `${file} and ${poststop}` : file, advice };
}

/** podman's default netavark_plugin_dirs (containers.conf(5)): root's install goes into the first. */
const DEFAULT_PLUGIN_DIRS = ['/usr/local/libexec/netavark', '/usr/libexec/netavark', '/usr/local/lib/netavark', '/usr/lib/netavark'];

export function defaultPluginDir(): string {
  return process.geteuid!() === 0 ? DEFAULT_PLUGIN_DIRS[0] : join(homedir(), '.local/libexec/netavark');
}

/** The plugin, named as the driver: the bundle under prlimit --core=0 (it reads the config's private key), with absolute paths. */
export function pluginScript(prlimitPath: string, nodePath: string, bundlePath: string): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return `#!/bin/sh\n# netavark plugin "${DRIVER}", written by "wireguard4netns install"\nexec ${[prlimitPath, '--core=0', '--', nodePath, bundlePath].map(q).join(' ')} "$@"\n`;
}

/** Writes DIR/wireguard4netns, the netavark plugin; returns its path and how podman is made to read DIR. */
export function installPlugin(dir: string): { file: string; advice: string } {
  const file = join(dir, DRIVER);
  mkdirSync(dir, { recursive: true });
  writeAtomically(file, pluginScript(systemTool('prlimit'), process.execPath, join(distDir(), PLUGIN_BUNDLE)), 0o755);
  const advice = DEFAULT_PLUGIN_DIRS.includes(resolve(dir))
    ? 'podman 5 reads this directory by default'
    : `podman 5 reads it with netavark_plugin_dirs = ["${dir}"] under [network] in ${containersConf()}`;
  return { file, advice };
}
