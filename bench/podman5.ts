// Phase "podman5": the netavark plugin against the hook, both under
// rootless podman 5.4 in the Debian 13 root of test/env/trixie.sh, in one
// run, alternated. The same peer (our wireguard-go build, on the host) and
// iperf3 server serve both; each contender has its own key and /32.
//   hook    podman run --network none --annotation wireguard4netns.conf=...
//           the daemon's UDP socket is in the host's network namespace
//   plugin  podman network create -d wireguard4netns; podman run --network NET
//           the daemon runs in podman's rootless network namespace, so its
//           UDP goes through pasta
//   broker  the same, with the user's UDP broker running in the host's
//           namespace: the daemon's UDP sockets come from there
// Measured: TCP throughput, client-side CPU per GB (the daemon's, plus
// pasta's for the plugin: the processes the path adds), and start cost
// (podman run --rm ... true), with the rootless network namespace cold
// (no other container on a netavark network: podman starts and stops
// pasta for each run) and warm (another container keeps it).
import { CONFIG_ANNOTATION } from '../src/annotations.js';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { LAB_HOME, LAB_HOOKS_DIR, LAB_STATE_BASE, startBroker, startTrixie, TRIXIE_BUNDLE, type Trixie } from '../test/helpers/trixie.js';
import { type Bench, clientConfig, PEER_TUN_V4, PREFIX } from './context.js';
import { type Runner, startServer, tcp } from './iperf.js';
import { gbit, median, ms } from './stats.js';

const PORT = 5303;
const ROOTFS = '/srv/w4n-iperf-rootfs';
const PLUGIN_DIR = `${LAB_HOME}/.local/libexec/netavark`;
const NETWORK = `${PREFIX}-net`;
/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
const HZ = 100;

type Key = 'hook' | 'plugin' | 'broker';
const KEYS: Key[] = ['hook', 'plugin', 'broker'];
type StartKey = 'none' | 'hook' | 'pluginCold' | 'pasta' | 'pluginWarm' | 'hookWarm' | 'noneWarm';

export interface Podman5Result {
  podman: string;
  rounds: number;
  seconds: number;
  contenders: Record<
    Key,
    {
      what: string;
      tcpBps: number[];
      /** the daemon's, and pasta's (plugin only) */
      cpuSecondsPerGB: number[];
      pastaCpuSecondsPerGB: number[];
      medianBps: number;
      medianCpuSecondsPerGB: number;
      medianPastaCpuSecondsPerGB: number;
    }
  >;
  startRuns: number;
  startMs: Record<StartKey, number[]>;
  startMedianMs: Record<StartKey, number>;
}

const log = (line: string) => process.stderr.write(`bench: podman5: ${line}\n`);

/** Runs in the root as lab, failing with podman's own words. */
async function lab(t: Trixie, cmd: string[], timeout = 60): Promise<string> {
  const r = await t.run(cmd, { timeout });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')}: exit ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return r.stdout;
}

const podman = (t: Trixie, args: string[], timeout?: number) => lab(t, ['podman', '--hooks-dir', LAB_HOOKS_DIR, ...args], timeout);

/** User and system CPU seconds of the processes, read in the root (its pid namespace). */
async function cpuSeconds(t: Trixie, pids: number[]): Promise<number> {
  if (pids.length === 0) return 0;
  const r = await t.run(['cat', ...pids.map((p) => `/proc/${p}/stat`)], { user: 'root' });
  let ticks = 0;
  for (const stat of r.stdout.split('\n').filter(Boolean)) {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  }
  return ticks / HZ;
}

/** The daemon serving the tunnel whose state names this config, in the root's pid namespace. */
function daemonOf(t: Trixie, conf: string): number {
  for (const dir of t.list(LAB_STATE_BASE)) {
    const state = t.read(`${LAB_STATE_BASE}/${dir}/state.json`);
    if (state && JSON.parse(state).config === conf) return JSON.parse(state).daemonPid;
  }
  throw new Error(`no tunnel from ${conf} in ${LAB_STATE_BASE}`);
}

async function pastaPids(t: Trixie): Promise<number[]> {
  const r = await t.run(['pgrep', 'pasta'], { user: 'root' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** Wall time of one command (the session's nsenter and setpriv included, alike for every kind). */
async function timed(t: Trixie, args: string[]): Promise<number> {
  const t0 = performance.now();
  await podman(t, args);
  return performance.now() - t0;
}

export async function podman5(b: Bench, scope: Cleanup): Promise<Podman5Result> {
  log('starting the Debian 13 root, the peer and the iperf3 server');
  const t = await startTrixie();
  scope.add(() => t.end());
  const peer = await b.ourPeer();
  await startServer(scope, ['ip', 'netns', 'exec', peer.name], PEER_TUN_V4, PORT);
  const confs = {} as Record<Key | 'keep', string>;
  for (const [key, n] of [
    ['hook', 5],
    ['plugin', 6],
    ['keep', 7],
    ['broker', 8],
  ] as const) {
    const c = await b.client(peer, `p5-${key}`, n);
    confs[key] = t.labFile(`${key}.conf`, clientConfig(peer, c.privateKey, c.address));
  }
  const installed = await lab(t, ['node', TRIXIE_BUNDLE, 'install', '--hooks-dir', LAB_HOOKS_DIR, '--plugin-dir', PLUGIN_DIR]);
  const line = /netavark_plugin_dirs = \[.*\](?= under)/.exec(installed)?.[0];
  if (!line) throw new Error(`install printed no netavark_plugin_dirs line: ${installed}`);
  await t.run(['sh', '-c', 'mkdir -p ~/.config/containers && cat > ~/.config/containers/containers.conf'], {
    input: `[network]\n${line}\n`,
  });
  await podman(t, ['network', 'create', '-d', 'wireguard4netns', '-o', `conf=${confs.plugin}`, NETWORK]);
  await podman(t, ['network', 'create', '-d', 'wireguard4netns', '-o', `conf=${confs.broker}`, `${NETWORK}b`]);
  const version = (await podman(t, ['--version'])).trim();

  // Throughput and CPU per GB, alternated round by round.
  const run =
    (name: string): Runner =>
    (argv, timeoutMs) =>
      lab(t, ['podman', 'exec', name, ...argv], Math.ceil(timeoutMs / 1000));
  const names = Object.fromEntries(KEYS.map((k) => [k, `${PREFIX}-p5-${k}`])) as Record<Key, string>;
  const networkArgs: Record<Key, string[]> = {
    hook: ['--network', 'none', '--annotation', `${CONFIG_ANNOTATION}=${confs.hook}`],
    plugin: ['--network', NETWORK],
    broker: ['--network', `${NETWORK}b`],
  };
  let stopBroker = async () => {};
  for (const key of KEYS) {
    // The broker's container starts once the broker listens: its daemon takes its sockets from it.
    if (key === 'broker') {
      stopBroker = await startBroker(t);
      scope.add(stopBroker);
    }
    await podman(t, ['run', '-d', '--name', names[key], ...networkArgs[key], '--rootfs', ROOTFS, 'sleep', '3600']);
  }
  const rootlessPasta = await pastaPids(t);
  const daemons = Object.fromEntries(KEYS.map((k) => [k, daemonOf(t, confs[k])])) as Record<Key, number>;
  const pasta: Record<Key, number[]> = { hook: [], plugin: rootlessPasta, broker: rootlessPasta };
  const what: Record<Key, string> = {
    hook: 'hook: --network none + annotation; daemon UDP in the host netns',
    plugin: `plugin: --network ${NETWORK}; daemon in the rootless netns, UDP through pasta`,
    broker: `plugin with the UDP broker: --network ${NETWORK}b; daemon in the rootless netns, UDP sockets from the host netns`,
  };
  const contenders = Object.fromEntries(
    KEYS.map((k) => [k, { what: what[k], tcpBps: [] as number[], cpuSecondsPerGB: [] as number[], pastaCpuSecondsPerGB: [] as number[] }]),
  ) as unknown as Podman5Result['contenders'];
  for (let r = 1; r <= b.o.rounds; r++) {
    for (const key of KEYS) {
      b.check();
      const before = [await cpuSeconds(t, [daemons[key]]), await cpuSeconds(t, pasta[key])];
      const result = await tcp(run(names[key]), PEER_TUN_V4, PORT, b.o.seconds);
      const daemonCpu = (await cpuSeconds(t, [daemons[key]])) - before[0];
      const pastaCpu = (await cpuSeconds(t, pasta[key])) - before[1];
      const gb = (result.bps * b.o.seconds) / 8 / 1e9;
      contenders[key].tcpBps.push(result.bps);
      contenders[key].cpuSecondsPerGB.push((daemonCpu + pastaCpu) / gb);
      contenders[key].pastaCpuSecondsPerGB.push(pastaCpu / gb);
      log(
        `round ${r}/${b.o.rounds} TCP ${key}: ${gbit(result.bps)}, ${((daemonCpu + pastaCpu) / gb).toFixed(2)} CPU s/GB (pasta ${(pastaCpu / gb).toFixed(2)})`,
      );
    }
  }
  for (const c of Object.values(contenders)) {
    c.medianBps = median(c.tcpBps);
    c.medianCpuSecondsPerGB = median(c.cpuSecondsPerGB);
    c.medianPastaCpuSecondsPerGB = median(c.pastaCpuSecondsPerGB);
  }
  // One identity, one container: the start runs use the same configs.
  await podman(t, ['rm', '-f', '-t', '0', ...Object.values(names)]);
  await stopBroker(); // the start runs measure the plugin as installed, without one

  // Start cost: cold (no container keeps the rootless netns), then warm.
  const startMs = Object.fromEntries(
    ['none', 'hook', 'pluginCold', 'pasta', 'pluginWarm', 'hookWarm', 'noneWarm'].map((k) => [k, [] as number[]]),
  ) as Record<StartKey, number[]>;
  const kinds: Record<StartKey, string[]> = {
    none: ['--network', 'none'],
    hook: networkArgs.hook,
    pluginCold: networkArgs.plugin,
    pasta: [],
    noneWarm: ['--network', 'none'],
    hookWarm: networkArgs.hook,
    pluginWarm: networkArgs.plugin,
  };
  const start = (key: StartKey) => ['run', '--rm', ...kinds[key], '--rootfs', '/srv/w4n-rootfs', 'true'];
  const cold: StartKey[] = ['none', 'hook', 'pluginCold', 'pasta'];
  const warm: StartKey[] = ['noneWarm', 'hookWarm', 'pluginWarm'];
  for (const [block, keys] of [
    ['cold', cold],
    ['warm', warm],
  ] as const) {
    if (block === 'warm') {
      // A container on another netavark network keeps podman's rootless netns (and its pasta) up:
      // one of ours, with a key of its own (the root has no nftables for a bridge network).
      await podman(t, ['network', 'create', '-d', 'wireguard4netns', '-o', `conf=${confs.keep}`, `${PREFIX}-keep`]);
      await podman(t, [
        'run',
        '-d',
        '--name',
        `${PREFIX}-p5-keep`,
        '--network',
        `${PREFIX}-keep`,
        '--rootfs',
        '/srv/w4n-rootfs',
        'sleep',
        '3600',
      ]);
    }
    for (const key of keys) await timed(t, start(key)); // warm-up, not counted
    for (let i = 1; i <= b.o.startRuns; i++) {
      for (const key of keys) {
        b.check();
        startMs[key].push(await timed(t, start(key)));
      }
    }
    log(`start (${block}): ${keys.map((k) => `${k} ${ms(median(startMs[k]))}`).join(', ')}`);
  }
  await podman(t, ['rm', '-f', '-t', '0', `${PREFIX}-p5-keep`]);
  const startMedianMs = Object.fromEntries(Object.entries(startMs).map(([k, v]) => [k, median(v)])) as Record<StartKey, number>;
  return { podman: version, rounds: b.o.rounds, seconds: b.o.seconds, contenders, startRuns: b.o.startRuns, startMs, startMedianMs };
}

/** The phase's Markdown table. */
export function podman5Table(p: Podman5Result): string[] {
  const s = p.startMedianMs;
  const plus = (x: number, base: number) => `${ms(x)} (+${ms(x - base)})`;
  const lines = [
    '',
    `Podman 5 (${p.podman}, Debian 13 root, rootless): the netavark plugin against the hook, medians of ${p.rounds} alternated rounds (TCP ${p.seconds} s) and ${p.startRuns} alternated starts`,
    '',
    '| path | TCP | client CPU per GB: daemon + pasta | of which pasta |',
    '| --- | --- | --- | --- |',
  ];
  for (const c of Object.values(p.contenders))
    lines.push(
      `| ${c.what} | ${gbit(c.medianBps)} | ${c.medianCpuSecondsPerGB.toFixed(2)} s | ${c.medianPastaCpuSecondsPerGB.toFixed(2)} s |`,
    );
  lines.push(
    '',
    '| `podman run --rm ... true` | rootless netns cold | warm (another container keeps it) |',
    '| --- | --- | --- |',
    `| \`--network none\` | ${ms(s.none)} | ${ms(s.noneWarm)} |`,
    `| hook: \`--network none\` + annotation | ${plus(s.hook, s.none)} | ${plus(s.hookWarm, s.noneWarm)} |`,
    `| plugin: \`--network ${NETWORK}\` | ${plus(s.pluginCold, s.none)} | ${plus(s.pluginWarm, s.noneWarm)} |`,
    `| default network (pasta) | ${plus(s.pasta, s.none)} | |`,
  );
  return lines;
}
