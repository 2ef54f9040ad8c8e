// Tests stop the hook at a named step and then SIGKILL it, as a runtime
// does when a hook runs past its timeout: WIREGUARD4NETNS_TEST_STOP_AT=STEP
// makes it stop itself there (SIGSTOP). Runtimes give hooks no such
// variable; nothing else reads it.
export function stopHereForTests(step: 'spawn' | 'ready' | 'wait'): void {
  if (process.env.WIREGUARD4NETNS_TEST_STOP_AT === step) process.kill(process.pid, 'SIGSTOP');
}
