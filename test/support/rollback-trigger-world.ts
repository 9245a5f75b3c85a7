import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SendTaskFailureCommand, type SendTaskFailureCommandInput, SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  type AlarmEvent,
  alarmToRequest,
  createRollbackTrigger,
  type RollbackRequestInput,
} from '../../lambdas/rollback-trigger/trigger';
import type { AlarmRoute } from '../../lambdas/shared/config/rollback-trigger';
import type { Side, Sides } from '../../lambdas/shared/cutover-contracts';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import type { DeploymentLock, LockPhase } from '../../lambdas/tools/deployment-lock';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from './dynalite';
import { freshLock, putHeldLock, UnexpectedRouter } from './lock-fixtures';

/**
 * The alarm listener (lambdas/rollback-trigger/trigger.ts) over the real lock tool on dynalite, with a fake router
 * and Step Functions and CloudWatch mocked: shared by its test files.
 */

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
export const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
export const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
export const CHAIRMAN = 'arn:aws:iam::123456789012:user/chairman';
export const BAKE_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAbake-token-step-0';

/** When AcquireDeploymentLock took the lock ($$.State.EnteredTime). */
export const ACQUIRED_AT = '2026-11-24T10:00:01.500Z';
export const NOW = new Date('2026-11-24T10:20:00.000Z');
/** An alarm event's `time` two seconds before NOW: fresh. */
export const EVENT_TIME = '2026-11-24T10:19:58Z';
export const RESTORED_AT = '2026-11-24T10:20:01.500Z';
export const BLUE: Side = { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' };
export const GREEN: Side = { targetGroupArn: GREEN_TG, serviceName: 'shop-green' };
export const SIDES: Sides = { live: BLUE, green: GREEN, stickiness: null, resolvedAt: '2026-11-24T10:01:00.000Z' };

/** The routes as the stack writes them: each side's alarms watch its own target group; the database's none. */
export const ALARM_ROUTES: Readonly<Record<string, AlarmRoute>> = {
  'shop-blue-5xx': { targetGroupArn: BLUE_TG, trigger: 'ERROR_RATE' },
  'shop-green-5xx': { targetGroupArn: GREEN_TG, trigger: 'ERROR_RATE' },
  'shop-green-p95': { targetGroupArn: GREEN_TG, trigger: 'LATENCY' },
  'shop-db-connections': { targetGroupArn: null, trigger: 'DB_CONNECTIONS' },
};

export function alarmEvent(alarmName: string, value = 'ALARM', time = EVENT_TIME): AlarmEvent {
  return {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    time,
    detail: {
      alarmName,
      state: {
        value,
        reason: 'Threshold Crossed: 2 datapoints were greater than the threshold (5.0)',
        timestamp: '2026-11-24T10:19:57.123+0000',
      },
    },
  };
}

export function alarm(alarmName: string, time = EVENT_TIME): RollbackRequestInput {
  const request = alarmToRequest(alarmEvent(alarmName, 'ALARM', time));
  if (request === undefined) throw new Error('an ALARM state must map to a request');
  return request;
}

export function manual(deployment: string, reason = 'support reports failed checkouts'): RollbackRequestInput {
  return { trigger: 'MANUAL', deployment, reason, requestedBy: CHAIRMAN };
}

/** Records restoreLive calls into the shared order log; `failure` makes them throw, `during` runs inside them. */
export class FakeRouter extends UnexpectedRouter {
  readonly restored: Sides[] = [];
  failure: Error | undefined;
  during: (() => Promise<void>) | undefined;

  constructor(private readonly order: string[]) {
    super(LISTENER);
  }

  override async restoreLive(sides: Sides): Promise<{ restoredAt: string; confirmedAt: string }> {
    this.order.push('restoreLive');
    this.restored.push(sides);
    await this.during?.();
    if (this.failure) throw this.failure;
    return { restoredAt: '2026-11-24T10:20:01.000Z', confirmedAt: RESTORED_AT };
  }
}

/** Phases reached through the cutover and ConfirmPromotion. */
const AFTER_PROMOTION: ReadonlySet<LockPhase | undefined> = new Set(['PROMOTED', 'RETIRING']);

export interface WorldSetup {
  readonly phase?: LockPhase;
  /** A waiting bake's token, or in PROMOTED the post-promotion watch's (startBake stores both alike). */
  readonly bakeToken?: string;
  readonly lockState?: 'HELD' | 'ESCALATED';
  /** @default ACQUIRED_AT */
  readonly acquiredAt?: string;
  /** Wraps the real lock tool, to make something happen between the listener's calls. */
  readonly wrapLock?: (lock: DeploymentLock, holder: string) => DeploymentLock;
}

export interface World {
  readonly holder: string;
  readonly lock: DeploymentLock;
  readonly router: FakeRouter;
  readonly order: string[];
  readonly requestRollback: ReturnType<typeof createRollbackTrigger>;
}

export interface WorldDeps {
  readonly ddb: DynamoDBDocumentClient;
  /** Class-wide mock of SFNClient: SendTaskFailure is answered (and logged in `order`) unless a test overrides it. */
  readonly sfn: AwsClientStub<SFNClient>;
}

/**
 * A trigger over a fresh lock key. `phase` puts a held lock (as AcquireDeploymentLock does) and moves it on the way the
 * orchestrator does; `bakeToken` stores a waiting bake's token; no phase leaves the listener without a deployment.
 */
export async function world(deps: WorldDeps, setup: WorldSetup = {}): Promise<World> {
  const { holder, lockKey, lock } = freshLock(deps.ddb, LISTENER);
  if (setup.phase !== undefined) {
    await putHeldLock(deps.ddb, lockKey, holder, { acquiredAt: setup.acquiredAt ?? ACQUIRED_AT });
    // Until ResolveSides the lock has no phase and no sides (approval, validation, backup).
    if (setup.phase !== 'VALIDATION') await lock.enterPhase(holder, 'PROVISIONING', { sides: SIDES, greenWeight: 0 });
    if (setup.phase === 'CUTOVER' || AFTER_PROMOTION.has(setup.phase)) {
      await lock.enterPhase(holder, 'CUTOVER', { greenWeight: 10 });
    } else if (setup.phase !== 'PROVISIONING' && setup.phase !== 'VALIDATION') {
      await lock.recordPhase(holder, setup.phase);
    }
    // As ConfirmPromotion leaves it (green at 100 %), and the orchestrator after the post-promotion watch.
    if (AFTER_PROMOTION.has(setup.phase)) await lock.enterPhase(holder, 'PROMOTED', { greenWeight: 100 });
    if (setup.phase === 'RETIRING') await lock.enterPhase(holder, 'RETIRING');
    if (setup.bakeToken !== undefined) await lock.storeBakeToken(holder, setup.bakeToken, '2026-11-24T10:15:00.000Z');
    if (setup.lockState === 'ESCALATED') {
      await deps.ddb.send(
        new UpdateCommand({
          TableName: STATE_TABLE_NAME,
          Key: { pk: lockKey, sk: LOCK_SORT_KEY },
          UpdateExpression: 'SET lockState = :escalated',
          ExpressionAttributeValues: { ':escalated': 'ESCALATED' },
        }),
      );
    }
  }
  const order: string[] = [];
  deps.sfn.on(SendTaskFailureCommand).callsFake(() => {
    order.push('SendTaskFailure');
    return {};
  });
  const router = new FakeRouter(order);
  const requestRollback = createRollbackTrigger({
    lock: setup.wrapLock ? setup.wrapLock(lock, holder) : lock,
    router,
    sfn: new SFNClient({ region: 'eu-west-1' }),
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    alarmRoutes: ALARM_ROUTES,
    clock: () => new Date(NOW),
  });
  return { holder, lock, router, order, requestRollback };
}

export function sentFailures(sfn: AwsClientStub<SFNClient>): SendTaskFailureCommandInput[] {
  return sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input);
}

export function causeOf(input: SendTaskFailureCommandInput | undefined): Record<string, unknown> {
  return JSON.parse(input?.cause ?? 'null') as Record<string, unknown>;
}

export interface TriggerTestbed {
  /** Class-wide mock of SFNClient, reset before each test. */
  readonly sfn: AwsClientStub<SFNClient>;
  /** Class-wide mock of CloudWatchClient (DescribeAlarms for events in doubt), reset before each test. */
  readonly cloudwatch: AwsClientStub<CloudWatchClient>;
  readonly world: (setup?: WorldSetup) => Promise<World>;
  readonly sentFailures: () => SendTaskFailureCommandInput[];
}

/**
 * The hooks of a test file that runs the listener over the real lock: dynalite for the file, Step Functions and
 * CloudWatch mocked class-wide and reset before each test. Call at the top of the file.
 */
export function triggerTestbed(): TriggerTestbed {
  let dynamo: LocalDocumentDynamo | undefined;
  const sfn = mockClient(SFNClient);
  const cloudwatch = mockClient(CloudWatchClient);
  beforeAll(async () => {
    dynamo = await startLocalDocumentDynamo();
  });
  afterAll(async () => {
    sfn.restore();
    cloudwatch.restore();
    await dynamo?.close();
  });
  beforeEach(() => {
    sfn.reset();
    cloudwatch.reset();
  });
  return {
    sfn,
    cloudwatch,
    world: (setup = {}) => {
      if (dynamo === undefined) throw new Error('the testbed starts dynalite in beforeAll: call world() in a test');
      return world({ ddb: dynamo.ddb, sfn }, setup);
    },
    sentFailures: () => sentFailures(sfn),
  };
}
