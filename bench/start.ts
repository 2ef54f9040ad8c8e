// Phase 2: what the hook adds to a container start. Alternates, run by run:
// no network, the hook with a config started before (repeated), the first
// start of a config (just touched, as after an edit), slirp4netns, a bare
// `node -e 0`, a no-op run of the hook (the installed hook JSON's
// command, a state without the annotation on stdin: our wireguard-go's
// exec of node, node start plus loading the hook's bundle), and a start
// whose runtime runs that command on a container without the annotation
// (a hook deciding nothing: what any Node hook costs there). Node checks
// every start; the two kinds tell whether anything keyed on the config
// file (a cache) makes a difference.
// Hook probes (probe.ts), spread over the same rounds, split the hook's own
// time into steps, for both kinds of start.
import { readFileSync } from 'node:fs';
import { CONFIG_ANNOTATION } from '../src/annotations.js';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { BESIDE_NODE } from '../src/tunnel/up.js';
import { ROOTFS } from '../test/helpers/env.js';
import { type Bench, PREFIX } from './context.js';
import { installedHook, installNoopHook, type Probe, stageOf, touch } from './probe.js';
import { pod, type Ran, user } from './sh.js';
import { median, ms, pairedMedian } from './stats.js';

export const KINDS = ['none', 'repeated', 'first', 'slirp4netns', 'node', 'noop', 'noopHook'] as const;
export type Kind = (typeof KINDS)[number];

export interface StartResult {
  runs: number;
  samplesMs: Record<Kind, number[]>;
  medianMs: Record<Kind, number>;
  /** median(repeated) - median(none): a config started before */
  repeatedAddsMs: number;
  /** repeatedAddsMs - median(node): the target's measure */
  repeatedBeyondNodeMs: number;
  /** median(first) - median(none): the first start of a config (just touched) */
  firstAddsMs: number;
  firstBeyondNodeMs: number;
  slirpAddsMs: number;
  /** median(noopHook) - median(none): a hook that decides nothing, run by the runtime */
  noopHookAddsMs: number;
  /** the no-op hooks dir's command is in the OCI spec podman gave the runtime (createRuntime) */
  noopHookInSpec: boolean;
  /** the same from each round's differences (pairedMedian): against none, and the hook's kinds against noopHook */
  pairedMs: Record<'repeated' | 'first' | 'slirp4netns' | 'noopHook' | 'repeatedBeyondNoopHook' | 'firstBeyondNoopHook', number>;
  /** where repeatedAddsMs goes; the parts add up to it */
  breakdown: { part: string; ms: number }[];
  /** where firstAddsMs goes */
  firstBreakdown: { part: string; ms: number }[];
  probes: Probe[];
}

/**
 * Times argv the way the hook probe times the hook: in a shell, from just
 * before its exec to its exit, without the bench's own spawn overhead. As
 * the bench user with a clean environment, as podman and the hook run:
 * root's environment here has NODE_EXTRA_CA_CERTS, which alone makes a
 * node start much slower (the report's note says how much).
 */
async function shellTimed(argv: string[], input = ''): Promise<Ran> {
  const script = 't0=$(/usr/bin/date +%s%N); "$@" >/dev/null || exit; t1=$(/usr/bin/date +%s%N); echo $((t1 - t0))';
  const r = await user(['sh', '-c', script, 'sh', ...argv], 60_000, input);
  return { ...r, ms: Number(r.stdout.trim()) / 1e6 };
}

const NOOP_STATE = JSON.stringify({ ociVersion: '1.0.2', id: 'bench-noop', status: 'creating', pid: 1, bundle: '/', annotations: {} });

export async function startCost(b: Bench, probe: () => Promise<Probe>, scope: Cleanup): Promise<StartResult> {
  await b.hook();
  const peer = await b.ourPeer();
  const client = await b.client(peer, 'start', 5);
  const { hook } = installedHook();
  const hookCommand = [hook.path, ...hook.args.slice(1)];
  const noopHooks = installNoopHook(scope);
  let n = 0;
  const run = async (args: string[], hooksDir?: string): Promise<Ran> => {
    const name = `${PREFIX}-start-${++n}`;
    try {
      return await pod(['run', '--rm', '--name', name, ...args, '--rootfs', ROOTFS, 'true'], undefined, hooksDir);
    } catch (err) {
      await pod(['rm', '-f', '-t', '0', name], undefined, hooksDir).catch(() => undefined);
      throw err;
    }
  };
  const measure: Record<Kind, () => Promise<Ran>> = {
    none: () => run(['--network', 'none']),
    repeated: () => run(['--network', 'none', '--annotation', `${CONFIG_ANNOTATION}=${client.file}`]),
    first: () => {
      touch(client.file);
      return measure.repeated();
    },
    slirp4netns: () => run(['--network', 'slirp4netns']),
    node: () => shellTimed([process.execPath, '-e', '0']),
    noop: () => shellTimed(hookCommand, NOOP_STATE),
    noopHook: () => run(['--network', 'none'], noopHooks),
  };
  const noopHookInSpec = await hookInSpec(noopHooks, hookCommand);
  const samples = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const probes: Probe[] = [];
  const probeEvery = Math.max(1, Math.floor(b.o.startRuns / b.o.probeRuns));
  for (const k of KINDS) await measure[k](); // warm-up, not counted
  for (let r = 1; r <= b.o.startRuns; r++) {
    b.check();
    for (const k of KINDS) samples[k].push((await measure[k]()).ms);
    process.stderr.write(`bench: start run ${r}/${b.o.startRuns}: ${KINDS.map((k) => `${k} ${ms(samples[k][r - 1])}`).join(', ')}\n`);
    if (r % probeEvery === 0 && probes.length < b.o.probeRuns) probes.push(await probe());
  }
  while (probes.length < b.o.probeRuns) probes.push(await probe());
  const med = Object.fromEntries(KINDS.map((k) => [k, median(samples[k])])) as Record<Kind, number>;
  const repeatedAddsMs = med.repeated - med.none;
  const firstAddsMs = med.first - med.none;
  return {
    runs: b.o.startRuns,
    samplesMs: samples,
    medianMs: med,
    repeatedAddsMs,
    repeatedBeyondNodeMs: repeatedAddsMs - med.node,
    firstAddsMs,
    firstBeyondNodeMs: firstAddsMs - med.node,
    slirpAddsMs: med.slirp4netns - med.none,
    noopHookAddsMs: med.noopHook - med.none,
    noopHookInSpec,
    pairedMs: {
      repeated: pairedMedian(samples.repeated, samples.none),
      first: pairedMedian(samples.first, samples.none),
      slirp4netns: pairedMedian(samples.slirp4netns, samples.none),
      noopHook: pairedMedian(samples.noopHook, samples.none),
      repeatedBeyondNoopHook: pairedMedian(samples.repeated, samples.noopHook),
      firstBeyondNoopHook: pairedMedian(samples.first, samples.noopHook),
    },
    breakdown: breakdown(repeatedAddsMs, med, probes, false),
    firstBreakdown: breakdown(firstAddsMs, med, probes, true),
    probes,
  };
}

/**
 * Whether a container started with hooksDir gets command as a
 * createRuntime hook in the OCI spec podman writes for the runtime: that
 * the no-op rows time a hook the runtime runs, which their times cannot
 * show (a hook deciding nothing costs less than podman's spread).
 */
async function hookInSpec(hooksDir: string, command: string[]): Promise<boolean> {
  const name = `${PREFIX}-start-spec`;
  try {
    await pod(['create', '--name', name, '--network', 'none', '--rootfs', ROOTFS, 'true'], undefined, hooksDir);
    await pod(['init', name], undefined, hooksDir); // the spec is written for the runtime's create, which runs the hook
    const path = (await pod(['inspect', '--format', '{{.OCIConfigPath}}', name], undefined, hooksDir)).stdout.trim();
    const spec = JSON.parse(readFileSync(path, 'utf8')) as { hooks?: { createRuntime?: { path: string; args?: string[] }[] } };
    return (spec.hooks?.createRuntime ?? []).some((h) => [h.path, ...(h.args ?? []).slice(1)].join('\0') === command.join('\0'));
  } finally {
    await pod(['rm', '-f', '-t', '0', name], undefined, hooksDir).catch(() => undefined);
  }
}

/**
 * The hook's wall time (probes) and its logged steps, and what is left:
 * podman and the runtime around the hook. The hook is split into node
 * start, module loading (no-op hook - node) and the rest of createRuntime.
 */
function breakdown(addsMs: number, med: Record<Kind, number>, all: Probe[], first: boolean): { part: string; ms: number }[] {
  const probes = all.filter((p) => p.first === first);
  if (probes.length === 0) return [];
  const stage = stageOf('createRuntime', first);
  const wall = median(probes.map((p) => p.stages.find((s) => s.stage === stage)?.wallMs ?? NaN).filter(Number.isFinite));
  const keys = [...new Set(probes.flatMap((p) => p.steps.map((s) => JSON.stringify([s.partOf ?? '', s.label]))))].map(
    (k) => JSON.parse(k) as [string, string],
  );
  const stepMedian = (partOf: string, label: string) =>
    median(probes.map((p) => p.steps.find((s) => (s.partOf ?? '') === partOf && s.label === label)?.ms ?? 0));
  const steps = keys.map(([partOf, label]) => ({
    part:
      partOf === BESIDE_NODE
        ? `wireguard-go while Node starts (not on the path): ${label}`
        : partOf
          ? `createRuntime: ${partOf}, of which ${label}`
          : `createRuntime: ${label} (daemon.log)`,
    ms: stepMedian(partOf, label),
    top: !partOf,
  }));
  const stepSum = steps.filter((s) => s.top).reduce((a, s) => a + s.ms, 0);
  const around = { part: 'podman and runtime around the hook (the rest)', ms: addsMs - wall };
  return [
    { part: 'createRuntime: node start (node -e 0)', ms: med.node },
    { part: 'createRuntime: the first process and module loading (no-op hook - node -e 0)', ms: med.noop - med.node },
    ...steps.map(({ part, ms }) => ({ part, ms })),
    { part: 'createRuntime: the rest (not in the log: config, checks, state)', ms: wall - med.noop - stepSum },
    around,
  ];
}
