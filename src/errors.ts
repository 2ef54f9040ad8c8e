// One error type for everything we expect to go wrong. Its message is one
// line, "<what failed>: <why>", and never holds key material; the single
// boundary of each executable (exitWith) prints it as "wireguard4netns: ...".

export class Failure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Failure';
  }
}

/**
 * User text for an error message: quoted, cut short, and with anything that
 * could be key material (a run of 20 or more base64 characters) left out,
 * wherever it stands: a damaged line can put a key in any field.
 */
export function quote(text: string): string {
  const cut = text.length > 64 ? `${text.slice(0, 61)}...` : text;
  return JSON.stringify(cut.replace(/[A-Za-z0-9+/]{20,}={0,2}/g, '<hidden>'));
}

/** Wraps err once with what was being done; a Failure keeps its own words. */
export function wrap(what: string, err: unknown): Failure {
  const why = err instanceof Error ? err.message : String(err);
  return new Failure(`${what}: ${why}`, { cause: err });
}

/** Runs one step of a setup; its error is wrapped once with what the step was doing. */
export async function step<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrap(what, err);
  }
}

/** The one-line text to print for any error. */
export function describe(err: unknown): string {
  if (err instanceof Failure) return err.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}

/**
 * The one error boundary of an executable: exit 0 when done, or print the
 * error as one line (say: on stderr, unless told) and exit 1. Exits explicitly: a DNS lookup that timed
 * out cannot be cancelled and would keep the process, and so the container
 * start, waiting.
 */
export function exitWith(done: Promise<void>, say = (message: string) => process.stderr.write(`wireguard4netns: ${message}\n`)): void {
  // Node ends a process whose event loop ran dry with exit code 0, even if
  // its work never finished: that would tell a runtime the tunnel is up.
  process.once('beforeExit', () => {
    say('internal error: the work ended without a result');
    process.exit(1);
  });
  done.then(
    () => process.exit(0),
    (err: unknown) => {
      say(describe(err));
      process.exit(1);
    },
  );
}
