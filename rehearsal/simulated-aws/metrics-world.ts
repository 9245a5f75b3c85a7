import { type Dimension, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { parseListenerArn } from '../../lambdas/shared/arns';
import type { LoadBalancerBaseline, Sides } from '../../lambdas/shared/cutover-contracts';
import { createMetricsMonitor } from '../../lambdas/tools/metrics-monitor';
import { createTrafficRouter } from '../../lambdas/tools/traffic-router';
import { SIM, SIM_ALARMS, SimulatedProduction, type SimulatedProductionOptions } from '../simulated-production';
import { BLUE_TARGET_GROUP, GREEN_TARGET_GROUP, LOAD_BALANCER_FULL_NAME } from './constants';

/**
 * The simulated CloudWatch spoken to through the REAL metrics monitor (and the traffic router to move weights), plus
 * raw GetMetricData for what the monitor does not ask.
 */

export const GREEN_FULL_NAME = GREEN_TARGET_GROUP.fullName;
export const BLUE_FULL_NAME = BLUE_TARGET_GROUP.fullName;
export const WATCHED = [
  SIM_ALARMS.greenErrorRate,
  SIM_ALARMS.greenP95Latency,
  SIM_ALARMS.greenNoHealthyTargets,
  SIM_ALARMS.dbConnections,
];
export const T0 = Date.parse('2026-11-24T10:00:00Z');

/** `T0 + minutes`. */
export function at(minutes: number): Date {
  return new Date(T0 + minutes * 60_000);
}

export const noAlarm = async (): Promise<void> => {
  throw new Error('no alarm expected');
};

export const LB_DIMENSIONS: Dimension[] = [{ Name: 'LoadBalancer', Value: LOAD_BALANCER_FULL_NAME }];

export function groupDimensions(targetGroupFullName: string): Dimension[] {
  return [...LB_DIMENSIONS, { Name: 'TargetGroup', Value: targetGroupFullName }];
}

export interface RawQuery {
  readonly namespace?: 'AWS/ApplicationELB' | 'AWS/RDS';
  readonly metricName: string;
  readonly stat: string;
  readonly dimensions: Dimension[];
  /** @default 60 */
  readonly period?: number;
}

export function metricsWorld(
  options: SimulatedProductionOptions = {},
  database: { readonly kind: 'instance' | 'cluster'; readonly identifier: string } = {
    kind: 'instance',
    identifier: SIM.databaseIdentifier,
  },
) {
  const sim = new SimulatedProduction(options);
  const router = createTrafficRouter(sim.elbClient(), SIM.listenerArn, { clock: sim.clock.nowFn });
  const monitor = createMetricsMonitor(sim.cloudWatchClient(), {
    loadBalancerFullName: parseListenerArn(SIM.listenerArn).loadBalancerFullName,
    database,
    dbMaxConnections: SIM.dbMaxConnections,
  });

  let sides: Sides | undefined;

  return {
    sim,
    monitor,
    /** Moves green to `weight` through the real router (sides resolved at the first shift, blue live). */
    async shift(weight: number): Promise<void> {
      sides ??= await router.resolveSides([
        { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName },
        { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName },
      ]);
      await router.setGreenWeight(sides, weight);
    },
    /** The load balancer's own 5xx rate over the 8 published minutes before T0 - 2 min (live only). */
    baseline(): Promise<LoadBalancerBaseline> {
      return monitor.baseline({ start: at(-10), end: at(-2) }, sim.clock.now());
    },
    /** The monitor's sample of green over [start, end), read now, as the orchestrator asks for it. */
    async sample(
      window: { readonly start: Date; readonly end: Date },
      baseline: LoadBalancerBaseline,
      watchedAlarms: readonly string[] = WATCHED,
    ) {
      return monitor.sample({
        greenTargetGroupFullName: GREEN_FULL_NAME,
        window,
        watchedAlarms,
        baseline,
        now: sim.clock.now(),
      });
    },
    /** One raw GetMetricData query over [start, end): its datapoints as [ISO minute, value]. */
    async raw(query: RawQuery, start: Date, end: Date): Promise<[string, number][]> {
      const output = await sim.cloudWatchClient().send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampAscending',
          MetricDataQueries: [
            {
              Id: 'q',
              MetricStat: {
                Metric: {
                  Namespace: query.namespace ?? 'AWS/ApplicationELB',
                  MetricName: query.metricName,
                  Dimensions: query.dimensions,
                },
                Period: query.period ?? 60,
                Stat: query.stat,
              },
            },
          ],
        }),
      );
      const [result] = output.MetricDataResults ?? [];
      const values = result?.Values ?? [];
      return (result?.Timestamps ?? []).map((timestamp, i) => [timestamp.toISOString(), values[i] ?? Number.NaN]);
    },
  };
}

export type MetricsWorld = ReturnType<typeof metricsWorld>;
