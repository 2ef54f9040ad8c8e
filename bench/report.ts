// The bench's verdicts (each target with PASS/FAIL) and its human table,
// in Markdown so that it can go into docs/performance.md as printed.
import type { Key } from './contenders.js';
import type { Machine } from './machine.js';
import type { MemoryResult } from './memory.js';
import { type Podman5Result, podman5Table } from './podman5.js';
import type { StartResult } from './start.js';
import { cpuPerGB, gbit, mib, ms, ratio, rttMs } from './stats.js';
import type { ThroughputResult } from './throughput.js';

export interface Results {
  command: string;
  startedAt: string;
  durationS: number;
  machine: Machine;
  throughput?: ThroughputResult;
  start?: StartResult;
  memory?: MemoryResult;
  podman5?: Podman5Result;
}

export interface Target {
  name: string;
  measured: string;
  goal: string;
  pass: boolean;
  value: number;
}

/** The issue's targets, for whichever phases ran. */
export function targets(r: Results): Target[] {
  const out: Target[] = [];
  if (r.throughput) {
    const tcp = (k: Key) => r.throughput!.contenders[k].tcpBps;
    const vs = (k: Key, goal: number, name: string) => {
      const v = tcp('ours') / tcp(k);
      out.push({ name, value: v, measured: `${ratio(v)} (${gbit(tcp('ours'))} / ${gbit(tcp(k))})`, goal: `>= ${goal}x`, pass: v >= goal });
    };
    vs('rootful', 0.95, 'TCP: ours / rootful wireguard-go (same binary, same peer), host buffer caps');
    vs('original', 3, "TCP: ours / the original's datapath (wireguard-go 0.0.20220316 both ends)");
    vs('slirp4netns', 1, 'TCP: ours (encrypted) / slirp4netns mtu 65520 (unencrypted)');
    const tuned = r.throughput.tuned;
    if (tuned) {
      const v = tuned.ours.tcpBps / tuned.rootful.tcpBps;
      out.push({
        name: 'TCP: ours / rootful with the buffer caps raised (--tune-sysctl)',
        value: v,
        measured: `${ratio(v)} (${gbit(tuned.ours.tcpBps)} / ${gbit(tuned.rootful.tcpBps)})`,
        goal: '>= 0.95x',
        pass: v >= 0.95,
      });
    }
    const cpu = (k: Key) => r.throughput!.contenders[k].cpuSecondsPerGB ?? NaN;
    const v = cpu('ours') / cpu('slirp4netns');
    out.push({
      name: "client datapath CPU per GB: ours / slirp4netns's",
      value: v,
      measured: `${ratio(v)} (${cpuPerGB(cpu('ours'))} / ${cpuPerGB(cpu('slirp4netns'))})`,
      goal: '<= 1.5x',
      pass: v <= 1.5,
    });
  }
  if (r.start) {
    const s = r.start;
    out.push({
      name: 'start: what the hook adds beyond a bare node start (medians), every start (a config started before)',
      value: s.repeatedBeyondNodeMs,
      measured: `${ms(s.repeatedBeyondNodeMs)} (hook adds ${ms(s.repeatedAddsMs)}, node -e 0 ${ms(s.medianMs.node)}; paired ${ms(s.pairedMs.repeated - s.medianMs.node)})`,
      goal: '<= 20 ms',
      pass: s.repeatedBeyondNodeMs <= 20,
    });
    out.push({
      name: 'start: the same, a config just edited (touched before each start)',
      value: s.firstBeyondNodeMs,
      measured: `${ms(s.firstBeyondNodeMs)} (hook adds ${ms(s.firstAddsMs)}; paired ${ms(s.pairedMs.first - s.medianMs.node)})`,
      goal: '<= 20 ms',
      pass: s.firstBeyondNodeMs <= 20,
    });
  }
  if (r.memory) {
    const t = r.memory.tunnels;
    out.push({
      name: `${t.count} tunnels at once: each reaches the backend`,
      value: t.working,
      measured: `${t.working}/${t.count}`,
      goal: `${t.count}/${t.count}`,
      pass: t.working === t.count && t.daemonsAlive === t.count,
    });
    out.push({
      name: `${t.count} idle tunnels: PSS per tunnel (the daemons' total / ${t.count})`,
      value: t.perTunnelPssKb,
      measured: mib(t.perTunnelPssKb),
      goal: '<= 2 MiB',
      pass: t.perTunnelPssKb <= 2048,
    });
    const v = t.lastStartsMs / t.firstStartsMs;
    out.push({
      name: `${t.count} tunnels: start of the last vs the first (medians of 5)`,
      value: v,
      measured: `${ratio(v)} (${ms(t.lastStartsMs)} / ${ms(t.firstStartsMs)})`,
      goal: '<= 1.25x',
      pass: v <= 1.25,
    });
  }
  return out;
}

const signed = (x: number) => (x >= 0 ? `+${ms(x)}` : ms(x));
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const head = (cells: string[]) => [row(cells), row(cells.map(() => '---'))];

export function table(r: Results, verdicts: Target[]): string {
  const m = r.machine;
  const lines: string[] = [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB (${m.hypervisor === 'none' ? 'bare metal' : `${m.hypervisor} guest`}); ${m.os}, kernel ${m.kernel}`,
    `Software: podman ${m.podman}, runc ${m.runc}, slirp4netns ${m.slirp4netns}, passt ${m.passt}, iperf3 ${m.iperf3}, node ${m.node}; ours ${m.ourWireguardGo}, Debian ${m.debianWireguardGo}; commit ${m.commit}`,
    `Command: ${r.command} (${r.startedAt}, took ${Math.round(r.durationS)} s)`,
  ];
  const tp = r.throughput;
  if (tp) {
    lines.push(
      '',
      `Throughput: medians of ${tp.rounds} alternated rounds (TCP ${tp.seconds} s; UDP ${tp.udpSeconds} s and latency: ${tp.udpRounds} rounds)`,
      '',
    );
    lines.push(...head(['contender', 'TCP', 'client CPU per GB (TCP)', 'UDP received (loss)', 'TCP RTT, 1 Mbit/s', 'ping RTT']));
    for (const [key, c] of Object.entries(tp.contenders)) {
      lines.push(
        row([
          `${key}: ${c.what}`,
          gbit(c.tcpBps),
          cpuPerGB(c.cpuSecondsPerGB ?? NaN),
          `${gbit(c.udpBps)} (${c.udpLossPercent.toFixed(0)}%)`,
          rttMs(c.tcpRttMedianMs),
          c.pingMedianMs === undefined ? 'n/a' : rttMs(c.pingMedianMs),
        ]),
      );
    }
    const caps = Object.entries(tp.sysctls)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push('', `Host buffer caps: ${caps}. Ours' daemon: ${tp.oursNotice ? `"${tp.oursNotice}"` : 'full buffers, no notice'}.`);
    const tuned = tp.tuned;
    if (tuned) {
      lines.push(
        '',
        `With the caps raised (--tune-sysctl: ${tuned.sysctls.map((c) => `${c.name} ${c.before} -> ${c.during}`).join(', ')}, restored after), ${tuned.rounds} alternated rounds of ${tuned.seconds} s, a new container of ours; its daemon: ${tuned.oursNotice ? `"${tuned.oursNotice}"` : 'full buffers, no notice'}`,
        '',
        ...head(['contender', 'TCP', 'client CPU per GB (TCP)']),
        row(['ours, started with the raised caps', gbit(tuned.ours.tcpBps), cpuPerGB(tuned.ours.cpuSecondsPerGB)]),
        row(['rootful', gbit(tuned.rootful.tcpBps), cpuPerGB(tuned.rootful.cpuSecondsPerGB)]),
      );
    }
    lines.push('', ...tp.notes.map((n) => `- ${n}`));
  }
  const st = r.start;
  if (st) {
    const md = st.medianMs;
    lines.push('', `Start cost: medians of ${st.runs} alternated runs (podman as the bench user, --rootfs busybox)`, '');
    const paired = st.pairedMs;
    lines.push(...head(['run', 'median', 'vs --network none', "paired: median of each round's difference"]));
    lines.push(row(['`podman run --rm --network none ... true`', ms(md.none), '', '']));
    lines.push(
      row([
        'same, with the hook: every start (a config started before)',
        ms(md.repeated),
        signed(st.repeatedAddsMs),
        signed(paired.repeated),
      ]),
    );
    lines.push(row(['same, a config just edited (touched before the start)', ms(md.first), signed(st.firstAddsMs), signed(paired.first)]));
    lines.push(row(['same, `--network slirp4netns`', ms(md.slirp4netns), signed(st.slirpAddsMs), signed(paired.slirp4netns)]));
    lines.push(row(['`node -e 0`', ms(md.node), '', '']));
    lines.push(row(["no-op hook: the hook JSON's command, a state without the annotation", ms(md.noop), '', '']));
    lines.push(
      row([
        '`podman run --rm --network none ... true` whose runtime runs that command, without the annotation (a hook deciding nothing)',
        ms(md.noopHook),
        signed(st.noopHookAddsMs),
        signed(paired.noopHook),
      ]),
    );
    const split = (title: string, parts: { part: string; ms: number }[]) => {
      if (parts.length === 0) return;
      lines.push('', title, '', ...head(['part', 'ms']));
      for (const p of parts) lines.push(row([p.part, ms(p.ms)]));
    };
    lines.push(
      '',
      `Beyond a hook that decides nothing, run the same way: every start ${signed(st.repeatedAddsMs - st.noopHookAddsMs)}, a config just edited ${signed(st.firstAddsMs - st.noopHookAddsMs)} (paired: ${signed(paired.repeatedBeyondNoopHook)} and ${signed(paired.firstBeyondNoopHook)}; the work of deciding and of the tunnel). The runtime's running of the no-op hook against the same command in a shell: ${signed(st.noopHookAddsMs - md.noop)}.`,
    );
    split(`Where every start's ${signed(st.repeatedAddsMs)} go (medians):`, st.breakdown);
    split(`Where a just-edited config's start's ${signed(st.firstAddsMs)} go (medians):`, st.firstBreakdown);
    lines.push(
      '',
      "- `node -e 0` and the no-op hook are timed in a shell, as the bench user with a clean environment, as runc runs the hook (root's environment here has NODE_EXTRA_CA_CERTS, which adds 60-150 ms to a node start).",
      `- The split comes from ${st.probes.length} probe containers interleaved with the timed runs: the hook run through /usr/bin/time from a second hooks dir (wall time, peak RSS), its step times from the tunnel's daemon.log. Its rows are medians of different runs; the last row is what remains.`,
    );
  }
  const mem = r.memory;
  if (mem) {
    const t = mem.tunnels;
    lines.push('', 'Memory', '');
    lines.push(...head(['what', 'value']));
    for (const [stage, kb] of Object.entries(mem.hookPeakRssKb))
      lines.push(row([`hook peak RSS, ${stage} (median / max)`, `${mib(kb.median)} / ${mib(kb.max)}`]));
    lines.push(row(['one idle daemon: RSS / PSS', `${mib(mem.idleDaemon.rssKb)} / ${mib(mem.idleDaemon.pssKb)}`]));
    lines.push(row([`${t.count} tunnels at once: reach the backend`, `${t.working}/${t.count} (daemons alive ${t.daemonsAlive})`]));
    lines.push(row([`${t.count} tunnels: daemons' total RSS / PSS`, `${mib(t.totalRssKb)} / ${mib(t.totalPssKb)}`]));
    lines.push(row([`${t.count} tunnels: per tunnel RSS / PSS`, `${mib(t.perTunnelRssKb)} / ${mib(t.perTunnelPssKb)}`]));
    lines.push(row([`start of tunnel 1 / ${t.count} (podman run -d)`, `${ms(t.startMs[0])} / ${ms(t.startMs[t.count - 1])}`]));
    lines.push(row(['start, median of the first 5 / the last 5', `${ms(t.firstStartsMs)} / ${ms(t.lastStartsMs)}`]));
    for (const f of t.failures) lines.push(`- failed: ${f}`);
  }
  if (r.podman5) lines.push(...podman5Table(r.podman5));
  if (verdicts.length > 0) {
    lines.push('', 'Targets', '');
    lines.push(...head(['target', 'measured', 'goal', 'result']));
    for (const v of verdicts) lines.push(row([v.name, v.measured, v.goal, v.pass ? 'PASS' : 'FAIL']));
  }
  return `${lines.join('\n')}\n`;
}
