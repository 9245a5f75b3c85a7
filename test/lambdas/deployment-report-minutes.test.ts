import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { bakeMinuteRows, bakeMinutesOf, bakeMinutesSchema } from '../../lambdas/shared/bake-minutes';
import type { MinuteSample } from '../../lambdas/shared/cutover-contracts';

function minute(at: string, requests: number, errorRatePercent: number | null, p95LatencyMs: number | null) {
  const row: MinuteSample = {
    at,
    data: errorRatePercent === null ? 'pending' : 'complete',
    requests,
    errors: 0,
    targetErrors: 0,
    connectionErrors: 0,
    loadBalancerErrors: 0,
    errorRatePercent,
    p95LatencyMs,
    healthyHosts: 3,
  };
  return row;
}

describe('bakeMinutesOf', () => {
  it("keeps green's error rate, p95 and requests of each minute, in columns from the first minute's start", () => {
    // Prepare
    const minutes = [
      minute('2026-11-24T10:07:00.000Z', 550, 0.18181818181818182, 180.4567),
      minute('2026-11-24T10:08:00.000Z', 600, 0.2, 181),
      minute('2026-11-24T10:09:00.000Z', 0, null, null),
    ];

    // Act
    const series = bakeMinutesOf(minutes);

    // Assess: to the thousandth, as the chart draws them.
    expect(series).toEqual({
      from: '2026-11-24T10:07:00.000Z',
      errorRatePercent: [0.182, 0.2, null],
      p95LatencyMs: [180.457, 181, null],
      requests: [550, 600, 0],
    });
    expect(v.parse(bakeMinutesSchema, series)).toEqual(series);
  });

  it('keeps nothing rather than misplace a minute: none sampled, or minutes not one after the other', () => {
    // Prepare
    const gap = [minute('2026-11-24T10:07:00.000Z', 550, 0.2, 180), minute('2026-11-24T10:09:00.000Z', 600, 0.2, 181)];

    // Act
    const results = [bakeMinutesOf([]), bakeMinutesOf(gap)];

    // Assess
    expect(results).toEqual([undefined, undefined]);
  });
});

describe('bakeMinuteRows', () => {
  it('gives each minute its start back, and stops at the shortest column of a malformed record', () => {
    // Prepare
    const series = {
      from: '2026-11-24T10:07:00.000Z',
      errorRatePercent: [0.2, null, 0.3],
      p95LatencyMs: [180, null],
      requests: [550, 0, 610],
    };

    // Act
    const rows = bakeMinuteRows(series);

    // Assess
    expect(rows).toEqual([
      { at: '2026-11-24T10:07:00.000Z', errorRatePercent: 0.2, p95LatencyMs: 180, requests: 550 },
      { at: '2026-11-24T10:08:00.000Z', errorRatePercent: null, p95LatencyMs: null, requests: 0 },
    ]);
  });

  it('gives no minute for a start that is not an instant', () => {
    // Act
    const rows = bakeMinuteRows({ from: 'soon', errorRatePercent: [0.2], p95LatencyMs: [180], requests: [5] });

    // Assess
    expect(rows).toEqual([]);
  });
});
