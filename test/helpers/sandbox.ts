// Unprivileged namespaces of the test user (unshare -rn), and acting in them.
import { asUser, BUNDLE } from './env.js';

/** Starts a process of the test user in a new user and network namespace, living seconds; records and returns its pid. */
export async function startSandbox(pids: number[], seconds = 120): Promise<number> {
  const proc = asUser(['unshare', '-rn', '--', 'sh', '-c', `echo $$; exec sleep ${seconds}`], (seconds + 30) * 1000);
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

export const inSandbox = (pid: number, cmd: string[]) => asUser(['nsenter', '-t', String(pid), '--user', '--net', '--preserve-credentials', ...cmd]);
export const fetchIn = (pid: number, url: string) => inSandbox(pid, ['timeout', '10', 'busybox', 'wget', '-q', '-O-', url]);
export const cli = (...args: string[]) => asUser([process.execPath, BUNDLE, ...args]);
