// CPU time of a contender's client-side datapath process, from /proc: what
// a tunnel costs per byte when the peer is another machine (here both ends
// share the cores, so throughput mostly measures the peer). Our daemon,
// the rootful and Debian wireguard-go, slirp4netns and pasta are each one
// process; all its threads count. Work the kernel does for the traffic in
// softirq context is charged to whichever task it interrupts, so it is
// not in these figures for anyone.
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** clock ticks per second of /proc/PID/stat's times (USER_HZ: 100 on Linux everywhere). */
const TICKS = 100;

/** utime + stime of pid, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** The process of uid whose command is comm and whose argv contains every one of args. */
export function findProcess(uid: number, comm: string, args: string[]): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid !== uid) continue;
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== comm) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.every((a) => argv.includes(a) || argv.some((x) => x.endsWith(`=${a}`)))) return Number(name);
    } catch {}
  }
  throw new Error(`no ${comm} process of uid ${uid} with ${args.join(' ')}`);
}

/** Seconds of CPU per GB (1e9 bytes) moved. */
export const perGB = (cpuS: number, bytes: number) => (bytes > 0 ? cpuS / (bytes / 1e9) : NaN);
