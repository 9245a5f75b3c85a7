import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { parseListenerArn, parseTargetGroupArn } from '../lambdas/shared/arns';
import type { CanaryThresholds } from '../lambdas/shared/cutover-contracts';

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
}

/**
 * CloudWatch alarms that drive the automatic rollback (through EventBridge and the alarm listener), per target group
 * and for the database:
 * - error rate: metric math `100 * HTTPCode_Target_5XX_Count / RequestCount` (0 without requests), 60 s periods,
 *   above the threshold in N of N periods;
 * - p95 `TargetResponseTime` above the latency threshold for one 60 s period;
 * - `DatabaseConnections` (Maximum) above the share of max_connections for one 60 s period.
 * Missing data is not breaching: ALB publishes nothing while no request flows, and an idle green is not failing.
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

      const errorRate = new cloudwatch.Alarm(this, `${group.name}ErrorRate`, {
        alarmName: `${props.alarmNamePrefix}-${group.name}-error-rate`,
        alarmDescription: `DeploymentCrew: 5xx rate of ${group.name} above ${thresholds.errorRatePercent} % for ${thresholds.errorRateBreachPeriods} minutes`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          usingMetrics: {
            errors: albMetric('HTTPCode_Target_5XX_Count', 'Sum'),
            requests: albMetric('RequestCount', 'Sum'),
          },
          period,
          label: `${group.name} 5xx rate (%)`,
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
      return { targetGroupArn, errorRate, p95Latency };
    });

    const dimension = props.database.kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier';
    this.databaseConnections = new cloudwatch.Alarm(this, 'DatabaseConnections', {
      alarmName: `${props.alarmNamePrefix}-db-connections`,
      alarmDescription: `DeploymentCrew: ${props.database.identifier} connections above ${thresholds.dbConnectionsPercent} % of ${props.databaseMaxConnections}`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName: 'DatabaseConnections',
        dimensionsMap: { [dimension]: props.database.identifier },
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
      ...this.byTargetGroup.flatMap((alarms) => [alarms.errorRate.alarmName, alarms.p95Latency.alarmName]),
      this.databaseConnections.alarmName,
    ];
  }

  /** Alarm name → the target group it watches (the database alarm watches none). */
  get targetGroupOfAlarm(): Record<string, string> {
    return Object.fromEntries(
      this.byTargetGroup.flatMap((alarms) => [
        [alarms.errorRate.alarmName, alarms.targetGroupArn],
        [alarms.p95Latency.alarmName, alarms.targetGroupArn],
      ]),
    );
  }
}
