// The hook's exit code, for the launcher that runs Node (wireguard-go/hook.go
// runNode): it answers the runtime with the code written here, as Node
// begins to exit, instead of waiting for Node's own exit (its threads
// joined, its heap unmapped), which then ends beside the container's start.
import { writeSync } from 'node:fs';

/** Where the launcher's verdict pipe is (wireguard-go/hook.go hookVerdictEnv; test/fixtures/contract/launcher.json). */
export const HOOK_VERDICT_ENV = 'WIREGUARD4NETNS_HOOK_VERDICT';

/**
 * Writes the exit code, one byte, on the verdict pipe once the process
 * exits; nothing without a launcher's pipe. The launcher then exits, and
 * Node dies with it (a parent-death signal): this must be the process's
 * last exit listener (the loader's, which saves the code cache, comes
 * before it).
 */
export function answerOnExit(env: NodeJS.ProcessEnv = process.env): void {
  const fd = Number(env[HOOK_VERDICT_ENV] || Number.NaN);
  delete env[HOOK_VERDICT_ENV];
  if (!Number.isInteger(fd) || fd < 0) return;
  process.once('exit', (code) => {
    try {
      writeSync(fd, Uint8Array.of(code & 0xff));
    } catch {}
  });
}
