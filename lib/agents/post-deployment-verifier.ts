import { type CfnElement, Duration, Stack, Tokenization, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type { Construct } from 'constructs';
import { POST_DEPLOYMENT_VERIFIER_CONFIG } from '../../lambdas/shared/config/post-deployment-verifier';
import { PROBE_METRIC } from '../../lambdas/shared/probe-metrics';
import { snapshotPrefixFor } from '../../lambdas/shared/rds-names';
import { PROBE_LEDGER_PK_PREFIX } from '../../lambdas/shared/state-table';
import type { SimulationContextEntry } from '../../lambdas/shared/verification';
import { AgentFunction } from '../agent-function';
import type { ChairmanNotifications } from '../chairman-notifications';
import type { ResolvedCrewConfig, ResolvedPostDeployment } from '../config/resolve-config';
import { VERIFIER_TIMEOUT_SECONDS } from '../config/time-budget';
import type { CutoverAlarms } from '../cutover-alarms';
import { ApplicationArns } from '../iam/application-arns';
import { acknowledgeReadOnlyWildcards, listenerStatements, lockItems, tableStatement } from '../iam/shared-statements';
import { REPORT_KEY_PREFIX, type ReportBucket } from '../report-bucket';
import { WatchedDeadLetterQueue } from '../watched-dead-letter-queue';
import { verifierConfigFor } from './post-deployment-verifier-config';

// Where the tests and callers have always found it.
export { type CompactRollbackGrants, compactRollbackGrants } from './post-deployment-verifier-config';

/** Lambda's retries of a failed probe invocation: a retry probes only what is left of its window. */
const PROBE_RETRY_ATTEMPTS = 2;
/** Besides the suite: secrets, the monitoring check's and the dry run's calls, a re-asserted rollback. */
const NON_SUITE_SECONDS = 120;
/**
 * Lambda allows 4 KB of environment variables per function (names and values); the logger's take some, and the
 * tokens in here (table, bucket and function names, role and key ARNs) resolve to longer strings than their
 * placeholders.
 */
const MAX_CONFIG_CHARACTERS = 3_500;

/**
 * Properties of the PostDeploymentVerifier.
 */
export interface PostDeploymentVerifierAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /**
   * The ARN pattern of the state machine's executions (`…:execution:<name>:*`): the report counts an execution's
   * state transitions from its history.
   */
  readonly executionsArn: string;
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
  /**
   * Per conditioned action, the condition-key values its simulation is given (a conditioned allow simulates as
   * implicitDeny without them).
   * @default - no context
   */
  readonly coordinatorRollbackContext?: Readonly<Record<string, readonly SimulationContextEntry[]>>;
  /**
   * The alarm listener the prober reports "green is down" to. Only its name goes into the configuration: the invoke
   * grant is the listener's own (`RollbackTriggerAgent.allowProbeReports`).
   */
  readonly rollbackTrigger: lambda.IFunction;
  /** Where the deployment report is written (`reports/*`). */
  readonly reports: ReportBucket;
  /** The deployment dashboard's console URL, linked from the report. */
  readonly dashboardUrl: string;
  /** The Chairman's topic: told when a prober invocation fails after Lambda's retries. */
  readonly notifications: ChairmanNotifications;
}

/**
 * PostDeploymentVerifier: the smoke suite against green (test listener) and production, the prober (green's probe
 * steps every few seconds during each bake and the post-promotion watch, reported to the alarm listener), the
 * monitoring check, the rollback dry run (which re-applies the listener's current default action, and restores live
 * again when a rollback may have been overwritten by that), and the deployment report.
 */
export class PostDeploymentVerifierAgent extends AgentFunction {
  /** PutMetricData in the probe namespace and the self-invocation: apart from the default policy (no cycle). */
  readonly probePolicy: iam.Policy;
  /** The network interfaces of the VPC placement; undefined outside a VPC. */
  readonly networkInterfacePolicy: iam.Policy | undefined;
  /** Probe invocations (asynchronous) that failed after Lambda's retries. */
  readonly failedProbes: WatchedDeadLetterQueue;

  constructor(scope: Construct, id: string, props: PostDeploymentVerifierAgentProps) {
    const { config, postDeployment } = props;
    // The prober runs up to ~14 minutes per invocation: the timeout is Lambda's longest, and one run holds the suite.
    if (postDeployment.suiteWorstCaseSeconds + NON_SUITE_SECONDS > VERIFIER_TIMEOUT_SECONDS) {
      throw new Error(
        `postDeployment.smokeSuite: ${postDeployment.suiteWorstCaseSeconds} s of steps and ${NON_SUITE_SECONDS} s ` +
          `for the checks do not fit in the verifier's ${VERIFIER_TIMEOUT_SECONDS} s`,
      );
    }
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
      timeout: Duration.seconds(VERIFIER_TIMEOUT_SECONDS),
      vpc: postDeployment.vpc?.vpc,
      vpcSubnets: postDeployment.vpc?.subnets,
      securityGroups: postDeployment.vpc?.securityGroups,
    });
    const arns = new ApplicationArns(config.where);
    const snapshots = snapshotArns(arns, config, snapshotPrefixFor(Stack.of(scope).stackName));
    const logGroups = postDeployment.logGroupNames.flatMap((name) => logGroupArns(arns, name));
    for (const statement of [
      // On *: composite alarms (an extra alarm may be one) are described only to a permission scoped to * (API reference).
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
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
      // The report's state transitions: this state machine's executions' history, read-only.
      new iam.PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: [props.executionsArn] }),
      // The probe ledger: its own partitions (PROBES#<deployment>), never the lock's.
      tableStatement(props.table, { partitionKeyPrefix: PROBE_LEDGER_PK_PREFIX }, 'GetItem', 'UpdateItem'),
    ]) {
      this.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.role,
      'elasticloadbalancing:DescribeListeners/DescribeTargetHealth, cloudwatch:DescribeAlarms (composite alarms need *)',
    );
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceOf(this, props.executionsArn)}]`,
        reason:
          "states:GetExecutionHistory (read-only) on this stack's own state machine's executions: the execution's " +
          'name is only known at run time.',
      },
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
    props.reports.grantWriteReports(this.function);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.reports.bucket)}.Arn>/${REPORT_KEY_PREFIX}*]`,
      reason:
        `s3:PutObject under ${REPORT_KEY_PREFIX} of the crew's report bucket only: a report's key names its ` +
        'deployment (reports/<deployment>/report.json|md), known only at run time.',
    });
    this.probePolicy = probePolicy(this, this.function, this.role, arns);
    this.networkInterfacePolicy =
      postDeployment.vpc === null ? undefined : networkInterfacePolicy(this, this.function, this.role, arns);
    // The probe action is invoked asynchronously (per bake, for the post-promotion watch, and by itself to continue):
    // one that still fails after Lambda's retries leaves green unprobed for the rest of its window.
    this.failedProbes = new WatchedDeadLetterQueue(this, 'FailedProbes', {
      alarmNameSuffix: 'prober-failed-invocations',
      description:
        "a prober invocation failed after Lambda's retries: green is not probed for the rest of that window (the " +
        'alarms still watch it). Check the verifier function logs, then read and delete the messages of the queue.',
      notifications: props.notifications,
    });
    this.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.failedProbes.queue),
      retryAttempts: PROBE_RETRY_ATTEMPTS,
    });
    // Also the function's dead-letter queue (on the L1: AgentFunction owns the props), as the alarm listener does:
    // the failed request as is, ready to replay, besides its invocation record.
    (this.function.node.defaultChild as lambda.CfnFunction).deadLetterConfig = {
      targetArn: this.failedProbes.queue.queueArn,
    };
  }
}

/**
 * The prober's own grants, apart from the role's default policy: PutMetricData in the probe namespace only, and
 * re-invoking this function for a window longer than one invocation. The function depends on its role's default
 * policy, so its own ARN there would be a cycle; this policy depends on the function instead. PutMetricData's resource
 * is the account's CloudWatch dataset, and only the implicit `default` dataset exists (GetDataset, CloudWatch API
 * reference): the metrics land there.
 */
function probePolicy(scope: Construct, fn: lambda.IFunction, role: iam.IRole, arns: ApplicationArns): iam.Policy {
  return new iam.Policy(scope, 'ProbePolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: [arns.arn('cloudwatch', 'dataset/default')],
        conditions: { StringEquals: { 'cloudwatch:namespace': PROBE_METRIC.namespace } },
      }),
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    ],
  });
}

/**
 * What Lambda needs from the role to attach the function to its VPC: network interfaces in exactly its subnets and
 * security groups. Attached before the function is created (Lambda checks them then), and read from the function's
 * own VpcConfig so that it names the subnets Lambda was given.
 */
function networkInterfacePolicy(
  scope: Construct,
  fn: lambda.Function,
  role: iam.IRole,
  arns: ApplicationArns,
): iam.Policy {
  const cfnFunction = fn.node.defaultChild as lambda.CfnFunction;
  const vpcConfig = cfnFunction.vpcConfig;
  if (vpcConfig === undefined || Tokenization.isResolvable(vpcConfig)) {
    throw new Error('postDeployment.vpc: the verifier function has no VPC configuration to grant');
  }
  const networkInterfaces = arns.arn('ec2', 'network-interface/*');
  const policy = new iam.Policy(scope, 'NetworkInterfacePolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          networkInterfaces,
          ...(vpcConfig.subnetIds ?? []).map((id) => arns.arn('ec2', `subnet/${id}`)),
          ...(vpcConfig.securityGroupIds ?? []).map((id) => arns.arn('ec2', `security-group/${id}`)),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: [networkInterfaces],
      }),
      new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], resources: ['*'] }),
    ],
  });
  cfnFunction.addDependency(policy.node.defaultChild as iam.CfnPolicy);
  Validations.of(policy).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${networkInterfaces}]`,
      reason:
        "Lambda's own network interfaces for the function's VPC access: their IDs exist only once Lambda creates " +
        'them; creating one is also scoped to the configured subnets and security groups.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets (read-only) support no resource-level permissions.',
    },
  );
  return policy;
}

/**
 * A resource as cdk-nag names it in a finding: acknowledgements take no tokens, and an ARN the stack formats carries
 * some (`${AWS::Partition}`, and the region and account of an environment-agnostic stack), which cdk-nag writes as
 * `<AWS::Partition>`.
 */
function nagResourceOf(scope: Construct, arn: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (typeof node === 'object' && node !== null) {
      if ('Ref' in node && typeof node.Ref === 'string') return `<${node.Ref}>`;
      if ('Fn::Join' in node && Array.isArray(node['Fn::Join'])) {
        const [delimiter, parts]: unknown[] = node['Fn::Join'];
        if (typeof delimiter === 'string' && Array.isArray(parts)) return parts.map(flatten).join(delimiter);
      }
    }
    throw new Error(`${arn}: only Ref and Fn::Join can name a cdk-nag acknowledgement, not ${JSON.stringify(node)}`);
  };
  return flatten(Stack.of(scope).resolve(arn));
}

/** The logical ID a construct's resource gets: cdk-nag names resources by it, and acknowledgements take no tokens. */
function logicalIdOf(construct: Construct): string {
  const stack = Stack.of(construct);
  const id: unknown = stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement));
  if (typeof id !== 'string') throw new Error(`${construct.node.path} has no logical ID`);
  return id;
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

/** The service authorization reference's log-group ARN, and the `:*` form the service evaluates DescribeLogStreams on. */
function logGroupArns(arns: ApplicationArns, name: string): string[] {
  return [arns.arn('logs', `log-group:${name}`), arns.arn('logs', `log-group:${name}:*`)];
}

function snapshotArns(arns: ApplicationArns, config: ResolvedCrewConfig, prefix: string): string {
  return arns.rds(config.database.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', `${prefix}*`);
}
