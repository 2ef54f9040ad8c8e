// Runs a short-lived command with some input, bounded in time: a command
// that hangs is killed. (execa would do, but loading it is a measurable part
// of every hook's start: see docs/performance.md.) Node's
// child_process is loaded on the first run, not with the hook: a start that
// needs no command (no host name to resolve, nothing to sweep) never loads it.

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export async function run(argv: string[], input: string, timeoutMs: number): Promise<RunResult> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'pipe', env: {} });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    // A command may exit without reading its input (getent does): its exit
    // code tells what happened, a write to its closed stdin must not crash us.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
