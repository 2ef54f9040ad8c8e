// --tune-sysctl: the host's UDP buffer caps, net.core.rmem_max and
// wmem_max, raised for a part of the run and put back after it. They are
// host-wide (read-only in any other network namespace), so the old values
// go back in the bench's cleanup too: when the run ends, fails or is
// interrupted.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Cleanup } from '../src/tunnel/cleanup.js';

export const BUFFER_SYSCTLS = ['net.core.rmem_max', 'net.core.wmem_max'] as const;
/** What the bench raises them to: above the 7 MiB wireguard-go asks for. */
export const TUNED_BYTES = 16 << 20;

const path = (name: string) => `/proc/sys/${name.replaceAll('.', '/')}`;

export function readSysctl(name: string): number {
  return Number(readFileSync(path(name), 'utf8').trim());
}

export interface SysctlChange {
  name: string;
  before: number;
  during: number;
}

/**
 * Raises each buffer sysctl to TUNED_BYTES (never lowers one) and returns
 * what it did and how to put it back; the undo is also registered in
 * cleanup, and running it twice is harmless.
 */
export function raiseBuffers(cleanup: Cleanup): { changes: SysctlChange[]; restore: () => void } {
  const changes = BUFFER_SYSCTLS.map((name) => {
    const before = readSysctl(name);
    return { name, before, during: Math.max(before, TUNED_BYTES) };
  });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    for (const c of changes) writeFileSync(path(c.name), String(c.before));
  };
  cleanup.add(restore);
  for (const c of changes) writeFileSync(path(c.name), String(c.during));
  return { changes, restore };
}
