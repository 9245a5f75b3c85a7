import { describe, expect, it } from 'vitest';
import { metricsTiming } from '../../lambdas/blue-green-orchestrator/agent';
import { rejection } from '../support/errors';
import { ALARM_REQUEST, BLUE, BLUE_TG, GREEN, GREEN_TG, NOW, SIDES, shifted, useLocalDynamo, world } from './support';

useLocalDynamo();

describe('orchestrator: resolveSides', () => {
  it('resolves the configured pair and records the sides, PROVISIONING and weight 0 in the lock', async () => {
    // Prepare
    const { handle, deployment, lock, router, events } = await world();

    // Act
    const result = await handle({ action: 'resolveSides', deployment });

    // Assess
    expect(result).toEqual(SIDES);
    expect(router.calls).toEqual(['resolveSides shop-blue,shop-green']);
    expect(events).toEqual([
      {
        type: 'Deployment Phase Changed',
        detail: {
          deployment: deployment.name,
          at: NOW.toISOString(),
          schemaVersion: 1,
          phase: 'PROVISIONING',
          previousPhase: null,
        },
      },
    ]);
    expect(await lock.read()).toMatchObject({ phase: 'PROVISIONING', sides: SIDES, greenWeight: 0 });
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
    const { handle, deployment, lock, router, events } = await world();
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
    expect(events.map((event) => [event.type, event.detail.phase, event.detail.previousPhase])).toEqual([
      ['Deployment Phase Changed', 'PROMOTED', 'CUTOVER'],
    ]);
  });
});

describe('orchestrator: retireOldSide (the end of the post-promotion watch)', () => {
  const promoted = async () => {
    const setup = await world();
    await setup.lock.enterPhase(setup.deployment.name, 'PROMOTED', { sides: SIDES, greenWeight: 100 });
    setup.router.greenWeight = 100;
    return setup;
  };

  it('scales the old side down after a fresh read shows it at 0 %, and records RETIRING first', async () => {
    // Prepare
    const { handle, deployment, lock, router, provisioner, events } = await promoted();

    // Act
    const result = await handle({ action: 'retireOldSide', deployment, sides: SIDES });

    // Assess: the old side (live) is the one scaled down; green, now serving everything, is kept.
    expect(router.calls).toEqual(['readForward']);
    expect(provisioner.scaleDowns).toEqual([{ green: BLUE, live: GREEN, greenWeight: 0 }]);
    expect(result).toMatchObject({ serviceName: 'shop-blue', alreadyScaledDown: false });
    expect(await lock.read()).toMatchObject({ phase: 'RETIRING' });
    expect(events.map((event) => [event.type, event.detail.phase])).toEqual([['Deployment Phase Changed', 'RETIRED']]);
  });

  it.each([0, 90])(
    'keeps the old side when the listener does not show green at 100 %% (green %i %%)',
    async (weight) => {
      // Prepare
      const { handle, deployment, router, provisioner } = await promoted();
      router.greenWeight = weight;

      // Act
      const error = await rejection(handle({ action: 'retireOldSide', deployment, sides: SIDES }));

      // Assess
      expect(error.name).toBe('OldSideStillRouted');
      expect(provisioner.scaleDowns).toEqual([]);
    },
  );

  it('refuses with RollbackRequested when a rollback was claimed in the window, touching nothing', async () => {
    // Prepare
    const { handle, deployment, lock, router, provisioner } = await promoted();
    await lock.requestRollback(deployment.name, ALARM_REQUEST);

    // Act
    const error = await rejection(handle({ action: 'retireOldSide', deployment, sides: SIDES }));

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(router.calls).toEqual([]);
    expect(provisioner.scaleDowns).toEqual([]);
    expect(await lock.read()).toMatchObject({ phase: 'PROMOTED' });
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
