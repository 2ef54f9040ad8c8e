// A container's tunnel as the bench sees it from outside: its folder under
// the bench user's runtime directory, its daemon, the daemon's memory, and
// the hook's own line in daemon.log with the time of each step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE } from '../src/tunnel/daemon.js';
import { liveContainers, readState, type TunnelState, tunnelDirs } from '../src/tunnel/state.js';
import { BESIDE_NODE } from '../src/tunnel/up.js';
import { STATE_BASE } from '../test/helpers/env.js';

export interface Tunnel {
  dir: string;
  state: TunnelState;
}

export function tunnelOf(containerId: string): Tunnel | undefined {
  for (const dir of tunnelDirs(STATE_BASE)) {
    const state = readState(dir);
    if (state && liveContainers(dir, state.netnsInode).some((c) => c.id === containerId)) return { dir, state };
  }
  return undefined;
}

export interface Mem {
  /** VmRSS, kB */
  rssKb: number;
  /** VmHWM (peak RSS), kB */
  hwmKb: number;
  /** Pss from smaps_rollup, kB: shared pages divided among their users */
  pssKb: number;
}

export function memOf(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: kb(status, 'VmRSS'), hwmKb: kb(status, 'VmHWM'), pssKb: kb(rollup, 'Pss') };
}

export interface Step {
  label: string;
  ms: number;
  /** the step this one is part of ("daemon, of which in wireguard-go: tun 0.7 ms, ...") */
  partOf?: string;
}

/**
 * The step times of the hook's line for containerId in the tunnel's log:
 * any "(label N ms, label N ms, ...)" list at the end of the line, whatever
 * the labels are. "of which WHAT: a N ms, b N ms" starts the parts of the
 * step before it; they are not added to the total a second time.
 */
export function stepTimes(dir: string, containerId: string): Step[] {
  const log = readFileSync(join(dir, LOG_FILE), 'utf8');
  const line = log.split('\n').find((l) => l.includes(containerId) && /\(([^()]*\d+ ms)\)\s*$/.test(l));
  if (!line) throw new Error(`${join(dir, LOG_FILE)}: no line with step times for container ${containerId}`);
  const list = /\(([^()]*)\)\s*$/.exec(line)![1];
  const steps: Step[] = [];
  let partOf: string | undefined;
  for (let item of list.split(/,\s*/)) {
    const ofWhich = /^of which[^:]*:\s*(.*)$/.exec(item.trim());
    if (ofWhich) {
      partOf = steps.filter((s) => !s.partOf).at(-1)?.label;
      item = ofWhich[1];
    }
    // The hook's daemon's first steps, beside Node's start: not on the path, so part of no step that counts.
    if (item.trim().startsWith(`${BESIDE_NODE}:`)) {
      partOf = BESIDE_NODE;
      item = item.trim().slice(BESIDE_NODE.length + 1);
    }
    const m = /^(.+?)\s+(\d+(?:\.\d+)?)\s*ms$/.exec(item.trim());
    if (!m) continue;
    steps.push(partOf ? { label: m[1], ms: Number(m[2]), partOf } : { label: m[1], ms: Number(m[2]) });
  }
  return steps;
}
