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
    appendFileSync(path, `${isoTime()} container ${id}: wireguard4netns: ${message.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {}
}

/**
 * Date.now() as toISOString() writes it (2026-12-05T08:00:00.000Z). Not
 * that method: its first call in a process costs 1-2 ms, on every
 * container start's path (docs/performance.md).
 */
export function isoTime(ms: number = Date.now()): string {
  // Days since 1970-01-01 to a civil date: Howard Hinnant's days_from_civil, inverted.
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const p = (n: number, width = 2) => String(n).padStart(width, '0');
  const [h, m, s] = [Math.floor(inDay / 3_600_000), Math.floor(inDay / 60_000) % 60, Math.floor(inDay / 1000) % 60];
  return `${p(year, 4)}-${p(month)}-${p(day)}T${p(h)}:${p(m)}:${p(s)}.${p(inDay % 1000, 3)}Z`;
}
