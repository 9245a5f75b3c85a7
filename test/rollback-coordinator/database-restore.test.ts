import { describe, expect, it } from 'vitest';
import type { RollbackState } from '../../lambdas/shared/cutover-contracts';
import { DeploymentCrewError } from '../../lambdas/shared/errors';
import { rejection } from '../support/errors';
import { BACKUP, NOW, PLANNED, rollbackState, useLocalDynamo, world } from './support';

useLocalDynamo();

describe('coordinator: database restore', () => {
  const fullRollback = rollbackState({
    decision: { type: 'full', database: 'confirm', why: 'the migration ran.' },
  });

  it('plans the restore into the rollback state and explains what is lost', async () => {
    // Prepare
    const { handle, deployment, restore } = await world();

    // Act
    const state = (await handle({
      action: 'planDatabaseRestore',
      deployment,
      rollback: fullRollback,
      backup: BACKUP,
    })) as RollbackState;

    // Assess
    expect(restore.planned).toEqual([{ snapshot: BACKUP.identifier, deploymentName: deployment.name }]);
    expect(state.database).toEqual(PLANNED);
    expect(state.timeline).toHaveLength(1);
    expect(state.timeline[0]).toMatchObject({ action: 'database restore', result: 'info' });
    expect(state.timeline[0]?.detail).toContain(BACKUP.identifier);
    expect(state.timeline[0]?.detail).toContain('shop-db-pre-rb-9d7c36ba');
  });

  it('advances the restore and notes a status change', async () => {
    // Prepare
    const { handle, deployment } = await world();

    // Act
    const state = (await handle({
      action: 'advanceDatabaseRestore',
      deployment,
      rollback: { ...fullRollback, database: PLANNED },
      backup: BACKUP,
    })) as RollbackState;

    // Assess
    expect(state.database).toMatchObject({ status: 'RESTORING', polls: 1 });
    expect(state.timeline).toEqual([
      { at: NOW.toISOString(), action: 'database restoring', result: 'ok', detail: 'restoring from snapshot' },
    ]);
  });

  it('adds no timeline entry while the status stays the same', async () => {
    // Prepare
    const { handle, deployment, restore } = await world();
    restore.next = { ...PLANNED, polls: 1 };

    // Act
    const state = (await handle({
      action: 'advanceDatabaseRestore',
      deployment,
      rollback: { ...fullRollback, database: PLANNED },
      backup: BACKUP,
    })) as RollbackState;

    // Assess
    expect(state.database).toMatchObject({ status: 'CHECKING', polls: 1 });
    expect(state.timeline).toEqual([]);
  });

  it('notes a failed restore as failed', async () => {
    // Prepare
    const { handle, deployment, restore } = await world();
    restore.next = { ...PLANNED, status: 'FAILED', polls: 4, reason: 'restore-db-instance-from-db-snapshot refused' };

    // Act
    const state = (await handle({
      action: 'advanceDatabaseRestore',
      deployment,
      rollback: { ...fullRollback, database: { ...PLANNED, status: 'RESTORING', polls: 3 } },
      backup: BACKUP,
    })) as RollbackState;

    // Assess
    expect(state.timeline).toEqual([
      {
        at: NOW.toISOString(),
        action: 'database failed',
        result: 'failed',
        detail: 'restore-db-instance-from-db-snapshot refused',
      },
    ]);
  });

  it('fails with InvalidRollbackState when no restore was planned', async () => {
    // Prepare
    const { handle, deployment } = await world();

    // Act
    const error = await rejection(
      handle({ action: 'advanceDatabaseRestore', deployment, rollback: fullRollback, backup: BACKUP }),
    );

    // Assess
    expect(error).toBeInstanceOf(DeploymentCrewError);
    expect(error.name).toBe('InvalidRollbackState');
  });
});
