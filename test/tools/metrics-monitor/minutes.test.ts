import { describe, expect, it } from 'vitest';
import { attributeMinutes, type Datapoint, type MinuteSeries } from '../../../lambdas/tools/metrics-monitor';
import { at, LATER } from './fixtures';

const point = (minute: number, value: number): Datapoint => ({ timestamp: at(minute), value });

/** One minute (10:00) of green's and the load balancer's counts. */
function oneMinute(counts: Partial<Record<keyof MinuteSeries, number>>): MinuteSeries {
  const of = (key: keyof MinuteSeries) => (counts[key] === undefined ? [] : [point(0, counts[key])]);
  return {
    requests: of('requests'),
    targetErrors: of('targetErrors'),
    connectionErrors: of('connectionErrors'),
    loadBalancerErrors: of('loadBalancerErrors'),
    loadBalancerRequests: of('loadBalancerRequests'),
    p95Seconds: of('p95Seconds'),
    healthyHosts: of('healthyHosts'),
  };
}

const options = { baselinePercent: 0.1, expectTraffic: true, now: LATER };

describe('attributeMinutes: what counts against green', () => {
  it.each<[string, Partial<Record<keyof MinuteSeries, number>>, { errors: number; rate: number }]>([
    [
      "target 5xx plus the load balancer's own 5xx above its baseline",
      { requests: 200, targetErrors: 3, loadBalancerErrors: 10, loadBalancerRequests: 2000 },
      // 10 - 0.1 % of 2000 = 8 blamed on green
      { errors: 11, rate: 5.5 },
    ],
    [
      'a crashing green: refused connections counted once, not twice',
      { requests: 100, connectionErrors: 100, loadBalancerErrors: 100, loadBalancerRequests: 1000 },
      { errors: 100, rate: 100 },
    ],
    [
      "a hanging green: the load balancer's 504s without connection errors",
      { requests: 100, loadBalancerErrors: 51, loadBalancerRequests: 1000 },
      { errors: 50, rate: 50 },
    ],
    [
      "the load balancer's 5xx within its baseline are not green's",
      { requests: 100, loadBalancerErrors: 1, loadBalancerRequests: 1000 },
      { errors: 0, rate: 0 },
    ],
    [
      'errors above the RequestCount count as requests (never hidden)',
      { requests: 10, targetErrors: 4, connectionErrors: 20, loadBalancerErrors: 20, loadBalancerRequests: 1000 },
      { errors: 24, rate: 100 },
    ],
  ])('%s', (_, counts, expected) => {
    // Prepare
    const series = oneMinute(counts);

    // Act
    const [minute] = attributeMinutes([at(0)], series, options);

    // Assess
    expect(minute).toMatchObject({ data: 'complete', errors: expected.errors, errorRatePercent: expected.rate });
  });

  it('keeps the parts of the count apart', () => {
    // Prepare
    const series = oneMinute({
      requests: 200,
      targetErrors: 3,
      connectionErrors: 5,
      loadBalancerErrors: 10,
      loadBalancerRequests: 2000,
      p95Seconds: 0.25,
      healthyHosts: 2,
    });

    // Act
    const [minute] = attributeMinutes([at(0)], series, options);

    // Assess
    expect(minute).toEqual({
      at: '2026-11-24T10:00:00.000Z',
      data: 'complete',
      requests: 200,
      errors: 11,
      targetErrors: 3,
      connectionErrors: 5,
      loadBalancerErrors: 8,
      errorRatePercent: 5.5,
      p95LatencyMs: 250,
      healthyHosts: 2,
    });
  });
});

describe('attributeMinutes: late and missing datapoints', () => {
  it.each<[string, Partial<Record<keyof MinuteSeries, number>>, Partial<typeof options>, string]>([
    [
      'a minute that has not ended',
      { requests: 50, loadBalancerRequests: 500 },
      { now: new Date(at(0).getTime() + 59_000) },
      'pending',
    ],
    // ALB publishes a minute's load-balancer and target-group datapoints together: green got no request in it.
    ["green without a datapoint in a minute the load balancer's is in", { loadBalancerRequests: 10 }, {}, 'idle'],
    [
      'green without a datapoint while the load balancer answered 5xx itself above its baseline',
      { loadBalancerRequests: 500, loadBalancerErrors: 30 },
      {},
      'pending',
    ],
    ["the load balancer's datapoint not in while green's is", { requests: 50 }, {}, 'pending'],
    ['5xx in but not the RequestCounts', { targetErrors: 5, connectionErrors: 3 }, {}, 'pending'],
    ['nothing at all from a load balancer that carries traffic', {}, {}, 'pending'],
    ['nothing at all from a load balancer that carries none', {}, { expectTraffic: false }, 'idle'],
    ['a load balancer that carried no request', { loadBalancerRequests: 0 }, {}, 'idle'],
    ['both counts in', { requests: 50, loadBalancerRequests: 500 }, {}, 'complete'],
  ])('%s is %s', (_, counts, overrides, data) => {
    // Prepare
    const series = oneMinute(counts);

    // Act
    const [minute] = attributeMinutes([at(0)], series, { ...options, ...overrides });

    // Assess
    expect(minute?.data).toBe(data);
    if (data !== 'complete') expect(minute?.errorRatePercent).toBeNull();
  });

  it('never reads a pending minute as zero errors', () => {
    // Prepare
    const series = oneMinute({ loadBalancerRequests: 500, loadBalancerErrors: 30 });

    // Act
    const [minute] = attributeMinutes([at(0)], series, options);

    // Assess
    expect(minute).toMatchObject({ data: 'pending', errorRatePercent: null });
  });

  it('matches datapoints to the minute they fall in and ignores the others', () => {
    // Prepare
    const series: MinuteSeries = {
      ...oneMinute({}),
      requests: [{ timestamp: new Date(at(2).getTime() + 30_000), value: 10 }, point(9, 999)],
      loadBalancerRequests: [point(2, 100)],
    };

    // Act
    const minutes = attributeMinutes([at(2)], series, options);

    // Assess
    expect(minutes).toHaveLength(1);
    expect(minutes[0]).toMatchObject({ data: 'complete', requests: 10 });
  });

  it('reports the lowest healthy host count of the minute, null without a datapoint', () => {
    // Prepare
    const series: MinuteSeries = {
      ...oneMinute({ requests: 10, loadBalancerRequests: 100 }),
      healthyHosts: [point(0, 0)],
    };

    // Act
    const [first, second] = attributeMinutes([at(0), at(1)], series, options);

    // Assess
    expect(first?.healthyHosts).toBe(0);
    expect(second?.healthyHosts).toBeNull();
  });
});
