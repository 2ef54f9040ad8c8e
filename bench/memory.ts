// Phase 3: memory. The hook's peak RSS and an idle daemon's RSS and PSS
// come from the hook probes; then N tunnels at once (default 100): N
// containers, each with its own key and /32 allowed on the peer, started
// one after the other (timed), each fetching the backend page through its
// tunnel, and the total and per-tunnel memory of their daemons.
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { hookRunArgs } from '../test/helpers/env.js';
import { PAGE } from '../test/helpers/peer.js';
import { type Bench, PEER_TUN_V4, PREFIX } from './context.js';
import type { Probe } from './probe.js';
import { pod } from './sh.js';
import { max, median } from './stats.js';
import { type Mem, memOf, tunnelOf } from './tunnels.js';

export interface MemoryResult {
  hookPeakRssKb: Record<string, { median: number; max: number }>;
  idleDaemon: { rssKb: number; pssKb: number; hwmKb: number };
  tunnels: {
    count: number;
    working: number;
    failures: string[];
    startMs: number[];
    /** medians of the first and of the last five starts */
    firstStartsMs: number;
    lastStartsMs: number;
    daemonsAlive: number;
    totalRssKb: number;
    totalPssKb: number;
    perTunnelRssKb: number;
    perTunnelPssKb: number;
  };
}

const BACKEND = `http://${PEER_TUN_V4}:8080/`;

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export async function memory(b: Bench, scope: Cleanup, probes: Probe[]): Promise<MemoryResult> {
  const stages = [...new Set(probes.flatMap((p) => p.stages.map((s) => s.stage)))];
  const hookPeakRssKb = Object.fromEntries(
    stages.map((stage) => {
      const kb = probes.flatMap((p) => p.stages.filter((s) => s.stage === stage).map((s) => s.maxRssKb));
      return [stage, { median: median(kb), max: max(kb) }];
    }),
  );
  const idle = (k: keyof Mem) => median(probes.map((p) => p.daemon[k]));

  await b.hook();
  const peer = await b.ourPeer();
  const count = b.o.tunnels;
  const names: string[] = [];
  const ids: string[] = [];
  const startMs: number[] = [];
  scope.add(async () => {
    if (names.length > 0) await pod(['rm', '-f', '-t', '0', ...names], 300_000).catch(() => undefined);
  });
  for (let i = 0; i < count; i++) {
    const name = `${PREFIX}-mem-${i + 1}`;
    const client = await b.client(peer, `mem-${i + 1}`, 10 + i);
    names.push(name);
    const r = await pod(['run', '-d', '--name', name, ...hookRunArgs(client.file), 'sleep', '600']);
    ids.push(r.stdout.trim());
    startMs.push(r.ms);
  }
  process.stderr.write(`bench: ${count} tunnels up; starts 1st ${startMs[0].toFixed(0)} ms, last ${startMs[count - 1].toFixed(0)} ms\n`);

  const failures = (
    await inBatches(names, 5, async (name) => {
      b.check();
      try {
        const out = (await pod(['exec', name, 'timeout', '10', 'wget', '-q', '-O-', BACKEND], 30_000)).stdout;
        return out.includes(PAGE) ? undefined : `${name}: unexpected page: ${out.slice(0, 80)}`;
      } catch (err) {
        return `${name}: ${(err as Error).message}`;
      }
    })
  ).filter((f): f is string => f !== undefined);

  const mems = ids.map((id) => {
    const t = tunnelOf(id);
    try {
      return t ? memOf(t.state.daemonPid) : undefined;
    } catch {
      return undefined; // the daemon is gone
    }
  });
  const alive = mems.filter((m): m is Mem => m !== undefined);
  const total = (k: keyof Mem) => alive.reduce((a, m) => a + m[k], 0);
  const five = Math.min(5, count);
  return {
    hookPeakRssKb,
    idleDaemon: { rssKb: idle('rssKb'), pssKb: idle('pssKb'), hwmKb: idle('hwmKb') },
    tunnels: {
      count,
      working: count - failures.length,
      failures,
      startMs,
      firstStartsMs: median(startMs.slice(0, five)),
      lastStartsMs: median(startMs.slice(-five)),
      daemonsAlive: alive.length,
      totalRssKb: total('rssKb'),
      totalPssKb: total('pssKb'),
      perTunnelRssKb: total('rssKb') / alive.length,
      perTunnelPssKb: total('pssKb') / alive.length,
    },
  };
}
