import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { median, pairedMedian } from '../../bench/stats.js';

const t = suite('bench statistics');

t('pairedMedian should take the median of each round difference, not the difference of medians', () => {
  // Each round, a is 10 ms slower than b, whatever the load of the round.
  assert.is(pairedMedian([110, 410, 210, 510, 310], [100, 400, 200, 500, 300]), 10);
  // Rounds that the load hit apart: the medians differ by 50 ms, the rounds' median difference is 5 ms.
  const a = [100, 200, 300];
  const b = [95, 290, 150];
  assert.is(median(a) - median(b), 50);
  assert.is(pairedMedian(a, b), 5);
});

t('pairedMedian should refuse samples of different lengths', () => {
  assert.throws(() => pairedMedian([1, 2], [1]), /different lengths: 2 and 1/);
});

t.run();
