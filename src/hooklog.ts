// The hook's own log: every error of the hook, one line each, with time and
// container id. crun discards a hook's stderr and a failed container leaves
// no tunnel folder, so this file, beside the user's runtime base
// (/run/user/UID/wireguard4netns.log, root: /run/wireguard4netns.log), is
// where a refused start can still be read. Messages are Failure lines:
// they never hold key material.
import { appendFileSync, renameSync, statSync } from 'node:fs';
import { runtimeBase } from './paths.js';

/** Beyond this size the log is moved to LOG.1 (one old generation) before the next line. */
const MAX_BYTES = 1 << 20;

export function hookLogPath(base = runtimeBase()): string {
  return `${base.replace(/\/+$/, '')}.log`;
}

/** Appends "TIME container ID: wireguard4netns: MESSAGE" (best effort: the error itself is what matters). */
export function logHookError(containerId: string | undefined, message: string, path = hookLogPath()): void {
  const id = containerId && /^[\w.-]{1,128}$/.test(containerId) ? containerId : '(unknown)';
  try {
    if (statSync(path).size > MAX_BYTES) renameSync(path, `${path}.1`);
  } catch {}
  try {
    appendFileSync(path, `${new Date().toISOString()} container ${id}: wireguard4netns: ${message.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {}
}
