// npm run bench: throughput, start cost and memory of wireguard4netns
// against the rootful ceiling, the original's datapath, slirp4netns and
// pasta, in one run on this machine. Runs as root and drives rootless
// podman as the test user (WG4NS_TEST_USER, default wg4ns). Prints a
// Markdown table and writes the JSON to dist/bench/result.json (--json).
//
// This file is the bench's one error boundary: every setup step registers
// its undo in b.cleanup (or in its phase's scope), and they all run here,
// newest first, whether the run ends, fails or is interrupted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Cleanup } from '../src/tunnel/cleanup.js';
import { ROOT, USER } from '../test/helpers/env.js';
import { Bench, type Options, type Phase, removeContainers } from './context.js';
import { machine } from './machine.js';
import { memory } from './memory.js';
import { podman5 } from './podman5.js';
import { hookProber, probeRuns } from './probe.js';
import { type Results, table, targets } from './report.js';
import { startCost } from './start.js';
import { throughput } from './throughput.js';

function options(argv: string[]): Options & { json: string } {
  const a = yargs(argv)
    .scriptName('npm run bench --')
    .usage('$0 [options]\n\nRuns as root; drives rootless podman as $WG4NS_TEST_USER (default wg4ns).')
    .option('rounds', { type: 'number', desc: 'alternated TCP rounds (UDP and latency: half as many)' })
    .option('seconds', { type: 'number', desc: 'seconds per TCP run (UDP: half)' })
    .option('start-runs', { type: 'number', desc: 'timed container starts per kind' })
    .option('probe-runs', { type: 'number', desc: 'hook probe runs (step times, peak RSS)' })
    .option('tunnels', { type: 'number', desc: 'tunnels at once in the memory phase (1-200)' })
    .option('only', { choices: ['throughput', 'start', 'memory', 'podman5'] as const, desc: 'run one phase' })
    .option('quick', { type: 'boolean', default: false, desc: 'fewer and shorter runs: a smoke check' })
    .option('tune-sysctl', {
      type: 'boolean',
      default: false,
      desc: 'also run ours against rootful with net.core.rmem_max/wmem_max raised to 16 MiB (restored after)',
    })
    .option('json', { type: 'string', default: join(ROOT, 'dist/bench/result.json'), desc: 'where to write the result' })
    .version(false)
    .strict()
    .help()
    .parseSync();
  const q = a.quick;
  const o: Options = {
    rounds: a.rounds ?? (q ? 1 : 4),
    seconds: a.seconds ?? (q ? 2 : 10),
    startRuns: a['start-runs'] ?? (q ? 3 : 15),
    probeRuns: a['probe-runs'] ?? (q ? 2 : 6),
    tunnels: a.tunnels ?? (q ? 3 : 100),
    only: a.only as Phase | undefined,
    quick: q,
    tuneSysctl: a['tune-sysctl'],
  };
  for (const [k, v] of Object.entries(o))
    if (typeof v === 'number' && !(Number.isInteger(v) && v >= 1)) throw new Error(`--${k}: expected a whole number >= 1`);
  if (o.tunnels > 200) throw new Error('--tunnels: at most 200 (one /32 each in 198.51.100.0/24)');
  return { ...o, json: resolve(a.json) };
}

/** Runs a phase with its own undo scope, emptied when the phase ends (and by the boundary if it fails). */
async function phase<T>(b: Bench, fn: (scope: Cleanup) => Promise<T>): Promise<T> {
  const scope = new Cleanup();
  b.cleanup.add(() => scope.run());
  try {
    return await fn(scope);
  } finally {
    await scope.run();
  }
}

async function run(b: Bench, r: Results): Promise<void> {
  const want = (p: Phase) => !b.o.only || b.o.only === p;
  b.cleanup.add(removeContainers);
  await removeContainers(); // an interrupted run's
  if (want('throughput')) r.throughput = await phase(b, (scope) => throughput(b, scope));
  if (want('start') || want('memory')) {
    await phase(b, async (scope) => {
      const probe = await hookProber(b, scope);
      if (want('start')) r.start = await startCost(b, probe, scope);
      if (want('memory')) r.memory = await memory(b, scope, r.start?.probes ?? (await probeRuns(probe, b.o.probeRuns)));
    });
  }
  if (want('podman5')) r.podman5 = await phase(b, (scope) => podman5(b, scope));
}

async function main(): Promise<void> {
  if (process.geteuid!() !== 0) throw new Error('run as root (it makes network namespaces and drives podman as the test user)');
  const args = hideBin(process.argv);
  const { json, ...o } = options(args);
  const b = new Bench(o);
  const started = Date.now();
  const user = process.env.WG4NS_TEST_USER ? `WG4NS_TEST_USER=${USER} ` : '';
  const r: Results = {
    command: `${user}npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    startedAt: new Date(started).toISOString().replace(/\.\d+Z$/, 'Z'),
    durationS: 0,
    machine: machine(),
  };
  // A signal ends the run through this same boundary: the work stops at its
  // next step (b.check), and the undo runs below. Ctrl-C also stops the
  // running command, which is in our process group. The listeners stay (not
  // once): execa's signal-exit kills the process when it is the last one.
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (++signals > 1) process.exit(130);
      process.stderr.write(`bench: ${signal}: stopping after this step, then cleaning up (again: stop at once, leaving things behind)\n`);
      b.stop(signal);
    });
  }
  try {
    await run(b, r);
  } catch (err) {
    b.check(); // a command killed by Ctrl-C: report the interruption, not its exit
    throw err;
  } finally {
    await b.cleanup.run();
  }
  r.durationS = (Date.now() - started) / 1000;
  const verdicts = targets(r);
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ ...r, options: b.o, targets: verdicts }, null, 2)}\n`);
  process.stdout.write(`${table(r, verdicts)}\nJSON: ${json}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
