import { InvalidInputError } from '../../shared/errors';

/** ALB and RDS metrics come in 1-minute periods. */
export const METRIC_PERIOD_SECONDS = 60;
export const MINUTE_MS = METRIC_PERIOD_SECONDS * 1000;
/** GetMetricData takes at most 500 queries and returns 100,800 datapoints per page; a bake is far below either. */
export const MAX_WINDOW_SECONDS = 24 * 60 * 60;

export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/** The window as it is queried: whole minutes, start rounded down, end rounded up (every minute it touches). */
export interface AlignedWindow {
  readonly startTime: Date;
  readonly endTime: Date;
  /** Start of every minute in [startTime, endTime). */
  readonly minuteStarts: readonly Date[];
  /** endTime - startTime in seconds, a multiple of 60: the period of the whole-window p95. */
  readonly windowSeconds: number;
}

export function alignWindow(window: TimeWindow): AlignedWindow {
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) throw new InvalidInputError('the metrics window has an invalid date');
  if (end <= start) {
    throw new InvalidInputError(
      `the metrics window ends (${window.end.toISOString()}) before it starts (${window.start.toISOString()})`,
    );
  }
  const startMs = Math.floor(start / MINUTE_MS) * MINUTE_MS;
  const endMs = Math.ceil(end / MINUTE_MS) * MINUTE_MS;
  const windowSeconds = (endMs - startMs) / 1000;
  if (windowSeconds > MAX_WINDOW_SECONDS) {
    throw new InvalidInputError(`the metrics window is ${windowSeconds} s long; at most ${MAX_WINDOW_SECONDS} s`);
  }
  const minuteStarts: Date[] = [];
  for (let at = startMs; at < endMs; at += MINUTE_MS) minuteStarts.push(new Date(at));
  return { startTime: new Date(startMs), endTime: new Date(endMs), minuteStarts, windowSeconds };
}

/** Seconds → milliseconds, rounded to the microsecond (so 0.5 s is exactly 500 ms). */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1_000_000) / 1000;
}
