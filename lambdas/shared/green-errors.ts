/**
 * How green's errors are counted, by the canary verdict, by green's error-rate alarm and by the simulated production
 * alike. When green's tasks crash, refuse connections or time out, the load balancer answers 502/503/504 itself:
 * those are in `HTTPCode_ELB_5XX_Count`, which exists per load balancer only (no TargetGroup dimension), and, for
 * refused connections, in green's `TargetConnectionErrorCount` as well. So, per minute:
 *
 *   excess       = max(0, HTTPCode_ELB_5XX_Count(load balancer) − baseline × RequestCount(load balancer))
 *   green errors = HTTPCode_Target_5XX_Count(green) + max(TargetConnectionErrorCount(green), excess)
 *   error rate   = 100 × green errors / max(RequestCount(green), green errors)
 *
 * Every load-balancer 5xx above the baseline is blamed on green (in doubt, blame the canary). A refused connection
 * is in both counts, so they are not added: the larger one counts each failed request once, and the load balancer's
 * own answers without a connection error (504 timeouts, 503 without a healthy target) still count in full. The
 * verdict measures the baseline (ELB 5xx per request) before the first shift; the alarm, which cannot measure, uses
 * the configured one.
 */

export interface GreenMinuteCounts {
  /** RequestCount of green's target group. */
  readonly requests: number;
  /** HTTPCode_Target_5XX_Count of green's target group. */
  readonly targetErrors: number;
  /** TargetConnectionErrorCount of green's target group. */
  readonly connectionErrors: number;
  /** HTTPCode_ELB_5XX_Count of the load balancer. */
  readonly loadBalancerErrors: number;
  /** RequestCount of the load balancer. */
  readonly loadBalancerRequests: number;
}

/** The load balancer's own 5xx above its baseline, in requests (never negative). */
export function excessLoadBalancerErrors(
  loadBalancerErrors: number,
  loadBalancerRequests: number,
  baselinePercent: number,
): number {
  return Math.max(0, loadBalancerErrors - (baselinePercent * loadBalancerRequests) / 100);
}

export function greenErrors(counts: GreenMinuteCounts, baselinePercent: number): number {
  const excess = excessLoadBalancerErrors(counts.loadBalancerErrors, counts.loadBalancerRequests, baselinePercent);
  return counts.targetErrors + Math.max(counts.connectionErrors, excess);
}

/** errors / max(requests, errors) in %, multiplied first so whole percentages stay exact; null with neither. */
export function errorRatePercent(errors: number, requests: number): number | null {
  const denominator = Math.max(requests, errors);
  return denominator > 0 ? (errors * 100) / denominator : null;
}

/**
 * The alarm's metric math (CloudWatch syntax), ids as in `GREEN_ERROR_METRIC_IDS`. Counts are FILLed with 0 because
 * ALB publishes no zero counts, and an arithmetic expression over a series without a datapoint has none either.
 */
export const GREEN_ERROR_METRIC_IDS = {
  requests: 'requests',
  targetErrors: 'targetErrors',
  connectionErrors: 'connectionErrors',
  loadBalancerErrors: 'elbErrors',
  loadBalancerRequests: 'elbRequests',
} as const;

export function greenErrorRateExpressions(baselinePercent: number): {
  readonly excess: string;
  readonly errors: string;
  readonly rate: string;
} {
  const ids = GREEN_ERROR_METRIC_IDS;
  const fraction = baselinePercent / 100;
  return {
    excess: `FILL(${ids.loadBalancerErrors}, 0) - ${fraction} * FILL(${ids.loadBalancerRequests}, 0)`,
    errors:
      `FILL(${ids.targetErrors}, 0) + IF(FILL(${ids.connectionErrors}, 0) > excess, ` +
      `FILL(${ids.connectionErrors}, 0), IF(excess > 0, excess, 0))`,
    rate: `IF(FILL(${ids.requests}, 0) > errors, 100 * errors / FILL(${ids.requests}, 0), IF(errors > 0, 100, 0))`,
  };
}
