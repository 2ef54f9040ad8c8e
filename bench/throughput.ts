// Phase 1: throughput and latency of the contenders, alternated round by
// round (A B C D E A B C D E ...) so that the noise of this shared machine
// falls on all of them alike. Medians are compared within this one run.
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { type Contender, type Key, setupContenders, tcpWithCpu } from './contenders.js';
import type { Bench } from './context.js';
import { perGB } from './cpu.js';
import { type Ping, ping, type Tcp, tcpRtt, type Udp, udp } from './iperf.js';
import { gbit, median, rttMs } from './stats.js';
import { BUFFER_SYSCTLS, readSysctl } from './sysctl.js';
import { type TunedResult, tunedThroughput } from './tuned.js';

export interface ContenderResult {
  what: string;
  tcp: Tcp[];
  udp: Udp[];
  /** one sample per second of the low-rate runs */
  tcpRttMs: number[];
  ping?: Ping[];
  /** CPU seconds of the client side's datapath process during each TCP run (cpu.ts) */
  tcpCpuS?: number[];
  /** its CPU seconds per GB received by the server, over all TCP runs */
  cpuSecondsPerGB?: number;
  /** medians */
  tcpBps: number;
  udpBps: number;
  udpLossPercent: number;
  tcpRttMedianMs: number;
  pingMedianMs?: number;
}

export interface ThroughputResult {
  rounds: number;
  seconds: number;
  udpRounds: number;
  udpSeconds: number;
  contenders: Record<Key, ContenderResult>;
  /** ours' daemon's UDP buffer notice at the host's settings (null: full buffers) */
  oursNotice: string | null;
  /** the host's buffer caps during the main rounds */
  sysctls: Record<string, number>;
  /** --tune-sysctl: ours and rootful again with the caps raised */
  tuned?: TunedResult;
  notes: string[];
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

export async function throughput(b: Bench, scope: Cleanup): Promise<ThroughputResult> {
  log('throughput: setting up peers, servers and contenders');
  const contenders = await setupContenders(b, scope);
  const rounds = b.o.rounds;
  const seconds = b.o.seconds;
  const udpRounds = Math.max(1, Math.ceil(rounds / 2));
  const udpSeconds = Math.max(2, Math.round(seconds / 2));
  const results = Object.fromEntries(
    contenders.map((c) => [
      c.key,
      { what: c.what, tcp: [], udp: [], tcpRttMs: [], ping: c.pings ? [] : undefined, tcpCpuS: c.datapath ? [] : undefined },
    ]),
  ) as unknown as Record<Key, ContenderResult>;

  for (let r = 1; r <= rounds; r++) {
    for (const c of contenders) {
      b.check();
      const { t, cpuS } = await tcpWithCpu(c, seconds);
      results[c.key].tcp.push(t);
      if (cpuS !== undefined) results[c.key].tcpCpuS?.push(cpuS);
      const cpu = cpuS === undefined ? '' : `, client datapath CPU ${perGB(cpuS, t.bytes).toFixed(2)} s/GB`;
      log(`round ${r}/${rounds} TCP ${c.key}: ${gbit(t.bps)} (${t.retransmits} retransmits${cpu})`);
    }
  }
  for (let r = 1; r <= udpRounds; r++) {
    for (const c of contenders) {
      b.check();
      await udpAndLatency(c, results[c.key], udpSeconds, b.o.quick, `round ${r}/${udpRounds}`);
    }
  }
  for (const res of Object.values(results)) {
    res.tcpBps = median(res.tcp.map((t) => t.bps));
    res.udpBps = median(res.udp.map((u) => u.bps));
    res.udpLossPercent = median(res.udp.map((u) => u.lossPercent));
    res.tcpRttMedianMs = median(res.tcpRttMs);
    if (res.ping) res.pingMedianMs = median(res.ping.map((p) => p.medianMs));
    if (res.tcpCpuS) res.cpuSecondsPerGB = perGB(sum(res.tcpCpuS), sum(res.tcp.map((t) => t.bytes)));
  }
  const oursNotice = contenders.find((c) => c.key === 'ours')?.notice?.() ?? null;
  const sysctls = Object.fromEntries(BUFFER_SYSCTLS.map((n) => [n, readSysctl(n)]));
  const rootful = contenders.find((c) => c.key === 'rootful');
  const tuned = b.o.tuneSysctl && rootful ? await tunedThroughput(b, scope, rootful) : undefined;
  return {
    rounds,
    seconds,
    udpRounds,
    udpSeconds,
    contenders: results,
    oursNotice,
    sysctls,
    tuned,
    notes: [
      'TCP: iperf3, one stream, contender -> server, received bits/s.',
      "CPU per GB: utime+stime (/proc/PID/stat) of the client side's datapath process during the TCP runs (our daemon; the rootful or Debian wireguard-go; slirp4netns; pasta) over the bytes the server received. Kernel work in softirq context is charged to no one of them.",
      'UDP: iperf3 -u -b 10G -l 1380 (fits a 1420 MTU), received bits/s and loss.',
      'TCP RTT: the kernel smoothed RTT of a 1 Mbit/s stream in 1 KiB writes (iperf3, each second), median of all samples.',
      'ping: busybox, 20 pings 0.2 s apart; the rootless container gets --cap-add NET_RAW for it. slirp4netns and pasta would answer ICMP to the host only through unprivileged ping sockets (net.ipv4.ping_group_range, "1 0" here, a host-wide setting the bench leaves alone).',
      'pasta: podman 4.3 has no --network pasta (came with 4.4), so pasta drives an `unshare -rn` netns of the bench user and the host iperf3 runs in it.',
    ],
  };
}

const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);

/** Latency first, on a quiet path (after a UDP flood, queues can still be draining), then UDP. */
async function udpAndLatency(c: Contender, res: ContenderResult, seconds: number, quick: boolean, round: string): Promise<void> {
  let pinged = '';
  if (res.ping) {
    const p = await ping(c.run, c.host, quick ? 5 : 20);
    res.ping.push(p);
    pinged = `, ping ${rttMs(p.medianMs)}`;
  }
  const rtts = await tcpRtt(c.run, c.host, c.port, quick ? 1 : 5);
  res.tcpRttMs.push(...rtts);
  const u = await udp(c.run, c.host, c.port, seconds);
  res.udp.push(u);
  log(
    `${round} ${c.key}: TCP RTT ${rttMs(median(rtts))}${pinged}; UDP ${gbit(u.bps)} received of ${gbit(u.sentBps)} sent (${u.lossPercent.toFixed(1)}% loss)`,
  );
}
