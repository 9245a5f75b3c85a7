import * as v from 'valibot';
import type { MinuteSample } from './cutover-contracts';
import { nonNegativeNumber, strictObject } from './validation';

/**
 * Green's minutes over one bake, as the deployment report's chart draws them: the error rate, p95 and requests of
 * each minute and nothing else, in columns. The canary's history travels through every later state of the execution
 * (Step Functions' 256 KB payload limit; see sampleSummarySchema), so a minute costs a few numbers, not a row.
 * Minute i starts i minutes after `from`: the metrics monitor samples the window's consecutive whole minutes.
 */

const MINUTE_MS = 60_000;

export const bakeMinutesSchema = strictObject({
  /** Start of the first minute (ISO 8601). */
  from: v.string(),
  /** Green's error rate per minute, in %, to the thousandth; null: the minute's data was not complete. */
  errorRatePercent: v.array(v.nullable(nonNegativeNumber)),
  /** Green's p95 latency per minute, in ms, to the thousandth; null: no datapoint. */
  p95LatencyMs: v.array(v.nullable(nonNegativeNumber)),
  /** Green's requests per minute. */
  requests: v.array(nonNegativeNumber),
});
export type BakeMinutes = v.InferOutput<typeof bakeMinutesSchema>;

/** One minute of a bake, with its start. */
export interface BakeMinute {
  readonly at: string;
  readonly errorRatePercent: number | null;
  readonly p95LatencyMs: number | null;
  readonly requests: number;
}

const thousandth = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

/**
 * The bake's minutes in columns; undefined when there are none, or when they are not one minute after the other
 * (their starts could not be given back).
 */
export function bakeMinutesOf(
  minutes: readonly Pick<MinuteSample, 'at' | 'errorRatePercent' | 'p95LatencyMs' | 'requests'>[],
): BakeMinutes | undefined {
  const [first] = minutes;
  if (first === undefined) return undefined;
  const from = Date.parse(first.at);
  if (minutes.some((minute, index) => Date.parse(minute.at) !== from + index * MINUTE_MS)) return undefined;
  return {
    from: first.at,
    errorRatePercent: minutes.map((minute) => thousandth(minute.errorRatePercent)),
    p95LatencyMs: minutes.map((minute) => thousandth(minute.p95LatencyMs)),
    requests: minutes.map((minute) => minute.requests),
  };
}

/** The minutes back as rows, each with its start; a record with columns of different lengths stops at the shortest. */
export function bakeMinuteRows(series: BakeMinutes): BakeMinute[] {
  const from = Date.parse(series.from);
  if (Number.isNaN(from)) return [];
  const length = Math.min(series.errorRatePercent.length, series.p95LatencyMs.length, series.requests.length);
  return Array.from({ length }, (_, index) => ({
    at: new Date(from + index * MINUTE_MS).toISOString(),
    errorRatePercent: series.errorRatePercent[index] ?? null,
    p95LatencyMs: series.p95LatencyMs[index] ?? null,
    requests: series.requests[index] ?? 0,
  }));
}
