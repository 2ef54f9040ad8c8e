// The machine a result was measured on: CPU, memory, kernel, and the
// versions of everything in the measured paths.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { ROOT } from '../test/helpers/env.js';
import { DEBIAN_WIREGUARD_GO, OUR_WIREGUARD_GO } from './context.js';

function out(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }).trim();
  } catch {
    return 'unknown';
  }
}

const firstLine = (s: string) => s.split('\n')[0];
const pkg = (name: string) => out('dpkg-query', ['-W', `-f=${'$'}{Version}`, name]);

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  hypervisor: string;
  kernel: string;
  /** kernel.sched_autogroup_enabled: each session a scheduling group (rootclient.ts) */
  schedAutogroup: string;
  os: string;
  node: string;
  podman: string;
  runc: string;
  slirp4netns: string;
  passt: string;
  iperf3: string;
  busybox: string;
  ourWireguardGo: string;
  debianWireguardGo: string;
  commit: string;
}

export function machine(): Machine {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const lscpu = out('lscpu', []);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    hypervisor: /^Hypervisor vendor:\s+(.*)$/m.exec(lscpu)?.[1] ?? 'none',
    kernel: out('uname', ['-r']),
    schedAutogroup: (() => {
      try {
        return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim();
      } catch {
        return 'n/a';
      }
    })(),
    os: /^PRETTY_NAME="?([^"\n]*)/m.exec(osRelease)?.[1] ?? 'unknown',
    node: process.version,
    podman: out('podman', ['--version']).replace(/^podman version /, ''),
    runc: firstLine(out('runc', ['--version'])).replace(/^runc version /, ''),
    slirp4netns: pkg('slirp4netns'),
    passt: pkg('passt'),
    iperf3: pkg('iperf3'),
    busybox: pkg('busybox-static'),
    ourWireguardGo: `${firstLine(out(OUR_WIREGUARD_GO, ['--version']))} (dist/wireguard-go, patched)`,
    debianWireguardGo: firstLine(out(DEBIAN_WIREGUARD_GO, ['--version'])),
    commit: `${out('git', ['rev-parse', '--short', 'HEAD'])}${out('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (modified)' : ''}`,
  };
}
