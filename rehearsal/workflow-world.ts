import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createBlueGreenOrchestrator, orchestratorRequestSchema } from '../lambdas/blue-green-orchestrator/agent';
import { intake, intakeEventSchema } from '../lambdas/deployment-intake/intake';
import { coordinatorRequestSchema, createRollbackCoordinator } from '../lambdas/rollback-coordinator/agent';
import { alarmToRequest, createRollbackTrigger } from '../lambdas/rollback-trigger/trigger';
import { parseListenerArn } from '../lambdas/shared/arns';
import type { IntakeConfig } from '../lambdas/shared/config/deployment-intake';
import { canaryThresholdsSchema } from '../lambdas/shared/cutover-contracts';
import { parse } from '../lambdas/shared/validation';
import { createDatabaseRestore } from '../lambdas/tools/database-restore';
import { createDeploymentLock } from '../lambdas/tools/deployment-lock';
import { createEnvironmentProvisioner } from '../lambdas/tools/environment-provisioner';
import { createEventPublisher } from '../lambdas/tools/event-publisher';
import { createMetricsMonitor } from '../lambdas/tools/metrics-monitor';
import { createTrafficRouter } from '../lambdas/tools/traffic-router';
import type { LocalDynamo } from './dynalite';
import { asLambda, dynamoTask, IntegrationRecorder } from './local-integrations';
import { type EventLog, LOCAL_SUBSTITUTIONS, runWorkflow, type TaskHandler, type WorkflowRun } from './local-workflow';
import { SIM, SimulatedProduction } from './simulated-production';
import { createVerifierWorld } from './verifier-world';
import {
  ALARM_ROUTES,
  coordinatorConfigFor,
  intakeConfig,
  orchestratorConfigFor,
  VALID_INPUT,
  type WorldOptions,
} from './world-config';
import { type BakeFailure, createTokenTasks } from './world-token-tasks';

/**
 * One simulated world for a local run of the real ASL: the real agents (intake, PreDeploymentValidator,
 * BlueGreenOrchestrator, RollbackCoordinator, alarm listener) with their real tools, against a simulated production
 * (listener, ECS, CloudWatch, RDS) on a virtual clock, the lock and bake token in dynalite, and the Chairman
 * answering as the scenario says. The bake advances virtual time minute by minute; an alarm entering ALARM goes
 * through the real alarm listener, whose SendTaskFailure ends the bake, exactly as on AWS.
 * This module wires the world together (`createWorld`); its options, constants and agent configs are in
 * world-config.ts (re-exported here), its task-token tasks (approvals, bake, watch) in world-token-tasks.ts.
 */

export {
  ALARM_ROUTES,
  type Answer,
  APPROVED,
  DEFAULT_APPROVAL_ANSWER_SECONDS,
  intakeConfig,
  type LockHeldBy,
  PROMOTED_WEIGHTS,
  VALID_INPUT,
  type WorldOptions,
} from './world-config';

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
  const thresholds = parse(canaryThresholdsSchema, {});

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
  const wiring = { database, thresholds, tableName, lockKey };
  const orchestratorConfig = orchestratorConfigFor(options, wiring);
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

  const coordinatorConfig = coordinatorConfigFor(options, wiring, config);
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
  const bakeFailures: BakeFailure[] = [];
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
      return orchestrator(parse(orchestratorRequestSchema, input));
    });
  const coordinatorTask = (advanceSeconds = 0) =>
    asLambda(async (input: unknown) => {
      await passTime(advanceSeconds);
      return coordinator(parse(coordinatorRequestSchema, input));
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
  const { answer, bakeTask, watchTask } = createTokenTasks({
    options,
    config,
    production,
    verification,
    orchestrator,
    alarmListener,
    lock,
    router,
    executionName,
    approvalRequests,
    triggerOutcomes,
    bakeFailures,
    passTime,
    sendAlarm,
  });

  const tasks: Record<string, TaskHandler> = {
    // aws-local-stepfunctions stamps $$.Execution.StartTime with the wall clock: the execution starts at the
    // simulation's time instead, as its other instants do.
    ValidateInput: asLambda(async (event: unknown) => {
      const parsed = parse(intakeEventSchema, event);
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
