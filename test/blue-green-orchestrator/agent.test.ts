import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBlueGreenOrchestrator,
  metricsTiming,
  type OrchestratorRequest,
} from '../../lambdas/blue-green-orchestrator/agent';
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
import { summarizeSample } from '../../lambdas/shared/cutover-contracts';
import { DeploymentCrewError } from '../../lambdas/shared/errors';
import type { DeploymentLock, RollbackRequest } from '../../lambdas/tools/deployment-lock';
import type {
  EnvironmentProvisioner,
  ScaleDownGreenInput,
  ScaleDownResult,
} from '../../lambdas/tools/environment-provisioner';
import type { MetricsMonitor, SampleRequest, SideTraffic, TimeWindow } from '../../lambdas/tools/metrics-monitor';
import type { ForwardState, TargetHealthSummary, TrafficRouter } from '../../lambdas/tools/traffic-router';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';
import { rejection } from '../support/errors';
import { heldLock } from '../support/lock-fixtures';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
const GREEN_TG_FULL_NAME = 'targetgroup/shop-green/8a067e2d6bc24d73';

const NOW = new Date('2026-11-24T10:30:00.000Z');
const BLUE: Side = { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' };
const GREEN: Side = { targetGroupArn: GREEN_TG, serviceName: 'shop-green' };
const SIDES: Sides = { live: BLUE, green: GREEN, stickiness: null, resolvedAt: '2026-11-24T10:01:00.000Z' };

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
};

const ALARM_REQUEST: RollbackRequest = {
  trigger: 'ALARM',
  reason: 'alarm shop-green-5xx entered ALARM',
  requestedAt: '2026-11-24T10:29:00.000Z',
  requestedBy: 'cloudwatch',
  alarmName: 'shop-green-5xx',
};

const healthy = (count: number): TargetHealthSummary => ({
  total: count,
  healthy: count,
  unhealthy: 0,
  draining: 0,
  states: [],
});

/** A listener in memory: remembers green's weight, confirms only what was written, records every call. */
class FakeRouter implements TrafficRouter {
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

class FakeProvisioner implements EnvironmentProvisioner {
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

const BASELINE: LoadBalancerBaseline = {
  windowStart: '2026-11-24T09:42:00.000Z',
  windowEnd: '2026-11-24T09:57:00.000Z',
  requests: 90_000,
  errors: 45,
  errorRatePercent: 0.05,
  measuredAt: '2026-11-24T10:00:00.000Z',
};

class FakeMonitor implements MetricsMonitor {
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

  async liveErrorRate(): Promise<SideTraffic> {
    throw new Error('liveErrorRate is not expected here');
  }
}

/** Five minutes of green traffic at 0.2 % errors and 120 ms p95: advances, and promotes at the last step. */
function goodSample(): CanarySample {
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
function lateSample(): CanarySample {
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
function emptySample(): CanarySample {
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

function canary(overrides: Partial<CanaryState> = {}): CanaryState {
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
function shifted(stepIndex: number, overrides: Partial<CanaryState> = {}): CanaryState {
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

let dynamo: LocalDocumentDynamo;

beforeAll(async () => {
  dynamo = await startLocalDocumentDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

interface World {
  readonly handle: (request: OrchestratorRequest) => Promise<unknown>;
  readonly deployment: DeploymentRef;
  readonly lock: DeploymentLock;
  readonly router: FakeRouter;
  readonly provisioner: FakeProvisioner;
  readonly monitor: FakeMonitor;
  /** Moves the agent's clock. */
  setNow(now: Date): void;
}

/** A deployment holding a fresh lock (as AcquireDeploymentLock puts it), with the real lock tool on dynalite. */
async function world(): Promise<World> {
  const { holder: name, lockKey, lock } = await heldLock(dynamo.ddb, LISTENER);
  const router = new FakeRouter();
  const provisioner = new FakeProvisioner();
  const monitor = new FakeMonitor(router.calls);
  let now = NOW;
  const handle = createBlueGreenOrchestrator(
    { ...CONFIG, lockKey },
    { router, provisioner, monitor, lock, clock: () => new Date(now) },
  );
  return {
    handle,
    deployment: {
      name,
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${name}`,
      startedAt: '2026-11-24T10:00:00.000Z',
    },
    lock,
    router,
    provisioner,
    monitor,
    setNow: (next) => {
      now = next;
    },
  };
}

describe('orchestrator: resolveSides', () => {
  it('resolves the configured pair and records the sides, PROVISIONING and weight 0 in the lock', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();

    // Act
    const result = await handle({ action: 'resolveSides', deployment });

    // Assess
    expect(result).toEqual(SIDES);
    expect(router.calls).toEqual(['resolveSides shop-blue,shop-green']);
    expect(await lock.read()).toMatchObject({ phase: 'PROVISIONING', sides: SIDES, greenWeight: 0 });
  });
});

describe('orchestrator: shiftTraffic', () => {
  it('refuses before writing when a rollback is already requested', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();
    await lock.enterPhase(deployment.name, 'CUTOVER', { sides: SIDES, greenWeight: 10 });
    await lock.requestRollback(deployment.name, ALARM_REQUEST);

    // Act
    const error = await rejection(
      handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary({ stepIndex: 1, greenWeight: 10 }) }),
    );

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(router.calls.filter((call) => call.startsWith('setGreenWeight'))).toEqual([]);
    expect(await lock.read()).toMatchObject({ phase: 'CUTOVER', greenWeight: 10 });
  });

  it.each([
    { healthy: 2, unhealthy: 1 },
    { healthy: 0, unhealthy: 0 },
  ])('refuses with GreenUnhealthy when green has $healthy healthy and $unhealthy unhealthy targets', async (counts) => {
    // Prepare
    const { handle, deployment, router } = await world();
    router.health = { ...healthy(0), ...counts, total: counts.healthy + counts.unhealthy };

    // Act
    const error = await rejection(handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary() }));

    // Assess
    expect(error.name).toBe('GreenUnhealthy');
    expect(error.message).toContain('shop-green');
    expect(router.calls).toEqual([`targetHealth ${GREEN_TG}`]);
    expect(router.greenWeight).toBe(0);
  });

  it('undoes its own write when a rollback request lands while the write is in flight', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();
    router.duringWrite = async () => {
      await lock.requestRollback(deployment.name, ALARM_REQUEST);
      router.calls.push('rollback requested');
    };

    // Act
    const error = await rejection(handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary() }));

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(error.message).toContain('10 %');
    expect(router.calls).toEqual([
      `targetHealth ${GREEN_TG}`,
      'setGreenWeight 10',
      'rollback requested',
      'restoreLive',
    ]);
    expect(router.greenWeight).toBe(0);
  });

  it('moves green to the step weight, confirms it and records the step', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();
    const before = canary({
      stepIndex: 1,
      greenWeight: 10,
      bakeStartedAt: '2026-11-24T10:10:00.000Z',
      verdict: {
        decision: 'advance',
        trigger: null,
        inconclusive: false,
        reasons: ['within thresholds'],
        errorRatePercent: 0.2,
        p95LatencyMs: 120,
        dbConnectionsPercent: 20,
        pendingMinutes: 0,
        retryAfterSeconds: null,
      },
    });

    // Act
    const result = await handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: before });

    // Assess
    expect(result).toEqual({
      ...before,
      greenWeight: 50,
      bakeStartedAt: null,
      verdict: null,
      history: [
        {
          stepIndex: 1,
          greenWeight: 50,
          shiftedAt: NOW.toISOString(),
          confirmedAt: '2026-11-24T10:30:02.000Z',
          bakes: [],
        },
      ],
    });
    expect(router.calls).toEqual([`targetHealth ${GREEN_TG}`, 'setGreenWeight 50', 'confirmWeights 50']);
    expect(await lock.read()).toMatchObject({ phase: 'CUTOVER', greenWeight: 50 });
  });

  it("measures the load balancer's baseline before the first shift, over settled minutes", async () => {
    // Prepare
    const { handle, deployment, monitor, router } = await world();

    // Act
    const result = (await handle({
      action: 'shiftTraffic',
      deployment,
      sides: SIDES,
      canary: canary({ baseline: null }),
    })) as CanaryState;

    // Assess
    expect(result.baseline).toEqual(BASELINE);
    expect(monitor.baselines).toEqual([
      { window: { start: new Date('2026-11-24T10:12:00.000Z'), end: new Date('2026-11-24T10:27:00.000Z') }, now: NOW },
    ]);
    expect(router.calls).toEqual([`targetHealth ${GREEN_TG}`, 'baseline', 'setGreenWeight 10', 'confirmWeights 10']);
  });

  it('measures no new baseline at later steps', async () => {
    // Prepare
    const { handle, deployment, monitor } = await world();

    // Act
    const result = (await handle({
      action: 'shiftTraffic',
      deployment,
      sides: SIDES,
      canary: canary({ stepIndex: 1, greenWeight: 10 }),
    })) as CanaryState;

    // Assess
    expect(result.baseline).toEqual(BASELINE);
    expect(monitor.baselines).toEqual([]);
  });

  it.each([
    { deathAt: 'targetHealth', stepIndex: 1 },
    { deathAt: 'baseline', stepIndex: 0 },
    { deathAt: 'setGreenWeight', stepIndex: 1 },
    { deathAt: 'confirmWeights', stepIndex: 1 },
  ])(
    'never leaves green more weight than the lock records when the function dies at $deathAt',
    async ({ deathAt, stepIndex }) => {
      // Prepare
      const { handle, deployment, lock, router, monitor } = await world();
      const before = stepIndex === 0 ? 0 : 10;
      await lock.enterPhase(deployment.name, 'CUTOVER', { sides: SIDES, greenWeight: before });
      router.greenWeight = before;
      const die = (): never => {
        throw new Error(`the function died at ${deathAt}`);
      };
      if (deathAt === 'targetHealth') router.targetHealth = async () => die();
      if (deathAt === 'baseline') monitor.baseline = async () => die();
      // The write landed; the function died before it returned.
      if (deathAt === 'setGreenWeight') {
        router.duringWrite = async () => {
          router.greenWeight = 50;
          die();
        };
      }
      if (deathAt === 'confirmWeights') router.confirmWeights = async () => die();
      const start = canary({ stepIndex, greenWeight: before, baseline: stepIndex === 0 ? null : BASELINE });

      // Act
      const error = await rejection(handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: start }));

      // Assess
      expect(error.message).toContain('died');
      expect((await lock.read())?.greenWeight ?? 0).toBeGreaterThanOrEqual(router.greenWeight);
    },
  );

  it('fails with InvalidCanaryState past the last step, before touching anything', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();

    // Act
    const error = await rejection(
      handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary({ stepIndex: 3 }) }),
    );

    // Assess
    expect(error.name).toBe('InvalidCanaryState');
    expect(router.calls).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('phase');
  });
});

describe('orchestrator: startBake', () => {
  it('stores the task token and the bake start in the lock', async () => {
    // Prepare
    const { handle, deployment, lock } = await world();

    // Act
    const result = await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });

    // Assess
    expect(result).toEqual({ bakeStartedAt: NOW.toISOString() });
    expect(await lock.read()).toMatchObject({ bakeToken: 'token-step-0', bakeStartedAt: NOW.toISOString() });
  });

  it('refuses with RollbackRequested after a rollback request, storing no token', async () => {
    // Prepare
    const { handle, deployment, lock } = await world();
    await lock.requestRollback(deployment.name, ALARM_REQUEST);

    // Act
    const error = await rejection(
      handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) }),
    );

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(await lock.read()).not.toHaveProperty('bakeToken');
  });
});

describe('orchestrator: evaluateStep', () => {
  it('advances to the next step on a healthy bake and clears the bake token', async () => {
    // Prepare
    const { handle, deployment, lock, setNow } = await world();
    setNow(new Date('2026-11-24T10:10:00.000Z'));
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    setNow(NOW);

    // Act
    const result = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(0),
    })) as CanaryState;

    // Assess
    expect(result.stepIndex).toBe(1);
    expect(result.inconclusiveCount).toBe(0);
    expect(result.verdict?.decision).toBe('advance');
    expect(result.bakeStartedAt).toBe('2026-11-24T10:10:00.000Z');
    expect(result.history).toHaveLength(1);
    expect(result.history[0]?.bakes).toEqual([
      {
        startedAt: '2026-11-24T10:10:00.000Z',
        endedAt: NOW.toISOString(),
        verdict: result.verdict,
        sample: summarizeSample(goodSample()),
      },
    ]);
    const item = await lock.read();
    expect(item).not.toHaveProperty('bakeToken');
    expect(item?.bakeStartedAt).toBe('2026-11-24T10:10:00.000Z');
  });

  it('samples green over the whole bake, from the lock bake start to now, with its alarms, baseline and health', async () => {
    // Prepare
    const { handle, deployment, monitor, router, setNow } = await world();
    setNow(new Date('2026-11-24T10:12:00.000Z'));
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    setNow(NOW);
    const stale = shifted(0, { bakeStartedAt: '2026-11-24T09:00:00.000Z' });

    // Act
    await handle({ action: 'evaluateStep', deployment, sides: SIDES, canary: stale });

    // Assess
    expect(monitor.samples).toEqual([
      {
        greenTargetGroupFullName: GREEN_TG_FULL_NAME,
        window: { start: new Date('2026-11-24T10:12:00.000Z'), end: NOW },
        watchedAlarms: ['shop-green-5xx', 'shop-green-unhealthy-hosts', 'shop-db-connections'],
        baseline: BASELINE,
        now: NOW,
      },
    ]);
    expect(router.calls).toContain(`targetHealth ${GREEN_TG}`);
  });

  it('keeps a one-minute window when the bake is shorter', async () => {
    // Prepare
    const { handle, deployment, monitor, setNow } = await world();
    setNow(NOW);
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });

    // Act
    await handle({ action: 'evaluateStep', deployment, sides: SIDES, canary: shifted(0) });

    // Assess
    expect(monitor.samples[0]?.window).toEqual({ start: NOW, end: new Date('2026-11-24T10:31:00.000Z') });
  });

  it("waits for the bake's late datapoints: no bake recorded, the bake end kept, the token cleared", async () => {
    // Prepare
    const { handle, deployment, lock, monitor, setNow } = await world();
    setNow(new Date('2026-11-24T10:25:00.000Z'));
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    setNow(NOW);
    monitor.next = lateSample();

    // Act
    const result = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(0),
    })) as CanaryState;

    // Assess
    // The window's last minute (10:29) ends at 10:30; its datapoints are expected 90 s later.
    expect(result.verdict).toMatchObject({ decision: 'wait', retryAfterSeconds: 90, pendingMinutes: 1 });
    expect(result).toMatchObject({
      stepIndex: 0,
      bakeStartedAt: '2026-11-24T10:25:00.000Z',
      bakeEndedAt: NOW.toISOString(),
    });
    expect(result.history[0]?.bakes).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('bakeToken');
  });

  it('judges the same window once the late datapoints are in, recording the bake as it ended', async () => {
    // Prepare
    const { handle, deployment, monitor, setNow } = await world();
    setNow(new Date('2026-11-24T10:25:00.000Z'));
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    setNow(NOW);
    monitor.next = lateSample();
    const waiting = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(0),
    })) as CanaryState;
    setNow(new Date('2026-11-24T10:32:30.000Z'));
    monitor.next = goodSample();

    // Act
    const result = (await handle({ action: 'evaluateStep', deployment, sides: SIDES, canary: waiting })) as CanaryState;

    // Assess
    expect(result.verdict?.decision).toBe('advance');
    expect(result).toMatchObject({ stepIndex: 1, bakeEndedAt: null });
    expect(result.history[0]?.bakes.map((bake) => [bake.startedAt, bake.endedAt])).toEqual([
      ['2026-11-24T10:25:00.000Z', NOW.toISOString()],
    ]);
    expect(monitor.samples.map((sample) => sample.window)).toEqual([
      { start: new Date('2026-11-24T10:25:00.000Z'), end: NOW },
      { start: new Date('2026-11-24T10:25:00.000Z'), end: NOW },
    ]);
  });

  it('makes a window still partial when the wait ends inconclusive, never a promotion', async () => {
    // Prepare
    const { handle, deployment, monitor, setNow } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-2', deployment, canary: shifted(2) });
    monitor.next = lateSample();
    const waiting = shifted(2, {
      bakeStartedAt: '2026-11-24T10:20:00.000Z',
      bakeEndedAt: '2026-11-24T10:25:00.000Z',
    });
    setNow(new Date('2026-11-24T10:30:00.000Z'));

    // Act
    const result = (await handle({ action: 'evaluateStep', deployment, sides: SIDES, canary: waiting })) as CanaryState;

    // Assess
    expect(result.verdict).toMatchObject({ decision: 'rebake', inconclusive: true });
    expect(result.inconclusiveCount).toBe(1);
  });

  it('rolls back at once, as a failed health check, when green has no healthy target now', async () => {
    // Prepare
    const { handle, deployment, router } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    router.health = { ...healthy(0), total: 2, unhealthy: 2 };

    // Act
    const result = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(0),
    })) as CanaryState;

    // Assess
    expect(result.verdict).toMatchObject({ decision: 'rollback', trigger: 'HEALTH_CHECK_FAILED' });
  });

  it('records the database alarm as DB_CONNECTIONS', async () => {
    // Prepare
    const { handle, deployment, monitor } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    monitor.next = { ...goodSample(), alarmsInAlarm: ['shop-db-connections'] };

    // Act
    const result = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(0),
    })) as CanaryState;

    // Assess
    expect(result.verdict).toMatchObject({ decision: 'rollback', trigger: 'DB_CONNECTIONS' });
  });

  it('fails with InvalidCanaryState without a baseline, before sampling', async () => {
    // Prepare
    const { handle, deployment, monitor } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });

    // Act
    const error = await rejection(
      handle({ action: 'evaluateStep', deployment, sides: SIDES, canary: shifted(0, { baseline: null }) }),
    );

    // Assess
    expect(error.name).toBe('InvalidCanaryState');
    expect(monitor.samples).toEqual([]);
  });

  it('rebakes an inconclusive window at the same step, counting it', async () => {
    // Prepare
    const { handle, deployment, monitor } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-1', deployment, canary: shifted(1) });
    monitor.next = emptySample();

    // Act
    const result = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(1, { inconclusiveCount: 1 }),
    })) as CanaryState;

    // Assess
    expect(result.verdict).toMatchObject({ decision: 'rebake', inconclusive: true });
    expect(result.stepIndex).toBe(1);
    expect(result.inconclusiveCount).toBe(2);
  });

  it('promotes at the last step on a good bake', async () => {
    // Prepare
    const { handle, deployment } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-2', deployment, canary: shifted(2) });

    // Act
    const result = (await handle({
      action: 'evaluateStep',
      deployment,
      sides: SIDES,
      canary: shifted(2),
    })) as CanaryState;

    // Assess
    expect(result.verdict?.decision).toBe('promote');
    expect(result.stepIndex).toBe(2);
  });

  it('refuses with RollbackRequested after a rollback request, without sampling', async () => {
    // Prepare
    const { handle, deployment, lock, monitor } = await world();
    await handle({ action: 'startBake', taskToken: 'token-step-0', deployment, canary: shifted(0) });
    await lock.requestRollback(deployment.name, ALARM_REQUEST);

    // Act
    const error = await rejection(handle({ action: 'evaluateStep', deployment, sides: SIDES, canary: shifted(0) }));

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(monitor.samples).toEqual([]);
  });
});

describe('orchestrator: scaleDownGreen and confirmPromotion', () => {
  it.each([0, 10])('scales green down with the weight read from the listener (%i %%)', async (weight) => {
    // Prepare
    const { handle, deployment, router, provisioner } = await world();
    router.greenWeight = weight;

    // Act
    await handle({ action: 'scaleDownGreen', deployment, sides: SIDES });

    // Assess
    expect(router.calls).toEqual(['readForward']);
    expect(provisioner.scaleDowns).toEqual([{ green: GREEN, live: BLUE, greenWeight: weight }]);
  });

  it('confirms 100 % on green and records PROMOTED', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();
    await lock.enterPhase(deployment.name, 'CUTOVER', { sides: SIDES, greenWeight: 100 });
    router.greenWeight = 100;

    // Act
    const result = await handle({ action: 'confirmPromotion', deployment, sides: SIDES, canary: shifted(2) });

    // Assess
    expect(result).toMatchObject({
      promotedAt: '2026-11-24T10:30:02.000Z',
      liveTargetGroupArn: GREEN_TG,
      previousLiveTargetGroupArn: BLUE_TG,
    });
    expect(router.calls).toEqual(['confirmWeights 100']);
    expect(await lock.read()).toMatchObject({ phase: 'PROMOTED', greenWeight: 100 });
  });
});

describe('metricsTiming', () => {
  const metrics = { maxWaitSeconds: 300, expectedDelaySeconds: 90, baselineMinutes: 15 };
  const bakeEnd = new Date('2026-11-24T10:30:20.000Z');
  const windowEnd = bakeEnd;

  it.each<[string, string, { deadlinePassed: boolean; retryAfterSeconds: number }]>([
    [
      'right after the bake: when the last minute is expected',
      '2026-11-24T10:30:20.000Z',
      { deadlinePassed: false, retryAfterSeconds: 130 },
    ],
    [
      'when the datapoints are overdue: 30 s on',
      '2026-11-24T10:33:00.000Z',
      { deadlinePassed: false, retryAfterSeconds: 30 },
    ],
    [
      'close to the deadline: never below 15 s',
      '2026-11-24T10:35:15.000Z',
      { deadlinePassed: false, retryAfterSeconds: 15 },
    ],
    ['at the deadline', '2026-11-24T10:35:20.000Z', { deadlinePassed: true, retryAfterSeconds: 15 }],
  ])('%s', (_, now, expected) => {
    // Prepare
    // Act
    const timing = metricsTiming(metrics, windowEnd, bakeEnd, new Date(now));

    // Assess
    expect(timing).toEqual(expected);
  });
});
