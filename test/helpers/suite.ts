// uvu 0.5's runner returns from a finally block, which swallows any error
// thrown by a before hook: the suite's tests then silently do not run and
// the run still exits 0. setup() keeps the error and fails every test with it.
import type { Test } from 'uvu';

export function setup<T>(test: Test<T>, fn: (ctx: T) => Promise<void>): void {
  let failure: unknown;
  test.before(async (ctx) => {
    try {
      await fn(ctx);
    } catch (err) {
      failure = err;
    }
  });
  test.before.each(() => {
    if (failure) throw failure;
  });
}

/**
 * Runs each undo, the last pushed first, even when one fails; empties the
 * list. Then throws one AggregateError naming what was cleaned up, if any
 * failed (said on stderr too when say is set: uvu drops what an after hook throws).
 */
export async function undoAll(undo: (() => unknown)[], what: string, say = false): Promise<void> {
  const errors: unknown[] = [];
  for (const u of undo.splice(0).reverse()) {
    try {
      await u();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 0) return;
  const message = `${what}: ${errors.map(String).join('; ')}`;
  if (say) console.error(message);
  throw new AggregateError(errors, message);
}
