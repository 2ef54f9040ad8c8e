// Hook probes: a few containers started with the hook run under a wrapper
// (a second hooks dir whose JSON runs the installed command line through
// /usr/bin/time), which gives each hook stage's wall time and peak RSS.
// Each probe also reads the hook's step times from the tunnel's log and the
// idle daemon's memory. These are separate runs from the timed ones, so
// that reading does not disturb timing.
import { chownSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from '../src/tunnel/cleanup.js';
import { GID, HOOKS_DIR, hookRunArgs, UID } from '../test/helpers/env.js';
import { type Bench, PREFIX, USER_DIR } from './context.js';
import { pod, sleep } from './sh.js';
import { type Mem, memOf, type Step, stepTimes, tunnelOf } from './tunnels.js';

export interface StageRun {
  stage: string;
  wallMs: number;
  maxRssKb: number;
  exit: number;
}

export interface Probe {
  /** the first start of its config (just touched), else a repeated one */
  first: boolean;
  stages: StageRun[];
  /** the hook's step times from daemon.log */
  steps: Step[];
  /** the daemon, IDLE_MS after the container started, no traffic */
  daemon: Mem;
}

const IDLE_MS = 1000;

export interface HookJson {
  hook: { path: string; args: string[] };
  stages: string[];
}

/** The hook JSON that install wrote for the bench user. */
export function installedHook(): HookJson {
  return JSON.parse(readFileSync(join(HOOKS_DIR, 'wireguard4netns.json'), 'utf8')) as HookJson;
}

function userOwned(path: string, content: string, mode: number): void {
  writeFileSync(path, content, { mode });
  chownSync(path, UID, GID);
}

/** A folder of the bench user's with an empty hooks.d, removed by c. */
function benchHooksDir(c: Cleanup, name: string): string {
  const dir = join(USER_DIR, `${PREFIX}-${name}`);
  rmSync(dir, { recursive: true, force: true });
  c.add(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'hooks.d'), { recursive: true, mode: 0o700 });
  chownSync(dir, UID, GID);
  chownSync(join(dir, 'hooks.d'), UID, GID);
  return dir;
}

/**
 * A hooks dir whose hook JSON runs the installed command for every
 * container: started without the annotation, that is the hook deciding
 * nothing, as podman's runtime runs it.
 */
export function installNoopHook(c: Cleanup): string {
  const dir = benchHooksDir(c, 'noop');
  userOwned(
    join(dir, 'hooks.d', 'wireguard4netns.json'),
    `${JSON.stringify({ ...installedHook(), when: { always: true } }, null, 2)}\n`,
    0o644,
  );
  return join(dir, 'hooks.d');
}

/** Writes the wrapper and its hooks dir; returns the dir, the log and the stages the hook runs at. */
function installProbe(c: Cleanup): { dir: string; log: string; stages: string[] } {
  const dir = benchHooksDir(c, 'probe');
  const log = join(dir, 'probe.log');
  const wrapper = join(dir, 'hook-probe.sh');
  userOwned(
    wrapper,
    `#!/bin/sh
# wireguard4netns bench: runs the installed hook (the arguments) and appends
# "START_NS END_NS EXIT MAXRSS_KB" to ${log}.
t0=$(/usr/bin/date +%s%N)
/usr/bin/time -o ${log}.rss -f %M "$@"
rc=$?
t1=$(/usr/bin/date +%s%N)
echo "$t0 $t1 $rc $(/usr/bin/tail -n 1 ${log}.rss)" >>${log}
exit $rc
`,
    0o755,
  );
  const installed = installedHook();
  const probe = {
    ...installed,
    hook: { ...installed.hook, path: wrapper, args: [wrapper, installed.hook.path, ...installed.hook.args.slice(1)] },
  };
  userOwned(join(dir, 'hooks.d', 'wireguard4netns.json'), `${JSON.stringify(probe, null, 2)}\n`, 0o644);
  return { dir: join(dir, 'hooks.d'), log, stages: installed.stages };
}

function readStages(log: string, stages: string[]): StageRun[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {}
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line, i) => {
      const [t0, t1, rc, rss] = line.split(' ').map(Number);
      return { stage: stages[i] ?? `#${i + 1}`, wallMs: (t1 - t0) / 1e6, exit: rc, maxRssKb: rss };
    });
}

/** Makes the next start of config file a first one, as an edit does. */
export const touch = (file: string) => utimesSync(file, new Date(), new Date());

/** The stage's name in a probe: which start it was tells whether Node ran. */
export const stageOf = (stage: string, first: boolean) => `${stage}, ${first ? 'first' : 'repeated'}`;

/**
 * Prepares the probe (wrapper hooks dir, a client of our peer) and returns
 * a function that runs one probe: the odd ones the first start of their
 * config, the even ones repeated.
 */
export async function hookProber(b: Bench, scope: Cleanup): Promise<() => Promise<Probe>> {
  await b.hook();
  const peer = await b.ourPeer();
  const client = await b.client(peer, 'probe', 4);
  const { dir, log, stages } = installProbe(scope);
  let i = 0;
  return async () => {
    b.check();
    rmSync(log, { force: true });
    const name = `${PREFIX}-probe-${++i}`;
    const first = i % 2 === 1;
    if (first) touch(client.file);
    scope.add(() => pod(['rm', '-f', '-t', '0', name]).catch(() => undefined));
    const args = ['run', '-d', '--name', name, ...hookRunArgs(client.file), 'sleep', '60'];
    const id = (await pod(args, 60_000, dir)).stdout.trim();
    await sleep(IDLE_MS);
    const tunnel = tunnelOf(id);
    if (!tunnel) throw new Error(`probe ${name}: no tunnel found for container ${id}`);
    const daemon = memOf(tunnel.state.daemonPid);
    const steps = stepTimes(tunnel.dir, id);
    await pod(['rm', '-f', '-t', '0', name], 60_000, dir);
    // poststop (if the hook has it) runs in podman's cleanup, maybe after rm returned.
    for (let t = 0; t < 30 && readStages(log, stages).length < stages.length; t++) await sleep(100);
    const runs = readStages(log, stages).map((r) => ({ ...r, stage: stageOf(r.stage, first) }));
    const failed = runs.find((r) => r.exit !== 0);
    if (failed) throw new Error(`probe ${name}: hook stage ${failed.stage} exited ${failed.exit}`);
    process.stderr.write(
      `bench: probe ${i}: ${runs.map((r) => `${r.stage} ${r.wallMs.toFixed(0)} ms ${r.maxRssKb} kB`).join(', ')}; steps ${steps.map((st) => `${st.partOf ? `${st.partOf}/` : ''}${st.label} ${st.ms}`).join(', ')}; daemon RSS ${daemon.rssKb} kB\n`,
    );
    return { first, stages: runs, steps, daemon };
  };
}

export async function probeRuns(probe: () => Promise<Probe>, n: number): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (let i = 0; i < n; i++) probes.push(await probe());
  return probes;
}
