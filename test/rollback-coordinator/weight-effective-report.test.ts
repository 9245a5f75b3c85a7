import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { coordinatorRequestSchema } from '../../lambdas/rollback-coordinator/agent';
import type { RollbackState } from '../../lambdas/shared/cutover-contracts';
import { DeploymentCrewError } from '../../lambdas/shared/errors';
import { rejection } from '../support/errors';
import { ALARM_REQUEST, ASL_HINT, RELEASE, SIDES, useLocalDynamo, world } from './support';

useLocalDynamo();

describe('coordinator: time until weight effective', () => {
  /** What FinishRollback and EscalateRollback return (the ASL keeps it as $.rollbackSummary / $.escalation). */
  interface Reported {
    readonly subject: string;
    readonly message: string;
    readonly cause: string;
    readonly timeUntilWeightEffectiveSeconds: number | null;
    readonly elapsedSinceTriggerSeconds?: number | null;
    readonly weightEffective: NonNullable<RollbackState['weightEffective']>;
  }

  /** The hint a Record* state passes, with its $$.State.EnteredTime. */
  const VERDICT_HINT = {
    trigger: 'ERROR_RATE' as const,
    phase: 'CUTOVER' as const,
    reason: 'canary verdict at 10 % green: error rate above 5 %',
    cause: 'verdict',
    detectedAt: '2026-11-24T10:39:29.750Z',
  };

  /** A clock the test moves, shared by the agent and the router's confirmation. */
  function virtualClock(start: string): { readonly now: () => Date; advance(ms: number): void } {
    let at = new Date(start).getTime();
    return { now: () => new Date(at), advance: (ms) => (at += ms) };
  }

  it("measures from the state machine's trigger time to the traffic rollback's confirmation, into the summary", async () => {
    // Prepare
    const clock = virtualClock('2026-11-24T10:39:30.000Z');
    const { handle, deployment, router } = await world({ phase: 'CUTOVER', greenWeight: 10 }, undefined, clock.now);
    router.confirmClock = clock.now;

    // Act
    const begun = (await handle({
      action: 'begin',
      deployment,
      release: RELEASE,
      trigger: VERDICT_HINT,
    })) as RollbackState;
    clock.advance(4000);
    const restored = (await handle({
      action: 'rollbackTraffic',
      deployment,
      sides: SIDES,
      rollback: begun,
    })) as RollbackState;
    clock.advance(120_000);
    const finish = v.parse(coordinatorRequestSchema, {
      action: 'finish',
      deployment,
      release: RELEASE,
      rollback: restored,
    });
    const summary = (await handle(finish)) as Reported;

    // Assess
    expect(begun).toMatchObject({
      detectedAt: VERDICT_HINT.detectedAt,
      weightEffective: { triggerAt: VERDICT_HINT.detectedAt, confirmedAt: null, timeUntilWeightEffectiveSeconds: null },
    });
    expect(restored.weightEffective).toEqual({
      triggerAt: '2026-11-24T10:39:29.750Z',
      triggerSource: 'the state machine recorded the trigger',
      confirmedAt: '2026-11-24T10:39:34.000Z',
      timeUntilWeightEffectiveSeconds: 4.25,
      unknownBecause: null,
    });
    expect(restored.timeline.find((entry) => entry.action === 'time until weight effective')).toMatchObject({
      at: '2026-11-24T10:39:34.000Z',
      result: 'ok',
    });
    expect(summary.timeUntilWeightEffectiveSeconds).toBe(4.25);
    expect(summary.weightEffective).toEqual(restored.weightEffective);
    expect(summary.message).toContain('Time until weight effective: 4.25 s from the trigger');
    expect(summary.cause).toContain('time until weight effective: 4.25 s');
  });

  it("measures from the alarm listener's request to its own fast-path confirmation", async () => {
    // Prepare
    const { handle, deployment } = await world({
      phase: 'CUTOVER',
      greenWeight: 10,
      rollback: ALARM_REQUEST,
      listenerRestoredAt: '2026-11-24T10:36:02.500Z',
    });

    // Act
    const begun = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;
    // RollbackTraffic confirms again later: the weight was effective from the first confirmation.
    const restored = (await handle({
      action: 'rollbackTraffic',
      deployment,
      sides: SIDES,
      rollback: begun,
    })) as RollbackState;
    const summary = (await handle({ action: 'finish', deployment, release: RELEASE, rollback: restored })) as Reported;

    // Assess
    expect(begun.weightEffective).toMatchObject({
      triggerAt: ALARM_REQUEST.requestedAt,
      confirmedAt: '2026-11-24T10:36:02.500Z',
      timeUntilWeightEffectiveSeconds: 2.5,
    });
    expect(restored.timeline.filter((entry) => entry.action === 'time until weight effective')).toHaveLength(1);
    expect(summary.timeUntilWeightEffectiveSeconds).toBe(2.5);
  });

  it('records null with the reason when only the coordinator knows when the rollback began', async () => {
    // Prepare
    const { handle, deployment } = await world({ phase: 'CUTOVER', greenWeight: 50 });
    const hint = { trigger: 'TRAFFIC_SHIFT_FAILED' as const, phase: 'CUTOVER' as const, reason: 'the shift failed' };

    // Act
    const begun = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: hint })) as RollbackState;
    const restored = (await handle({
      action: 'rollbackTraffic',
      deployment,
      sides: SIDES,
      rollback: begun,
    })) as RollbackState;
    const summary = (await handle({ action: 'finish', deployment, release: RELEASE, rollback: restored })) as Reported;

    // Assess
    expect(restored.weightEffective).toMatchObject({
      triggerAt: null,
      confirmedAt: '2026-11-24T10:40:02.000Z',
      timeUntilWeightEffectiveSeconds: null,
    });
    expect(summary.timeUntilWeightEffectiveSeconds).toBeNull();
    expect(summary.message).toContain(
      "Time until weight effective: unknown: the trigger's time was not recorded (the state machine passed no trigger.detectedAt)",
    );
  });

  it('says there is no figure to wait for when the decision leaves the listener alone', async () => {
    // Prepare
    const { handle, deployment } = await world({ phase: 'MIGRATION', migrationStarted: true });
    const hint = { trigger: 'MIGRATION_FAILED' as const, phase: 'MIGRATION' as const, reason: 'migration failed' };

    // Act
    const begun = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: hint })) as RollbackState;

    // Assess
    expect(begun.decision?.type).toBe('database');
    expect(begun.weightEffective?.timeUntilWeightEffectiveSeconds).toBeNull();
    expect(begun.timeline.at(-1)).toMatchObject({ action: 'time until weight effective', result: 'skipped' });
    expect(begun.timeline.at(-1)?.detail).toContain(
      'not applicable: no traffic rollback was needed (decision: database)',
    );
  });

  it('escalates with null and the time elapsed so far when the listener was never confirmed', async () => {
    // Prepare
    const clock = virtualClock('2026-11-24T10:39:30.000Z');
    const { handle, deployment, router } = await world({ phase: 'CUTOVER', greenWeight: 50 }, undefined, clock.now);
    const begun = (await handle({
      action: 'begin',
      deployment,
      release: RELEASE,
      trigger: VERDICT_HINT,
    })) as RollbackState;
    router.restoreError = new DeploymentCrewError('AccessDenied', 'elasticloadbalancing:ModifyListener was denied');
    const failure = await rejection(handle({ action: 'rollbackTraffic', deployment, sides: SIDES, rollback: begun }));
    clock.advance(240_000);

    // Act
    const escalation = (await handle({
      action: 'escalate',
      deployment,
      sides: SIDES,
      rollback: begun,
      failure: { Error: failure.name, Cause: failure.message },
    })) as Reported;

    // Assess
    expect(router.calls).toEqual(['restoreLive shop-blue', 'restoreLive shop-blue']);
    expect(escalation.timeUntilWeightEffectiveSeconds).toBeNull();
    expect(escalation.elapsedSinceTriggerSeconds).toBe(240.25);
    expect(escalation.weightEffective).toMatchObject({ triggerAt: VERDICT_HINT.detectedAt, confirmedAt: null });
    expect(escalation.message).toContain(
      'Time until weight effective: none, the listener was never confirmed back at 100 % live (240.25 s since the trigger so far)',
    );
    expect(escalation.message).toMatch(/\[failed\] {2}time until weight effective: not effective: .*240\.25 s since/);
    expect(escalation.cause).toContain('DEPLOY-003');
    expect(escalation.cause).toContain('never confirmed back at 100 % live (240.25 s since the trigger so far)');
  });

  it("escalates with the figure when a failed step's confirmation survives only in the lock", async () => {
    // Prepare
    const { handle, deployment, router } = await world({ phase: 'CUTOVER', greenWeight: 10, rollback: ALARM_REQUEST });
    const begun = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;
    router.liveHealth = { total: 2, healthy: 1, unhealthy: 1, draining: 0, states: [] };
    const failure = await rejection(handle({ action: 'rollbackTraffic', deployment, sides: SIDES, rollback: begun }));
    router.confirmClock = () => new Date('2026-11-24T10:41:00.000Z');

    // Act
    const escalation = (await handle({
      action: 'escalate',
      deployment,
      sides: SIDES,
      rollback: begun,
      failure: { Error: failure.name, Cause: failure.message },
    })) as Reported;

    // Assess
    expect(failure.name).toBe('LiveUnhealthy');
    expect(escalation.weightEffective).toMatchObject({
      triggerAt: ALARM_REQUEST.requestedAt,
      confirmedAt: '2026-11-24T10:40:02.000Z',
      timeUntilWeightEffectiveSeconds: 242,
    });
    expect(escalation.timeUntilWeightEffectiveSeconds).toBe(242);
    expect(escalation.message).toContain('Time until weight effective: 242 s from the trigger');
  });
});
