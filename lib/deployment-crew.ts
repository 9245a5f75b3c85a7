import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type ListenerArnParts, parseListenerArn, parseTargetGroupArn } from '../lambdas/shared/arns';
import type { TargetsConfig } from '../lambdas/shared/config/approval-request';
import type { OrchestratorConfig } from '../lambdas/shared/config/blue-green-orchestrator';
import type { DatabaseConfig } from '../lambdas/shared/config/database';
import type { IntakeConfig } from '../lambdas/shared/config/deployment-intake';
import { type HealthChecksConfig, worstCaseHealthCheckMs } from '../lambdas/shared/config/pre-deployment-validator';
import type { CoordinatorConfig } from '../lambdas/shared/config/rollback-coordinator';
import { canaryThresholdsSchema } from '../lambdas/shared/cutover-contracts';
import { APPROVAL_TIMEOUT_BOUNDS, BAKE_TIME_BOUNDS } from '../lambdas/shared/deployment-request';
import { preservedIdentifierPrefix, RESTORED_MEMBER_SUFFIX, SNAPSHOT_PREFIX } from '../lambdas/shared/rds-names';
import { lockKeyFor } from '../lambdas/shared/state-table';
import { AgentFunction } from './agent-function';
import { AlarmRollbackRule } from './alarm-rollback-rule';
import { ChairmanNotifications } from './chairman-notifications';
import { CrewStateTable } from './crew-state-table';
import { CutoverAlarms } from './cutover-alarms';
import type { DeploymentCrewProps } from './deployment-crew-props';
import { DeploymentStateMachine, readDefinition } from './deployment-state-machine';

/** Margin between the execution's time limit and the lock's TTL, so a running execution never loses its lock. */
const LOCK_TTL_MARGIN_SECONDS = 3600;
/** ALB metrics arrive about a minute late: verdicts look at windows that end this long ago. */
const METRICS_LAG_SECONDS = 60;
const GREEN_POLL_SECONDS = 30;
const MIGRATION_POLL_SECONDS = 30;
const RESTORE_POLL_SECONDS = 60;
const ROLLBACK_VERIFY_SECONDS = 120;
/** The validator function has 90 s (its tasks 100 s): health checks get 75 s of it. */
const VALIDATOR_HEALTH_BUDGET_SECONDS = 75;
/** Bakes one canary can run (steps × (1 + inconclusive allowance)): bounds the history carried in the state. */
const MAX_BAKES = 30;

/**
 * DeploymentCrew: a Step Functions Standard workflow that takes a release from "requested" through approval,
 * validation and backup, a canary cutover on the ALB's weighted target groups, and back out again by itself when
 * green misbehaves. One Lambda and one least-privilege role per agent, a lock per listener, alarms that roll back
 * through EventBridge, and the Chairman in the loop through task tokens and an SNS topic.
 */
export class DeploymentCrew extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly notifications: ChairmanNotifications;
  readonly stateTable: CrewStateTable;
  readonly alarms: CutoverAlarms;
  readonly intake: AgentFunction;
  readonly approvalRequest: AgentFunction;
  readonly approvalResponse: AgentFunction;
  readonly approvalUrl: lambda.FunctionUrl;
  readonly preDeploymentValidator: AgentFunction;
  readonly orchestrator: AgentFunction;
  readonly rollbackCoordinator: AgentFunction;
  readonly rollbackTrigger: AgentFunction;
  readonly rollbackUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: DeploymentCrewProps) {
    super(scope, id);
    const config = resolveConfig(props);
    const stack = Stack.of(this);
    const where = parseListenerArn(props.listenerArn);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const eventBusName = props.eventBusName ?? 'default';
    const lockKey = lockKeyFor(props.listenerArn);
    const agentDefaults = { logRetention };

    this.stateTable = new CrewStateTable(this, 'State');
    this.notifications = new ChairmanNotifications(this, 'Chairman', { emails: props.chairmanEmails });
    const table = this.stateTable.table;
    const topic = this.notifications.topic;
    const lockStatement = (...actions: string[]) =>
      new iam.PolicyStatement({ actions: actions.map((action) => `dynamodb:${action}`), resources: [table.tableArn] });

    this.alarms = new CutoverAlarms(this, 'Alarms', {
      alarmNamePrefix: stack.stackName,
      listenerArn: props.listenerArn,
      targetGroupArns: props.targetGroupArns,
      database: config.database,
      databaseMaxConnections: props.databaseMaxConnections,
      thresholds: config.thresholds,
    });

    const definition = readDefinition();
    checkTimeBudget(props, config, definition.timeoutSeconds);
    const intakeConfig: IntakeConfig = {
      defaultApprovalTimeoutSeconds: config.approvalTimeoutSeconds,
      defaultBakeSeconds: config.bakeSeconds,
      lockTtlSeconds: definition.timeoutSeconds + LOCK_TTL_MARGIN_SECONDS,
      migrationConfigured: props.migration !== undefined,
      settings: {
        snapshotPollSeconds: config.snapshotPollSeconds,
        snapshotMaxPolls: config.snapshotMaxPolls,
        greenPollSeconds: GREEN_POLL_SECONDS,
        greenMaxPolls: pollsWithin(props.greenReadyTimeout ?? Duration.minutes(20), GREEN_POLL_SECONDS),
        migrationPollSeconds: MIGRATION_POLL_SECONDS,
        migrationMaxPolls: pollsWithin(props.migration?.timeout ?? Duration.minutes(30), MIGRATION_POLL_SECONDS),
        canarySteps: config.canarySteps,
        rollbackVerifySeconds: ROLLBACK_VERIFY_SECONDS,
        databaseRollbackApprovalTimeoutSeconds: (
          props.databaseRollbackApprovalTimeout ?? Duration.hours(1)
        ).toSeconds(),
        restorePollSeconds: RESTORE_POLL_SECONDS,
        restoreMaxPolls: pollsWithin(props.databaseRestoreTimeout ?? Duration.hours(3), RESTORE_POLL_SECONDS),
        scaleDownGreenAfterRollback: props.scaleDownGreenAfterRollback ?? false,
      },
    };
    this.intake = new AgentFunction(this, 'DeploymentIntake', {
      ...agentDefaults,
      agent: 'deployment-intake',
      description: 'DeploymentCrew: validates the execution input before anything is touched',
      environment: { INTAKE_CONFIG: JSON.stringify(intakeConfig) },
      timeout: Duration.seconds(10),
      memorySize: 256,
    });

    // Human-facing calls have their own functions (and roles): they call back into the state machine, and granting
    // that to a function the state machine invokes would make a dependency cycle.
    this.approvalResponse = new AgentFunction(this, 'ApprovalResponse', {
      ...agentDefaults,
      agent: 'approval-response',
      description: 'DeploymentCrew: the Chairman answers an approval by deployment name',
      environment: { TABLE_NAME: table.tableName },
      timeout: Duration.seconds(20),
      memorySize: 256,
    });
    this.approvalUrl = this.approvalResponse.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.approvalResponse.role.addToPolicy(lockStatement('GetItem', 'Query', 'UpdateItem'));

    const targets: TargetsConfig = {
      listenerArn: props.listenerArn,
      targetGroupArns: [...props.targetGroupArns],
      database: config.database,
    };
    this.approvalRequest = new AgentFunction(this, 'ApprovalRequest', {
      ...agentDefaults,
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
    });
    this.approvalRequest.role.addToPolicy(lockStatement('PutItem'));
    this.notifications.grantPublish(this.approvalRequest.role);

    const healthChecks: HealthChecksConfig = {
      endpoints: props.healthEndpoints.map((endpoint) => ({ ...endpoint })),
      dependencies: (props.externalDependencies ?? []).map((dependency) => ({ ...dependency })),
      retries: props.healthCheckRetries ?? 2,
    };
    // Checks run in parallel: the slowest one (every attempt timing out, with back-off) must fit the function's time.
    const healthCheckMs = worstCaseHealthCheckMs(healthChecks);
    if (healthCheckMs > VALIDATOR_HEALTH_BUDGET_SECONDS * 1000) {
      throw new Error(
        `healthEndpoints/externalDependencies: the slowest check can take ${Math.ceil(healthCheckMs / 1000)} s ` +
          `(timeoutMs × (healthCheckRetries + 1) plus back-off); keep it under ${VALIDATOR_HEALTH_BUDGET_SECONDS} s`,
      );
    }
    this.preDeploymentValidator = new AgentFunction(this, 'PreDeploymentValidator', {
      ...agentDefaults,
      agent: 'pre-deployment-validator',
      description: 'DeploymentCrew PreDeploymentValidator: health checks, dependency matrix, verified RDS snapshot',
      environment: { HEALTH_CHECKS: JSON.stringify(healthChecks), DATABASE: JSON.stringify(config.database) },
      timeout: Duration.seconds(90),
    });
    for (const statement of backupStatements(where, config.database)) {
      this.preDeploymentValidator.role.addToPolicy(statement);
    }
    Validations.of(this.preDeploymentValidator.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${snapshotArnPattern(where, config.database)}]`,
      reason:
        'Snapshot names derive from the execution name at run time; the grant is limited to the deploymentcrew- ' +
        'prefix the backup tool gives every snapshot it creates, on this database only.',
    });

    const alarmsByTargetGroup = Object.fromEntries(
      this.alarms.byTargetGroup.map((alarms) => [
        alarms.targetGroupArn,
        [alarms.errorRate.alarmName, alarms.p95Latency.alarmName],
      ]),
    );
    const sharedAlarms = [this.alarms.databaseConnections.alarmName, ...(props.extraAlarmNames ?? [])];
    const orchestratorConfig: OrchestratorConfig = {
      listenerArn: props.listenerArn,
      sides: props.ecs.services.map((service) => ({
        targetGroupArn: service.targetGroupArn,
        serviceName: service.serviceName,
      })),
      clusterName: props.ecs.clusterName,
      taskDefinitionFamily: props.ecs.taskDefinitionFamily,
      migrationCommand: props.migration ? [...props.migration.command] : null,
      thresholds: config.thresholds,
      inconclusiveAllowance: config.inconclusiveAllowance,
      database: config.database,
      dbMaxConnections: props.databaseMaxConnections,
      alarms: { byTargetGroup: alarmsByTargetGroup, shared: sharedAlarms },
      metricsLagSeconds: METRICS_LAG_SECONDS,
      tableName: table.tableName,
      lockKey,
    };
    this.orchestrator = new AgentFunction(this, 'BlueGreenOrchestrator', {
      ...agentDefaults,
      agent: 'blue-green-orchestrator',
      description: 'DeploymentCrew BlueGreenOrchestrator: green provisioning, migrations, canary traffic shifts',
      environment: { ORCHESTRATOR_CONFIG: JSON.stringify(orchestratorConfig) },
      timeout: Duration.seconds(60),
    });
    const watchedAlarmArns = [...this.alarms.alarmNames, ...(props.extraAlarmNames ?? [])].map((name) =>
      arnIn(where, 'cloudwatch', `alarm:${name}`),
    );
    for (const statement of [
      ...listenerStatements(props.listenerArn),
      ...ecsStatements(where, props),
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: watchedAlarmArns }),
      lockStatement('GetItem', 'UpdateItem'),
    ]) {
      this.orchestrator.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.orchestrator.role,
      'elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth, cloudwatch:GetMetricData, ecs:DescribeTaskDefinition',
    );
    Validations.of(this.orchestrator.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${ecsArn(where, 'task-definition', `${props.ecs.taskDefinitionFamily}:*`)}]`,
        reason:
          'Revisions of the one configured task definition family: each deployment registers a new revision, ' +
          'whose number is only known at run time. RunTask is further limited to the cluster by condition.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${ecsArn(where, 'task', `${props.ecs.clusterName}/*`)}]`,
        reason: 'DescribeTasks (read-only) on the migration task, whose id is only known at run time, in this cluster.',
      },
    );

    const coordinatorConfig: CoordinatorConfig = {
      listenerArn: props.listenerArn,
      clusterName: props.ecs.clusterName,
      database: config.database,
      autoDatabaseRollback: props.autoDatabaseRollback ?? false,
      errorRatePercent: config.thresholds.errorRatePercent,
      allowedRestoreResources: {
        subnetGroups: [props.databaseRestore.subnetGroupName],
        parameterGroups: [...props.databaseRestore.parameterGroupNames],
        optionGroups: [...(props.databaseRestore.optionGroupNames ?? [])],
        clusterParameterGroups: [...(props.databaseRestore.clusterParameterGroupNames ?? [])],
      },
      metricsLagSeconds: METRICS_LAG_SECONDS,
      verifyWindowSeconds: ROLLBACK_VERIFY_SECONDS,
      tableName: table.tableName,
      lockKey,
      region: parseListenerArn(props.listenerArn).region,
    };
    this.rollbackCoordinator = new AgentFunction(this, 'RollbackCoordinator', {
      ...agentDefaults,
      agent: 'rollback-coordinator',
      description: 'DeploymentCrew RollbackCoordinator: rollback decision, traffic and database rollback, escalation',
      environment: { COORDINATOR_CONFIG: JSON.stringify(coordinatorConfig) },
      timeout: Duration.seconds(60),
    });
    for (const statement of [
      ...listenerStatements(props.listenerArn),
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      ...restoreStatements(where, config.database, props),
      lockStatement('GetItem', 'UpdateItem'),
    ]) {
      this.rollbackCoordinator.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.rollbackCoordinator.role,
      'elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth, cloudwatch:GetMetricData',
    );
    Validations.of(this.rollbackCoordinator.role).acknowledge(
      ...restoreWildcards(where, config.database).map((resource) => ({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'Names made at run time from this database: the preserved copy (<id>-pre-rb-<hash>), the restored ' +
          'Aurora members (<member>-rb) and the deploymentcrew- snapshots. Each pattern is anchored on them.',
      })),
    );

    this.rollbackTrigger = new AgentFunction(this, 'RollbackTrigger', {
      ...agentDefaults,
      agent: 'rollback-trigger',
      description:
        'DeploymentCrew alarm listener and Chairman override: listener back to live at once, bake interrupted',
      environment: {
        TABLE_NAME: table.tableName,
        LOCK_KEY: lockKey,
        LISTENER_ARN: props.listenerArn,
        ALARM_TARGET_GROUPS: JSON.stringify(this.alarms.targetGroupOfAlarm),
      },
      timeout: Duration.seconds(30),
      memorySize: 512,
    });
    this.rollbackUrl = this.rollbackTrigger.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    for (const statement of [...listenerStatements(props.listenerArn), lockStatement('GetItem', 'UpdateItem')]) {
      this.rollbackTrigger.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.rollbackTrigger.role,
      'elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth',
    );
    new AlarmRollbackRule(this, 'AlarmRollback', {
      alarmNames: [...this.alarms.alarmNames, ...(props.extraAlarmNames ?? [])],
      target: this.rollbackTrigger.function,
    });

    const machine = new DeploymentStateMachine(this, 'Workflow', {
      logRetention,
      substitutions: {
        DeploymentIntakeFunctionArn: this.intake.function.functionArn,
        ApprovalRequestFunctionArn: this.approvalRequest.function.functionArn,
        PreDeploymentValidatorFunctionArn: this.preDeploymentValidator.function.functionArn,
        BlueGreenOrchestratorFunctionArn: this.orchestrator.function.functionArn,
        RollbackCoordinatorFunctionArn: this.rollbackCoordinator.function.functionArn,
        CrewTableName: table.tableName,
        LockKey: lockKey,
        ListenerArn: props.listenerArn,
        ChairmanTopicArn: topic.topicArn,
        EventBusName: eventBusName,
      },
    });
    this.stateMachine = machine.stateMachine;

    // The unqualified ARNs only: the ASL never invokes a version or an alias, so no `function:*` grant.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          this.intake,
          this.approvalRequest,
          this.preDeploymentValidator,
          this.orchestrator,
          this.rollbackCoordinator,
        ].map((agent) => agent.function.functionArn),
      }),
    );
    this.stateMachine.addToRolePolicy(lockStatement('PutItem', 'DeleteItem', 'UpdateItem'));
    this.notifications.grantPublish(this.stateMachine);
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName })],
      }),
    );

    // Callback rights in separate policies (not the roles' default ones): they reference the state machine, which
    // references sibling functions; keeping them apart avoids a dependency cycle.
    new iam.Policy(this, 'ApprovalCallbackPolicy', {
      roles: [this.approvalResponse.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });
    new iam.Policy(this, 'BakeInterruptPolicy', {
      roles: [this.rollbackTrigger.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskFailure'],
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
  readonly canarySteps: number[];
  readonly bakeSeconds: number;
  readonly inconclusiveAllowance: number;
  readonly thresholds: ReturnType<typeof canaryThresholdsSchema.parse>;
  readonly databaseRollbackApprovalTimeoutSeconds: number;
}

/**
 * The longest an execution can take with these props must fit in the state machine's TimeoutSeconds (the ASL's
 * single source) and so in the lock's TTL: an execution timed out mid-cutover would leave production half shifted.
 */
function checkTimeBudget(props: DeploymentCrewProps, config: ResolvedConfig, executionTimeoutSeconds: number): void {
  const hours = (value: number) => `${(value / 3600).toFixed(1)} h`;
  const worstCase =
    APPROVAL_TIMEOUT_BOUNDS.maxSeconds +
    config.snapshotMaxPolls * config.snapshotPollSeconds +
    (props.greenReadyTimeout ?? Duration.minutes(20)).toSeconds() +
    (props.migration?.timeout ?? Duration.minutes(30)).toSeconds() +
    config.canarySteps.length * (1 + config.inconclusiveAllowance) * BAKE_TIME_BOUNDS.maxSeconds +
    config.databaseRollbackApprovalTimeoutSeconds +
    (props.databaseRestoreTimeout ?? Duration.hours(3)).toSeconds() +
    3600;
  if (worstCase > executionTimeoutSeconds) {
    throw new Error(
      `the longest possible deployment (${hours(worstCase)}: approval, backup, green, migration, every bake at its ` +
        `maximum, database rollback) exceeds the state machine's limit of ${hours(executionTimeoutSeconds)}; ` +
        'shorten the timeouts or the canary',
    );
  }
}

function pollsWithin(timeout: Duration, pollSeconds: number): number {
  return Math.max(1, Math.ceil(timeout.toSeconds() / pollSeconds));
}

/** Checks the props before anything is synthesized: a wrong value is a synth error naming the prop. */
function resolveConfig(props: DeploymentCrewProps): ResolvedConfig {
  const listener = parseListenerArn(props.listenerArn);
  if (props.targetGroupArns.length !== 2) {
    throw new Error(`targetGroupArns: exactly two target groups are needed, got ${props.targetGroupArns.length}`);
  }
  if (props.targetGroupArns[0] === props.targetGroupArns[1]) {
    throw new Error('targetGroupArns: the two target groups must differ');
  }
  for (const group of props.targetGroupArns.map(parseTargetGroupArn)) {
    if (group.region !== listener.region || group.account !== listener.account) {
      throw new Error(`targetGroupArns: ${group.fullName} is not in the listener's account and region`);
    }
  }
  const bound = new Set(props.ecs.services.map((service) => service.targetGroupArn));
  if (props.ecs.services.length !== 2 || !props.targetGroupArns.every((arn) => bound.has(arn))) {
    throw new Error('ecs.services: bind exactly one ECS service to each of the two targetGroupArns');
  }
  if (props.ecs.services[0]?.serviceName === props.ecs.services[1]?.serviceName) {
    throw new Error('ecs.services: the two target groups need two different services');
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
  if (!Number.isInteger(props.databaseMaxConnections) || props.databaseMaxConnections < 1) {
    throw new Error('databaseMaxConnections: a positive integer (the database max_connections) is needed');
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

  const canarySteps = [...(props.canary?.steps ?? [10, 50, 100])];
  const increasing = canarySteps.every((step, index) => index === 0 || step > (canarySteps[index - 1] ?? 0));
  if (
    canarySteps.length === 0 ||
    !increasing ||
    canarySteps.some((step) => !Number.isInteger(step) || step < 1 || step > 100) ||
    canarySteps.at(-1) !== 100
  ) {
    throw new Error(`canary.steps: increasing whole percentages from 1 to 100, ending at 100; got [${canarySteps}]`);
  }
  const bakeSeconds = (props.canary?.bakeTime ?? Duration.seconds(300)).toSeconds();
  if (bakeSeconds < BAKE_TIME_BOUNDS.minSeconds || bakeSeconds > BAKE_TIME_BOUNDS.maxSeconds) {
    throw new Error(
      `canary.bakeTime: between ${BAKE_TIME_BOUNDS.minSeconds} and ${BAKE_TIME_BOUNDS.maxSeconds} seconds`,
    );
  }
  const thresholds = canaryThresholdsSchema.safeParse({ ...props.thresholds });
  if (!thresholds.success) throw new Error(`thresholds: ${thresholds.error.issues.map((i) => i.message).join('; ')}`);
  if (thresholds.data.promoteErrorRatePercent > thresholds.data.errorRatePercent) {
    throw new Error('thresholds: promoteErrorRatePercent cannot be above errorRatePercent');
  }
  const inconclusiveAllowance = props.canary?.inconclusiveAllowance ?? 2;
  if (!Number.isInteger(inconclusiveAllowance) || inconclusiveAllowance < 0) {
    throw new Error('canary.inconclusiveAllowance: a whole number, 0 or more');
  }
  if (canarySteps.length * (1 + inconclusiveAllowance) > MAX_BAKES) {
    throw new Error(
      `canary: ${canarySteps.length} steps × (1 + ${inconclusiveAllowance} inconclusive) bakes is more than ${MAX_BAKES}`,
    );
  }
  if (props.ecs.passRoleArns.length === 0) {
    throw new Error('ecs.passRoleArns: name the task and execution roles of the application task definition');
  }
  const restore = props.databaseRestore;
  if (restore.parameterGroupNames.length === 0) {
    throw new Error('databaseRestore.parameterGroupNames: name the parameter group(s) the database uses');
  }
  // Every cluster has a cluster parameter group and every instance an option group: a restore re-uses them, and
  // refuses (before changing anything) any group it may not use.
  if (database.kind === 'cluster' && (restore.clusterParameterGroupNames ?? []).length === 0) {
    throw new Error(
      'databaseRestore.clusterParameterGroupNames: name the DB cluster parameter group the cluster uses (a restore re-uses it)',
    );
  }
  if (database.kind === 'instance' && (restore.optionGroupNames ?? []).length === 0) {
    throw new Error(
      'databaseRestore.optionGroupNames: name the option group the instance uses (default:<engine>-<major> when none was chosen)',
    );
  }
  const databaseRollbackApprovalTimeoutSeconds = (
    props.databaseRollbackApprovalTimeout ?? Duration.hours(1)
  ).toSeconds();
  if (
    databaseRollbackApprovalTimeoutSeconds < APPROVAL_TIMEOUT_BOUNDS.minSeconds ||
    databaseRollbackApprovalTimeoutSeconds > APPROVAL_TIMEOUT_BOUNDS.maxSeconds
  ) {
    throw new Error(
      `databaseRollbackApprovalTimeout: must be between ${APPROVAL_TIMEOUT_BOUNDS.minSeconds} and ${APPROVAL_TIMEOUT_BOUNDS.maxSeconds} seconds`,
    );
  }
  return {
    database,
    approvalTimeoutSeconds,
    snapshotPollSeconds,
    snapshotMaxPolls: Math.ceil(snapshotTimeoutSeconds / snapshotPollSeconds),
    canarySteps,
    bakeSeconds,
    inconclusiveAllowance,
    thresholds: thresholds.data,
    databaseRollbackApprovalTimeoutSeconds,
  };
}

/**
 * ARNs of the application's resources, written out literally from the listener's partition, region and account
 * (the application lives there): literal ARNs keep policies readable and can name cdk-nag acknowledgements, which
 * must not contain unresolved tokens.
 */
function arnIn(where: ListenerArnParts, service: string, resource: string): string {
  return `arn:${where.partition}:${service}:${where.region}:${where.account}:${resource}`;
}

function rdsArn(where: ListenerArnParts, resource: string, resourceName: string): string {
  return arnIn(where, 'rds', `${resource}:${resourceName}`);
}

/** ARNs of the snapshots the backup tool creates (it prefixes every identifier with SNAPSHOT_PREFIX). */
function snapshotArnPattern(where: ListenerArnParts, database: DatabaseConfig): string {
  return rdsArn(where, database.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', `${SNAPSHOT_PREFIX}*`);
}

/** RDS permissions of the backup tool: only this database and the snapshots it names itself. */
function backupStatements(where: ListenerArnParts, database: DatabaseConfig): iam.PolicyStatement[] {
  const snapshots = snapshotArnPattern(where, database);
  if (database.kind === 'instance') {
    const instance = rdsArn(where, 'db', database.identifier);
    return [
      new iam.PolicyStatement({ actions: ['rds:CreateDBSnapshot'], resources: [instance, snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBSnapshots'], resources: [instance, snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [instance] }),
    ];
  }
  const cluster = rdsArn(where, 'cluster', database.identifier);
  return [
    new iam.PolicyStatement({ actions: ['rds:CreateDBClusterSnapshot'], resources: [cluster, snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:DescribeDBClusterSnapshots'], resources: [cluster, snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:DescribeDBClusters'], resources: [cluster] }),
  ];
}

/** The wildcard patterns of the restore grants, named for their cdk-nag acknowledgement. */
function restoreWildcards(where: ListenerArnParts, database: DatabaseConfig): string[] {
  const preserved = `${preservedIdentifierPrefix(database.identifier)}*`;
  if (database.kind === 'instance') {
    return [rdsArn(where, 'db', preserved), snapshotArnPattern(where, database)];
  }
  return [
    rdsArn(where, 'cluster', preserved),
    snapshotArnPattern(where, database),
    rdsArn(where, 'db', `*${RESTORED_MEMBER_SUFFIX}`),
    rdsArn(where, 'db', '*'),
  ];
}

/**
 * RDS permissions of the database restore (rename swap): this database, its preserved copy, the crew's snapshots,
 * and exactly the groups the restore re-uses.
 */
function restoreStatements(
  where: ListenerArnParts,
  database: DatabaseConfig,
  props: DeploymentCrewProps,
): iam.PolicyStatement[] {
  const resources = props.databaseRestore;
  const preserved = `${preservedIdentifierPrefix(database.identifier)}*`;
  const snapshots = snapshotArnPattern(where, database);
  const subnetGroup = rdsArn(where, 'subgrp', resources.subnetGroupName);
  const parameterGroups = resources.parameterGroupNames.map((name) => rdsArn(where, 'pg', name));
  const statements: iam.PolicyStatement[] = [];
  if (database.kind === 'instance') {
    const original = rdsArn(where, 'db', database.identifier);
    const optionGroups = (resources.optionGroupNames ?? []).map((name) => rdsArn(where, 'og', name));
    statements.push(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBInstances'],
        resources: [original, rdsArn(where, 'db', preserved)],
      }),
      new iam.PolicyStatement({
        actions: ['rds:ModifyDBInstance'],
        resources: [original, rdsArn(where, 'db', preserved)],
      }),
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [original, snapshots, subnetGroup, ...parameterGroups, ...optionGroups],
      }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [original] }),
    );
  } else {
    const original = rdsArn(where, 'cluster', database.identifier);
    const members = rdsArn(where, 'db', `*${RESTORED_MEMBER_SUFFIX}`);
    const clusterParameterGroups = (resources.clusterParameterGroupNames ?? []).map((name) =>
      rdsArn(where, 'cluster-pg', name),
    );
    statements.push(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusters'],
        resources: [original, rdsArn(where, 'cluster', preserved)],
      }),
      // Member names are only known at run time; describing instances is read-only.
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [rdsArn(where, 'db', '*')] }),
      new iam.PolicyStatement({
        actions: ['rds:ModifyDBCluster'],
        resources: [original, rdsArn(where, 'cluster', preserved)],
      }),
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBClusterFromSnapshot'],
        resources: [original, snapshots, subnetGroup, ...clusterParameterGroups],
      }),
      new iam.PolicyStatement({
        actions: ['rds:CreateDBInstance'],
        resources: [members, original, ...parameterGroups],
      }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [original, members] }),
    );
  }
  if (resources.kmsKeyArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [resources.kmsKeyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `rds.${parseListenerArn(props.listenerArn).region}.amazonaws.com` },
        },
      }),
    );
  }
  return statements;
}

/** The listener: ModifyListener on it alone; ELB describe calls support no resource-level permissions. */
function listenerStatements(listenerArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: [listenerArn] }),
    new iam.PolicyStatement({
      actions: [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      resources: ['*'],
    }),
  ];
}

/** ECS permissions of the environment provisioner: the two services, the family, the cluster, the two roles. */
function ecsArn(where: ListenerArnParts, resource: string, resourceName: string): string {
  return arnIn(where, 'ecs', `${resource}/${resourceName}`);
}

function ecsStatements(where: ListenerArnParts, props: DeploymentCrewProps): iam.PolicyStatement[] {
  const { clusterName, taskDefinitionFamily, services, passRoleArns } = props.ecs;
  const serviceArns = services.map((service) => ecsArn(where, 'service', `${clusterName}/${service.serviceName}`));
  const family = ecsArn(where, 'task-definition', `${taskDefinitionFamily}:*`);
  return [
    new iam.PolicyStatement({ actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: serviceArns }),
    new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
    new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: [family] }),
    new iam.PolicyStatement({
      actions: ['ecs:RunTask'],
      resources: [family],
      conditions: { ArnEquals: { 'ecs:cluster': ecsArn(where, 'cluster', clusterName) } },
    }),
    new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [ecsArn(where, 'task', `${clusterName}/*`)] }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [...passRoleArns],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  ];
}

/** Read-only actions that support no resource-level permissions, named per role. */
function acknowledgeReadOnlyWildcards(role: iam.Role, actions: string): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `Only read-only actions without resource-level permissions are on *: ${actions}. Every mutating action is scoped.`,
  });
}
