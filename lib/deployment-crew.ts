import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TargetsConfig } from '../lambdas/approval-request/config';
import type { IntakeConfig } from '../lambdas/deployment-intake/intake';
import type { DatabaseConfig, HealthChecksConfig } from '../lambdas/pre-deployment-validator/config';
import { parseListenerArn, parseTargetGroupArn } from '../lambdas/shared/arns';
import { APPROVAL_TIMEOUT_BOUNDS } from '../lambdas/shared/deployment-request';
import { SNAPSHOT_PREFIX } from '../lambdas/tools/backup';
import { AgentFunction } from './agent-function';
import { ChairmanNotifications } from './chairman-notifications';
import { CrewStateTable } from './crew-state-table';
import type { DeploymentCrewProps } from './deployment-crew-props';
import { DeploymentStateMachine, readDefinition } from './deployment-state-machine';
import { lockKeyFor } from './lock';

/** Margin between the execution's time limit and the lock's TTL, so a running execution never loses its lock. */
const LOCK_TTL_MARGIN_SECONDS = 3600;

/**
 * DeploymentCrew: a Step Functions Standard workflow that takes a release from "requested" to "approved, validated,
 * backed up", with one Lambda and one least-privilege role per agent, a lock per listener, and the Chairman in the
 * loop through task tokens and an SNS topic.
 */
export class DeploymentCrew extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly notifications: ChairmanNotifications;
  readonly stateTable: CrewStateTable;
  readonly intake: AgentFunction;
  readonly approvalRequest: AgentFunction;
  readonly approvalResponse: AgentFunction;
  readonly approvalUrl: lambda.FunctionUrl;
  readonly preDeploymentValidator: AgentFunction;

  constructor(scope: Construct, id: string, props: DeploymentCrewProps) {
    super(scope, id);
    const config = resolveConfig(props);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const eventBusName = props.eventBusName ?? 'default';

    this.stateTable = new CrewStateTable(this, 'State');
    this.notifications = new ChairmanNotifications(this, 'Chairman', { emails: props.chairmanEmails });
    const table = this.stateTable.table;
    const topic = this.notifications.topic;

    const definition = readDefinition();
    const intakeConfig: IntakeConfig = {
      defaultApprovalTimeoutSeconds: config.approvalTimeoutSeconds,
      snapshotPollSeconds: config.snapshotPollSeconds,
      snapshotMaxPolls: config.snapshotMaxPolls,
      lockTtlSeconds: definition.timeoutSeconds + LOCK_TTL_MARGIN_SECONDS,
    };
    this.intake = new AgentFunction(this, 'DeploymentIntake', {
      agent: 'deployment-intake',
      description: 'DeploymentCrew: validates the execution input before anything is touched',
      environment: { INTAKE_CONFIG: JSON.stringify(intakeConfig) },
      timeout: Duration.seconds(10),
      memorySize: 256,
      logRetention,
    });

    // Chairman approval: the response side has its own function (and role) because it calls back into the state
    // machine; granting that to a function the state machine invokes would make a dependency cycle.
    this.approvalResponse = new AgentFunction(this, 'ApprovalResponse', {
      agent: 'approval-response',
      description: 'DeploymentCrew: the Chairman answers an approval by deployment name',
      environment: { TABLE_NAME: table.tableName },
      timeout: Duration.seconds(20),
      memorySize: 256,
      logRetention,
    });
    this.approvalUrl = this.approvalResponse.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.approvalResponse.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );

    const targets: TargetsConfig = {
      listenerArn: props.listenerArn,
      targetGroupArns: [...props.targetGroupArns],
      database: config.database,
    };
    this.approvalRequest = new AgentFunction(this, 'ApprovalRequest', {
      agent: 'approval-request',
      description: 'DeploymentCrew: stores the approval task token by deployment and notifies the Chairman',
      environment: {
        TABLE_NAME: table.tableName,
        TOPIC_ARN: topic.topicArn,
        TARGETS: JSON.stringify(targets),
        APPROVAL_URL: this.approvalUrl.url,
        APPROVAL_FUNCTION_NAME: this.approvalResponse.function.functionName,
      },
      timeout: Duration.seconds(20),
      memorySize: 256,
      logRetention,
    });
    this.approvalRequest.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }),
    );
    this.notifications.grantPublish(this.approvalRequest.role);

    const healthChecks: HealthChecksConfig = {
      endpoints: props.healthEndpoints.map((endpoint) => ({ ...endpoint })),
      dependencies: (props.externalDependencies ?? []).map((dependency) => ({ ...dependency })),
      retries: props.healthCheckRetries ?? 2,
    };
    this.preDeploymentValidator = new AgentFunction(this, 'PreDeploymentValidator', {
      agent: 'pre-deployment-validator',
      description: 'DeploymentCrew PreDeploymentValidator: health checks, dependency matrix, verified RDS snapshot',
      environment: { HEALTH_CHECKS: JSON.stringify(healthChecks), DATABASE: JSON.stringify(config.database) },
      timeout: Duration.seconds(90),
      logRetention,
    });
    for (const statement of backupStatements(stack, config.database)) {
      this.preDeploymentValidator.role.addToPolicy(statement);
    }
    Validations.of(this.preDeploymentValidator.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${backupSnapshotArnPattern(stack, config.database)}]`,
      reason:
        'Snapshot names derive from the execution name at run time; the grant is limited to the deploymentcrew- ' +
        'prefix the backup tool gives every snapshot it creates, on this database only.',
    });

    const machine = new DeploymentStateMachine(this, 'Workflow', {
      logRetention,
      substitutions: {
        DeploymentIntakeFunctionArn: this.intake.function.functionArn,
        ApprovalRequestFunctionArn: this.approvalRequest.function.functionArn,
        PreDeploymentValidatorFunctionArn: this.preDeploymentValidator.function.functionArn,
        CrewTableName: table.tableName,
        LockKey: lockKeyFor(props.listenerArn),
        ChairmanTopicArn: topic.topicArn,
        EventBusName: eventBusName,
      },
    });
    this.stateMachine = machine.stateMachine;

    // The unqualified ARNs only: the ASL never invokes a version or an alias, so no `function:*` grant.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.intake, this.approvalRequest, this.preDeploymentValidator].map(
          (agent) => agent.function.functionArn,
        ),
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [table.tableArn] }),
    );
    this.notifications.grantPublish(this.stateMachine);
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName })],
      }),
    );

    // A separate policy, not the role's default one: the callback rights reference the state machine, which
    // references this function's sibling; keeping them apart avoids a dependency cycle.
    new iam.Policy(this, 'ApprovalCallbackPolicy', {
      roles: [this.approvalResponse.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });
  }
}

interface ResolvedConfig {
  readonly database: DatabaseConfig;
  readonly approvalTimeoutSeconds: number;
  readonly snapshotPollSeconds: number;
  readonly snapshotMaxPolls: number;
}

/** Checks the props before anything is synthesized: a wrong value is a synth error naming the prop. */
function resolveConfig(props: DeploymentCrewProps): ResolvedConfig {
  const listener = parseListenerArn(props.listenerArn);
  if (props.targetGroupArns.length !== 2) {
    throw new Error(`targetGroupArns: exactly two target groups are needed, got ${props.targetGroupArns.length}`);
  }
  const [first, second] = props.targetGroupArns.map(parseTargetGroupArn);
  if (props.targetGroupArns[0] === props.targetGroupArns[1]) {
    throw new Error('targetGroupArns: the two target groups must differ');
  }
  for (const group of [first, second]) {
    if (group && (group.region !== listener.region || group.account !== listener.account)) {
      throw new Error(`targetGroupArns: ${group.fullName} is not in the listener's account and region`);
    }
  }

  const { instanceIdentifier, clusterIdentifier } = props.database;
  if ((instanceIdentifier === undefined) === (clusterIdentifier === undefined)) {
    throw new Error('database: set exactly one of instanceIdentifier or clusterIdentifier');
  }
  const database: DatabaseConfig =
    instanceIdentifier !== undefined
      ? { kind: 'instance', identifier: instanceIdentifier }
      : { kind: 'cluster', identifier: clusterIdentifier ?? '' };
  if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(database.identifier)) {
    throw new Error(`database: ${database.identifier} is not a valid RDS identifier`);
  }

  if (props.healthEndpoints.length === 0)
    throw new Error('healthEndpoints: at least one production endpoint is needed');
  for (const check of [...props.healthEndpoints, ...(props.externalDependencies ?? [])]) {
    if (!/^https?:\/\//.test(check.url))
      throw new Error(`health check ${check.name}: url must be http(s): ${check.url}`);
  }
  if (props.chairmanEmails.length === 0) throw new Error('chairmanEmails: at least one address is needed');

  const approvalTimeoutSeconds = (props.approvalTimeout ?? Duration.hours(24)).toSeconds();
  if (
    approvalTimeoutSeconds < APPROVAL_TIMEOUT_BOUNDS.minSeconds ||
    approvalTimeoutSeconds > APPROVAL_TIMEOUT_BOUNDS.maxSeconds
  ) {
    throw new Error(
      `approvalTimeout: must be between ${APPROVAL_TIMEOUT_BOUNDS.minSeconds} and ${APPROVAL_TIMEOUT_BOUNDS.maxSeconds} seconds`,
    );
  }
  const snapshotPollSeconds = (props.snapshotPollInterval ?? Duration.seconds(30)).toSeconds();
  const snapshotTimeoutSeconds = (props.snapshotTimeout ?? Duration.hours(2)).toSeconds();
  if (snapshotPollSeconds < 5 || snapshotTimeoutSeconds < snapshotPollSeconds) {
    throw new Error('snapshotPollInterval/snapshotTimeout: poll at least every 5 s and wait at least one interval');
  }
  return {
    database,
    approvalTimeoutSeconds,
    snapshotPollSeconds,
    snapshotMaxPolls: Math.ceil(snapshotTimeoutSeconds / snapshotPollSeconds),
  };
}

function rdsArn(stack: Stack, resource: string, resourceName: string): string {
  return stack.formatArn({ service: 'rds', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** ARNs of the snapshots the backup tool creates (it prefixes every identifier with SNAPSHOT_PREFIX). */
function backupSnapshotArnPattern(stack: Stack, database: DatabaseConfig): string {
  return rdsArn(stack, database.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', `${SNAPSHOT_PREFIX}*`);
}

/** RDS permissions of the backup tool: only this database and the snapshots it names itself. */
function backupStatements(stack: Stack, database: DatabaseConfig): iam.PolicyStatement[] {
  const snapshots = backupSnapshotArnPattern(stack, database);
  if (database.kind === 'instance') {
    const instance = rdsArn(stack, 'db', database.identifier);
    return [
      new iam.PolicyStatement({ actions: ['rds:CreateDBSnapshot'], resources: [instance, snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBSnapshots'], resources: [instance, snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [instance] }),
    ];
  }
  const cluster = rdsArn(stack, 'cluster', database.identifier);
  return [
    new iam.PolicyStatement({ actions: ['rds:CreateDBClusterSnapshot'], resources: [cluster, snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:DescribeDBClusterSnapshots'], resources: [cluster, snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:DescribeDBClusters'], resources: [cluster] }),
  ];
}
