import { describe, expect, it } from 'vitest';
import type { RollbackState } from '../../lambdas/shared/cutover-contracts';
import { rejection } from '../support/errors';
import { ALARM_REQUEST, BLUE_TG, NOW, rollbackState, SIDES, useLocalDynamo, world } from './support';

useLocalDynamo();

describe('coordinator: rollbackTraffic and verifyTraffic', () => {
  it('puts the listener back on live, records it in the lock and checks live health', async () => {
    // Prepare
    const { handle, deployment, lock, router } = await world({ phase: 'ROLLING_BACK', rollback: ALARM_REQUEST });

    // Act
    const state = (await handle({
      action: 'rollbackTraffic',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
    })) as RollbackState;

    // Assess
    expect(router.calls).toEqual(['restoreLive shop-blue', `targetHealth ${BLUE_TG}`]);
    expect(state.timeline).toEqual([
      {
        at: NOW.toISOString(),
        action: 'traffic rollback',
        result: 'ok',
        detail: 'listener 100 % on shop-blue (shop-blue), confirmed at 2026-11-24T10:40:02.000Z',
      },
      {
        at: '2026-11-24T10:40:02.000Z',
        action: 'time until weight effective',
        result: 'ok',
        detail:
          '122 s from the trigger (2026-11-24T10:38:00.000Z: the state machine recorded the trigger) to the listener ' +
          'confirmed 100 % live (2026-11-24T10:40:02.000Z)',
      },
      { at: NOW.toISOString(), action: 'live target health', result: 'ok', detail: '2 of 2 targets healthy' },
    ]);
    expect((await lock.read())?.listenerRestoredAt).toBe('2026-11-24T10:40:02.000Z');
  });

  it('still restores traffic when the lock can no longer be written', async () => {
    // Prepare
    const { handle, deployment, router } = await world({ holder: 'release-9-9-9' });

    // Act
    const state = (await handle({
      action: 'rollbackTraffic',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
    })) as RollbackState;

    // Assess
    expect(router.calls[0]).toBe('restoreLive shop-blue');
    expect(state.timeline.map((entry) => entry.result)).toEqual(['ok', 'ok', 'ok']);
  });

  it('fails with LiveUnhealthy after restoring traffic when live targets are unhealthy', async () => {
    // Prepare
    const { handle, deployment, router } = await world({ phase: 'ROLLING_BACK', rollback: ALARM_REQUEST });
    router.liveHealth = { total: 3, healthy: 2, unhealthy: 1, draining: 0, states: [] };

    // Act
    const error = await rejection(
      handle({ action: 'rollbackTraffic', deployment, sides: SIDES, rollback: rollbackState() }),
    );

    // Assess
    expect(error.name).toBe('LiveUnhealthy');
    expect(error.message).toContain('2 healthy, 1 unhealthy of 3');
    expect(router.calls).toEqual(['restoreLive shop-blue', `targetHealth ${BLUE_TG}`]);
  });

  it("fails with LiveErrorsNotRecovered when live's error rate is above the threshold", async () => {
    // Prepare
    const { handle, deployment, monitor } = await world();
    monitor.errorRatePercent = 3.5;

    // Act
    const error = await rejection(
      handle({ action: 'verifyTraffic', deployment, sides: SIDES, rollback: rollbackState() }),
    );

    // Assess
    expect(error.name).toBe('LiveErrorsNotRecovered');
    expect(error.message).toContain('3.50 %');
    expect(monitor.windows).toEqual([
      {
        targetGroup: 'targetgroup/shop-blue/73e2d6bc24d8a067',
        window: { start: new Date('2026-11-24T10:32:00.000Z'), end: new Date('2026-11-24T10:37:00.000Z') },
      },
    ]);
  });

  it('notes that live had no requests yet when the error rate is unknown', async () => {
    // Prepare
    const { handle, deployment, router, monitor } = await world();
    monitor.errorRatePercent = null;

    // Act
    const state = (await handle({
      action: 'verifyTraffic',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
    })) as RollbackState;

    // Assess
    expect(router.calls).toEqual(['confirmWeights 0', `targetHealth ${BLUE_TG}`]);
    expect(state.timeline).toEqual([
      {
        at: NOW.toISOString(),
        action: 'live error rate',
        result: 'info',
        detail: 'no requests on the live side in the window yet',
      },
    ]);
  });

  it('records the recovered error rate at or below the threshold', async () => {
    // Prepare
    const { handle, deployment, monitor } = await world();
    monitor.errorRatePercent = 2;

    // Act
    const state = (await handle({
      action: 'verifyTraffic',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
    })) as RollbackState;

    // Assess
    expect(state.timeline[0]).toMatchObject({ action: 'live error rate', result: 'ok' });
    expect(state.timeline[0]?.detail).toContain('2.00 % 5xx over 4000 requests');
  });

  it('fails with LiveUnhealthy before measuring when live has no healthy target', async () => {
    // Prepare
    const { handle, deployment, router, monitor } = await world();
    router.liveHealth = { total: 0, healthy: 0, unhealthy: 0, draining: 0, states: [] };

    // Act
    const error = await rejection(
      handle({ action: 'verifyTraffic', deployment, sides: SIDES, rollback: rollbackState() }),
    );

    // Assess
    expect(error.name).toBe('LiveUnhealthy');
    expect(monitor.windows).toEqual([]);
  });
});
