import type {
  CanarySample,
  CanaryThresholds,
  CanaryVerdict,
  MinuteSample,
  RollbackTrigger,
} from '../shared/cutover-contracts';

/**
 * The canary verdict: what one bake window's sample means for the deployment. Pure, so every rule can be tested at
 * its edges. Thresholds are strict (`>`): a value exactly at a threshold is not a breach. Promotion needs values
 * strictly below the promotion bars.
 */

export interface CanaryVerdictInput {
  readonly sample: CanarySample;
  readonly thresholds: CanaryThresholds;
  readonly isLastStep: boolean;
  /** Inconclusive bakes so far at this step (before this one). */
  readonly inconclusiveCount: number;
  /** How many inconclusive bakes are tolerated (each one rebakes); one more is a rollback. */
  readonly inconclusiveAllowance: number;
}

/** Errors over requests of the whole window, in %; null without requests. */
export function windowErrorRatePercent(minutes: readonly MinuteSample[]): number | null {
  const requests = minutes.reduce((sum, m) => sum + m.requests, 0);
  const errors = minutes.reduce((sum, m) => sum + m.errors, 0);
  return requests > 0 ? (errors * 100) / requests : null;
}

/** Longest run of consecutive minutes above the limit; a minute without data ends a run. */
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
  });

  // 1. A watched alarm overrides whatever the sample says.
  if (sample.alarmsInAlarm.length > 0) {
    reasons.push(`alarm(s) in ALARM: ${sample.alarmsInAlarm.join(', ')}`);
    return verdict('rollback', 'ALARM');
  }

  // 2. Error rate, per minute, for consecutive minutes.
  const run = longestBreachRun(sample.minutes, thresholds.errorRatePercent);
  const minutesWithData = sample.minutes.filter((m) => m.errorRatePercent !== null).length;
  const errorRateText =
    errorRate === null ? 'no requests in the window' : `error rate ${fmt(errorRate)} % over the window`;
  if (run >= thresholds.errorRateBreachPeriods) {
    reasons.push(
      `error rate above ${fmt(thresholds.errorRatePercent)} % for ${run} consecutive minutes ` +
        `(rollback at ${thresholds.errorRateBreachPeriods}); ${errorRateText}`,
    );
    return verdict('rollback', 'ERROR_RATE');
  }
  reasons.push(
    run > 0
      ? `${errorRateText}; above ${fmt(thresholds.errorRatePercent)} % for at most ${run} consecutive minute(s) ` +
          `(rollback at ${thresholds.errorRateBreachPeriods})`
      : `${errorRateText}; no minute above ${fmt(thresholds.errorRatePercent)} % (${minutesWithData} of ` +
          `${sample.minutes.length} minutes with requests)`,
  );

  // 3. Latency over the window.
  if (p95 !== null && p95 > thresholds.p95LatencyMs) {
    reasons.push(`p95 latency ${fmt(p95)} ms is above ${fmt(thresholds.p95LatencyMs)} ms`);
    return verdict('rollback', 'LATENCY');
  }
  reasons.push(
    p95 === null
      ? 'no p95 latency data in the window'
      : `p95 latency ${fmt(p95)} ms (rollback above ${fmt(thresholds.p95LatencyMs)} ms)`,
  );

  // 4. Database connections.
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

  // 5. No data: the window says nothing about green.
  if (minutesWithData === 0 || p95 === null) {
    const count = input.inconclusiveCount + 1;
    if (count > input.inconclusiveAllowance) {
      reasons.push(`inconclusive bake ${count}, more than the ${input.inconclusiveAllowance} allowed: rolling back`);
      return verdict('rollback', 'INCONCLUSIVE', true);
    }
    reasons.push(`inconclusive bake ${count} of ${input.inconclusiveAllowance} allowed: baking again`);
    return verdict('rebake', null, true);
  }

  // 6. Healthy enough to go on; the last step must be good enough to promote.
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
