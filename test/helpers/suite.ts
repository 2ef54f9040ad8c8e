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
