// Small statistics and number formatting for the bench's table.
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The median of each round's difference a[i] - b[i]. The bench alternates
 * its kinds round by round, so a change of the machine's load between
 * rounds cancels out of each difference, where it widens each median.
 */
export function pairedMedian(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`paired samples of different lengths: ${a.length} and ${b.length}`);
  return median(a.map((x, i) => x - b[i]));
}

export const min = (xs: number[]) => (xs.length ? Math.min(...xs) : NaN);
export const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** "1.23 Gbit/s" from bits per second. */
export const gbit = (bps: number) => (Number.isFinite(bps) ? `${(bps / 1e9).toFixed(2)} Gbit/s` : 'n/a');
export const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(Math.abs(x) < 10 ? 1 : 0)} ms` : 'n/a');
/** Round trips: sub-millisecond, so three decimals. */
export const rttMs = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 1 ? 3 : 2)} ms` : 'n/a');
export const mib = (kb: number) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MiB` : 'n/a');
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');
/** CPU seconds per GB moved. */
export const cpuPerGB = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s/GB` : 'n/a');
