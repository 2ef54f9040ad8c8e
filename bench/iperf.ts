// iperf3 servers the bench owns, and the client measurements it parses:
// TCP and UDP throughput (iperf3 -J), TCP round trip at a low rate (the
// kernel's smoothed RTT, which iperf3 reports) and ICMP ping (busybox).
import { execa } from 'execa';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { median, min } from './stats.js';

/** Runs argv where a contender sits (its netns or container) and returns stdout; throws on failure. */
export type Runner = (argv: string[], timeoutMs: number) => Promise<string>;

/** Starts `iperf3 -s` bound to host:port (prefix: e.g. ip netns exec NS); stopped by the undo. */
export async function startServer(c: Cleanup, prefix: string[], host: string, port: number): Promise<void> {
  const argv = [...prefix, 'iperf3', '-s', '-B', host, '-p', String(port), '--forceflush'];
  const server = execa(argv[0], argv.slice(1), { reject: false, stdin: 'ignore' });
  c.add(async () => {
    server.kill('SIGTERM');
    await Promise.race([server, new Promise((r) => setTimeout(r, 2000))]);
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')}: not listening after 5 s: ${out}`)), 5000);
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.then((r) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')}: exited: ${r.stderr || r.stdout}`));
    });
  });
}

interface IperfJson {
  error?: string;
  end: {
    sum_sent: { bits_per_second: number; retransmits?: number };
    sum_received: { bits_per_second: number; bytes: number; lost_percent?: number };
  };
  intervals: { streams: { rtt?: number }[] }[];
}

const BUSY = 'the server is busy running a test';

/**
 * One iperf3 client run. A server still finishing the previous contender's
 * test (UDP offered at 10 Gbit/s ends late) refuses the next one as busy:
 * that is retried, a few times, a moment later.
 */
async function iperf(run: Runner, args: string[], seconds: number): Promise<IperfJson> {
  for (let attempt = 1; ; attempt++) {
    const json = await run(['iperf3', '-J', ...args, '-t', String(seconds)], (seconds + 30) * 1000).then(
      (out) => JSON.parse(out) as IperfJson,
      (err: Error) => ({ error: err.message }) as IperfJson,
    );
    if (!json.error) return json;
    if (!json.error.includes(BUSY) || attempt === 10) throw new Error(`iperf3 ${args.join(' ')}: ${json.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface Tcp {
  bps: number;
  /** bytes the server received */
  bytes: number;
  retransmits: number;
}

/** TCP from the contender to host:port; received bits per second. */
export async function tcp(run: Runner, host: string, port: number, seconds: number): Promise<Tcp> {
  const j = await iperf(run, ['-c', host, '-p', String(port)], seconds);
  return { bps: j.end.sum_received.bits_per_second, bytes: j.end.sum_received.bytes, retransmits: j.end.sum_sent.retransmits ?? 0 };
}

export interface Udp {
  /** received bits per second */
  bps: number;
  sentBps: number;
  lossPercent: number;
}

/**
 * UDP at an offered 10 Gbit/s, in 1380-byte datagrams: they fit the
 * tunnels' 1420 MTU, so no contender fragments.
 */
export async function udp(run: Runner, host: string, port: number, seconds: number): Promise<Udp> {
  const j = await iperf(run, ['-c', host, '-p', String(port), '-u', '-b', '10G', '-l', '1380'], seconds);
  return {
    bps: j.end.sum_received.bits_per_second,
    sentBps: j.end.sum_sent.bits_per_second,
    lossPercent: j.end.sum_received.lost_percent ?? NaN,
  };
}

/**
 * The kernel's smoothed TCP RTT (ms) of a 1 Mbit/s stream in 1 KiB writes,
 * latency without queueing: one sample per second (iperf3's intervals).
 */
export async function tcpRtt(run: Runner, host: string, port: number, seconds: number): Promise<number[]> {
  const j = await iperf(run, ['-c', host, '-p', String(port), '-b', '1M', '-l', '1K'], seconds);
  return j.intervals.map((i) => (i.streams[0]?.rtt ?? NaN) / 1000).filter(Number.isFinite);
}

export interface Ping {
  medianMs: number;
  minMs: number;
  received: number;
}

/** count busybox pings, 0.2 s apart. */
export async function ping(run: Runner, host: string, count: number): Promise<Ping> {
  const out = await run(['busybox', 'ping', '-c', String(count), '-i', '0.2', '-W', '2', host], 30_000);
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  return { medianMs: median(times), minMs: min(times), received: times.length };
}
