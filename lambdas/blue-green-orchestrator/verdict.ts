import type {
  CanarySample,
  CanaryThresholds,
  CanaryVerdict,
  MinuteSample,
  RollbackTrigger,
} from '../shared/cutover-contracts';
import { errorRatePercent } from '../shared/green-errors';

function summarizeMinutes(minutes: readonly MinuteSample[]): { errorRatePercent: number | null } {
  const complete = minutes.filter((minute) => minute.data === 'complete');
  const requests = complete.reduce((sum, m) => sum + m.requests, 0);
  const errors = complete.reduce((sum, m) => sum + m.errors, 0);
  return { errorRatePercent: errorRatePercent(errors, requests) };
}

/**
 * The canary verdict: what one bake window's sample means for the deployment. Pure, so every rule can be tested at
 * its edges. Thresholds are strict (`>`): a value exactly at a threshold is not a breach. Promotion needs values
 * strictly below the promotion bars. A known breach rolls back at once; otherwise the verdict covers every minute of
 * the bake: while datapoints are late it waits (bounded), and a window still partial at the bound is inconclusive,
 * never a promotion.
 */

export interface CanaryVerdictInput {
  readonly sample: CanarySample;
  readonly thresholds: CanaryThresholds;
  readonly isLastStep: boolean;
  /** Inconclusive bakes so far at this step (before this one). */
  readonly inconclusiveCount: number;
  /** How many inconclusive bakes are tolerated (each one rebakes); one more is a rollback. */
  readonly inconclusiveAllowance: number;
  /**
   * The bound on waiting for late datapoints has passed: minutes still pending now make the bake inconclusive
   * instead of a reason to wait.
   */
  readonly dataDeadlinePassed: boolean;
  /** With a `wait`: seconds until the missing datapoints are expected. */
  readonly retryAfterSeconds: number;
  /** Green's healthy targets now (DescribeTargetHealth); null when not read. */
  readonly healthyTargetsNow: number | null;
  /**
   * What each watched alarm's rollback is recorded as.
   * @default - every alarm is ALARM
   */
  readonly alarmTriggers?: Readonly<Record<string, RollbackTrigger>>;
}

/** Errors over requests of the window's complete minutes, in %; null without either. */
export function windowErrorRatePercent(minutes: readonly MinuteSample[]): number | null {
  return summarizeMinutes(minutes).errorRatePercent;
}

/** Longest run of consecutive minutes above the limit; a minute without (complete) data ends a run. */
export function longestBreachRun(minutes: readonly MinuteSample[], limitPercent: number): number {
  let longest = 0;
  let current = 0;
  for (const minute of minutes) {
    current = minute.errorRatePercent !== null && minute.errorRatePercent > limitPercent ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/** A number for people: at most 3 decimals, no trailing zeros. */
export function fmt(value: number): string {
  return String(Number(value.toFixed(3)));
}

export function canaryVerdict(input: CanaryVerdictInput): CanaryVerdict {
  const { sample, thresholds } = input;
  const errorRate = windowErrorRatePercent(sample.minutes);
  const p95 = sample.p95LatencyMs;
  const dbPercent = sample.dbConnectionsMax === null ? null : (sample.dbConnectionsMax * 100) / sample.dbMaxConnections;
  const pending = sample.minutes.filter((minute) => minute.data === 'pending');

  const reasons: string[] = [];
  const verdict = (
    decision: CanaryVerdict['decision'],
    trigger: RollbackTrigger | null,
    inconclusive = false,
  ): CanaryVerdict => ({
    decision,
    trigger,
    inconclusive,
    reasons,
    errorRatePercent: errorRate,
    p95LatencyMs: p95,
    dbConnectionsPercent: dbPercent,
    pendingMinutes: pending.length,
    retryAfterSeconds: decision === 'wait' ? Math.max(1, Math.ceil(input.retryAfterSeconds)) : null,
  });

  // 1. A watched alarm overrides whatever the sample says.
  const [firstAlarm] = sample.alarmsInAlarm;
  if (firstAlarm !== undefined) {
    reasons.push(`alarm(s) in ALARM: ${sample.alarmsInAlarm.join(', ')}`);
    return verdict('rollback', input.alarmTriggers?.[firstAlarm] ?? 'ALARM');
  }

  // 2. Green without a healthy target fails every request it gets, whatever the metrics say yet.
  const unhealthyMinute = sample.minutes.find((minute) => minute.healthyHosts === 0);
  if (input.healthyTargetsNow === 0 || unhealthyMinute !== undefined) {
    reasons.push(
      input.healthyTargetsNow === 0
        ? 'green has no healthy target now (DescribeTargetHealth)'
        : `green had no healthy target in the minute of ${unhealthyMinute?.at} (HealthyHostCount 0)`,
    );
    return verdict('rollback', 'HEALTH_CHECK_FAILED');
  }

  // 3. Error rate, per minute, for consecutive minutes.
  const run = longestBreachRun(sample.minutes, thresholds.errorRatePercent);
  const minutesWithData = sample.minutes.filter((m) => m.errorRatePercent !== null).length;
  const errorRateText =
    errorRate === null ? 'no requests in the window' : `error rate ${fmt(errorRate)} % over the window`;
  if (run >= thresholds.errorRateBreachPeriods) {
    reasons.push(
      `error rate above ${fmt(thresholds.errorRatePercent)} % for ${run} consecutive minutes ` +
        `(rollback at ${thresholds.errorRateBreachPeriods}); ${errorRateText}${breakdown(sample)}`,
    );
    return verdict('rollback', 'ERROR_RATE');
  }
  reasons.push(
    run > 0
      ? `${errorRateText}; above ${fmt(thresholds.errorRatePercent)} % for at most ${run} consecutive minute(s) ` +
          `(rollback at ${thresholds.errorRateBreachPeriods})${breakdown(sample)}`
      : `${errorRateText}; no minute above ${fmt(thresholds.errorRatePercent)} % (${minutesWithData} of ` +
          `${sample.minutes.length} minutes with requests)${breakdown(sample)}`,
  );

  // 4. Latency over the window.
  if (p95 !== null && p95 > thresholds.p95LatencyMs) {
    reasons.push(`p95 latency ${fmt(p95)} ms is above ${fmt(thresholds.p95LatencyMs)} ms`);
    return verdict('rollback', 'LATENCY');
  }
  reasons.push(
    p95 === null
      ? 'no p95 latency data in the window'
      : `p95 latency ${fmt(p95)} ms (rollback above ${fmt(thresholds.p95LatencyMs)} ms)`,
  );

  // 5. Database connections.
  if (dbPercent !== null && dbPercent > thresholds.dbConnectionsPercent) {
    reasons.push(
      `DB connections peaked at ${fmt(sample.dbConnectionsMax ?? 0)} of ${sample.dbMaxConnections} ` +
        `(${fmt(dbPercent)} %), above ${fmt(thresholds.dbConnectionsPercent)} %`,
    );
    return verdict('rollback', 'DB_CONNECTIONS');
  }
  reasons.push(
    dbPercent === null
      ? 'no DatabaseConnections data in the window (not counted as inconclusive)'
      : `DB connections peaked at ${fmt(sample.dbConnectionsMax ?? 0)} of ${sample.dbMaxConnections} ` +
          `(${fmt(dbPercent)} %, rollback above ${fmt(thresholds.dbConnectionsPercent)} %)`,
  );

  // 6. Late datapoints: wait for them, up to the bound; the window must be whole to go on.
  if (pending.length > 0 && !input.dataDeadlinePassed) {
    reasons.push(
      `${pending.length} minute(s) of the bake have no datapoints yet (${pending.map((m) => m.at).join(', ')}): ` +
        'waiting for them',
    );
    return verdict('wait', null);
  }

  // 7. No data, or a window still partial at the bound: the window says too little about green.
  if (minutesWithData === 0 || p95 === null || pending.length > 0) {
    if (pending.length > 0) {
      reasons.push(
        `${pending.length} minute(s) of the bake still had no datapoints when the wait for late metrics ended: ` +
          'the window is partial and cannot advance or promote',
      );
    }
    const count = input.inconclusiveCount + 1;
    if (count > input.inconclusiveAllowance) {
      reasons.push(`inconclusive bake ${count}, more than the ${input.inconclusiveAllowance} allowed: rolling back`);
      return verdict('rollback', 'INCONCLUSIVE', true);
    }
    reasons.push(`inconclusive bake ${count} of ${input.inconclusiveAllowance} allowed: baking again`);
    return verdict('rebake', null, true);
  }

  // 8. Healthy enough to go on; the last step must be good enough to promote.
  if (!input.isLastStep) {
    reasons.push('within thresholds: advancing to the next step');
    return verdict('advance', null);
  }
  const errorsOk = errorRate !== null && errorRate < thresholds.promoteErrorRatePercent;
  const latencyOk = p95 < thresholds.p95LatencyMs;
  if (errorsOk && latencyOk) {
    reasons.push(
      `last step: error rate ${fmt(errorRate)} % below ${fmt(thresholds.promoteErrorRatePercent)} % and ` +
        `p95 ${fmt(p95)} ms below ${fmt(thresholds.p95LatencyMs)} ms: promoting`,
    );
    return verdict('promote', null);
  }
  if (!errorsOk) {
    reasons.push(
      `last step: error rate ${errorRate === null ? 'unknown' : `${fmt(errorRate)} %`} is not good enough to ` +
        `promote (must be below ${fmt(thresholds.promoteErrorRatePercent)} %)`,
    );
  }
  if (!latencyOk) {
    reasons.push(
      `last step: p95 latency ${fmt(p95)} ms is not good enough to promote ` +
        `(must be below ${fmt(thresholds.p95LatencyMs)} ms)`,
    );
  }
  return verdict('rollback', errorsOk ? 'LATENCY' : 'ERROR_RATE');
}

/** `(errors: 12 target 5xx, 30 connection errors, 4 load-balancer 5xx above its 0.1 % baseline)`, when any. */
function breakdown(sample: CanarySample): string {
  const complete = sample.minutes.filter((minute) => minute.data === 'complete');
  const total = (field: 'targetErrors' | 'connectionErrors' | 'loadBalancerErrors') =>
    complete.reduce((sum, minute) => sum + minute[field], 0);
  const target = total('targetErrors');
  const connection = total('connectionErrors');
  const balancer = total('loadBalancerErrors');
  if (target + connection + balancer === 0) return '';
  return (
    ` (errors: ${fmt(target)} target 5xx, ${fmt(connection)} connection errors, ${fmt(balancer)} load-balancer 5xx ` +
    `above its ${fmt(sample.baselinePercent)} % baseline)`
  );
}
