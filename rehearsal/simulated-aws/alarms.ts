import type { Dimension, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { canaryThresholdsSchema } from '../../lambdas/shared/cutover-contracts';
import { errorRatePercent, greenErrorRateExpressions, greenErrors } from '../../lambdas/shared/green-errors';
import { parse } from '../../lambdas/shared/validation';
import { BLUE_TARGET_GROUP, GREEN_TARGET_GROUP, LOAD_BALANCER_FULL_NAME, SIM, SIM_ALARMS } from './constants';
import type { MinuteTraffic } from './traffic-model';

/**
 * The stack's alarms (lib/cutover-alarms.ts with the default thresholds) as the simulated CloudWatch evaluates them:
 * per target group the error rate of lambdas/shared/green-errors.ts (target 5xx + connection errors + the load
 * balancer's 5xx above the configured baseline, over max(requests, errors)) above 5 % in 2 of 2 minutes, p95 above
 * 0.5 s in 1 minute and HealthyHostCount below 1 in 1 minute; the database writer's connections above 80 % of its
 * maximum in 1 minute. Missing data is not breaching.
 */

const THRESHOLDS = parse(canaryThresholdsSchema, {});
/** The load balancer's own 5xx rate the error-rate alarms excuse (they cannot measure it). */
export const ALARM_BASELINE_PERCENT = THRESHOLDS.loadBalancerErrorBaselinePercent;

export type Comparison = 'GreaterThanThreshold' | 'LessThanThreshold';

export interface AlarmDefinition {
  readonly name: string;
  readonly targetGroupArn: string | null;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** The alarm's metric in one published minute, in the alarm's unit; null: no datapoint. */
  readonly value: (minute: MinuteTraffic) => number | null;
  /** How DescribeAlarms shows the alarm's metric. */
  readonly metric: Pick<
    MetricAlarm,
    'Namespace' | 'MetricName' | 'Statistic' | 'ExtendedStatistic' | 'Dimensions' | 'Metrics'
  >;
}

type Side = 'live' | 'green';

function albMetricQuery(id: string, metricName: string, dimensions: Dimension[]) {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: dimensions },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: false,
  };
}

/** The group's error rate in the minute; null when none of the alarm's five series has a datapoint. */
export function errorRateValue(minute: MinuteTraffic, side: Side): number | null {
  const group = minute[side];
  const balancer = minute.loadBalancer;
  if (group === null && balancer.requests === 0 && balancer.errors === 0) return null;
  const requests = group?.requests ?? 0;
  const errors = greenErrors(
    {
      requests,
      targetErrors: group?.targetErrors ?? 0,
      connectionErrors: group?.connectionErrors ?? 0,
      loadBalancerErrors: balancer.errors,
      loadBalancerRequests: balancer.requests,
    },
    ALARM_BASELINE_PERCENT,
  );
  // FILLed with 0, the expression is 0 where nothing failed.
  return errorRatePercent(errors, requests) ?? 0;
}

function targetGroupAlarms(
  side: Side,
  group: { readonly arn: string; readonly fullName: string },
  names: { readonly errorRate: string; readonly p95: string; readonly noHealthyTargets: string },
): AlarmDefinition[] {
  const dimensions: Dimension[] = [
    { Name: 'LoadBalancer', Value: LOAD_BALANCER_FULL_NAME },
    { Name: 'TargetGroup', Value: group.fullName },
  ];
  const expressions = greenErrorRateExpressions(ALARM_BASELINE_PERCENT);
  return [
    {
      name: names.errorRate,
      targetGroupArn: group.arn,
      comparison: 'GreaterThanThreshold',
      threshold: THRESHOLDS.errorRatePercent,
      evaluationPeriods: THRESHOLDS.errorRateBreachPeriods,
      value: (minute) => errorRateValue(minute, side),
      metric: {
        Metrics: [
          albMetricQuery('requests', 'RequestCount', dimensions),
          albMetricQuery('targetErrors', 'HTTPCode_Target_5XX_Count', dimensions),
          albMetricQuery('connectionErrors', 'TargetConnectionErrorCount', dimensions),
          albMetricQuery('elbErrors', 'HTTPCode_ELB_5XX_Count', dimensions.slice(0, 1)),
          albMetricQuery('elbRequests', 'RequestCount', dimensions.slice(0, 1)),
          { Id: 'excess', Expression: expressions.excess, ReturnData: false },
          { Id: 'errors', Expression: expressions.errors, ReturnData: false },
          { Id: 'rate', Expression: expressions.rate, ReturnData: true },
        ],
      },
    },
    {
      name: names.p95,
      targetGroupArn: group.arn,
      comparison: 'GreaterThanThreshold',
      threshold: THRESHOLDS.p95LatencyMs / 1000,
      evaluationPeriods: 1,
      value: (minute) => {
        const traffic = minute[side];
        return traffic === null || traffic.answered === 0 ? null : traffic.p95Ms / 1000;
      },
      metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'TargetResponseTime',
        ExtendedStatistic: 'p95',
        Dimensions: dimensions,
      },
    },
    {
      name: names.noHealthyTargets,
      targetGroupArn: group.arn,
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      value: (minute) => minute.healthyHosts[side],
      metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HealthyHostCount',
        Statistic: 'Minimum',
        Dimensions: dimensions,
      },
    },
  ];
}

/** The alarms; the database alarm watches the instance, or a cluster's writer. */
export function alarmDefinitions(databaseKind: 'instance' | 'cluster'): readonly AlarmDefinition[] {
  return [
    ...targetGroupAlarms(
      'live',
      { arn: SIM.blueTargetGroupArn, fullName: BLUE_TARGET_GROUP.fullName },
      {
        errorRate: SIM_ALARMS.blueErrorRate,
        p95: SIM_ALARMS.blueP95Latency,
        noHealthyTargets: SIM_ALARMS.blueNoHealthyTargets,
      },
    ),
    ...targetGroupAlarms(
      'green',
      { arn: SIM.greenTargetGroupArn, fullName: GREEN_TARGET_GROUP.fullName },
      {
        errorRate: SIM_ALARMS.greenErrorRate,
        p95: SIM_ALARMS.greenP95Latency,
        noHealthyTargets: SIM_ALARMS.greenNoHealthyTargets,
      },
    ),
    {
      name: SIM_ALARMS.dbConnections,
      targetGroupArn: null,
      comparison: 'GreaterThanThreshold',
      threshold: (SIM.dbMaxConnections * THRESHOLDS.dbConnectionsPercent) / 100,
      evaluationPeriods: 1,
      value: (minute) => minute.dbConnections,
      metric: {
        Namespace: 'AWS/RDS',
        MetricName: 'DatabaseConnections',
        Statistic: 'Maximum',
        Dimensions:
          databaseKind === 'instance'
            ? [{ Name: 'DBInstanceIdentifier', Value: SIM.databaseIdentifier }]
            : [
                { Name: 'DBClusterIdentifier', Value: SIM.databaseIdentifier },
                { Name: 'Role', Value: 'WRITER' },
              ],
      },
    },
  ];
}

export function breaches(alarm: AlarmDefinition, value: number): boolean {
  return alarm.comparison === 'GreaterThanThreshold' ? value > alarm.threshold : value < alarm.threshold;
}
