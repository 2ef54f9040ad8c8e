// DNS= of the config, written into the container's /etc/resolv.conf: the
// file podman bind-mounts there, or else (with --network none podman mounts
// none) the one in the container's root filesystem.
import { closeSync, constants, lstatSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/validate.js';
import { Failure } from '../errors.js';

interface Spec {
  root?: { path?: string };
  mounts?: { destination?: string; source?: string }[];
}

/** The host path of the container's /etc/resolv.conf, from the bundle's config.json. */
export function resolvConfPath(bundle: string): string | undefined {
  if (!bundle) return undefined;
  let spec: Spec;
  try {
    spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
  } catch {
    return undefined;
  }
  const mount = spec.mounts?.find((m) => m.destination === '/etc/resolv.conf');
  if (mount?.source) return mount.source;
  return spec.root?.path ? join(resolve(bundle, spec.root.path), 'etc/resolv.conf') : undefined;
}

export function resolvConfText(config: Config): string {
  const lines = [`# written by wireguard4netns from ${config.file}`];
  for (const ns of config.dns) lines.push(`nameserver ${ns}`);
  if (config.dnsSearch.length > 0) lines.push(`search ${config.dnsSearch.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the file and returns its undo. The container's image owns the
 * path, so neither the file nor its folder may be a symlink: it could point
 * anywhere on the host.
 */
export function writeResolvConf(path: string, config: Config): () => void {
  if (!lstatSync(join(path, '..')).isDirectory()) throw new Failure(`${path}: its folder is not a directory`);
  const open = (flags: number) => openSync(path, flags | constants.O_NOFOLLOW, 0o644);
  const withFile = <T>(flags: number, fn: (fd: number) => T): T => {
    const fd = open(flags);
    try {
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  };
  let before: Buffer | undefined;
  try {
    before = withFile(constants.O_RDONLY, (fd) => readFileSync(fd));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const write = (data: Buffer | string) =>
    withFile(constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, (fd) => writeFileSync(fd, data));
  write(resolvConfText(config));
  return () => (before === undefined ? rmSync(path, { force: true }) : write(before));
}
