import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ORCHESTRATOR_CONFIG, type OrchestratorConfig } from '../../lambdas/shared/config/blue-green-orchestrator';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { BASELINE_MINUTES, METRICS_EXPECTED_DELAY_SECONDS } from '../config/time-budget';
import type { CutoverAlarms } from '../cutover-alarms';
import { ApplicationArns } from '../iam/application-arns';
import { acknowledgeReadOnlyWildcards, listenerStatements, lockItems, tableStatement } from '../iam/shared-statements';

/**
 * Properties of the BlueGreenOrchestrator.
 */
export interface BlueGreenOrchestratorAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the lock (the rendezvous with the alarm listener). */
  readonly table: dynamodb.ITableV2;
  /** The alarms whose state the verdict reads. */
  readonly alarms: CutoverAlarms;
}

/**
 * BlueGreenOrchestrator: which side is green, green's ECS service and task definition, the migration task, and the
 * canary's traffic shifts on the listener, each judged by the verdict over CloudWatch numbers and alarm states.
 */
export class BlueGreenOrchestratorAgent extends AgentFunction {
  constructor(scope: Construct, id: string, props: BlueGreenOrchestratorAgentProps) {
    const { config } = props;
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'blue-green-orchestrator',
      description: 'DeploymentCrew BlueGreenOrchestrator: green provisioning, migrations, canary traffic shifts',
      environment: ORCHESTRATOR_CONFIG.environment(orchestratorConfigFor(props)),
      timeout: Duration.seconds(60),
      invokedSynchronouslyBy: 'Step Functions',
    });
    const arns = new ApplicationArns(config.where);
    for (const statement of [
      // Phase changes and confirmed shifts, on the crew's bus only.
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [arns.arn('events', `event-bus/${config.eventBusName}`)],
      }),
      // resolveSides reads the rules too (no rule may forward to green); shifts read target health.
      ...listenerStatements(config.listenerArn, ['DescribeListeners', 'DescribeRules', 'DescribeTargetHealth']),
      ...ecsStatements(arns, config),
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      // On *: composite alarms (an extra alarm may be one) are described only to a permission scoped to * (API reference).
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
      tableStatement(props.table, lockItems(config.lockKey), 'GetItem', 'UpdateItem'),
    ]) {
      this.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.role,
      'elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth, cloudwatch:GetMetricData, ' +
        'cloudwatch:DescribeAlarms (composite alarms need *), ecs:DescribeTaskDefinition',
    );
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${arns.ecs('task-definition', `${config.ecs.taskDefinitionFamily}:*`)}]`,
        reason:
          'Revisions of the one configured task definition family: each deployment registers a new revision, ' +
          'whose number is only known at run time. RunTask is further limited to the cluster by condition.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${arns.ecs('task', `${config.ecs.clusterName}/*`)}]`,
        reason: 'DescribeTasks (read-only) on the migration task, whose id is only known at run time, in this cluster.',
      },
    );
  }
}

function orchestratorConfigFor(props: BlueGreenOrchestratorAgentProps): OrchestratorConfig {
  const { config, alarms } = props;
  return {
    listenerArn: config.listenerArn,
    sides: config.ecs.services.map((service) => ({
      targetGroupArn: service.targetGroupArn,
      serviceName: service.serviceName,
    })),
    clusterName: config.ecs.clusterName,
    taskDefinitionFamily: config.ecs.taskDefinitionFamily,
    migrationCommand: config.migrationCommand,
    thresholds: config.thresholds,
    inconclusiveAllowance: config.inconclusiveAllowance,
    database: config.database,
    dbMaxConnections: config.databaseMaxConnections,
    alarms: {
      byTargetGroup: Object.fromEntries(
        alarms.byTargetGroup.map((group) => [
          group.targetGroupArn,
          [group.errorRate.alarmName, group.p95Latency.alarmName, group.noHealthyTargets.alarmName],
        ]),
      ),
      shared: [alarms.databaseConnections.alarmName, ...config.extraAlarmNames],
    },
    metrics: {
      maxWaitSeconds: config.metricsMaxWaitSeconds,
      expectedDelaySeconds: METRICS_EXPECTED_DELAY_SECONDS,
      baselineMinutes: BASELINE_MINUTES,
    },
    alarmTriggers: Object.fromEntries(
      Object.entries(alarms.alarmRoutes).map(([alarmName, route]) => [alarmName, route.trigger]),
    ),
    tableName: props.table.tableName,
    lockKey: config.lockKey,
    eventBusName: config.eventBusName,
  };
}

/** ECS permissions of the environment provisioner: the two services, the family, the cluster, the two roles. */
function ecsStatements(arns: ApplicationArns, config: ResolvedCrewConfig): iam.PolicyStatement[] {
  const { clusterName, taskDefinitionFamily, services, passRoleArns } = config.ecs;
  const serviceArns = services.map((service) => arns.ecs('service', `${clusterName}/${service.serviceName}`));
  const family = arns.ecs('task-definition', `${taskDefinitionFamily}:*`);
  return [
    new iam.PolicyStatement({ actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: serviceArns }),
    new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
    new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: [family] }),
    // The new revision carries live's tags; tagging is allowed only as part of registering it.
    new iam.PolicyStatement({
      actions: ['ecs:TagResource'],
      resources: [family],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    }),
    new iam.PolicyStatement({
      actions: ['ecs:RunTask'],
      resources: [family],
      conditions: { ArnEquals: { 'ecs:cluster': arns.ecs('cluster', clusterName) } },
    }),
    new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [arns.ecs('task', `${clusterName}/*`)] }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [...passRoleArns],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  ];
}
