/**
 * The few statistics the benchmarks report. Percentiles use the nearest-rank method: the value reported is one that
 * was measured, never an interpolation between two runs.
 */

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error('no values to summarise');
  if (values.some((value) => !Number.isFinite(value))) throw new Error('a value to summarise is not a finite number');
  return [...values].sort((a, b) => a - b);
}

/** The nearest-rank percentile: the smallest value with at least `percent` % of the values at or below it. */
export function percentile(values: readonly number[], percent: number): number {
  if (!(percent > 0 && percent <= 100)) throw new Error(`a percentile is in (0, 100], got ${percent}`);
  const ordered = sorted(values);
  const rank = Math.ceil((percent / 100) * ordered.length);
  return ordered[rank - 1] as number;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const ordered = sorted(values);
  const middle = Math.floor(ordered.length / 2);
  const upper = ordered[middle] as number;
  return ordered.length % 2 === 1 ? upper : ((ordered[middle - 1] as number) + upper) / 2;
}

export const p95 = (values: readonly number[]): number => percentile(values, 95);

/** Rounded to `digits` decimals, for reports (results.json keeps what the report shows). */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
