import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROBE_FAILURE_RULE,
  failedRun,
  type ProbeOutcome,
  probeTimingProblem,
} from '../../../lambdas/tools/prober';

const outcomes = (...spec: [seconds: number, passed: boolean][]): ProbeOutcome[] =>
  spec.map(([seconds, passed]) => ({ at: seconds * 1000, passed }));

describe('failedRun (3 failures within 15 s by default)', () => {
  it.each<[string, ProbeOutcome[], number[] | undefined]>([
    ['all passing', outcomes([0, true], [5, true], [10, true]), undefined],
    ['three failures in 10 s', outcomes([0, true], [5, false], [10, false], [15, false]), [5, 10, 15]],
    ['three failures in exactly 15 s', outcomes([0, false], [7.5, false], [15, false]), [0, 7.5, 15]],
    // Rounds of a hanging green last their ceiling: still three failures in a row.
    ['three failures in a row spread over 16 s', outcomes([0, false], [8, false], [16, false]), [0, 8, 16]],
    ['a pass in between resets the run', outcomes([0, false], [5, false], [10, true], [15, false]), undefined],
    ['two failures only', outcomes([0, false], [5, false]), undefined],
    ['the first three of a longer run', outcomes([0, false], [20, false], [25, false], [30, false]), [0, 20, 25]],
  ])('%s', (_, history, expected) => {
    // Prepare
    // Act
    const run = failedRun(history, DEFAULT_PROBE_FAILURE_RULE);

    // Assess
    expect(run?.map((outcome) => outcome.at / 1000)).toEqual(expected);
  });
});

describe('probeTimingProblem', () => {
  it.each<[number, number, boolean]>([
    [5_000, 2_000, false],
    [5_000, 5_000, false],
    [5_000, 6_000, true],
    [7_000, 1_000, false],
    [8_000, 1_000, true],
  ])('probes every %i ms with a %i ms ceiling: too slow for 3 failures in 15 s? %s', (interval, ceiling, tooSlow) => {
    // Prepare
    // Act
    const problem = probeTimingProblem(interval, ceiling, DEFAULT_PROBE_FAILURE_RULE);

    // Assess
    expect(problem !== undefined).toBe(tooSlow);
  });
});
