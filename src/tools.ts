// Absolute paths of the programs we run: hooks get no reliable PATH.
import { accessSync, constants, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Failure } from './errors.js';

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const PACKAGES: Record<string, string> = { nsenter: 'util-linux', getent: 'libc-bin', prlimit: 'util-linux' };

export function systemTool(name: string): string {
  for (const dir of SYSTEM_DIRS) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  throw new Failure(`${name} not found in ${SYSTEM_DIRS.join(':')}; install ${PACKAGES[name] ?? name}`);
}

/** Where this bundle and its siblings are (not where npm's bin symlink to it is). */
export function distDir(): string {
  return dirname(realpathSync(process.argv[1] ?? '.'));
}

/** Our patched wireguard-go: beside this bundle, unless the environment says otherwise. */
export function wireguardGo(): string {
  const path = process.env.WIREGUARD4NETNS_WIREGUARD_GO ?? join(distDir(), 'wireguard-go');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Failure(
      `wireguard-go not found at ${path}; install Go (https://go.dev/dl) and run "npm rebuild -g wireguard4netns" ("npm run build" in a checkout)`,
    );
  }
  return path;
}
