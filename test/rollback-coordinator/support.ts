import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { type CoordinatorRequest, createRollbackCoordinator } from '../../lambdas/rollback-coordinator/agent';
import type { CoordinatorConfig } from '../../lambdas/shared/config/rollback-coordinator';
import type { BackupMetadata, DeploymentRef } from '../../lambdas/shared/contracts';
import type { RollbackState, Side, Sides } from '../../lambdas/shared/cutover-contracts';
import type { Release } from '../../lambdas/shared/deployment-request';
import type { DatabaseRestoreProgress, DatabaseRestoreTool } from '../../lambdas/tools/database-restore';
import type { DeploymentLock, RollbackRequest } from '../../lambdas/tools/deployment-lock';
import { createEventPublisher } from '../../lambdas/tools/event-publisher';
import type { MetricsMonitor, SideTraffic, TimeWindow } from '../../lambdas/tools/metrics-monitor';
import type { TargetHealthSummary } from '../../lambdas/tools/traffic-router';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, useLocalDocumentDynamo } from '../support/dynalite';
import { heldLock, UnexpectedRouter } from '../support/lock-fixtures';

/**
 * The rollback coordinator agent's fakes and fixtures, shared by its test files: a listener, a monitor and a database
 * restore in memory, the requests and hints a rollback starts from, and a world running the real lock tool on dynalite.
 */

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
export const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
export const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
export const CHAIRMAN = 'arn:aws:iam::123456789012:user/chairman';

export const NOW = new Date('2026-11-24T10:40:00.000Z');
export const BLUE: Side = { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' };
export const GREEN: Side = { targetGroupArn: GREEN_TG, serviceName: 'shop-green' };
export const SIDES: Sides = {
  live: BLUE,
  green: GREEN,
  stickiness: { enabled: true, durationSeconds: 300 },
  resolvedAt: '2026-11-24T10:01:00.000Z',
};

const CONFIG: CoordinatorConfig = {
  listenerArn: LISTENER,
  clusterName: 'shop-cluster',
  database: { kind: 'instance', identifier: 'shop-db' },
  autoDatabaseRollback: false,
  errorRatePercent: 2,
  allowedRestoreResources: { subnetGroups: [], parameterGroups: [], optionGroups: [], clusterParameterGroups: [] },
  restore: {
    fenceSecurityGroupId: 'sg-0fence',
    acknowledgedBreaks: [],
    keepTemporaryCopyOnFailure: false,
    snapshotPrefix: 'deploymentcrew-',
    lastFencePoll: 180,
  },
  metricsLagSeconds: 180,
  verifyWindowSeconds: 300,
  tableName: STATE_TABLE_NAME,
  lockKey: `LOCK#${LISTENER}`,
  region: 'eu-west-1',
  eventBusName: 'shop-deployments',
};

export const EVENT_BUS = CONFIG.eventBusName;

export const RELEASE: Release = { version: '1.4.0', image: 'registry.example.com/shop:1.4.0', schemaChange: true };

export const BACKUP: BackupMetadata = {
  kind: 'instance',
  identifier: 'deploymentcrew-release-1-4-0-9d7c36ba',
  arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-release-1-4-0-9d7c36ba',
  sourceIdentifier: 'shop-db',
  createdAt: '2026-11-24T10:00:30.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: null,
  status: 'available',
  verifiedAt: '2026-11-24T10:03:00.000Z',
};

export const MANUAL_REQUEST: RollbackRequest = {
  trigger: 'MANUAL',
  reason: 'checkout errors reported by support',
  requestedAt: '2026-11-24T10:35:00.000Z',
  requestedBy: CHAIRMAN,
};

export const ALARM_REQUEST: RollbackRequest = {
  trigger: 'ALARM',
  reason: 'alarm shop-green-5xx entered ALARM',
  requestedAt: '2026-11-24T10:36:00.000Z',
  requestedBy: 'cloudwatch',
  alarmName: 'shop-green-5xx',
};

/** The hint the ASL's RecordRollbackRequest state passes when a step failed with RollbackRequested. */
export const ASL_HINT = {
  trigger: 'ALARM' as const,
  phase: 'CUTOVER' as const,
  reason: 'an alarm or the Chairman requested a rollback (the lock records which)',
  cause: null,
};

export class FakeRouter extends UnexpectedRouter {
  readonly calls: string[] = [];
  liveHealth: TargetHealthSummary = { total: 2, healthy: 2, unhealthy: 0, draining: 0, states: [] };
  /** When set, restoreLive confirms at this clock's time (as the real router does) instead of the fixed one. */
  confirmClock: (() => Date) | undefined;
  /** When set, restoreLive fails with it (ModifyListener refused for good). */
  restoreError: Error | undefined;

  constructor() {
    super(LISTENER);
  }

  override async setGreenWeight(): Promise<{ live: number; green: number }> {
    throw new Error('setGreenWeight is not expected here: the rollback uses restoreLive');
  }

  override async confirmWeights(_sides: Sides, greenPercent: number): Promise<{ confirmedAt: string }> {
    this.calls.push(`confirmWeights ${greenPercent}`);
    return { confirmedAt: '2026-11-24T10:40:01.000Z' };
  }

  override async restoreLive(sides: Sides): Promise<{ restoredAt: string; confirmedAt: string }> {
    this.calls.push(`restoreLive ${sides.live.serviceName}`);
    if (this.restoreError !== undefined) throw this.restoreError;
    if (this.confirmClock !== undefined) {
      const at = this.confirmClock().toISOString();
      return { restoredAt: at, confirmedAt: at };
    }
    return { restoredAt: '2026-11-24T10:40:01.000Z', confirmedAt: '2026-11-24T10:40:02.000Z' };
  }

  override async targetHealth(targetGroupArn: string): Promise<TargetHealthSummary> {
    this.calls.push(`targetHealth ${targetGroupArn}`);
    return this.liveHealth;
  }
}

export class FakeMonitor implements MetricsMonitor {
  readonly windows: { targetGroup: string; window: TimeWindow }[] = [];
  errorRatePercent: number | null = 0.5;

  async sample(): Promise<never> {
    throw new Error('sample is not expected here');
  }

  async baseline(): Promise<never> {
    throw new Error('baseline is not expected here');
  }

  async alarmsInAlarm(): Promise<never> {
    throw new Error('alarmsInAlarm is not expected here');
  }

  async liveErrorRate(targetGroup: string, window: TimeWindow): Promise<SideTraffic> {
    this.windows.push({ targetGroup, window });
    return {
      windowStart: window.start.toISOString(),
      windowEnd: window.end.toISOString(),
      minutes: [],
      requests: this.errorRatePercent === null ? 0 : 4000,
      errors: this.errorRatePercent === null ? 0 : (4000 * this.errorRatePercent) / 100,
      errorRatePercent: this.errorRatePercent,
    };
  }
}

export const PLANNED: DatabaseRestoreProgress = {
  status: 'CHECKING',
  polls: 0,
  originalIdentifier: 'shop-db',
  preservedIdentifier: 'shop-db-pre-rb-9d7c36ba',
  temporaryIdentifier: 'shop-db-rb-new-9d7c36ba',
  snapshotIdentifier: BACKUP.identifier,
};

export class FakeRestore implements DatabaseRestoreTool {
  readonly kind = 'instance' as const;
  readonly planned: { snapshot: string; deploymentName: string }[] = [];
  next: DatabaseRestoreProgress = { ...PLANNED, status: 'RESTORING', polls: 1, reason: 'restoring from snapshot' };

  plan(snapshot: BackupMetadata, deploymentName: string): DatabaseRestoreProgress {
    this.planned.push({ snapshot: snapshot.identifier, deploymentName });
    return PLANNED;
  }

  async advance(): Promise<DatabaseRestoreProgress> {
    return this.next;
  }
}

let localDynamo: (() => LocalDocumentDynamo) | undefined;

/** Starts dynalite for the calling test file (beforeAll) and stops it after its last test (afterAll). */
export function useLocalDynamo(): void {
  localDynamo = useLocalDocumentDynamo();
}

export interface World {
  readonly handle: (request: CoordinatorRequest) => Promise<unknown>;
  readonly deployment: DeploymentRef;
  readonly lock: DeploymentLock;
  readonly lockKey: string;
  readonly router: FakeRouter;
  readonly monitor: FakeMonitor;
  readonly restore: FakeRestore;
  /** The EventBridge client the real event publisher sends with; it accepts every entry unless a test says otherwise. */
  readonly eventBridge: AwsClientStub<EventBridgeClient>;
  /** Every PutEvents input sent so far, in order. */
  readonly putEvents: () => PutEventsCommandInput[];
}

/**
 * A deployment holding a fresh lock with the given extra attributes (phase, sides, rollback …), with the real lock
 * tool on dynalite. `wrapLock` lets a test interpose on the lock the agent sees.
 */
export async function world(
  item: Record<string, unknown> = {},
  wrapLock: (lock: DeploymentLock, holder: string) => DeploymentLock = (lock) => lock,
  clock: () => Date = () => new Date(NOW),
): Promise<World> {
  if (localDynamo === undefined) throw new Error('world() needs useLocalDynamo() in the test file');
  const dynamo = localDynamo();
  const { holder: name, lockKey, lock } = await heldLock(dynamo.ddb, LISTENER, item);
  const router = new FakeRouter();
  const monitor = new FakeMonitor();
  const restore = new FakeRestore();
  const client = new EventBridgeClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const eventBridge = mockClient(client);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  const events = createEventPublisher(client, EVENT_BUS);
  const handle = createRollbackCoordinator(
    { ...CONFIG, lockKey },
    { router, monitor, restore, lock: wrapLock(lock, name), events, clock },
  );
  return {
    handle,
    deployment: {
      name,
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${name}`,
      startedAt: '2026-11-24T10:00:00.000Z',
    },
    lock,
    lockKey,
    router,
    monitor,
    restore,
    eventBridge,
    putEvents: () => eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input),
  };
}

export function rollbackState(overrides: Partial<RollbackState> = {}): RollbackState {
  return {
    trigger: 'ERROR_RATE',
    phase: 'CUTOVER',
    reason: 'canary verdict at 10 % green: error rate above 5 %',
    detectedAt: '2026-11-24T10:38:00.000Z',
    weightEffective: {
      triggerAt: '2026-11-24T10:38:00.000Z',
      triggerSource: 'the state machine recorded the trigger',
      confirmedAt: null,
      timeUntilWeightEffectiveSeconds: null,
      unknownBecause: 'the listener has not been confirmed back at 100 % live',
    },
    decision: { type: 'traffic', database: 'none', why: 'traffic goes back to live.' },
    timeline: [],
    database: null,
    ...overrides,
  };
}
