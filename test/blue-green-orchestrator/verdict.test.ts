import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type CanaryVerdictInput, canaryVerdict } from '../../lambdas/blue-green-orchestrator/verdict';
import {
  type CanarySample,
  type CanaryThresholds,
  canaryThresholdsSchema,
  canaryVerdictSchema,
  type MinuteSample,
  type RollbackTrigger,
  type VerdictDecision,
} from '../../lambdas/shared/cutover-contracts';

const THRESHOLDS: CanaryThresholds = {
  errorRatePercent: 5,
  errorRateBreachPeriods: 2,
  promoteErrorRatePercent: 1,
  p95LatencyMs: 500,
  dbConnectionsPercent: 80,
  loadBalancerErrorBaselinePercent: 0.1,
};

let minuteIndex = 0;

/** A complete minute with `requests` requests of which `errors` were 5xx (all from green's targets). */
function minute(errors: number, requests = 100, overrides: Partial<MinuteSample> = {}): MinuteSample {
  minuteIndex += 1;
  return {
    at: new Date(Date.UTC(2026, 10, 24, 10, minuteIndex % 60)).toISOString(),
    data: requests > 0 ? 'complete' : 'idle',
    requests,
    errors,
    targetErrors: errors,
    connectionErrors: 0,
    loadBalancerErrors: 0,
    errorRatePercent: requests > 0 ? (errors * 100) / requests : null,
    p95LatencyMs: requests > 0 ? 200 : null,
    healthyHosts: 2,
    ...overrides,
  };
}

/** A minute in which no requests flowed (ALB published nothing, and nothing was expected). */
const empty = (): MinuteSample => minute(0, 0);
/** A minute with traffic whose datapoints have not arrived yet. */
const pending = (): MinuteSample =>
  minute(0, 0, { data: 'pending', errorRatePercent: null, p95LatencyMs: null, healthyHosts: null });

function sample(overrides: Partial<CanarySample> = {}): CanarySample {
  return {
    windowStart: '2026-11-24T10:00:00.000Z',
    windowEnd: '2026-11-24T10:05:00.000Z',
    minutes: [minute(0), minute(0), minute(0), minute(0), minute(0)],
    p95LatencyMs: 200,
    dbConnectionsMax: 50,
    dbMaxConnections: 200,
    baselinePercent: 0.05,
    alarmsInAlarm: [],
    ...overrides,
  };
}

function input(overrides: Partial<CanarySample> = {}, rest: Partial<Omit<CanaryVerdictInput, 'sample'>> = {}) {
  return {
    sample: sample(overrides),
    thresholds: THRESHOLDS,
    isLastStep: false,
    inconclusiveCount: 0,
    inconclusiveAllowance: 2,
    dataDeadlinePassed: false,
    retryAfterSeconds: 30,
    healthyTargetsNow: 2,
    ...rest,
  } satisfies CanaryVerdictInput;
}

const noData = { minutes: [empty(), empty(), empty()], p95LatencyMs: null };

type Expected = [VerdictDecision, RollbackTrigger | null, boolean];

describe('canaryVerdict', () => {
  it('uses the documented default thresholds', () => {
    // Prepare
    // Act
    const defaults = v.parse(canaryThresholdsSchema, {});

    // Assess
    expect(defaults).toEqual(THRESHOLDS);
  });

  it.each<[string, CanaryVerdictInput, Expected]>([
    ['a healthy step', input(), ['advance', null, false]],
    // Late datapoints: the whole bake, or nothing
    [
      'the last minute without datapoints yet',
      input({ minutes: [minute(0), minute(0), pending()] }),
      ['wait', null, false],
    ],
    [
      'the last minute still without datapoints when the wait ends',
      input({ minutes: [minute(0), minute(0), pending()] }, { dataDeadlinePassed: true }),
      ['rebake', null, true],
    ],
    [
      'a partial window on the last step when the wait ends (never a promotion)',
      input({ minutes: [minute(0, 10_000), pending()] }, { dataDeadlinePassed: true, isLastStep: true }),
      ['rebake', null, true],
    ],
    [
      'a partial window on the last step while waiting',
      input({ minutes: [minute(0, 10_000), pending()] }, { isLastStep: true }),
      ['wait', null, false],
    ],
    [
      'a known breach while later minutes are pending (no waiting to roll back)',
      input({ minutes: [minute(9), minute(9), pending()] }),
      ['rollback', 'ERROR_RATE', false],
    ],
    [
      'a breach hidden behind a pending minute is not a pass',
      input({ minutes: [minute(9), pending(), minute(9)] }, { dataDeadlinePassed: true }),
      ['rebake', null, true],
    ],
    // Green's target health
    [
      'green without a healthy target now',
      input({}, { healthyTargetsNow: 0 }),
      ['rollback', 'HEALTH_CHECK_FAILED', false],
    ],
    [
      'green without a healthy target in one minute',
      input({ minutes: [minute(0), minute(0, 100, { healthyHosts: 0 }), minute(0)] }),
      ['rollback', 'HEALTH_CHECK_FAILED', false],
    ],
    [
      "a crashing green: connection errors and the load balancer's own 5xx",
      input({
        minutes: [
          minute(60, 100, { targetErrors: 0, connectionErrors: 60, loadBalancerErrors: 60 }),
          minute(80, 100, { targetErrors: 0, connectionErrors: 70, loadBalancerErrors: 80 }),
        ],
      }),
      ['rollback', 'ERROR_RATE', false],
    ],
    [
      'the database alarm is recorded as DB_CONNECTIONS',
      input({ alarmsInAlarm: ['shop-db-connections'] }, { alarmTriggers: { 'shop-db-connections': 'DB_CONNECTIONS' } }),
      ['rollback', 'DB_CONNECTIONS', false],
    ],
    [
      'an alarm not in the routes is recorded as ALARM',
      input({ alarmsInAlarm: ['extra-alarm'] }, { alarmTriggers: { 'shop-db-connections': 'DB_CONNECTIONS' } }),
      ['rollback', 'ALARM', false],
    ],
    // Alarms
    ['an alarm in ALARM with good metrics', input({ alarmsInAlarm: ['green-5xx'] }), ['rollback', 'ALARM', false]],
    [
      'an alarm together with an error-rate breach',
      input({ alarmsInAlarm: ['green-5xx'], minutes: [minute(9), minute(9)] }),
      ['rollback', 'ALARM', false],
    ],
    // Error rate per minute
    ['one breached minute', input({ minutes: [minute(0), minute(10), minute(0)] }), ['advance', null, false]],
    [
      'two consecutive breached minutes',
      input({ minutes: [minute(0), minute(6), minute(6)] }),
      ['rollback', 'ERROR_RATE', false],
    ],
    [
      'two non-consecutive breached minutes',
      input({ minutes: [minute(6), minute(0), minute(6)] }),
      ['advance', null, false],
    ],
    [
      'two breached minutes around a minute without data',
      input({ minutes: [minute(6), empty(), minute(6)] }),
      ['advance', null, false],
    ],
    ['two minutes at exactly 5 %', input({ minutes: [minute(5), minute(5)] }), ['advance', null, false]],
    [
      'two minutes just above 5 %',
      input({ minutes: [minute(5001, 100_000), minute(5001, 100_000)] }),
      ['rollback', 'ERROR_RATE', false],
    ],
    [
      'an error-rate breach together with high latency',
      input({ minutes: [minute(9), minute(9)], p95LatencyMs: 900 }),
      ['rollback', 'ERROR_RATE', false],
    ],
    // Latency
    ['p95 at exactly 500 ms', input({ p95LatencyMs: 500 }), ['advance', null, false]],
    ['p95 at 500.001 ms', input({ p95LatencyMs: 500.001 }), ['rollback', 'LATENCY', false]],
    [
      'high latency together with too many DB connections',
      input({ p95LatencyMs: 800, dbConnectionsMax: 199 }),
      ['rollback', 'LATENCY', false],
    ],
    // DB connections (max 200)
    ['DB connections at exactly 80 %', input({ dbConnectionsMax: 160 }), ['advance', null, false]],
    ['DB connections at 80.5 %', input({ dbConnectionsMax: 161 }), ['rollback', 'DB_CONNECTIONS', false]],
    [
      'DB connections above 80 % without traffic data',
      input({ ...noData, dbConnectionsMax: 190 }),
      ['rollback', 'DB_CONNECTIONS', false],
    ],
    ['no DB connection data', input({ dbConnectionsMax: null }), ['advance', null, false]],
    // No data
    ['no data, first inconclusive of 2 allowed', input(noData, { inconclusiveCount: 0 }), ['rebake', null, true]],
    ['no data, at the allowance (2 of 2)', input(noData, { inconclusiveCount: 1 }), ['rebake', null, true]],
    [
      'no data, beyond the allowance (3 of 2)',
      input(noData, { inconclusiveCount: 2 }),
      ['rollback', 'INCONCLUSIVE', true],
    ],
    ['no data with no allowance', input(noData, { inconclusiveAllowance: 0 }), ['rollback', 'INCONCLUSIVE', true]],
    ['no minutes at all', input({ minutes: [], p95LatencyMs: null }), ['rebake', null, true]],
    ['requests but no p95', input({ p95LatencyMs: null }), ['rebake', null, true]],
    ['no data on the last step', input(noData, { isLastStep: true }), ['rebake', null, true]],
    // Last step
    [
      'last step at 0.99 % errors and 499 ms',
      input({ minutes: [minute(99, 10_000)], p95LatencyMs: 499 }, { isLastStep: true }),
      ['promote', null, false],
    ],
    [
      'last step at exactly 1.0 % errors',
      input({ minutes: [minute(100, 10_000)], p95LatencyMs: 200 }, { isLastStep: true }),
      ['rollback', 'ERROR_RATE', false],
    ],
    [
      'last step at exactly 500 ms',
      input({ minutes: [minute(0, 10_000)], p95LatencyMs: 500 }, { isLastStep: true }),
      ['rollback', 'LATENCY', false],
    ],
    [
      'last step with both not good enough',
      input({ minutes: [minute(3), minute(0)], p95LatencyMs: 500 }, { isLastStep: true }),
      ['rollback', 'ERROR_RATE', false],
    ],
    ['last step with no 5xx at all', input({}, { isLastStep: true }), ['promote', null, false]],
  ])('%s', (_, verdictInput, [decision, trigger, inconclusive]) => {
    // Prepare
    // Act
    const verdict = canaryVerdict(verdictInput);

    // Assess
    expect({ decision: verdict.decision, trigger: verdict.trigger, inconclusive: verdict.inconclusive }).toEqual({
      decision,
      trigger,
      inconclusive,
    });
    expect(v.parse(canaryVerdictSchema, verdict)).toEqual(verdict);
  });

  it('asks to be evaluated again after the given delay, and only when waiting', () => {
    // Prepare
    const waiting = input({ minutes: [minute(0), pending(), pending()] }, { retryAfterSeconds: 42.2 });

    // Act
    const verdict = canaryVerdict(waiting);
    const advanced = canaryVerdict(input());

    // Assess
    expect(verdict).toMatchObject({ decision: 'wait', retryAfterSeconds: 43, pendingMinutes: 2 });
    expect(verdict.reasons.join('\n')).toContain('2 minute(s) of the bake have no datapoints yet');
    expect(advanced).toMatchObject({ retryAfterSeconds: null, pendingMinutes: 0 });
  });

  it('says what the errors were made of', () => {
    // Prepare
    const crashing = input({
      minutes: [
        minute(60, 100, { targetErrors: 3, connectionErrors: 50, loadBalancerErrors: 57 }),
        minute(60, 100, { targetErrors: 3, connectionErrors: 50, loadBalancerErrors: 57 }),
      ],
    });

    // Act
    const verdict = canaryVerdict(crashing);

    // Assess
    expect(verdict.reasons.join('\n')).toContain(
      '(errors: 6 target 5xx, 100 connection errors, 114 load-balancer 5xx above its 0.05 % baseline)',
    );
  });

  it('honours a longer breach run when configured', () => {
    // Prepare
    const thresholds = { ...THRESHOLDS, errorRateBreachPeriods: 3 };
    const two = input({ minutes: [minute(9), minute(9), minute(0)] }, { thresholds });
    const three = input({ minutes: [minute(9), minute(9), minute(9)] }, { thresholds });

    // Act
    const twoVerdict = canaryVerdict(two);
    const threeVerdict = canaryVerdict(three);

    // Assess
    expect(twoVerdict.decision).toBe('advance');
    expect(threeVerdict).toMatchObject({ decision: 'rollback', trigger: 'ERROR_RATE' });
  });

  it('fills the window figures: overall error rate, p95 and DB connection share', () => {
    // Prepare
    const verdictInput = input({
      minutes: [minute(2, 100), empty(), minute(1, 300)],
      p95LatencyMs: 321.5,
      dbConnectionsMax: 90,
    });

    // Act
    const verdict = canaryVerdict(verdictInput);

    // Assess
    expect(verdict).toMatchObject({ errorRatePercent: 0.75, p95LatencyMs: 321.5, dbConnectionsPercent: 45 });
  });

  it('leaves the figures null when there is no data', () => {
    // Prepare
    const verdictInput = input({ ...noData, dbConnectionsMax: null });

    // Act
    const verdict = canaryVerdict(verdictInput);

    // Assess
    expect(verdict).toMatchObject({ errorRatePercent: null, p95LatencyMs: null, dbConnectionsPercent: null });
    expect(verdict.reasons.join('\n')).toContain('no DatabaseConnections data');
    expect(verdict.reasons.join('\n')).toContain('inconclusive bake 1 of 2 allowed');
  });

  it.each<[string, CanaryVerdictInput, string[]]>([
    ['an alarm', input({ alarmsInAlarm: ['green-5xx', 'green-p95'] }), ['green-5xx, green-p95']],
    [
      'an error-rate breach',
      input({ minutes: [minute(6), minute(7)] }),
      ['above 5 % for 2 consecutive minutes', 'rollback at 2', 'error rate 6.5 % over the window'],
    ],
    ['a latency breach', input({ p95LatencyMs: 612.25 }), ['p95 latency 612.25 ms is above 500 ms']],
    ['a DB connection breach', input({ dbConnectionsMax: 170 }), ['170 of 200 (85 %), above 80 %']],
    [
      'a missing DB metric',
      input({ dbConnectionsMax: null }),
      ['no DatabaseConnections data in the window (not counted as inconclusive)'],
    ],
    [
      'an inconclusive rollback',
      input(noData, { inconclusiveCount: 2 }),
      ['inconclusive bake 3, more than the 2 allowed'],
    ],
    [
      'a promotion refused for errors',
      input({ minutes: [minute(100, 10_000)] }, { isLastStep: true }),
      ['error rate 1 % is not good enough to promote (must be below 1 %)'],
    ],
    [
      'a promotion refused for latency',
      input({ p95LatencyMs: 500 }, { isLastStep: true }),
      ['p95 latency 500 ms is not good enough to promote (must be below 500 ms)'],
    ],
    [
      'a promotion',
      input({ minutes: [minute(99, 10_000)], p95LatencyMs: 250 }, { isLastStep: true }),
      ['error rate 0.99 % below 1 % and p95 250 ms below 500 ms: promoting'],
    ],
    [
      'an advance',
      input(),
      ['no minute above 5 %', 'p95 latency 200 ms (rollback above 500 ms)', '(25 %, rollback above 80 %)'],
    ],
  ])('explains %s with its numbers and thresholds', (_, verdictInput, fragments) => {
    // Prepare
    // Act
    const verdict = canaryVerdict(verdictInput);

    // Assess
    const text = verdict.reasons.join('\n');
    for (const fragment of fragments) expect(text).toContain(fragment);
  });
});
