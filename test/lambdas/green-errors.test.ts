import { describe, expect, it } from 'vitest';
import {
  errorRatePercent,
  GREEN_ERROR_METRIC_IDS,
  type GreenMinuteCounts,
  greenErrorRateExpressions,
  greenErrors,
} from '../../lambdas/shared/green-errors';

/**
 * Evaluates the alarm's metric math for one period. The expressions use only FILL, IF, numbers, the metric ids and
 * arithmetic/comparison operators, so they read as JavaScript once FILL and IF are given (a missing datapoint is
 * undefined, as CloudWatch has none).
 */
function evaluateAlarmMath(baselinePercent: number, counts: Partial<GreenMinuteCounts>): number {
  const expressions = greenErrorRateExpressions(baselinePercent);
  const ids = GREEN_ERROR_METRIC_IDS;
  const FILL = (value: number | undefined, fill: number) => value ?? fill;
  const IF = (condition: boolean | number, whenTrue: number, whenFalse: number) => (condition ? whenTrue : whenFalse);
  const values = {
    [ids.requests]: counts.requests,
    [ids.targetErrors]: counts.targetErrors,
    [ids.connectionErrors]: counts.connectionErrors,
    [ids.loadBalancerErrors]: counts.loadBalancerErrors,
    [ids.loadBalancerRequests]: counts.loadBalancerRequests,
  };
  const run = (expression: string, extra: Record<string, number>) => {
    const names = ['FILL', 'IF', ...Object.keys(values), ...Object.keys(extra)];
    // Our own metric-math strings, nothing from outside.
    const fn = new Function(...names, `return (${expression});`) as (...args: unknown[]) => number;
    return fn(FILL, IF, ...Object.values(values), ...Object.values(extra));
  };
  const excess = run(expressions.excess, {});
  const errors = run(expressions.errors, { excess });
  return run(expressions.rate, { errors });
}

const cases: [string, Partial<GreenMinuteCounts>][] = [
  ['a healthy minute', { requests: 1000, targetErrors: 2, loadBalancerErrors: 1, loadBalancerRequests: 10_000 }],
  ['a crashing green', { requests: 500, connectionErrors: 500, loadBalancerErrors: 510, loadBalancerRequests: 10_000 }],
  ['a hanging green', { requests: 500, loadBalancerErrors: 260, loadBalancerRequests: 10_000 }],
  [
    'a mix',
    { requests: 800, targetErrors: 30, connectionErrors: 40, loadBalancerErrors: 90, loadBalancerRequests: 9000 },
  ],
  ['5xx without a RequestCount', { targetErrors: 4 }],
  ['no datapoints at all', {}],
  ['only the load balancer published', { loadBalancerErrors: 50, loadBalancerRequests: 1000 }],
];

describe('green errors', () => {
  it.each(cases)("the alarm's metric math counts %s as the verdict does", (_, counts) => {
    // Prepare
    const full: GreenMinuteCounts = {
      requests: counts.requests ?? 0,
      targetErrors: counts.targetErrors ?? 0,
      connectionErrors: counts.connectionErrors ?? 0,
      loadBalancerErrors: counts.loadBalancerErrors ?? 0,
      loadBalancerRequests: counts.loadBalancerRequests ?? 0,
    };

    // Act
    const alarmRate = evaluateAlarmMath(0.1, counts);
    const verdictRate = errorRatePercent(greenErrors(full, 0.1), full.requests) ?? 0;

    // Assess
    expect(alarmRate).toBeCloseTo(verdictRate, 9);
  });

  it('blames a crashing green for every failed request, once', () => {
    // Prepare
    const counts = {
      requests: 600,
      targetErrors: 0,
      connectionErrors: 600,
      loadBalancerErrors: 605,
      loadBalancerRequests: 6000,
    };

    // Act
    const errors = greenErrors(counts, 0.1);

    // Assess
    expect(errors).toBe(600);
    expect(errorRatePercent(errors, counts.requests)).toBe(100);
  });

  it('writes the baseline into the expression as a fraction', () => {
    // Prepare
    // Act
    const { excess } = greenErrorRateExpressions(0.25);

    // Assess
    expect(excess).toBe('FILL(elbErrors, 0) - 0.0025 * FILL(elbRequests, 0)');
  });
});
