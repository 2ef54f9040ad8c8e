// Runs a short-lived command with some input, bounded in time. (execa would
// do, but building its signal tables costs ~15 ms of every hook's start.)
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stderr: string;
  timedOut: boolean;
}

export function run(argv: string[], input: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], env: {} });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut });
    });
    child.stdin.end(input);
  });
}
