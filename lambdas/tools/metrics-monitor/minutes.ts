import type { MinuteData, MinuteSample } from '../../shared/cutover-contracts';
import { errorRatePercent, excessLoadBalancerErrors, greenErrors } from '../../shared/green-errors';
import { MINUTE_MS, secondsToMs } from './window';

export interface Datapoint {
  readonly timestamp: Date;
  readonly value: number;
}

/** One target group's datapoints and the load balancer's, per query, as CloudWatch returned them. */
export interface MinuteSeries {
  readonly requests: readonly Datapoint[];
  readonly targetErrors: readonly Datapoint[];
  readonly connectionErrors: readonly Datapoint[];
  readonly loadBalancerErrors: readonly Datapoint[];
  readonly loadBalancerRequests: readonly Datapoint[];
  /** TargetResponseTime p95 per minute, in seconds as CloudWatch reports it. */
  readonly p95Seconds?: readonly Datapoint[];
  readonly healthyHosts?: readonly Datapoint[];
}

export interface AttributionOptions {
  /** The load balancer's own 5xx per request that is not blamed on the target group, in %. */
  readonly baselinePercent: number;
  /**
   * The load balancer normally carries traffic (its baseline had requests): a minute without any datapoint is then
   * late, not idle.
   */
  readonly expectTraffic: boolean;
  /** Minutes that have not ended by now cannot have their datapoints yet. */
  readonly now: Date;
}

function byMinute(points: readonly Datapoint[] | undefined): Map<number, number> {
  const map = new Map<number, number>();
  for (const point of points ?? []) {
    map.set(Math.floor(point.timestamp.getTime() / MINUTE_MS) * MINUTE_MS, point.value);
  }
  return map;
}

/**
 * One MinuteSample per minute start, in order, with the errors counted as lambdas/shared/green-errors.ts says. ALB
 * publishes nothing for a minute without requests and no zero counts, and publishes late: a minute with traffic but
 * no RequestCount datapoint for the group (or the load balancer) yet is `pending`, never a minute of zero errors.
 * Errors above the RequestCount count as requests, so they are never hidden. Datapoints outside the minutes are
 * ignored.
 */
export function attributeMinutes(
  minuteStarts: readonly Date[],
  series: MinuteSeries,
  options: AttributionOptions,
): MinuteSample[] {
  const requests = byMinute(series.requests);
  const targetErrors = byMinute(series.targetErrors);
  const connectionErrors = byMinute(series.connectionErrors);
  const lbErrors = byMinute(series.loadBalancerErrors);
  const lbRequests = byMinute(series.loadBalancerRequests);
  const p95 = byMinute(series.p95Seconds);
  const healthy = byMinute(series.healthyHosts);
  const nowMs = options.now.getTime();

  return minuteStarts.map((minute) => {
    const key = minute.getTime();
    const groupRequests = requests.get(key);
    const balancerRequests = lbRequests.get(key);
    const target = targetErrors.get(key) ?? 0;
    const connection = connectionErrors.get(key) ?? 0;
    const counts = {
      requests: groupRequests ?? 0,
      targetErrors: target,
      connectionErrors: connection,
      loadBalancerErrors: lbErrors.get(key) ?? 0,
      loadBalancerRequests: balancerRequests ?? 0,
    };
    const excess = excessLoadBalancerErrors(
      counts.loadBalancerErrors,
      counts.loadBalancerRequests,
      options.baselinePercent,
    );
    const errors = greenErrors(counts, options.baselinePercent);
    const requestCount = Math.max(counts.requests, errors);
    const data = minuteData({
      ended: key + MINUTE_MS <= nowMs,
      groupPublished: groupRequests !== undefined,
      balancerRequests,
      balancerExcess: excess,
      expectTraffic: options.expectTraffic,
    });
    const p95Seconds = p95.get(key);
    return {
      at: minute.toISOString(),
      data,
      requests: requestCount,
      errors,
      targetErrors: target,
      connectionErrors: connection,
      loadBalancerErrors: excess,
      errorRatePercent: data === 'complete' ? errorRatePercent(errors, requestCount) : null,
      p95LatencyMs: p95Seconds === undefined ? null : secondsToMs(p95Seconds),
      healthyHosts: healthy.get(key) ?? null,
    };
  });
}

function minuteData(facts: {
  readonly ended: boolean;
  readonly groupPublished: boolean;
  readonly balancerRequests: number | undefined;
  /** The load balancer's own 5xx above its baseline in the minute. */
  readonly balancerExcess: number;
  readonly expectTraffic: boolean;
}): MinuteData {
  if (!facts.ended) return 'pending';
  // Both counts are needed: the load balancer's decides how many of its own 5xx are green's.
  if (facts.groupPublished) return facts.balancerRequests === undefined ? 'pending' : 'complete';
  // ALB publishes a minute's load-balancer and target-group datapoints together, and nothing for a group without a
  // request: with the load balancer's in and not green's, green got no request (low traffic is not lateness). Unless
  // the load balancer answered 5xx itself above its baseline: those may be green's, so its datapoint is awaited.
  if (facts.balancerRequests !== undefined) return facts.balancerExcess > 0 ? 'pending' : 'idle';
  // Nothing at all: late when the load balancer normally carries traffic.
  return facts.expectTraffic ? 'pending' : 'idle';
}

/** Sums of a window's complete minutes. */
export function summarizeMinutes(minutes: readonly MinuteSample[]): {
  requests: number;
  errors: number;
  errorRatePercent: number | null;
} {
  const complete = minutes.filter((minute) => minute.data === 'complete');
  const requests = complete.reduce((sum, m) => sum + m.requests, 0);
  const errors = complete.reduce((sum, m) => sum + m.errors, 0);
  return { requests, errors, errorRatePercent: errorRatePercent(errors, requests) };
}
