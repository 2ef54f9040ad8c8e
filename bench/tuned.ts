// --tune-sysctl: ours against the rootful ceiling once more, with the
// host's UDP buffer caps raised (sysctl.ts), so that the unprivileged
// daemon gets the 7 MiB wireguard-go asks for, as root does with
// SO_RCVBUFFORCE. A daemon's buffers are set when its socket opens, so
// ours is a new container started after the raise; the rootful client
// already has its buffers. Alternated round by round, as the main phase.
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { type Contender, daemonOf, noticeOf, oursContainer, tcpWithCpu } from './contenders.js';
import type { Bench } from './context.js';
import { PEER_TUN_V4, PREFIX } from './context.js';
import { perGB } from './cpu.js';
import type { Tcp } from './iperf.js';
import { gbit, median } from './stats.js';
import { raiseBuffers, type SysctlChange } from './sysctl.js';

export interface TunedRun {
  tcp: Tcp[];
  tcpCpuS: number[];
  tcpBps: number;
  cpuSecondsPerGB: number;
}

export interface TunedResult {
  sysctls: SysctlChange[];
  rounds: number;
  seconds: number;
  /** the new container's daemon's UDP buffer notice: none expected with the raised caps */
  oursNotice: string | null;
  ours: TunedRun;
  rootful: TunedRun;
}

const TUNNEL_PORT = 5301;

export async function tunedThroughput(b: Bench, scope: Cleanup, rootful: Contender): Promise<TunedResult> {
  const { changes, restore } = raiseBuffers(b.cleanup);
  process.stderr.write(`bench: --tune-sysctl: ${changes.map((c) => `${c.name} ${c.before} -> ${c.during}`).join(', ')}\n`);
  try {
    const peer = await b.ourPeer();
    const conf = await b.client(peer, 'tp-ours-tuned', 6);
    const c = await oursContainer(scope, `${PREFIX}-tp-ours-tuned`, conf);
    const ours: Contender = {
      key: 'ours',
      what: 'ours, started with the raised buffer caps',
      host: PEER_TUN_V4,
      port: TUNNEL_PORT,
      run: c.run,
      pings: false,
      datapath: () => daemonOf(c.id),
    };
    const runs = { ours: [] as { t: Tcp; cpuS?: number }[], rootful: [] as { t: Tcp; cpuS?: number }[] };
    for (let r = 1; r <= b.o.rounds; r++) {
      for (const [key, contender] of [
        ['ours', ours],
        ['rootful', rootful],
      ] as const) {
        b.check();
        const run = await tcpWithCpu(contender, b.o.seconds);
        runs[key].push(run);
        process.stderr.write(`bench: tuned round ${r}/${b.o.rounds} TCP ${key}: ${gbit(run.t.bps)} (${run.t.retransmits} retransmits)\n`);
      }
    }
    const summary = (xs: { t: Tcp; cpuS?: number }[]): TunedRun => {
      const cpu = xs.map((x) => x.cpuS ?? NaN);
      const bytes = xs.reduce((a, x) => a + x.t.bytes, 0);
      return {
        tcp: xs.map((x) => x.t),
        tcpCpuS: cpu,
        tcpBps: median(xs.map((x) => x.t.bps)),
        cpuSecondsPerGB: perGB(
          cpu.reduce((a, x) => a + x, 0),
          bytes,
        ),
      };
    };
    return {
      sysctls: changes,
      rounds: b.o.rounds,
      seconds: b.o.seconds,
      oursNotice: noticeOf(c.id),
      ours: summary(runs.ours),
      rootful: summary(runs.rootful),
    };
  } finally {
    restore();
  }
}
