import * as assert from 'uvu/assert';

/** Asserts that fn throws one line (the style of every Failure) matching re. */
export const fails = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, re);
    assert.not.match(e.message, /\n/);
    return true;
  });
