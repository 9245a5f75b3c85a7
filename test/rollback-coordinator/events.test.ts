import { PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { DatabaseRestoreState, RollbackState } from '../../lambdas/shared/cutover-contracts';
import { rejection } from '../support/errors';
import {
  ASL_HINT,
  BACKUP,
  EVENT_BUS,
  MANUAL_REQUEST,
  NOW,
  PLANNED,
  RELEASE,
  rollbackState,
  SIDES,
  useLocalDynamo,
  type World,
  world,
} from './support';

useLocalDynamo();

/** An expected PutEvents input: one entry on the crew's bus, `Time` the detail's `at`. */
function putEvent(detailType: string, detail: Record<string, unknown>) {
  return {
    Entries: [
      {
        EventBusName: EVENT_BUS,
        Source: 'deployment-crew',
        DetailType: detailType,
        Detail: detail,
        Time: NOW,
      },
    ],
  };
}

/** The inputs sent, each Detail parsed: compared whole, so a missing or extra field fails. */
function sent(inputs: PutEventsCommandInput[]) {
  return inputs.map((input) => ({
    ...input,
    Entries: (input.Entries ?? []).map((entry) => ({ ...entry, Detail: JSON.parse(entry.Detail ?? 'null') })),
  }));
}

const stamp = (name: string) => ({ deployment: name, at: NOW.toISOString(), schemaVersion: 1 });

const AVAILABLE: DatabaseRestoreState = {
  ...PLANNED,
  status: 'AVAILABLE',
  polls: 12,
  reason: 'restored and available',
  swap: {
    startedAt: '2026-11-24T10:36:00.000Z',
    temporaryRenamedAt: '2026-11-24T10:37:00.000Z',
    completedAt: '2026-11-24T10:39:00.000Z',
    endpointDownSeconds: 180,
  },
};

/** A bus that refuses every entry, or a PutEvents call that fails outright. */
function breakBus(target: World, how: 'entry refused' | 'call fails'): void {
  target.eventBridge.reset();
  if (how === 'entry refused') {
    target.eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
  } else {
    target.eventBridge.on(PutEventsCommand).rejects(new Error('connect ETIMEDOUT'));
  }
}

describe('coordinator: rollback events', () => {
  it('announces ROLLING_BACK and Rollback Started at begin, after the lock records the rollback', async () => {
    // Prepare
    const { handle, deployment, putEvents } = await world({
      phase: 'CUTOVER',
      sides: SIDES,
      greenWeight: 10,
      rollback: MANUAL_REQUEST,
    });

    // Act
    const state = (await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT })) as RollbackState;

    // Assess
    expect(state.decision?.type).toBe('traffic');
    expect(sent(putEvents())).toEqual([
      putEvent('Deployment Phase Changed', {
        ...stamp(deployment.name),
        phase: 'ROLLING_BACK',
        previousPhase: 'CUTOVER',
      }),
      putEvent('Rollback Started', {
        ...stamp(deployment.name),
        trigger: 'MANUAL',
        phase: 'CUTOVER',
        reason: MANUAL_REQUEST.reason,
        type: 'traffic',
        detectedAt: MANUAL_REQUEST.requestedAt,
      }),
    ]);
  });

  it('sends no second phase change from a retried begin that finds ROLLING_BACK recorded', async () => {
    // Prepare
    const { handle, deployment, putEvents } = await world({
      phase: 'ROLLING_BACK',
      phaseBeforeRollback: 'CUTOVER',
      greenWeight: 10,
      rollback: MANUAL_REQUEST,
    });

    // Act
    await handle({ action: 'begin', deployment, release: RELEASE, trigger: ASL_HINT });

    // Assess
    expect(putEvents().map((input) => input.Entries?.[0]?.DetailType)).toEqual(['Rollback Started']);
  });

  it('sends Rollback Traffic Restored with the first confirmation and the last restore the lock recorded', async () => {
    // Prepare: the alarm listener restored at 10:39:10, a later restore (a step-up undone) at 10:39:30
    const { handle, deployment, putEvents } = await world({
      phase: 'ROLLING_BACK',
      listenerRestoredAt: '2026-11-24T10:39:30.000Z',
    });
    const rollback = rollbackState({
      weightEffective: {
        triggerAt: '2026-11-24T10:38:00.000Z',
        triggerSource: 'the state machine recorded the trigger',
        confirmedAt: '2026-11-24T10:39:10.000Z',
        timeUntilWeightEffectiveSeconds: 70,
        unknownBecause: null,
      },
    });

    // Act
    const state = (await handle({ action: 'verifyTraffic', deployment, sides: SIDES, rollback })) as RollbackState;

    // Assess
    expect(state.timeline.at(-1)?.detail).toBe('too soon after the restore to judge the live side');
    expect(sent(putEvents())).toEqual([
      putEvent('Rollback Traffic Restored', {
        ...stamp(deployment.name),
        trigger: 'ERROR_RATE',
        restoredAt: '2026-11-24T10:39:30.000Z',
        confirmedAt: '2026-11-24T10:39:10.000Z',
        secondsUntilEffective: 70,
      }),
    ]);
  });

  it("measures Rollback Traffic Restored from the check's own re-read when nothing was confirmed before", async () => {
    // Prepare
    const { handle, deployment, putEvents } = await world();

    // Act
    await handle({ action: 'verifyTraffic', deployment, sides: SIDES, rollback: rollbackState() });

    // Assess: FakeRouter confirms at 10:40:01, 121 s after the 10:38:00 trigger
    expect(sent(putEvents())).toEqual([
      putEvent('Rollback Traffic Restored', {
        ...stamp(deployment.name),
        trigger: 'ERROR_RATE',
        restoredAt: '2026-11-24T10:40:01.000Z',
        confirmedAt: '2026-11-24T10:40:01.000Z',
        secondsUntilEffective: 121,
      }),
    ]);
  });

  it('sends nothing when the live side did not recover', async () => {
    // Prepare
    const { handle, deployment, monitor, putEvents } = await world();
    monitor.errorRatePercent = 3.5;

    // Act
    const error = await rejection(
      handle({ action: 'verifyTraffic', deployment, sides: SIDES, rollback: rollbackState() }),
    );

    // Assess
    expect(error.name).toBe('LiveErrorsNotRecovered');
    expect(putEvents()).toEqual([]);
  });

  it('sends Rollback Database Restored once the restore reaches AVAILABLE, and nothing on the way', async () => {
    // Prepare
    const { handle, deployment, restore, putEvents } = await world();
    const rollback = rollbackState({ decision: { type: 'full', database: 'auto', why: 'the migration ran.' } });
    const renaming: DatabaseRestoreState = { ...PLANNED, status: 'RENAMING', polls: 11 };

    // Act
    await handle({
      action: 'advanceDatabaseRestore',
      deployment,
      rollback: { ...rollback, database: PLANNED },
      backup: BACKUP,
    });
    const afterRestoring = putEvents().length;
    restore.next = AVAILABLE;
    await handle({
      action: 'advanceDatabaseRestore',
      deployment,
      rollback: { ...rollback, database: renaming },
      backup: BACKUP,
    });

    // Assess
    expect(afterRestoring).toBe(0);
    expect(sent(putEvents())).toEqual([
      putEvent('Rollback Database Restored', {
        ...stamp(deployment.name),
        trigger: 'ERROR_RATE',
        snapshotIdentifier: BACKUP.identifier,
        restoredAt: '2026-11-24T10:39:00.000Z',
      }),
    ]);
  });

  it.each([
    ['ROLLED_BACK', rollbackState()],
    [
      'DATABASE_NOT_RESTORED',
      rollbackState({ decision: { type: 'full', database: 'confirm', why: 'the migration ran.' } }),
    ],
    ['NOTHING_TO_UNDO', rollbackState({ decision: { type: 'none', database: 'none', why: 'nothing moved.' } })],
  ])('sends Rollback Finished with the outcome %s', async (outcome, rollback) => {
    // Prepare
    const { handle, deployment, putEvents } = await world();

    // Act
    await handle({ action: 'finish', deployment, release: RELEASE, rollback, backup: BACKUP });

    // Assess
    expect(sent(putEvents())).toEqual([
      putEvent('Rollback Finished', {
        ...stamp(deployment.name),
        trigger: 'ERROR_RATE',
        type: rollback.decision?.type,
        outcome,
      }),
    ]);
  });

  it('sends Rollback Failed at escalation, with the fields the final DEPLOY-003 event shares', async () => {
    // Prepare
    const { handle, deployment, putEvents } = await world();

    // Act
    await handle({
      action: 'escalate',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
      failure: { Error: 'LiveUnhealthy', Cause: 'shop-blue targets are not healthy after the rollback' },
      backup: BACKUP,
    });

    // Assess
    expect(sent(putEvents())).toEqual([
      putEvent('Rollback Failed', {
        ...stamp(deployment.name),
        executionArn: deployment.executionArn,
        error: 'RollbackFailed',
        code: 'DEPLOY-003',
        trigger: 'ERROR_RATE',
        reason: 'shop-blue targets are not healthy after the rollback',
        failedStep: 'LiveUnhealthy',
      }),
    ]);
  });

  it.each(['entry refused', 'call fails'] as const)('begins the rollback just the same when the %s', async (how) => {
    // Prepare
    const item = { phase: 'CUTOVER', sides: SIDES, greenWeight: 10, rollback: MANUAL_REQUEST };
    const healthy = await world(item);
    const broken = await world(item);
    breakBus(broken, how);

    // Act
    const expected = await healthy.handle({
      action: 'begin',
      deployment: healthy.deployment,
      release: RELEASE,
      trigger: ASL_HINT,
    });
    const state = await broken.handle({
      action: 'begin',
      deployment: broken.deployment,
      release: RELEASE,
      trigger: ASL_HINT,
    });

    // Assess
    expect(state).toEqual(expected);
    expect(broken.putEvents()).toHaveLength(2);
    expect(await broken.lock.read()).toMatchObject({ phase: 'ROLLING_BACK' });
  });

  it.each(['entry refused', 'call fails'] as const)('verifies, finishes and escalates when the %s', async (how) => {
    // Prepare
    const target = await world();
    breakBus(target, how);
    const { handle, deployment } = target;

    // Act
    const verified = (await handle({
      action: 'verifyTraffic',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
    })) as RollbackState;
    const finished = (await handle({
      action: 'finish',
      deployment,
      release: RELEASE,
      rollback: rollbackState(),
    })) as { subject: string };
    const escalated = (await handle({
      action: 'escalate',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
      failure: { Error: 'LiveUnhealthy', Cause: 'not healthy' },
    })) as { subject: string };

    // Assess
    expect(verified.timeline.map((entry) => entry.result)).toEqual(['ok']);
    expect(finished.subject).toBe(`DeploymentCrew: ${deployment.name} (release 1.4.0) rolled back (traffic)`);
    expect(escalated.subject).toBe(`DeploymentCrew ESCALATION: rollback of ${deployment.name} needs a person`);
    expect(target.putEvents().map((input) => input.Entries?.[0]?.DetailType)).toEqual([
      'Rollback Traffic Restored',
      'Rollback Finished',
      'Rollback Failed',
    ]);
  });
});
