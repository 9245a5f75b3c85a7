import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { parseListenerArn, parseTargetGroupArn } from '../lambdas/shared/arns';
import type { CanaryThresholds, RollbackTrigger } from '../lambdas/shared/cutover-contracts';
import { GREEN_ERROR_METRIC_IDS, greenErrorRateExpressions } from '../lambdas/shared/green-errors';

/**
 * Properties of the cutover alarms.
 */
export interface CutoverAlarmsProps {
  /** Prefix of every alarm name (the stack name), so that the names are known before deployment. */
  readonly alarmNamePrefix: string;
  /** The listener; its load balancer is the `LoadBalancer` dimension. */
  readonly listenerArn: string;
  /** Both target groups: each gets its own alarms, since the roles swap every deployment. */
  readonly targetGroupArns: readonly string[];
  /** The database whose connections are watched. */
  readonly database: { readonly kind: 'instance' | 'cluster'; readonly identifier: string };
  /** The database's max_connections. */
  readonly databaseMaxConnections: number;
  /** Thresholds, resolved (defaults applied). */
  readonly thresholds: CanaryThresholds;
}

/** The alarms of one target group. */
export interface TargetGroupAlarms {
  readonly targetGroupArn: string;
  readonly errorRate: cloudwatch.Alarm;
  readonly p95Latency: cloudwatch.Alarm;
  /** The group has no healthy target: every request it gets fails, whatever its error metrics say yet. */
  readonly noHealthyTargets: cloudwatch.Alarm;
}

/**
 * CloudWatch alarms that drive the automatic rollback (through EventBridge and the alarm listener), per target group
 * and for the database:
 * - error rate: the group's errors as lambdas/shared/green-errors.ts counts them (target 5xx, connection errors and
 *   the load balancer's own 5xx above the configured baseline), 60 s periods, above the threshold in N of N periods;
 * - p95 `TargetResponseTime` above the latency threshold for one 60 s period;
 * - no healthy target: `HealthyHostCount` (Minimum) below 1 for one 60 s period;
 * - `DatabaseConnections` (Maximum) of the instance, or of a cluster's writer, above the share of max_connections for
 *   one 60 s period.
 * Missing data is not breaching: ALB publishes nothing while no request flows, and an idle green is not failing. The
 * idle side's no-healthy-target alarm may sit in ALARM while it is scaled in (when a 0 is published for a group without
 * targets): the alarm listener only acts on alarms of a group that carries weight, and the rule reacts to state
 * changes, so green getting healthy and then losing its targets is seen. The load balancer's own 5xx belong to no
 * target group: a crashing green also raises the live side's error-rate alarm, which the listener ignores (rolling
 * back to the live side is what it would ask for).
 */
export class CutoverAlarms extends Construct {
  readonly byTargetGroup: readonly TargetGroupAlarms[];
  readonly databaseConnections: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CutoverAlarmsProps) {
    super(scope, id);
    const loadBalancer = parseListenerArn(props.listenerArn).loadBalancerFullName;
    const period = Duration.seconds(60);
    const { thresholds } = props;

    this.byTargetGroup = props.targetGroupArns.map((targetGroupArn) => {
      const group = parseTargetGroupArn(targetGroupArn);
      const dimensionsMap = { LoadBalancer: loadBalancer, TargetGroup: group.fullName };
      const albMetric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap, statistic, period });

      const balancerMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName,
          dimensionsMap: { LoadBalancer: loadBalancer },
          statistic: 'Sum',
          period,
        });
      const expressions = greenErrorRateExpressions(thresholds.loadBalancerErrorBaselinePercent);
      const ids = GREEN_ERROR_METRIC_IDS;
      const excess = new cloudwatch.MathExpression({
        expression: expressions.excess,
        usingMetrics: {
          [ids.loadBalancerErrors]: balancerMetric('HTTPCode_ELB_5XX_Count'),
          [ids.loadBalancerRequests]: balancerMetric('RequestCount'),
        },
        period,
        label: 'load-balancer 5xx above baseline',
      });
      const errors = new cloudwatch.MathExpression({
        expression: expressions.errors,
        usingMetrics: {
          [ids.targetErrors]: albMetric('HTTPCode_Target_5XX_Count', 'Sum'),
          [ids.connectionErrors]: albMetric('TargetConnectionErrorCount', 'Sum'),
          excess,
        },
        period,
        label: `${group.name} errors`,
      });
      const errorRate = new cloudwatch.Alarm(this, `${group.name}ErrorRate`, {
        alarmName: `${props.alarmNamePrefix}-${group.name}-error-rate`,
        alarmDescription:
          `DeploymentCrew: error rate of ${group.name} (target 5xx, connection errors, load-balancer 5xx above ` +
          `${thresholds.loadBalancerErrorBaselinePercent} %) above ${thresholds.errorRatePercent} % for ` +
          `${thresholds.errorRateBreachPeriods} minutes`,
        metric: new cloudwatch.MathExpression({
          expression: expressions.rate,
          usingMetrics: { [ids.requests]: albMetric('RequestCount', 'Sum'), errors },
          period,
          label: `${group.name} error rate (%)`,
        }),
        threshold: thresholds.errorRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: thresholds.errorRateBreachPeriods,
        datapointsToAlarm: thresholds.errorRateBreachPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      const p95Latency = new cloudwatch.Alarm(this, `${group.name}P95Latency`, {
        alarmName: `${props.alarmNamePrefix}-${group.name}-p95-latency`,
        alarmDescription: `DeploymentCrew: p95 response time of ${group.name} above ${thresholds.p95LatencyMs} ms`,
        metric: albMetric('TargetResponseTime', 'p95'),
        threshold: thresholds.p95LatencyMs / 1000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      const noHealthyTargets = new cloudwatch.Alarm(this, `${group.name}NoHealthyTargets`, {
        alarmName: `${props.alarmNamePrefix}-${group.name}-no-healthy-targets`,
        alarmDescription: `DeploymentCrew: ${group.name} has no healthy target`,
        metric: albMetric('HealthyHostCount', 'Minimum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      return { targetGroupArn, errorRate, p95Latency, noHealthyTargets };
    });

    // A cluster's DatabaseConnections without Role is every instance's; the writer's is what saturates.
    const databaseDimensions: Record<string, string> =
      props.database.kind === 'instance'
        ? { DBInstanceIdentifier: props.database.identifier }
        : { DBClusterIdentifier: props.database.identifier, Role: 'WRITER' };
    this.databaseConnections = new cloudwatch.Alarm(this, 'DatabaseConnections', {
      alarmName: `${props.alarmNamePrefix}-db-connections`,
      alarmDescription: `DeploymentCrew: ${props.database.identifier} connections above ${thresholds.dbConnectionsPercent} % of ${props.databaseMaxConnections}`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName: 'DatabaseConnections',
        dimensionsMap: databaseDimensions,
        statistic: 'Maximum',
        period,
      }),
      threshold: (props.databaseMaxConnections * thresholds.dbConnectionsPercent) / 100,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Every alarm name, for the EventBridge rule. */
  get alarmNames(): string[] {
    return [
      ...this.byTargetGroup.flatMap((alarms) => [
        alarms.errorRate.alarmName,
        alarms.p95Latency.alarmName,
        alarms.noHealthyTargets.alarmName,
      ]),
      this.databaseConnections.alarmName,
    ];
  }

  /**
   * Alarm name → what it watches and the trigger a rollback it starts is recorded as. The database alarm watches no
   * target group; `extraAlarmNames` are not in here (the alarm listener records them as ALARM).
   */
  get alarmRoutes(): Record<string, { readonly targetGroupArn: string | null; readonly trigger: RollbackTrigger }> {
    return Object.fromEntries([
      ...this.byTargetGroup.flatMap((alarms) => [
        [alarms.errorRate.alarmName, { targetGroupArn: alarms.targetGroupArn, trigger: 'ERROR_RATE' as const }],
        [alarms.p95Latency.alarmName, { targetGroupArn: alarms.targetGroupArn, trigger: 'LATENCY' as const }],
        [
          alarms.noHealthyTargets.alarmName,
          { targetGroupArn: alarms.targetGroupArn, trigger: 'HEALTH_CHECK_FAILED' as const },
        ],
      ]),
      [this.databaseConnections.alarmName, { targetGroupArn: null, trigger: 'DB_CONNECTIONS' as const }],
    ]);
  }
}
