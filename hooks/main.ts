// The hook's program, dist/wireguard4netns-hook.js, which the hook JSON's
// dist/wireguard4netns-hook (loader.ts) runs with the OCI state on stdin.
// A bundle of its own: it is on every container start's path, and the
// command line's code (yargs and the rest) would make each start slower.
// One hook entry could serve several stages: the state's status tells
// which one this is. Every error also goes to the hook's log, since crun
// discards hook stderr.
import { readFileSync } from 'node:fs';
import { readAnnotations } from '../src/annotations.js';
import { parseHookArgs } from '../src/config/policy.js';
import { describe, exitWith, Failure } from '../src/errors.js';
import { logHookError } from '../src/hooklog.js';
import { hookStage, type OciState, parseOciState } from '../src/oci.js';
import { abandon, earlyDaemon, sweep } from '../src/tunnel/daemon.js';
import { createRuntime } from './createRuntime.js';
import { answerOnExit } from './verdict.js';

/**
 * Whether this run went through createRuntime: the loader makes its code
 * cache only from such a run, which compiled what a container start needs
 * (a run that only saw a state without our annotation compiled little).
 */
export let cacheWorthy = false;

async function runHook(): Promise<void> {
  let state: OciState | undefined;
  // The daemon the hook's first process started (wireguard-go/hook.go): a failure before it has its config ends it.
  const early = earlyDaemon();
  try {
    const args = parseHookArgs(process.argv.slice(2));
    state = parseOciState(readFileSync(0, 'utf8'));
    const ours = readAnnotations(state.annotations);
    if (!ours.config) return;
    switch (hookStage(state.status)) {
      case 'createRuntime':
        cacheWorthy = true;
        return await createRuntime(state, { ...ours, config: ours.config }, args, early);
      case 'poststop': // a hook JSON that runs this at poststop (a pods install's runs wireguard-go's sweep itself)
        await sweep();
        return;
      default:
        throw new Failure(
          `OCI state on stdin: status ${JSON.stringify(state.status)}: expected "creating" or "created" (createRuntime) or "stopped" (poststop)`,
        );
    }
  } catch (err) {
    if (early) await abandon(early);
    logHookError(state?.id, describe(err));
    throw err;
  }
}

answerOnExit();
exitWith(runHook());
