import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { createBlueGreenOrchestrator, type OrchestratorRequest } from '../../lambdas/blue-green-orchestrator/agent';
import type { OrchestratorConfig } from '../../lambdas/shared/config/blue-green-orchestrator';
import type { DeploymentRef } from '../../lambdas/shared/contracts';
import type {
  CanarySample,
  CanaryState,
  GreenEnvironment,
  LoadBalancerBaseline,
  Migration,
  MinuteSample,
  Side,
  Sides,
} from '../../lambdas/shared/cutover-contracts';
import { DeploymentCrewError } from '../../lambdas/shared/errors';
import type { DeploymentLock, RollbackRequest } from '../../lambdas/tools/deployment-lock';
import type {
  EnvironmentProvisioner,
  ScaleDownGreenInput,
  ScaleDownResult,
} from '../../lambdas/tools/environment-provisioner';
import { createEventPublisher } from '../../lambdas/tools/event-publisher';
import type { MetricsMonitor, SampleRequest, SideTraffic, TimeWindow } from '../../lambdas/tools/metrics-monitor';
import type { ForwardState, TargetHealthSummary, TrafficRouter } from '../../lambdas/tools/traffic-router';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, useLocalDocumentDynamo } from '../support/dynalite';
import { heldLock } from '../support/lock-fixtures';

/**
 * The orchestrator agent's fakes and fixtures, shared by its test files: a listener, a provisioner and a monitor in
 * memory, the canary states the steps hand each other, and a world running the real lock tool on dynalite.
 */

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
export const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
export const GREEN_TG_FULL_NAME = 'targetgroup/shop-green/8a067e2d6bc24d73';

export const NOW = new Date('2026-11-24T10:30:00.000Z');
export const BLUE: Side = { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' };
export const GREEN: Side = { targetGroupArn: GREEN_TG, serviceName: 'shop-green' };
export const SIDES: Sides = { live: BLUE, green: GREEN, stickiness: null, resolvedAt: '2026-11-24T10:01:00.000Z' };

const CONFIG: OrchestratorConfig = {
  listenerArn: LISTENER,
  sides: [BLUE, GREEN],
  clusterName: 'shop',
  taskDefinitionFamily: 'shop',
  migrationCommand: ['npm', 'run', 'migrate'],
  thresholds: {
    errorRatePercent: 5,
    errorRateBreachPeriods: 2,
    promoteErrorRatePercent: 1,
    p95LatencyMs: 500,
    dbConnectionsPercent: 80,
    loadBalancerErrorBaselinePercent: 0.1,
  },
  inconclusiveAllowance: 2,
  database: { kind: 'instance', identifier: 'shop-db' },
  dbMaxConnections: 100,
  alarms: {
    byTargetGroup: { [BLUE_TG]: ['shop-blue-5xx'], [GREEN_TG]: ['shop-green-5xx', 'shop-green-unhealthy-hosts'] },
    shared: ['shop-db-connections'],
  },
  metrics: { maxWaitSeconds: 300, expectedDelaySeconds: 90, baselineMinutes: 15 },
  alarmTriggers: { 'shop-green-5xx': 'ERROR_RATE', 'shop-db-connections': 'DB_CONNECTIONS' },
  tableName: STATE_TABLE_NAME,
  lockKey: `LOCK#${LISTENER}`,
  eventBusName: 'default',
};

export const ALARM_REQUEST: RollbackRequest = {
  trigger: 'ALARM',
  reason: 'alarm shop-green-5xx entered ALARM',
  requestedAt: '2026-11-24T10:29:00.000Z',
  requestedBy: 'cloudwatch',
  alarmName: 'shop-green-5xx',
};

export const healthy = (count: number): TargetHealthSummary => ({
  total: count,
  healthy: count,
  unhealthy: 0,
  draining: 0,
  states: [],
});

/** A listener in memory: remembers green's weight, confirms only what was written, records every call. */
export class FakeRouter implements TrafficRouter {
  readonly listenerArn = LISTENER;
  readonly calls: string[] = [];
  greenWeight = 0;
  health: TargetHealthSummary = healthy(2);
  /** Runs while the ModifyListener call is "in flight", before it lands. */
  duringWrite: (() => Promise<void>) | undefined;

  async readForward(): Promise<ForwardState> {
    this.calls.push('readForward');
    return {
      weights: [
        { targetGroupArn: BLUE_TG, weight: 100 - this.greenWeight },
        { targetGroupArn: GREEN_TG, weight: this.greenWeight },
      ],
      stickiness: null,
    };
  }

  async resolveSides(pair: readonly Side[]): Promise<Sides> {
    this.calls.push(`resolveSides ${pair.map((side) => side.serviceName).join(',')}`);
    return SIDES;
  }

  async setGreenWeight(_sides: Sides, greenPercent: number): Promise<{ live: number; green: number }> {
    this.calls.push(`setGreenWeight ${greenPercent}`);
    await this.duringWrite?.();
    this.greenWeight = greenPercent;
    return { live: 100 - greenPercent, green: greenPercent };
  }

  async confirmWeights(_sides: Sides, greenPercent: number): Promise<{ confirmedAt: string }> {
    this.calls.push(`confirmWeights ${greenPercent}`);
    if (greenPercent !== this.greenWeight) {
      throw new DeploymentCrewError('TrafficShiftNotConfirmed', `green is at ${this.greenWeight}, not ${greenPercent}`);
    }
    return { confirmedAt: '2026-11-24T10:30:02.000Z' };
  }

  async restoreLive(_sides: Sides): Promise<{ restoredAt: string; confirmedAt: string }> {
    this.calls.push('restoreLive');
    this.greenWeight = 0;
    return { restoredAt: '2026-11-24T10:30:03.000Z', confirmedAt: '2026-11-24T10:30:04.000Z' };
  }

  async targetHealth(targetGroupArn: string): Promise<TargetHealthSummary> {
    this.calls.push(`targetHealth ${targetGroupArn}`);
    return this.health;
  }
}

export class FakeProvisioner implements EnvironmentProvisioner {
  readonly scaleDowns: ScaleDownGreenInput[] = [];

  async preflight(): Promise<void> {}

  async provisionGreen(): Promise<GreenEnvironment> {
    throw new Error('provisionGreen is not expected here');
  }

  async checkGreen(): Promise<GreenEnvironment> {
    throw new Error('checkGreen is not expected here');
  }

  async scaleDownGreen(input: ScaleDownGreenInput): Promise<ScaleDownResult> {
    this.scaleDowns.push(input);
    return { scaledDownAt: NOW.toISOString(), previousDesiredCount: 2, alreadyScaledDown: false };
  }

  async startMigration(): Promise<Migration> {
    throw new Error('startMigration is not expected here');
  }

  async checkMigration(): Promise<Migration> {
    throw new Error('checkMigration is not expected here');
  }
}

export const BASELINE: LoadBalancerBaseline = {
  windowStart: '2026-11-24T09:42:00.000Z',
  windowEnd: '2026-11-24T09:57:00.000Z',
  requests: 90_000,
  errors: 45,
  errorRatePercent: 0.05,
  measuredAt: '2026-11-24T10:00:00.000Z',
};

export class FakeMonitor implements MetricsMonitor {
  readonly samples: SampleRequest[] = [];
  readonly baselines: { window: TimeWindow; now: Date }[] = [];
  next: CanarySample = goodSample();

  /** Calls are logged with the router's, so their order shows. */
  constructor(private readonly log: string[]) {}

  async baseline(window: TimeWindow, now: Date): Promise<LoadBalancerBaseline> {
    this.log.push('baseline');
    this.baselines.push({ window, now });
    return BASELINE;
  }

  async sample(request: SampleRequest): Promise<CanarySample> {
    this.log.push('sample');
    this.samples.push(request);
    return this.next;
  }

  /** Alarms in ALARM now, for the check before a shift. */
  inAlarm: string[] = [];

  async alarmsInAlarm(names: readonly string[]): Promise<string[]> {
    this.log.push(`alarmsInAlarm ${names.join(',')}`);
    return this.inAlarm.filter((name) => names.includes(name));
  }

  async liveErrorRate(): Promise<SideTraffic> {
    throw new Error('liveErrorRate is not expected here');
  }
}

/** Five minutes of green traffic at 0.2 % errors and 120 ms p95: advances, and promotes at the last step. */
export function goodSample(): CanarySample {
  const minutes = [0, 1, 2, 3, 4].map(
    (minute): MinuteSample => ({
      at: `2026-11-24T10:1${minute}:00.000Z`,
      data: 'complete',
      requests: 1000,
      errors: 2,
      targetErrors: 2,
      connectionErrors: 0,
      loadBalancerErrors: 0,
      errorRatePercent: 0.2,
      p95LatencyMs: 120,
      healthyHosts: 2,
    }),
  );
  return {
    windowStart: '2026-11-24T10:10:00.000Z',
    windowEnd: '2026-11-24T10:15:00.000Z',
    minutes,
    p95LatencyMs: 120,
    dbConnectionsMax: 20,
    dbMaxConnections: 100,
    baselinePercent: 0.05,
    alarmsInAlarm: [],
  };
}

/** The good sample with its last minute's datapoints not in yet. */
export function lateSample(): CanarySample {
  const good = goodSample();
  const minutes = good.minutes.map(
    (minute, index): MinuteSample =>
      index === good.minutes.length - 1
        ? { ...minute, data: 'pending', requests: 0, errors: 0, targetErrors: 0, errorRatePercent: null }
        : minute,
  );
  return { ...good, minutes };
}

/** A window without a single request: inconclusive. */
export function emptySample(): CanarySample {
  const minutes = [0, 1, 2].map(
    (minute): MinuteSample => ({
      at: `2026-11-24T10:1${minute}:00.000Z`,
      data: 'idle',
      requests: 0,
      errors: 0,
      targetErrors: 0,
      connectionErrors: 0,
      loadBalancerErrors: 0,
      errorRatePercent: null,
      p95LatencyMs: null,
      healthyHosts: 2,
    }),
  );
  return { ...goodSample(), minutes, p95LatencyMs: null, dbConnectionsMax: null };
}

export function canary(overrides: Partial<CanaryState> = {}): CanaryState {
  return {
    steps: [10, 50, 100],
    stepIndex: 0,
    greenWeight: 0,
    inconclusiveCount: 0,
    bakeStartedAt: null,
    bakeEndedAt: null,
    baseline: BASELINE,
    verdict: null,
    history: [],
    ...overrides,
  };
}

/** A canary right after the shift to `steps[stepIndex]`, as shiftTraffic returns it. */
export function shifted(stepIndex: number, overrides: Partial<CanaryState> = {}): CanaryState {
  const steps = [10, 50, 100];
  const greenWeight = steps[stepIndex] ?? 0;
  return canary({
    steps,
    stepIndex,
    greenWeight,
    history: [
      {
        stepIndex,
        greenWeight,
        shiftedAt: '2026-11-24T10:09:58.000Z',
        confirmedAt: '2026-11-24T10:10:00.000Z',
        bakes: [],
      },
    ],
    ...overrides,
  });
}

let localDynamo: (() => LocalDocumentDynamo) | undefined;

/** Starts dynalite for the calling test file (beforeAll) and stops it after its last test (afterAll). */
export function useLocalDynamo(): void {
  localDynamo = useLocalDocumentDynamo();
}

export interface World {
  readonly handle: (request: OrchestratorRequest) => Promise<unknown>;
  readonly deployment: DeploymentRef;
  readonly lock: DeploymentLock;
  readonly router: FakeRouter;
  readonly provisioner: FakeProvisioner;
  readonly monitor: FakeMonitor;
  /** The events the agent put on the bus (through the real publisher, its PutEvents answered by a mock). */
  readonly events: { readonly type: string; readonly detail: Record<string, unknown> }[];
  /** Moves the agent's clock. */
  setNow(now: Date): void;
}

/** A deployment holding a fresh lock (as AcquireDeploymentLock puts it), with the real lock tool on dynalite. */
export async function world(): Promise<World> {
  if (localDynamo === undefined) throw new Error('world() needs useLocalDynamo() in the test file');
  const dynamo = localDynamo();
  const { holder: name, lockKey, lock } = await heldLock(dynamo.ddb, LISTENER);
  const router = new FakeRouter();
  const provisioner = new FakeProvisioner();
  const monitor = new FakeMonitor(router.calls);
  let now = NOW;
  const events: { type: string; detail: Record<string, unknown> }[] = [];
  const bus = new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  mockClient(bus)
    .on(PutEventsCommand)
    .callsFake((input: PutEventsCommandInput) => {
      for (const entry of input.Entries ?? []) {
        events.push({ type: entry.DetailType ?? '', detail: JSON.parse(entry.Detail ?? '{}') });
      }
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
    });
  const handle = createBlueGreenOrchestrator(
    { ...CONFIG, lockKey },
    { router, provisioner, monitor, lock, events: createEventPublisher(bus, 'default'), clock: () => new Date(now) },
  );
  return {
    handle,
    deployment: {
      name,
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${name}`,
      startedAt: '2026-11-24T10:00:00.000Z',
    },
    lock,
    events,
    router,
    provisioner,
    monitor,
    setNow: (next) => {
      now = next;
    },
  };
}
