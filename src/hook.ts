// "wireguard4netns hook": what the OCI runtime runs. One hook entry serves
// both stages; the state's status tells which one this is.
import { readFileSync } from 'node:fs';
import { createRuntime } from '../hooks/createRuntime.js';
import { poststop } from '../hooks/poststop.js';
import { Failure } from './errors.js';
import { CONFIG_ANNOTATION, parseOciState } from './oci.js';

export async function runHook(): Promise<void> {
  const state = parseOciState(readFileSync(0, 'utf8'));
  if (!state.annotations[CONFIG_ANNOTATION]) return;
  switch (state.status) {
    case 'creating': // runc
    case 'created': // crun
      return createRuntime(state);
    case 'stopped':
      return poststop(state);
    default:
      throw new Failure(`OCI state on stdin: status ${JSON.stringify(state.status)}: expected "creating" or "created" (createRuntime) or "stopped" (poststop)`);
  }
}
