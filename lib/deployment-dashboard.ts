import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { parseListenerArn, parseTargetGroupArn } from '../lambdas/shared/arns';
import type { CanaryThresholds } from '../lambdas/shared/cutover-contracts';
import { GREEN_ERROR_METRIC_IDS, greenErrorRateExpressions } from '../lambdas/shared/green-errors';
import { PROBE_METRIC } from '../lambdas/shared/probe-metrics';
import type { CutoverAlarms } from './cutover-alarms';

/**
 * Properties of the deployment dashboard.
 */
export interface DeploymentDashboardProps {
  /**
   * The dashboard's name (letters, digits, `-` and `_`): known before deployment, so the report can link it.
   * @default `${stackName}-deployment`
   */
  readonly dashboardName?: string;
  /** The listener; its load balancer is the `LoadBalancer` dimension. */
  readonly listenerArn: string;
  /** Both target groups (the roles swap every deployment, so both are always drawn). */
  readonly targetGroupArns: readonly string[];
  /** The database whose connections are drawn: an instance, or a cluster's writer. */
  readonly database: { readonly kind: 'instance' | 'cluster'; readonly identifier: string };
  /** The database's max_connections. */
  readonly databaseMaxConnections: number;
  /** Thresholds, resolved (defaults applied): drawn as horizontal lines, and the error count's baseline. */
  readonly thresholds: CanaryThresholds;
  /** The alarms that drive the automatic rollback. */
  readonly alarms: CutoverAlarms;
  /**
   * Further alarms that roll a deployment back (the stack's `extraAlarmNames`), shown with the others.
   * @default [] (none)
   */
  readonly extraAlarmNames?: readonly string[];
  /**
   * Period of the ALB and RDS graphs (ALB publishes per minute; a shorter period only shows gaps).
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
  /**
   * Period of the probe graphs (the prober publishes at 1-second resolution, a round every few seconds).
   * @default Duration.seconds(10)
   */
  readonly probePeriod?: Duration;
  /**
   * The time range shown when the dashboard opens.
   * @default '-PT3H' (the last three hours)
   */
  readonly start?: string;
}

const WIDTH = 24;

/**
 * The CloudWatch dashboard of the cutover: traffic share per target group, error rate per target group counted as
 * lambdas/shared/green-errors.ts counts it (the alarm's metric math), p95 response time, healthy hosts, DB connections
 * (the writer's, for a cluster), the prober's results, and the state of every rollback alarm.
 */
export class DeploymentDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: DeploymentDashboardProps) {
    super(scope, id);
    if (props.targetGroupArns.length === 0) throw new Error('the dashboard needs the target groups');
    const loadBalancer = parseListenerArn(props.listenerArn).loadBalancerFullName;
    const period = props.period ?? Duration.minutes(1);
    const probePeriod = props.probePeriod ?? Duration.seconds(10);
    const { thresholds } = props;
    this.dashboardName = props.dashboardName ?? `${Stack.of(this).stackName}-deployment`;

    const groups = props.targetGroupArns.map((arn) => parseTargetGroupArn(arn));
    const balancerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApplicationELB',
        metricName,
        dimensionsMap: { LoadBalancer: loadBalancer },
        statistic: 'Sum',
        period,
      });
    const groupMetric = (fullName: string, metricName: string, statistic: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApplicationELB',
        metricName,
        dimensionsMap: { LoadBalancer: loadBalancer, TargetGroup: fullName },
        statistic,
        period,
        ...(label === undefined ? {} : { label }),
      });

    // Share of the load balancer's requests; FILL because ALB publishes no zero counts.
    const trafficShare = groups.map(
      (group, index) =>
        new cloudwatch.MathExpression({
          expression: `IF(FILL(elb, 0) > 0, 100 * FILL(tg${index}, 0) / FILL(elb, 0), 0)`,
          usingMetrics: {
            [`tg${index}`]: groupMetric(group.fullName, 'RequestCount', 'Sum'),
            elb: balancerMetric('RequestCount'),
          },
          period,
          label: `${group.name} (% of requests)`,
        }),
    );

    const expressions = greenErrorRateExpressions(thresholds.loadBalancerErrorBaselinePercent);
    const ids = GREEN_ERROR_METRIC_IDS;
    // One widget per group: the expressions use fixed ids, which must be unique within a widget.
    const errorRates = groups.map((group) => {
      const excess = new cloudwatch.MathExpression({
        expression: expressions.excess,
        usingMetrics: {
          [ids.loadBalancerErrors]: balancerMetric('HTTPCode_ELB_5XX_Count'),
          [ids.loadBalancerRequests]: balancerMetric('RequestCount'),
        },
        period,
      });
      const errors = new cloudwatch.MathExpression({
        expression: expressions.errors,
        usingMetrics: {
          [ids.targetErrors]: groupMetric(group.fullName, 'HTTPCode_Target_5XX_Count', 'Sum'),
          [ids.connectionErrors]: groupMetric(group.fullName, 'TargetConnectionErrorCount', 'Sum'),
          excess,
        },
        period,
      });
      return new cloudwatch.GraphWidget({
        title: `Error rate of ${group.name} (%)`,
        width: Math.max(6, Math.floor(WIDTH / groups.length)),
        left: [
          new cloudwatch.MathExpression({
            expression: expressions.rate,
            usingMetrics: { [ids.requests]: groupMetric(group.fullName, 'RequestCount', 'Sum'), errors },
            period,
            label: `${group.name} error rate (%)`,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        leftAnnotations: [
          { value: thresholds.errorRatePercent, label: 'rollback', color: cloudwatch.Color.RED },
          { value: thresholds.promoteErrorRatePercent, label: 'promote below', color: cloudwatch.Color.ORANGE },
        ],
      });
    });

    const databaseDimensions: Record<string, string> =
      props.database.kind === 'instance'
        ? { DBInstanceIdentifier: props.database.identifier }
        : { DBClusterIdentifier: props.database.identifier, Role: 'WRITER' };
    const probeSearch = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${PROBE_METRIC.namespace},Deployment,TargetGroup} MetricName="${metricName}"', '${statistic}', ${probePeriod.toSeconds()})`,
        usingMetrics: {},
        period: probePeriod,
        label,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      start: props.start ?? '-PT3H',
      widgets: [
        [
          new cloudwatch.TextWidget({
            width: WIDTH,
            height: 2,
            markdown:
              '## DeploymentCrew cutover\n' +
              `Error rate as the rollback alarms count it: target 5xx + max(connection errors, load-balancer 5xx above ${thresholds.loadBalancerErrorBaselinePercent} %) ` +
              "per request; the canary verdict uses the load balancer's baseline measured before the first shift.",
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Traffic share per target group (%)',
            width: WIDTH / 2,
            left: trafficShare,
            leftYAxis: { min: 0, max: 100, showUnits: false },
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Rollback alarms',
            width: WIDTH / 2,
            alarms: [
              ...props.alarms.byTargetGroup.flatMap((alarms) => [
                alarms.errorRate,
                alarms.p95Latency,
                alarms.noHealthyTargets,
              ]),
              props.alarms.databaseConnections,
              ...(props.extraAlarmNames ?? []).map((name, index) =>
                cloudwatch.Alarm.fromAlarmName(this, `ExtraAlarm${index}`, name),
              ),
            ],
          }),
        ],
        errorRates,
        [
          new cloudwatch.GraphWidget({
            title: 'p95 response time (s)',
            width: WIDTH / 3,
            left: groups.map((group) => groupMetric(group.fullName, 'TargetResponseTime', 'p95', `${group.name} p95`)),
            leftAnnotations: [
              { value: thresholds.p95LatencyMs / 1000, label: 'rollback', color: cloudwatch.Color.RED },
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Healthy targets',
            width: WIDTH / 3,
            left: groups.map((group) => groupMetric(group.fullName, 'HealthyHostCount', 'Minimum', `${group.name}`)),
            leftYAxis: { min: 0, showUnits: false },
          }),
          new cloudwatch.GraphWidget({
            title: `DB connections (${props.database.identifier}${props.database.kind === 'cluster' ? ', writer' : ''})`,
            width: WIDTH / 3,
            left: [
              new cloudwatch.Metric({
                namespace: 'AWS/RDS',
                metricName: 'DatabaseConnections',
                dimensionsMap: databaseDimensions,
                statistic: 'Maximum',
                period,
              }),
            ],
            leftYAxis: { min: 0, showUnits: false },
            leftAnnotations: [
              {
                value: (props.databaseMaxConnections * thresholds.dbConnectionsPercent) / 100,
                label: `rollback (${thresholds.dbConnectionsPercent} % of max)`,
                color: cloudwatch.Color.RED,
              },
              { value: props.databaseMaxConnections, label: 'max_connections', color: cloudwatch.Color.GREY },
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Probe success (1 = passed), per deployment and target group',
            width: WIDTH / 2,
            left: [probeSearch(PROBE_METRIC.success, 'Minimum', 'probe success')],
            leftYAxis: { min: 0, max: 1, showUnits: false },
          }),
          new cloudwatch.GraphWidget({
            title: 'Probe latency (ms, slowest step of a round)',
            width: WIDTH / 2,
            left: [probeSearch(PROBE_METRIC.latency, 'Maximum', 'probe latency')],
            leftYAxis: { min: 0, showUnits: false },
          }),
        ],
      ],
    });
  }

  /** The dashboard in the CloudWatch console (for the report and a stack output). */
  get dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboardName}`;
  }
}
