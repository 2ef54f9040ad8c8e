// "wireguard4netns hook": what the OCI runtime runs. One hook entry serves
// both stages; the state's status tells which one this is. Every error also
// goes to the hook's log (hooklog.ts), since crun discards hook stderr.
import { readFileSync } from 'node:fs';
import { createRuntime } from '../hooks/createRuntime.js';
import { sweep } from './daemon.js';
import { describe, Failure } from './errors.js';
import { logHookError } from './hooklog.js';
import { CONFIG_ANNOTATION, type OciState, parseOciState } from './oci.js';

export async function runHook(): Promise<void> {
  let state: OciState | undefined;
  try {
    state = parseOciState(readFileSync(0, 'utf8'));
    if (!state.annotations[CONFIG_ANNOTATION]) return;
    await runStage(state);
  } catch (err) {
    logHookError(state?.id, describe(err));
    throw err;
  }
}

function runStage(state: OciState): Promise<void> {
  switch (state.status) {
    case 'creating': // runc
    case 'created': // crun
      return createRuntime(state);
    case 'stopped': // a hook JSON that runs this at poststop: the sweep does that job
      return sweep().then(() => undefined);
    default:
      throw new Failure(`OCI state on stdin: status ${JSON.stringify(state.status)}: expected "creating" or "created" (createRuntime) or "stopped" (poststop)`);
  }
}
