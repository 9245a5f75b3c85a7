import { ModifyDBInstanceCommand, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import { ConfigurationError, errorName } from '../../shared/errors';
import { discoveredFromInstance } from './allowed-resources';
import { isOurRestore } from './identifiers';
import { FAILED_STATUSES } from './rds-errors';
import { compact, instanceRestoreInput } from './restore-inputs';
import type { Step, SwapContext } from './swap-context';

/**
 * The swap of a DB instance: RENAMING (production renamed to the preserved identifier, then the snapshot restored
 * under the original one) and RESTORING (until the restored instance is available).
 */

export async function renameInstance(
  swap: SwapContext,
  next: Step,
  pollsBefore: number,
  deploymentName: string | undefined,
): Promise<Step> {
  const preserved = await swap.describeInstance(next.preservedIdentifier);
  const original = await swap.describeInstance(next.originalIdentifier);

  if (preserved === undefined) {
    if (original === undefined) return swap.neitherFound(next, pollsBefore);
    if (original.DBClusterIdentifier !== undefined) {
      throw new ConfigurationError(
        `DB instance '${next.originalIdentifier}' belongs to DB cluster '${original.DBClusterIdentifier}': ` +
          'configure the database as a cluster',
      );
    }
    if (original.DBInstanceStatus !== 'available') {
      return swap.waiting(next, swap.notAvailableYet(next, original.DBInstanceStatus));
    }
    swap.assertAllowed(discoveredFromInstance(original));
    // ApplyImmediately (needed for a rename) also applies modifications queued for the maintenance window.
    const pendingChanges = Object.entries(original.PendingModifiedValues ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key]) => key);
    await swap.client.send(
      new ModifyDBInstanceCommand(
        compact({
          DBInstanceIdentifier: next.originalIdentifier,
          NewDBInstanceIdentifier: next.preservedIdentifier,
          ApplyImmediately: true,
          DeletionProtection: original.DeletionProtection,
        }),
      ),
    );
    return swap.waiting(
      next,
      `renaming DB instance '${next.originalIdentifier}' to '${next.preservedIdentifier}'` +
        (pendingChanges.length > 0 ? ` (pending modifications applied with it: ${pendingChanges.join(', ')})` : ''),
    );
  }

  if (original !== undefined) {
    return swap.bothExist(next, {
      sameResource: original.DbiResourceId !== undefined && original.DbiResourceId === preserved.DbiResourceId,
      ours: isOurRestore(original.TagList, next.snapshotIdentifier),
    });
  }
  if (preserved.DBInstanceStatus !== 'available') {
    return swap.waiting(
      next,
      `preserved DB instance '${next.preservedIdentifier}' is '${preserved.DBInstanceStatus ?? 'unknown'}'; the ` +
        "restore waits for 'available'",
    );
  }
  // Settings are read from the preserved instance now, not carried over from the rename.
  swap.assertAllowed(discoveredFromInstance(preserved));
  const input = instanceRestoreInput(preserved, swap.restoreTarget(next, preserved.TagList, deploymentName));
  try {
    await swap.client.send(new RestoreDBInstanceFromDBSnapshotCommand(input));
  } catch (error) {
    // An earlier attempt's restore went through: RESTORING checks that it is ours.
    if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throw error;
  }
  return {
    ...next,
    status: 'RESTORING',
    reason: `restoring DB instance '${next.originalIdentifier}' from snapshot '${next.snapshotIdentifier}'`,
  };
}

export async function restoringInstance(swap: SwapContext, next: Step): Promise<Step> {
  const restored = await swap.describeInstance(next.originalIdentifier);
  const problem = swap.restoredProblem(next, restored?.TagList, restored !== undefined);
  if (problem !== undefined) return swap.failed(next, problem);
  const status = restored?.DBInstanceStatus ?? 'unknown';
  if (status === 'available') {
    return {
      ...next,
      status: 'AVAILABLE',
      reason: `DB instance '${next.originalIdentifier}' restored from '${next.snapshotIdentifier}' and available`,
    };
  }
  if (FAILED_STATUSES.has(status)) {
    return swap.failed(next, `restored DB instance '${next.originalIdentifier}' is '${status}'`);
  }
  return swap.waiting(next, `restored DB instance '${next.originalIdentifier}' is '${status}'`);
}
