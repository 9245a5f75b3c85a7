import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  POST_DEPLOYMENT_VERIFIER_CONFIG,
  type PostDeploymentVerifierConfigInput,
} from '../../lambdas/shared/config/post-deployment-verifier';
import { snapshotPrefixFor } from '../../lambdas/shared/rds-names';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig, ResolvedPostDeployment } from '../config/resolve-config';
import { ROLLBACK_VERIFY_SECONDS } from '../config/time-budget';
import type { CutoverAlarms } from '../cutover-alarms';
import { ApplicationArns } from '../iam/application-arns';
import { acknowledgeReadOnlyWildcards, listenerStatements, lockItems, tableStatement } from '../iam/shared-statements';

/** Lambda's longest timeout. */
const MAX_TIMEOUT_SECONDS = 900;
/** Besides the suite: secrets, the monitoring check's and the dry run's calls, a re-asserted rollback. */
const NON_SUITE_SECONDS = 120;
/**
 * Lambda allows 4 KB of environment variables per function (names and values); the logger's take some, and the
 * tokens in here (table name, role ARN) resolve to longer strings than their placeholders.
 */
const MAX_CONFIG_CHARACTERS = 3_500;

/**
 * Properties of the PostDeploymentVerifier.
 */
export interface PostDeploymentVerifierAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the lock (read after the dry run for rollback requests). */
  readonly table: dynamodb.ITableV2;
  /** The pipeline's alarms, checked to exist, have actions enabled and have data. */
  readonly alarms: CutoverAlarms;
  /** The deployment dashboard's name, checked to exist. */
  readonly dashboardName: string;
  /** The RollbackCoordinator's role: the dry run simulates its rollback actions on it. */
  readonly coordinatorRole: iam.IRole;
  /** `postDeployment` as resolved (resolveConfig): the suite, the URLs, the monitoring and dry-run settings. */
  readonly postDeployment: ResolvedPostDeployment;
  /** The IAM actions a rollback takes with the coordinator's role (the stack knows them from that construct). */
  readonly coordinatorRollbackActions: readonly string[];
  /**
   * Per action, the resources its simulation names; an action not listed is simulated on `*`.
   * @default - every action on `*`
   */
  readonly coordinatorRollbackResources?: Readonly<Record<string, readonly string[]>>;
}

/**
 * PostDeploymentVerifier: the smoke suite against green (test listener) and production, the monitoring check, and
 * the rollback dry run (which re-applies the listener's current default action, and restores live again when a
 * rollback may have been overwritten by that).
 */
export class PostDeploymentVerifierAgent extends AgentFunction {
  constructor(scope: Construct, id: string, props: PostDeploymentVerifierAgentProps) {
    const { config, postDeployment } = props;
    const timeoutSeconds = Math.min(
      MAX_TIMEOUT_SECONDS,
      Math.max(60, Math.ceil(postDeployment.suiteWorstCaseSeconds) + NON_SUITE_SECONDS),
    );
    const environment = POST_DEPLOYMENT_VERIFIER_CONFIG.environment(verifierConfigFor(props));
    const size = Object.entries(environment).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
    if (size > MAX_CONFIG_CHARACTERS) {
      throw new Error(
        `postDeployment: the verifier's configuration is ${size} characters, over ${MAX_CONFIG_CHARACTERS} (Lambda ` +
          'allows 4 KB of environment variables in all): shorten the smoke suite',
      );
    }
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'post-deployment-verifier',
      description: 'DeploymentCrew PostDeploymentVerifier: smoke suites, monitoring check, rollback dry run',
      environment,
      timeout: Duration.seconds(timeoutSeconds),
      invokedSynchronouslyBy: 'Step Functions',
    });
    const arns = new ApplicationArns(config.where);
    const snapshots = snapshotArns(arns, config, snapshotPrefixFor(Stack.of(scope).stackName));
    const logGroups = postDeployment.logGroupNames.flatMap((name) => logGroupArns(arns, name));
    for (const statement of [
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: monitoredAlarms(props).map((name) => arns.alarm(name)),
      }),
      new iam.PolicyStatement({
        actions: ['cloudwatch:GetDashboard'],
        // Dashboards are global: no region in their ARN.
        resources: [
          `arn:${config.where.partition}:cloudwatch::${config.where.account}:dashboard/${props.dashboardName}`,
        ],
      }),
      ...(logGroups.length === 0
        ? []
        : [new iam.PolicyStatement({ actions: ['logs:DescribeLogStreams'], resources: logGroups })]),
      // The dry run re-applies the default action; the race guard's restoreLive writes and confirms it.
      ...listenerStatements(config.listenerArn, ['DescribeListeners', 'DescribeTargetHealth']),
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServices'],
        resources: config.ecs.services.map((service) =>
          arns.ecs('service', `${config.ecs.clusterName}/${service.serviceName}`),
        ),
      }),
      new iam.PolicyStatement({
        actions: [config.database.kind === 'instance' ? 'rds:DescribeDBSnapshots' : 'rds:DescribeDBClusterSnapshots'],
        resources: [snapshots],
      }),
      new iam.PolicyStatement({ actions: ['iam:SimulatePrincipalPolicy'], resources: [props.coordinatorRole.roleArn] }),
      ...(postDeployment.secretArns.length === 0
        ? []
        : [
            new iam.PolicyStatement({
              actions: ['secretsmanager:GetSecretValue'],
              resources: [...postDeployment.secretArns],
            }),
          ]),
      ...secretsKeyStatements(postDeployment.secretsKmsKeyArns),
      tableStatement(props.table, lockItems(config.lockKey), 'GetItem'),
    ]) {
      this.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(this.role, 'elasticloadbalancing:DescribeListeners/DescribeTargetHealth');
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${snapshots}]`,
        reason:
          'DescribeDB(Cluster)Snapshots (read-only) on the snapshots this stack names itself (its own prefix): the ' +
          "deployment's snapshot identifier is only known at run time.",
      },
      ...postDeployment.logGroupNames.map((name) => ({
        id: `AwsSolutions-IAM5[Resource::${arns.arn('logs', `log-group:${name}:*`)}]`,
        reason:
          `logs:DescribeLogStreams (read-only) on the one log group ${name}: CloudWatch Logs evaluates it on ` +
          '`log-group:<name>:log-stream:`, which only the `:*` form matches.',
      })),
    );
  }
}

/** kms:Decrypt on the secrets' keys, only when Secrets Manager calls KMS for the verifier (one statement per region). */
function secretsKeyStatements(keyArns: readonly string[]): iam.PolicyStatement[] {
  const byRegion = new Map<string, string[]>();
  for (const arn of keyArns) {
    const region = arn.split(':')[3] ?? '';
    byRegion.set(region, [...(byRegion.get(region) ?? []), arn]);
  }
  return [...byRegion].map(
    ([region, resources]) =>
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources,
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
  );
}

/** Every alarm the pipeline relies on: the cutover alarms and the extra alarms. */
function monitoredAlarms(props: PostDeploymentVerifierAgentProps): string[] {
  return [...new Set([...props.alarms.alarmNames, ...props.config.extraAlarmNames])];
}

/** The service authorization reference's log-group ARN, and the `:*` form the service evaluates DescribeLogStreams on. */
function logGroupArns(arns: ApplicationArns, name: string): string[] {
  return [arns.arn('logs', `log-group:${name}`), arns.arn('logs', `log-group:${name}:*`)];
}

function snapshotArns(arns: ApplicationArns, config: ResolvedCrewConfig, prefix: string): string {
  return arns.rds(config.database.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', `${prefix}*`);
}

function verifierConfigFor(props: PostDeploymentVerifierAgentProps): PostDeploymentVerifierConfigInput {
  const { config, postDeployment } = props;
  return {
    // As written: the function applies the defaults when it reads them, and Lambda's environment is small.
    suite: [...postDeployment.suiteInput],
    productionUrl: postDeployment.productionUrl,
    testListenerUrl: postDeployment.testListenerUrl,
    extraHeaders: { ...postDeployment.greenHeaders },
    monitoring: {
      alarmNames: monitoredAlarms(props),
      dashboardName: props.dashboardName,
      logGroupNames: [...postDeployment.logGroupNames],
      logsRecentWithinMinutes: postDeployment.logsRecentWithinMinutes,
      onMissing: postDeployment.onMissingMonitoring,
    },
    dryRun: {
      clusterName: config.ecs.clusterName,
      coordinatorRoleArn: props.coordinatorRole.roleArn,
      rollbackActions: [...props.coordinatorRollbackActions],
      rollbackResources: Object.fromEntries(
        Object.entries(props.coordinatorRollbackResources ?? {}).map(([action, resources]) => [action, [...resources]]),
      ),
      minHealthyTargets: postDeployment.minHealthyTargets,
      expectedDesiredCount: postDeployment.expectedDesiredCount,
      rollbackVerifySeconds: ROLLBACK_VERIFY_SECONDS,
    },
    listenerArn: config.listenerArn,
    tableName: props.table.tableName,
    lockKey: config.lockKey,
  };
}
