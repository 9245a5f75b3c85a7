import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalRequestSchema } from '../lambdas/approval-request/request';
import { createBlueGreenOrchestrator, orchestratorRequestSchema } from '../lambdas/blue-green-orchestrator/agent';
import { intake, intakeEventSchema } from '../lambdas/deployment-intake/intake';
import { coordinatorRequestSchema, createRollbackCoordinator } from '../lambdas/rollback-coordinator/agent';
import { alarmToRequest, createRollbackTrigger } from '../lambdas/rollback-trigger/trigger';
import { parseListenerArn } from '../lambdas/shared/arns';
import type { OrchestratorConfig } from '../lambdas/shared/config/blue-green-orchestrator';
import type { IntakeConfig } from '../lambdas/shared/config/deployment-intake';
import { type CoordinatorConfig, RESTORE_SWAP_RESERVE_POLLS } from '../lambdas/shared/config/rollback-coordinator';
import type { ApprovalDecision } from '../lambdas/shared/contracts';
import { canaryThresholdsSchema, type RollbackTrigger } from '../lambdas/shared/cutover-contracts';
import { SNAPSHOT_PREFIX } from '../lambdas/shared/rds-names';
import { createDatabaseRestore } from '../lambdas/tools/database-restore';
import { createDeploymentLock } from '../lambdas/tools/deployment-lock';
import { createEnvironmentProvisioner } from '../lambdas/tools/environment-provisioner';
import { createEventPublisher } from '../lambdas/tools/event-publisher';
import { createMetricsMonitor } from '../lambdas/tools/metrics-monitor';
import { createTrafficRouter } from '../lambdas/tools/traffic-router';
import type { LocalDynamo } from './dynalite';
import { asLambda, dynamoTask, IntegrationRecorder } from './local-integrations';
import {
  type EventLog,
  LOCAL_SUBSTITUTIONS,
  runWorkflow,
  type TaskHandler,
  type WorkflowRun,
  workflowError,
} from './local-workflow';
import { SIM_DB_KMS_KEY, SIM_FENCE_SECURITY_GROUP } from './simulated-aws/rds';
import { SIM, SimulatedProduction, type SimulatedProductionOptions } from './simulated-production';
import { createVerifierWorld, type VerifierWorldOptions } from './verifier-world';

/**
 * One simulated world for a local run of the real ASL: the real agents (intake, PreDeploymentValidator,
 * BlueGreenOrchestrator, RollbackCoordinator, alarm listener) with their real tools, against a simulated production
 * (listener, ECS, CloudWatch, RDS) on a virtual clock, the lock and bake token in dynalite, and the Chairman
 * answering as the scenario says. The bake advances virtual time minute by minute; an alarm entering ALARM goes
 * through the real alarm listener, whose SendTaskFailure ends the bake, exactly as on AWS.
 */

export type Answer = 'approve' | 'reject' | 'never';

export interface WorldOptions extends SimulatedProductionOptions, VerifierWorldOptions {
  readonly input?: unknown;
  readonly approval?: Answer;
  readonly databaseRollbackApproval?: Answer;
  /** How long the Chairman takes to approve or reject (simulated seconds); `never` waits the approval's timeout. @default 300 */
  readonly approvalAnswerSeconds?: number;
  /** The Chairman's override, sent at the start of the bake at this green weight. */
  readonly overrideAtGreenWeight?: number;
  /** This alarm enters ALARM while the Chairman is being asked (the lock is held, no side resolved yet). */
  readonly alarmDuringApproval?: string;
  /** This alarm enters ALARM while green is being provisioned (before its first readiness check). */
  readonly alarmWhileProvisioning?: string;
  readonly autoDatabaseRollback?: boolean;
  readonly inconclusiveAllowance?: number;
  /** How long a verdict waits for a bake's late datapoints; default 300 s. */
  readonly metricsMaxWaitSeconds?: number;
  readonly settings?: Partial<IntakeConfig['settings']>;
  /** Bake time per canary step (the intake's default); default 300 s. */
  readonly bakeSeconds?: number;
  readonly executionName?: string;
  /** This alarm enters ALARM this many seconds into the post-promotion watch. */
  readonly alarmInWatch?: { readonly alarmName: string; readonly afterSeconds: number };
  /** Someone outside the crew sets green to this weight during the watch (the old side gets traffic again). */
  readonly greenWeightSetInWatch?: number;
  /** Another execution holds the deployment lock when this one starts. */
  readonly lockHeldBy?: LockHeldBy;
}

export interface LockHeldBy {
  /** The other execution's name. */
  readonly holder: string;
  /** @default 'HELD' */
  readonly lockState?: 'HELD' | 'ESCALATED';
  /** Seconds from now (wall clock, as the intake's lock time) until the other lock expires; negative: expired. @default 3600 */
  readonly expiresInSeconds?: number;
}

/** How long the simulated Chairman takes to answer an approval by default. */
export const DEFAULT_APPROVAL_ANSWER_SECONDS = 300;

export const APPROVED: ApprovalDecision = {
  approved: true,
  kind: 'START',
  approver: { identity: 'arn:aws:iam::123456789012:user/chairman', verified: true },
  answeredAt: '2026-11-24T10:05:00.000Z',
};

/**
 * The green weights that reach the listener in a promoted deployment: the canary steps, then the rollback dry run's
 * re-write of the listener exactly as it read it (100 % green), which proves the rollback's ModifyListener works.
 */
export const PROMOTED_WEIGHTS = [10, 50, 100, 100];

export const VALID_INPUT = {
  release: { version: '1.4.0', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0', schemaChange: false },
  requestedBy: 'alice@shop.example.com',
};

export function intakeConfig(overrides: Partial<IntakeConfig['settings']> = {}): IntakeConfig {
  return {
    defaultApprovalTimeoutSeconds: 86400,
    defaultBakeSeconds: 300,
    lockTtlSeconds: 867600,
    migrationConfigured: true,
    settings: {
      snapshotPollSeconds: 30,
      snapshotMaxPolls: 5,
      greenPollSeconds: 30,
      greenMaxPolls: 6,
      migrationPollSeconds: 30,
      migrationMaxPolls: 6,
      canarySteps: [10, 50, 100],
      rollbackVerifySeconds: 120,
      databaseRollbackApprovalTimeoutSeconds: 3600,
      restorePollSeconds: 60,
      restoreMaxPolls: 10 + RESTORE_SWAP_RESERVE_POLLS,
      scaleDownGreenAfterRollback: false,
      blueRetentionSeconds: 3600,
      ...overrides,
    },
  };
}

const alarmsOf = (group: string) => ({
  errorRate: `${SIM.alarmPrefix}-${group}-error-rate`,
  p95Latency: `${SIM.alarmPrefix}-${group}-p95-latency`,
  noHealthyTargets: `${SIM.alarmPrefix}-${group}-no-healthy-targets`,
});
const ALARMS = {
  blue: alarmsOf('shop-blue'),
  green: alarmsOf('shop-green'),
  database: `${SIM.alarmPrefix}-db-connections`,
};
/** Alarm name → the target group it watches (null: the database) and the trigger it is recorded as. */
export const ALARM_ROUTES: Record<string, { targetGroupArn: string | null; trigger: RollbackTrigger }> =
  Object.fromEntries([
    ...(
      [
        [ALARMS.blue, SIM.blueTargetGroupArn],
        [ALARMS.green, SIM.greenTargetGroupArn],
      ] as const
    ).flatMap(([alarms, targetGroupArn]) => [
      [alarms.errorRate, { targetGroupArn, trigger: 'ERROR_RATE' as const }],
      [alarms.p95Latency, { targetGroupArn, trigger: 'LATENCY' as const }],
      [alarms.noHealthyTargets, { targetGroupArn, trigger: 'HEALTH_CHECK_FAILED' as const }],
    ]),
    [ALARMS.database, { targetGroupArn: null, trigger: 'DB_CONNECTIONS' as const }],
  ]);

let executionCounter = 0;

/** The wait a `wait` verdict asked for, when the evaluation follows WaitForMetrics. */
function retryAfterOf(input: Record<string, unknown>): number {
  const canary = input.canary as { verdict?: { decision?: string; retryAfterSeconds?: number | null } | null };
  return canary.verdict?.decision === 'wait' ? (canary.verdict.retryAfterSeconds ?? 0) : 0;
}

export function createWorld(dynamo: LocalDynamo, options: WorldOptions = {}) {
  const production = new SimulatedProduction(options);
  const recorder = new IntegrationRecorder();
  const clock = production.clock.nowFn;
  const config: IntakeConfig = {
    ...intakeConfig(options.settings),
    ...(options.bakeSeconds === undefined ? {} : { defaultBakeSeconds: options.bakeSeconds }),
  };
  const approvalRequests: { kind: string }[] = [];
  const lockKey = LOCAL_SUBSTITUTIONS.LockKey;
  const tableName = LOCAL_SUBSTITUTIONS.CrewTableName;

  const lock = createDeploymentLock(DynamoDBDocumentClient.from(dynamo.client), tableName, lockKey);
  /**
   * Every move of the virtual clock: minute by minute with the stack's alarms evaluated, an alarm entering ALARM
   * delivered to the real alarm listener as EventBridge would (`deliverAlarm`, defined with the listener below).
   * `stopAfterAlarm` ends it early once the task waiting on the clock has been failed.
   */
  const passTime = async (seconds: number, stopAfterAlarm?: () => boolean): Promise<void> => {
    // Let the runner's event log catch up first: the states that ended before this wait are stamped before it.
    await new Promise((resolve) => setImmediate(resolve));
    await production.advance(seconds, (alarmName, at) => deliverAlarm(alarmName, at), stopAfterAlarm);
  };
  // The confirmation's re-read waits pass in virtual time.
  const router = createTrafficRouter(production.elbClient(), SIM.listenerArn, {
    clock,
    sleep: (ms) => passTime(ms / 1000),
  });
  const database = { kind: 'instance' as const, identifier: SIM.databaseIdentifier };
  const monitor = createMetricsMonitor(production.cloudWatchClient(), {
    loadBalancerFullName: parseListenerArn(SIM.listenerArn).loadBalancerFullName,
    database,
    dbMaxConnections: SIM.dbMaxConnections,
  });
  const thresholds = canaryThresholdsSchema.parse({});

  // EventBridge as the agents see it: what they put on the bus, in order.
  const agentEvents: { DetailType: string; Detail: Record<string, unknown> }[] = [];
  const agentEventBus = new EventBridgeClient({
    region: SIM.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  mockClient(agentEventBus)
    .on(PutEventsCommand)
    .callsFake((input: PutEventsCommandInput) => {
      for (const entry of input.Entries ?? []) {
        agentEvents.push({ DetailType: entry.DetailType ?? '', Detail: JSON.parse(entry.Detail ?? '{}') });
      }
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `agent-${index}` })) };
    });
  const orchestratorConfig: OrchestratorConfig = {
    listenerArn: SIM.listenerArn,
    sides: [
      { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName },
      { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName },
    ],
    clusterName: SIM.clusterName,
    taskDefinitionFamily: SIM.taskDefinitionFamily,
    migrationCommand: ['npm', 'run', 'migrate'],
    thresholds,
    inconclusiveAllowance: options.inconclusiveAllowance ?? 2,
    database,
    dbMaxConnections: SIM.dbMaxConnections,
    alarms: {
      byTargetGroup: {
        [SIM.blueTargetGroupArn]: Object.values(ALARMS.blue),
        [SIM.greenTargetGroupArn]: Object.values(ALARMS.green),
      },
      shared: [ALARMS.database],
    },
    metrics: { maxWaitSeconds: options.metricsMaxWaitSeconds ?? 300, expectedDelaySeconds: 90, baselineMinutes: 15 },
    alarmTriggers: Object.fromEntries(Object.entries(ALARM_ROUTES).map(([name, route]) => [name, route.trigger])),
    tableName,
    lockKey,
    eventBusName: 'default',
  };
  const orchestrator = createBlueGreenOrchestrator(orchestratorConfig, {
    router,
    events: createEventPublisher(agentEventBus, 'default'),
    provisioner: createEnvironmentProvisioner({
      ecs: production.ecsClient(),
      elb: production.elbClient(),
      clusterName: SIM.clusterName,
      taskDefinitionFamily: SIM.taskDefinitionFamily,
      clock,
    }),
    monitor,
    lock,
    clock,
  });

  const coordinatorConfig: CoordinatorConfig = {
    listenerArn: SIM.listenerArn,
    clusterName: SIM.clusterName,
    database,
    autoDatabaseRollback: options.autoDatabaseRollback ?? false,
    errorRatePercent: thresholds.errorRatePercent,
    allowedRestoreResources: {
      subnetGroups: ['shop-prod-db-subnets'],
      parameterGroups: ['shop-postgres16'],
      optionGroups: ['default:postgres-16'],
      clusterParameterGroups: [],
    },
    restore: {
      fenceSecurityGroupId: SIM_FENCE_SECURITY_GROUP,
      acknowledgedBreaks: [],
      keepTemporaryCopyOnFailure: false,
      kmsKeyArn: SIM_DB_KMS_KEY,
      snapshotPrefix: SNAPSHOT_PREFIX,
      lastFencePoll: Math.max(1, config.settings.restoreMaxPolls - RESTORE_SWAP_RESERVE_POLLS),
    },
    metricsLagSeconds: 60,
    verifyWindowSeconds: 120,
    tableName,
    lockKey,
    region: SIM.region,
    eventBusName: 'default',
  };
  const coordinator = createRollbackCoordinator(coordinatorConfig, {
    router,
    monitor,
    restore: createDatabaseRestore(production.rdsClient(), database, {
      clock,
      allowedResources: coordinatorConfig.allowedRestoreResources,
      ...coordinatorConfig.restore,
    }),
    lock,
    clock,
    events: createEventPublisher(agentEventBus, 'default'),
  });

  // Step Functions as the alarm listener sees it: SendTaskFailure ends the waiting bake.
  const sfn = new SFNClient({ region: SIM.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const bakeFailures: { taskToken: string; error: string; cause: string }[] = [];
  mockClient(sfn)
    .on(SendTaskFailureCommand)
    .callsFake((input: { taskToken: string; error?: string; cause?: string }) => {
      bakeFailures.push({ taskToken: input.taskToken, error: input.error ?? '', cause: input.cause ?? '' });
      return {};
    });
  const triggerOutcomes: unknown[] = [];
  const alarmListener = createRollbackTrigger({
    lock,
    router,
    sfn,
    clock,
    cloudwatch: production.cloudWatchClient(),
    alarmRoutes: ALARM_ROUTES,
  });

  const startedAt = production.clock.now().toISOString();
  /** The run's state transitions so far: the local stand-in for its execution history. */
  const transitions = { count: 0 };
  const verification = createVerifierWorld(
    {
      production,
      dynamo,
      lock,
      router,
      tableName,
      lockKey,
      rollbackVerifySeconds: config.settings.rollbackVerifySeconds,
      transitionsSoFar: () => transitions.count,
      passTime: (seconds) => passTime(seconds),
      alarmListener: async (request) => {
        const outcome = await alarmListener(request);
        triggerOutcomes.push(outcome);
        return outcome;
      },
    },
    options,
  );

  executionCounter += 1;
  const executionName = options.executionName ?? `rel-1-4-0-run-${executionCounter}`;

  const validator = production.preDeploymentValidator();
  const orchestratorTask = (advanceSeconds?: (input: Record<string, unknown>) => number) =>
    asLambda(async (input: Record<string, unknown>) => {
      if (advanceSeconds) await passTime(advanceSeconds(input));
      return orchestrator(orchestratorRequestSchema.parse(input));
    });
  const coordinatorTask = (advanceSeconds = 0) =>
    asLambda(async (input: unknown) => {
      await passTime(advanceSeconds);
      return coordinator(coordinatorRequestSchema.parse(input));
    });

  /** An alarm entering ALARM at `at`, delivered to the alarm listener as EventBridge would. */
  async function deliverAlarm(alarmName: string, at: Date): Promise<void> {
    const time = at.toISOString();
    const alarm = alarmToRequest({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      time,
      detail: { alarmName, state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: time } },
    });
    if (alarm) triggerOutcomes.push(await alarmListener(alarm));
  }
  const sendAlarm = (alarmName: string) => deliverAlarm(alarmName, production.clock.now());
  /** The failure the alarm listener sent for this task token since the task began, if any. */
  const failureOf = (taskToken: string, since: number) =>
    bakeFailures.slice(since).find((entry) => entry.taskToken === taskToken);

  /** The Chairman answers after `approvalAnswerSeconds` (alarms evaluated meanwhile); `never` lets the token time out. */
  const answer =
    (kind: 'START' | 'DATABASE_ROLLBACK', how: Answer): TaskHandler =>
    async (parameters) => {
      const { Payload } = parameters as { FunctionName: string; Payload: unknown };
      const request = approvalRequestSchema.parse(Payload);
      approvalRequests.push(request);
      if (request.kind !== kind) throw new Error(`expected a ${kind} approval, got ${request.kind}`);
      if (how === 'never') {
        await passTime(request.timeoutSeconds);
        throw workflowError('States.Timeout', 'no answer before the timeout');
      }
      await passTime(options.approvalAnswerSeconds ?? DEFAULT_APPROVAL_ANSWER_SECONDS);
      if (how === 'reject') {
        const error = kind === 'START' ? 'ApprovalRejected' : 'DatabaseRollbackDeclined';
        throw workflowError(error, 'Rejected by chairman: not this week');
      }
      return { ...APPROVED, kind, answeredAt: production.clock.now().toISOString() };
    };

  const bakeTask: TaskHandler = async (parameters) => {
    const { Payload } = parameters as { Payload: Record<string, unknown> };
    const request = orchestratorRequestSchema.parse(Payload);
    if (request.action !== 'startBake') throw new Error(`BakeStep sent ${request.action}`);
    await asLambda(async () => orchestrator(request))(undefined);
    const before = bakeFailures.length;
    if (options.overrideAtGreenWeight === request.canary.greenWeight) {
      triggerOutcomes.push(
        await alarmListener({
          trigger: 'MANUAL',
          deployment: executionName,
          reason: 'the Chairman saw checkout complaints',
          requestedBy: 'arn:aws:iam::123456789012:user/chairman',
        }),
      );
    } else if (verification.greenStopsAnsweringAtWeight === request.canary.greenWeight) {
      // Green dies as the bake starts; the prober sent off before the bake sees it long before any alarm could.
      verification.application.sides.green = 'down';
      await verification.runLastProber('bake');
    } else {
      await passTime(config.defaultBakeSeconds, () => failureOf(request.taskToken, before) !== undefined);
    }
    const failure = failureOf(request.taskToken, before);
    if (failure) throw workflowError(failure.error, failure.cause);
    throw workflowError('States.Timeout', 'the bake time elapsed');
  };

  /** The post-promotion watch: the token stored like a bake's; an alarm in the window fails it, else it times out. */
  const watchTask: TaskHandler = async (parameters) => {
    const { Payload } = parameters as { Payload: Record<string, unknown> };
    const request = orchestratorRequestSchema.parse(Payload);
    if (request.action !== 'startBake') throw new Error(`WatchOldSide sent ${request.action}`);
    await asLambda(async () => orchestrator(request))(undefined);
    const before = bakeFailures.length;
    const window = config.settings.blueRetentionSeconds;
    const startedWatch = production.clock.nowMs();
    const failed = () => failureOf(request.taskToken, before) !== undefined;
    const endIfFailed = () => {
      const failure = failureOf(request.taskToken, before);
      if (failure) throw workflowError(failure.error, failure.cause);
    };
    if (verification.greenStopsAnsweringInWatch) {
      // The watch's prober, sent off at promotion, is still probing production: all green, now dead.
      verification.application.sides.green = 'down';
      await verification.runLastProber('watch');
      endIfFailed();
    }
    if (options.alarmInWatch !== undefined && options.alarmInWatch.afterSeconds < window) {
      await passTime(options.alarmInWatch.afterSeconds, failed);
      endIfFailed();
      await sendAlarm(options.alarmInWatch.alarmName);
      endIfFailed();
    }
    if (options.greenWeightSetInWatch !== undefined) {
      const item = await lock.read();
      if (item?.sides === undefined) throw new Error('no sides on the lock during the watch');
      await router.setGreenWeight(item.sides, options.greenWeightSetInWatch);
    }
    await passTime(Math.max(0, window - (production.clock.nowMs() - startedWatch) / 1000), failed);
    endIfFailed();
    throw workflowError('States.Timeout', 'the watch window passed');
  };

  const tasks: Record<string, TaskHandler> = {
    // aws-local-stepfunctions stamps $$.Execution.StartTime with the wall clock: the execution starts at the
    // simulation's time instead, as its other instants do.
    ValidateInput: asLambda(async (event: unknown) => {
      const parsed = intakeEventSchema.parse(event);
      return intake({ ...parsed, execution: { ...parsed.execution, startTime: startedAt } }, config);
    }),
    AcquireDeploymentLock: dynamoTask(dynamo.client, 'putItem'),
    RequestChairmanApproval: async (parameters) => {
      if (options.alarmDuringApproval !== undefined) await sendAlarm(options.alarmDuringApproval);
      return answer('START', options.approval ?? 'approve')(parameters);
    },
    CheckProductionHealth: validator,
    CreateDatabaseSnapshot: validator,
    // WaitForDatabaseSnapshot's interval passes before each describe.
    DescribeDatabaseSnapshot: async (input) => {
      await passTime(config.settings.snapshotPollSeconds);
      return validator(input);
    },
    VerifyDatabaseSnapshot: validator,
    BuildValidationReport: validator,
    ResolveSides: orchestratorTask(),
    ProvisionGreen: orchestratorTask(),
    CheckGreen: async (input) => {
      if (options.alarmWhileProvisioning !== undefined && triggerOutcomes.length === 0) {
        await sendAlarm(options.alarmWhileProvisioning);
      }
      return orchestratorTask(() => config.settings.greenPollSeconds)(input);
    },
    ScaleDownGreenAfterFailure: orchestratorTask(),
    StartMigration: orchestratorTask(),
    CheckMigration: orchestratorTask(() => config.settings.migrationPollSeconds),
    ShiftTraffic: orchestratorTask(),
    BakeStep: bakeTask,
    // Waits are instant here: the time WaitForMetrics would have waited passes before the next evaluation.
    EvaluateStep: orchestratorTask((input) => retryAfterOf(input)),
    ConfirmPromotion: orchestratorTask(),
    ...verification.tasks,
    WatchOldSide: watchTask,
    RetireOldSide: orchestratorTask(),
    KeepLockForOperator: dynamoTask(dynamo.client, 'updateItem'),
    NotifyRetirementRefused: recorder.publish,
    OpenRetirementOpsItem: recorder.createOpsItem,
    OpenEscalationOpsItem: recorder.createOpsItem,
    OpenAbortOpsItem: recorder.createOpsItem,
    NotifyPromotion: recorder.publish,
    ReleaseDeploymentLock: dynamoTask(dynamo.client, 'deleteItem'),
    NotifyLockNotReleased: recorder.publish,
    BeginRollback: coordinatorTask(),
    RollbackTraffic: coordinatorTask(),
    VerifyTrafficRollback: coordinatorTask(config.settings.rollbackVerifySeconds),
    ConfirmDatabaseRollback: answer('DATABASE_ROLLBACK', options.databaseRollbackApproval ?? 'approve'),
    RecordDatabaseRollbackDeclined: coordinatorTask(),
    PlanDatabaseRestore: coordinatorTask(),
    AdvanceDatabaseRestore: coordinatorTask(config.settings.restorePollSeconds),
    ScaleDownGreenAfterRollback: orchestratorTask(),
    FinishRollback: coordinatorTask(),
    ReleaseLockAfterRollback: dynamoTask(dynamo.client, 'deleteItem'),
    NotifyRollback: recorder.publish,
    EmitRollbackEvent: recorder.putEvents,
    EscalateRollback: coordinatorTask(),
    MarkLockEscalated: dynamoTask(dynamo.client, 'updateItem'),
    NotifyEscalation: recorder.publish,
    EmitEscalationEvent: recorder.putEvents,
    ReleaseLockAfterFailure: dynamoTask(dynamo.client, 'deleteItem'),
    NotifyChairmanOfFailure: recorder.publish,
    EmitFailureEvent: recorder.putEvents,
  };

  return {
    production,
    recorder,
    approvalRequests,
    triggerOutcomes,
    executionName,
    verification,
    agentEvents,
    run: async (hooks: { readonly onEvent?: (event: EventLog) => void } = {}): Promise<WorkflowRun> => {
      if (options.lockHeldBy !== undefined) {
        const { holder, lockState = 'HELD', expiresInSeconds = 3600 } = options.lockHeldBy;
        // The intake stamps the lock's `now` with the wall clock, so the other lock's expiry is on it too.
        const expiresAt = Math.floor(Date.now() / 1000) + expiresInSeconds;
        await dynamo.client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: lockKey },
              sk: { S: 'LOCK' },
              holder: { S: holder },
              lockState: { S: lockState },
              expiresAt: { N: String(expiresAt) },
            },
          }),
        );
      }
      await verification.start();
      try {
        return await runWorkflow(options.input ?? VALID_INPUT, {
          tasks,
          executionName,
          clock,
          onEvent: (event) => {
            // What Step Functions bills: every state entered and every retry (the report counts them so far).
            if (event.type === 'StateEntered' || event.type === 'StateRetried') transitions.count += 1;
            hooks.onEvent?.(event);
          },
        });
      } finally {
        await verification.stop();
      }
    },
    lockItem: async () =>
      (
        await dynamo.client.send(
          new GetItemCommand({ TableName: tableName, Key: { pk: { S: lockKey }, sk: { S: 'LOCK' } } }),
        )
      ).Item,
  };
}
