import { describe, expect, it } from 'vitest';
import type { RollbackState } from '../../lambdas/shared/cutover-contracts';
import { STATE_TABLE_NAME } from '../support/dynalite';
import { BACKUP, LISTENER, NOW, RELEASE, rollbackState, SIDES, useLocalDynamo, world } from './support';

useLocalDynamo();

describe('coordinator: note, finish and escalate', () => {
  it('appends a note at the current time', async () => {
    // Prepare
    const { handle } = await world();

    // Act
    const state = (await handle({
      action: 'note',
      rollback: rollbackState(),
      entry: { action: 'database restore', result: 'skipped', detail: 'not confirmed (States.Timeout)' },
    })) as RollbackState;

    // Assess
    expect(state.timeline).toEqual([
      {
        at: NOW.toISOString(),
        action: 'database restore',
        result: 'skipped',
        detail: 'not confirmed (States.Timeout)',
      },
    ]);
  });

  it("writes the Chairman's summary with the rollback", async () => {
    // Prepare
    const { handle, deployment } = await world();
    const rollback = rollbackState({
      timeline: [{ at: '2026-11-24T10:40:02.000Z', action: 'traffic rollback', result: 'ok', detail: 'listener back' }],
    });

    // Act
    const result = (await handle({ action: 'finish', deployment, release: RELEASE, rollback, backup: BACKUP })) as {
      subject: string;
      message: string;
      rollback: RollbackState;
    };

    // Assess
    expect(result.subject).toBe(`DeploymentCrew: ${deployment.name} (release 1.4.0) rolled back (traffic)`);
    expect(result.message).toContain('Trigger: ERROR_RATE');
    expect(result.message).toContain('traffic rollback: listener back');
    expect(result.rollback).toEqual(rollback);
  });

  it('writes the escalation runbook naming the listener and the lock key', async () => {
    // Prepare
    const { handle, deployment, lockKey } = await world();

    // Act
    const result = (await handle({
      action: 'escalate',
      deployment,
      sides: SIDES,
      rollback: rollbackState(),
      failure: { Error: 'LiveUnhealthy', Cause: 'shop-blue targets are not healthy after the rollback' },
      backup: BACKUP,
    })) as { subject: string; message: string };

    // Assess
    expect(result.subject).toBe(`DeploymentCrew ESCALATION: rollback of ${deployment.name} needs a person`);
    expect(result.message).toContain('Failed action: LiveUnhealthy');
    expect(result.message).toContain('Error: shop-blue targets are not healthy after the rollback');
    expect(result.message).toContain(`aws elbv2 modify-listener --listener-arn '${LISTENER}'`);
    expect(result.message).toContain(JSON.stringify({ pk: { S: lockKey }, sk: { S: 'LOCK' } }));
    expect(result.message).toContain(`--table-name '${STATE_TABLE_NAME}'`);
    expect(result.message).toContain("--region 'eu-west-1'");
    expect(result.message).toContain(deployment.executionArn);
  });
});
