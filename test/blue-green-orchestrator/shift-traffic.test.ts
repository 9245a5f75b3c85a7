import { describe, expect, it } from 'vitest';
import type { CanaryState } from '../../lambdas/shared/cutover-contracts';
import { rejection } from '../support/errors';
import { ALARM_REQUEST, BASELINE, canary, GREEN_TG, healthy, NOW, SIDES, useLocalDynamo, world } from './support';

useLocalDynamo();

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
      'alarmsInAlarm shop-db-connections',
      'setGreenWeight 10',
      'rollback requested',
      'restoreLive',
    ]);
    expect(router.greenWeight).toBe(0);
  });

  it("records its own restore as when the weight was effective: the alarm listener's earlier one came before its write", async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world();
    router.duringWrite = async () => {
      // The alarm listener claims, restores and records the listener back, then this step's write lands.
      await lock.requestRollback(deployment.name, ALARM_REQUEST);
      await lock.recordListenerRestored(deployment.name, '2026-11-24T10:30:01.000Z');
    };

    // Act
    await rejection(handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary() }));

    // Assess
    expect((await lock.read())?.listenerRestoredAt).toBe('2026-11-24T10:30:04.000Z');
  });

  it('refuses to shift while an alarm that watches no side (the database, extra alarms) is in ALARM', async () => {
    // Prepare
    const { handle, deployment, lock, router, monitor } = await world();
    monitor.inAlarm = ['shop-db-connections'];

    // Act
    const error = await rejection(handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary() }));

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(error.message).toContain('shop-db-connections');
    expect(router.calls.filter((call) => call.startsWith('setGreenWeight'))).toEqual([]);
    expect(router.greenWeight).toBe(0);
    expect((await lock.read())?.rollback).toMatchObject({
      trigger: 'DB_CONNECTIONS',
      alarmName: 'shop-db-connections',
      requestedBy: 'blue-green-orchestrator',
    });
  });

  it('moves green to the step weight, confirms it and records the step', async () => {
    // Prepare
    const { handle, deployment, lock, router, events } = await world();
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
    expect(router.calls).toEqual([
      `targetHealth ${GREEN_TG}`,
      'alarmsInAlarm shop-db-connections',
      'setGreenWeight 50',
      'confirmWeights 50',
    ]);
    expect(await lock.read()).toMatchObject({ phase: 'CUTOVER', greenWeight: 50 });
    // Only the confirmed shift is announced: the cutover phase began at the first step.
    expect(events).toEqual([
      {
        type: 'Traffic Shifted',
        detail: {
          deployment: deployment.name,
          at: NOW.toISOString(),
          schemaVersion: 1,
          fromGreenWeight: 10,
          toGreenWeight: 50,
          liveTargetGroupArn: SIDES.live.targetGroupArn,
          greenTargetGroupArn: GREEN_TG,
          confirmedAt: '2026-11-24T10:30:02.000Z',
          secondsUntilEffective: 2,
        },
      },
    ]);
  });

  it('announces the cutover phase at the first step, after the provisioning (or the migration) it follows', async () => {
    // Prepare
    const { handle, deployment, lock, events } = await world();
    await lock.enterPhase(deployment.name, 'MIGRATION', { sides: SIDES, greenWeight: 0 });

    // Act
    await handle({ action: 'shiftTraffic', deployment, sides: SIDES, canary: canary() });

    // Assess
    expect(events.map((event) => [event.type, event.detail.phase ?? event.detail.toGreenWeight])).toEqual([
      ['Deployment Phase Changed', 'CUTOVER'],
      ['Traffic Shifted', 10],
    ]);
    expect(events[0]?.detail.previousPhase).toBe('MIGRATION');
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
    expect(router.calls).toEqual([
      `targetHealth ${GREEN_TG}`,
      'alarmsInAlarm shop-db-connections',
      'baseline',
      'setGreenWeight 10',
      'confirmWeights 10',
    ]);
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
