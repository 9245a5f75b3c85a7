import { describe, expect, it } from 'vitest';
import type { DeploymentPhase, RollbackState } from '../../lambdas/shared/cutover-contracts';
import type { LockPhase } from '../../lambdas/tools/deployment-lock';
import { rejection } from '../support/errors';
import {
  ALARM_REQUEST,
  ASL_HINT,
  CHAIRMAN,
  MANUAL_REQUEST,
  NOW,
  RELEASE,
  SIDES,
  useLocalDynamo,
  world,
} from './support';

useLocalDynamo();

describe('coordinator: begin', () => {
  it("uses the lock's recorded request (the Chairman's override) over the ASL's hint", async () => {
    // Prepare
    const { handle, deployment, lock } = await world({
      phase: 'CUTOVER',
      sides: SIDES,
      greenWeight: 10,
      rollback: MANUAL_REQUEST,
    });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state).toMatchObject({
      trigger: 'MANUAL',
      phase: 'CUTOVER',
      reason: MANUAL_REQUEST.reason,
      detectedAt: MANUAL_REQUEST.requestedAt,
    });
    expect(state.timeline[0]).toEqual({
      at: MANUAL_REQUEST.requestedAt,
      action: 'trigger',
      result: 'info',
      detail: `MANUAL by ${CHAIRMAN}: ${MANUAL_REQUEST.reason}`,
    });
    expect(await lock.read()).toMatchObject({ phase: 'ROLLING_BACK', rollback: MANUAL_REQUEST });
  });

  it('names the alarm of a recorded alarm request', async () => {
    // Prepare
    const { handle, deployment } = await world({ phase: 'CUTOVER', greenWeight: 10, rollback: ALARM_REQUEST });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state.timeline[0]?.detail).toBe(`ALARM (shop-green-5xx) by cloudwatch: ${ALARM_REQUEST.reason}`);
  });

  it('records a request from the pipeline when the lock has none', async () => {
    // Prepare
    const { handle, deployment, lock } = await world({ phase: 'CUTOVER', greenWeight: 50 });
    const hint = {
      trigger: 'TRAFFIC_SHIFT_FAILED' as const,
      phase: 'CUTOVER' as const,
      reason: 'the traffic shift failed',
    };

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: hint })) as RollbackState;

    // Assess
    expect(state).toMatchObject({
      trigger: 'TRAFFIC_SHIFT_FAILED',
      reason: hint.reason,
      detectedAt: NOW.toISOString(),
    });
    expect(await lock.read()).toMatchObject({
      phase: 'ROLLING_BACK',
      rollback: {
        trigger: 'TRAFFIC_SHIFT_FAILED',
        reason: hint.reason,
        requestedAt: NOW.toISOString(),
        requestedBy: 'pipeline',
      },
    });
  });

  it.each<{ lockPhase: LockPhase; hint: DeploymentPhase; expected: DeploymentPhase }>([
    { lockPhase: 'PROVISIONING', hint: 'CUTOVER', expected: 'PROVISIONING' },
    { lockPhase: 'MIGRATION', hint: 'CUTOVER', expected: 'MIGRATION' },
    { lockPhase: 'CUTOVER', hint: 'PROVISIONING', expected: 'CUTOVER' },
    { lockPhase: 'PROMOTED', hint: 'CUTOVER', expected: 'POST_PROMOTION' },
    { lockPhase: 'VALIDATION', hint: 'MIGRATION', expected: 'MIGRATION' },
    { lockPhase: 'ROLLING_BACK', hint: 'CUTOVER', expected: 'CUTOVER' },
  ])('maps lock phase $lockPhase (hint $hint) to $expected', async ({ lockPhase, hint, expected }) => {
    // Prepare
    const { handle, deployment } = await world({ phase: lockPhase, rollback: MANUAL_REQUEST });

    // Act
    const state = (await handle({
      action: 'begin',
      deployment,
      release: RELEASE,
      trigger: { ...ASL_HINT, phase: hint },
    })) as RollbackState;

    // Assess
    expect(state.phase).toBe(expected);
  });

  it('adds the fast-path traffic rollback when the alarm listener already restored the listener', async () => {
    // Prepare
    const { handle, deployment } = await world({
      phase: 'CUTOVER',
      greenWeight: 10,
      rollback: ALARM_REQUEST,
      listenerRestoredAt: '2026-11-24T10:36:02.000Z',
    });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state.timeline.map((entry) => entry.action)).toEqual([
      'trigger',
      'fast-path traffic rollback',
      'time until weight effective',
      'decision',
    ]);
    expect(state.timeline[1]).toMatchObject({ at: '2026-11-24T10:36:02.000Z', result: 'ok' });
  });

  it('has no fast-path entry when the listener was not restored yet', async () => {
    // Prepare
    const { handle, deployment } = await world({ phase: 'CUTOVER', greenWeight: 10, rollback: ALARM_REQUEST });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state.timeline.map((entry) => entry.action)).toEqual(['trigger', 'decision']);
  });

  it('decides a full rollback after a schema change whose migration started, waiting for confirmation', async () => {
    // Prepare
    const { handle, deployment } = await world({
      phase: 'CUTOVER',
      greenWeight: 10,
      migrationStarted: true,
      rollback: ALARM_REQUEST,
    });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state.decision).toMatchObject({ type: 'full', database: 'confirm' });
    expect(state.timeline.at(-1)).toMatchObject({ at: NOW.toISOString(), action: 'decision', result: 'info' });
    expect(state.timeline.at(-1)?.detail).toContain('full rollback (database: confirm)');
    expect(state.database).toBeNull();
  });

  it('decides a traffic-only rollback when the migration never started', async () => {
    // Prepare
    const { handle, deployment } = await world({ phase: 'CUTOVER', greenWeight: 10, rollback: ALARM_REQUEST });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state.decision).toMatchObject({ type: 'traffic', database: 'none' });
  });

  it('refuses with LockLost when another deployment holds the lock, recording nothing', async () => {
    // Prepare
    const { handle, deployment, lock } = await world({ holder: 'release-9-9-9', phase: 'CUTOVER' });

    // Act
    const error = await rejection(handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT }));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await lock.read()).toMatchObject({ phase: 'CUTOVER' });
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  // An alarm's request landing between begin's read and its own requestRollback stays the first trigger, in the
  // lock and in the rollback state (and so in the Chairman's summary).
  it('keeps a request that lands between its read and its own request', async () => {
    // Prepare
    const { handle, deployment, lock } = await world({ phase: 'CUTOVER', greenWeight: 10 }, (real, holder) => ({
      ...real,
      requestRollback: async (_holder, request) => {
        await real.requestRollback(holder, ALARM_REQUEST);
        return real.requestRollback(holder, request);
      },
    }));
    const hint = { trigger: 'PIPELINE_ERROR' as const, phase: 'CUTOVER' as const, reason: 'a cutover step failed' };

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: hint })) as RollbackState;

    // Assess
    expect((await lock.read())?.rollback).toEqual(ALARM_REQUEST);
    expect(state).toMatchObject({
      trigger: 'ALARM',
      reason: ALARM_REQUEST.reason,
      detectedAt: ALARM_REQUEST.requestedAt,
    });
  });
});
