// Absolute paths of the programs we run: hooks get no reliable PATH.
import { accessSync, constants, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** The npm package with a prebuilt wireguard-go for this machine, an optional dependency of ours: @wireguard4netns/linux-x64, linux-arm64. */
export const PREBUILT_PACKAGE = `@wireguard4netns/${process.platform}-${process.arch}`;

/**
 * Our patched wireguard-go: the environment's, else the one built beside
 * this bundle (a checkout, or Go at install), else the prebuilt package's.
 */
export function wireguardGo(): string {
  const env = process.env.WIREGUARD4NETNS_WIREGUARD_GO;
  const built = join(distDir(), 'wireguard-go');
  if (env) {
    if (executable(env)) return env;
  } else {
    if (executable(built)) return built;
    const path = prebuilt();
    if (path) return path;
  }
  const where = env ? `${env} (WIREGUARD4NETNS_WIREGUARD_GO)` : `${built}, and ${PREBUILT_PACKAGE} is not installed`;
  throw new Failure(
    `wireguard-go not found at ${where}; install Go (https://go.dev/dl) and run "npm rebuild -g wireguard4netns" ("npm run build" in a checkout)`,
  );
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The prebuilt package's binary, looked up as Node resolves a dependency of
 * this bundle: in the node_modules of each folder up from it (nested,
 * hoisted, or a sibling in a global install of tarballs). A few failing
 * access calls: require.resolve would cost the hook's path more.
 */
function prebuilt(): string | undefined {
  for (let dir = distDir(); ; dir = dirname(dir)) {
    const path = join(dir, 'node_modules', PREBUILT_PACKAGE, 'bin/wireguard-go');
    if (basename(dir) !== 'node_modules' && executable(path)) return path;
    if (dir === dirname(dir)) return undefined;
  }
}
