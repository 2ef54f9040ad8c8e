// Unprivileged namespaces of the test user (unshare -rn), and acting in them.
import { asUser, BUNDLE, HOOK_BUNDLE, WIREGUARD_GO } from './env.js';

/**
 * Starts a process of the test user in a new user and network namespace,
 * living seconds, or, with of, in the namespaces of sandbox of (a pod's
 * next container); records and returns its pid.
 */
export async function startSandbox(pids: number[], seconds = 120, of?: number): Promise<number> {
  const enter = of ? ['nsenter', '-t', String(of), '--user', '--net', '--preserve-credentials'] : ['unshare', '-rn'];
  const proc = asUser([...enter, '--', 'sh', '-c', `echo $$; exec sleep ${seconds}`], (seconds + 30) * 1000);
  const pid = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', () => reject(new Error('sandbox exited')));
  });
  pids.push(pid);
  return pid;
}

/** Kills the recorded sandboxes (the process inside, not runuser around it). */
export function killSandboxes(pids: number[]): void {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

export const inSandbox = (pid: number, cmd: string[]) =>
  asUser(['nsenter', '-t', String(pid), '--user', '--net', '--preserve-credentials', ...cmd]);
export const fetchIn = (pid: number, url: string) => inSandbox(pid, ['timeout', '10', 'busybox', 'wget', '-q', '-O-', url]);
export const cli = (...args: string[]) => asUser([process.execPath, BUNDLE, ...args]);

/**
 * Runs a hook command as a rootless runtime would: as root of the user
 * namespace of the state's process (the test user's, unmapped), with the
 * state on stdin.
 */
const hookRunner =
  (command: string[]) =>
  (state: { pid: number }, env: string[] = []) =>
    asUser(
      ['nsenter', '-t', String(state.pid), '--user', '--preserve-credentials', '--', 'env', ...env, ...command],
      60_000,
      JSON.stringify(state),
    );

/** The hook's Node program alone. */
export const hook = hookRunner([process.execPath, HOOK_BUNDLE]);

/** The installed hook's command, its first process (wireguard-go/hook.go, the launcher) first. */
export const installedHook = hookRunner([WIREGUARD_GO, 'wireguard4netns-hook', process.execPath, HOOK_BUNDLE]);

/** An OCI state at createRuntime for process pid, with these annotations. */
export const ociState = (id: string, pid: number, annotations: Record<string, string>) => ({
  ociVersion: '1.0.2',
  id,
  status: 'creating',
  pid,
  bundle: '/nonexistent',
  annotations,
});
