import { describe, expect, it } from 'vitest';
import type { CanaryState } from '../../lambdas/shared/cutover-contracts';
import { summarizeSample } from '../../lambdas/shared/cutover-contracts';
import { rejection } from '../support/errors';
import {
  ALARM_REQUEST,
  BASELINE,
  emptySample,
  GREEN_TG,
  GREEN_TG_FULL_NAME,
  goodSample,
  healthy,
  lateSample,
  NOW,
  SIDES,
  shifted,
  useLocalDynamo,
  world,
} from './support';

useLocalDynamo();

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
        decidedAt: NOW.toISOString(),
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
