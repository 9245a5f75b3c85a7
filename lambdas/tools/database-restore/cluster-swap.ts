import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { errorName } from '../../shared/errors';
import { discoveredFromCluster } from './allowed-resources';
import { isOurRestore, restoredMemberIdentifier, sameIdentifier } from './identifiers';
import { FAILED_STATUSES } from './rds-errors';
import { clusterRestoreInput, isAuroraEngine, memberInstanceInput, orderedMembers } from './restore-inputs';
import type { Step, SwapContext } from './swap-context';

/**
 * The swap of a DB cluster: RENAMING (production renamed to the preserved identifier, then the snapshot restored
 * under the original one) and RESTORING (until the restored cluster, and for Aurora each new member, is available).
 */

export async function renameCluster(
  swap: SwapContext,
  next: Step,
  pollsBefore: number,
  deploymentName: string | undefined,
): Promise<Step> {
  const preserved = await swap.describeCluster(next.preservedIdentifier);
  const original = await swap.describeCluster(next.originalIdentifier);

  if (preserved === undefined) {
    if (original === undefined) return swap.neitherFound(next, pollsBefore);
    if (original.Status !== 'available') return swap.waiting(next, swap.notAvailableYet(next, original.Status));
    const members = await swap.describeMembers(original);
    swap.assertAllowed(discoveredFromCluster(original, members));
    await swap.client.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: next.originalIdentifier,
        NewDBClusterIdentifier: next.preservedIdentifier,
        ApplyImmediately: true,
      }),
    );
    return swap.waiting(next, `renaming DB cluster '${next.originalIdentifier}' to '${next.preservedIdentifier}'`);
  }

  if (original !== undefined) {
    return swap.bothExist(next, {
      sameResource:
        original.DbClusterResourceId !== undefined && original.DbClusterResourceId === preserved.DbClusterResourceId,
      ours: isOurRestore(original.TagList, next.snapshotIdentifier),
    });
  }
  if (preserved.Status !== 'available') {
    return swap.waiting(
      next,
      `preserved DB cluster '${next.preservedIdentifier}' is '${preserved.Status ?? 'unknown'}'; the restore waits ` +
        "for 'available'",
    );
  }
  const members = await swap.describeMembers(preserved);
  swap.assertAllowed(discoveredFromCluster(preserved, members));
  const input = clusterRestoreInput(preserved, swap.restoreTarget(next, preserved.TagList, deploymentName));
  try {
    await swap.client.send(new RestoreDBClusterFromSnapshotCommand(input));
  } catch (error) {
    if (errorName(error) !== 'DBClusterAlreadyExistsFault') throw error;
  }
  return {
    ...next,
    status: 'RESTORING',
    reason: `restoring DB cluster '${next.originalIdentifier}' from snapshot '${next.snapshotIdentifier}'`,
  };
}

export async function restoringCluster(swap: SwapContext, next: Step): Promise<Step> {
  const restored = await swap.describeCluster(next.originalIdentifier);
  const problem = swap.restoredProblem(next, restored?.TagList, restored !== undefined);
  if (problem !== undefined) return swap.failed(next, problem);
  const status = restored?.Status ?? 'unknown';
  if (FAILED_STATUSES.has(status)) {
    return swap.failed(next, `restored DB cluster '${next.originalIdentifier}' is '${status}'`);
  }
  if (status !== 'available') {
    return swap.waiting(next, `restored DB cluster '${next.originalIdentifier}' is '${status}'`);
  }
  // A Multi-AZ DB cluster (mysql/postgres) restores with its instances.
  if (!isAuroraEngine(restored?.Engine)) {
    return { ...next, status: 'AVAILABLE', reason: `DB cluster '${next.originalIdentifier}' restored and available` };
  }
  return createMembers(swap, next);
}

/**
 * Aurora: one instance per preserved member. The writer's copy first (the first instance of a cluster becomes its
 * writer); the readers, one per call, once the writer is available.
 */
async function createMembers(swap: SwapContext, next: Step): Promise<Step> {
  const preserved = await swap.describeCluster(next.preservedIdentifier);
  if (preserved === undefined) {
    return swap.failed(
      next,
      `preserved DB cluster '${next.preservedIdentifier}' not found: cannot tell which instances to create`,
    );
  }
  const members = orderedMembers(preserved);
  if (members.length === 0) {
    return swap.failed(next, `preserved DB cluster '${next.preservedIdentifier}' has no instances to copy`);
  }
  const pending: string[] = [];
  let writerReady = false;
  for (const [index, member] of members.entries()) {
    const memberIdentifier = member.DBInstanceIdentifier ?? '';
    const newIdentifier = restoredMemberIdentifier(memberIdentifier);
    const created = await swap.describeInstance(newIdentifier);
    if (created === undefined) {
      if (index > 0 && !writerReady) {
        return swap.waiting(next, `waiting for the writer ${pending.join(', ')} before creating '${newIdentifier}'`);
      }
      const source = await swap.describeInstance(memberIdentifier);
      if (source === undefined) {
        return swap.failed(next, `member '${memberIdentifier}' of '${next.preservedIdentifier}' not found`);
      }
      swap.assertAllowed(discoveredFromCluster({}, [source]));
      const target = swap.restoreTarget(next, source.TagList, undefined);
      try {
        await swap.client.send(
          new CreateDBInstanceCommand(
            memberInstanceInput(source, { clusterIdentifier: next.originalIdentifier, tags: target.tags }),
          ),
        );
      } catch (error) {
        // An earlier attempt's call went through; the next poll sees the instance.
        if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throw error;
      }
      return swap.waiting(
        next,
        `creating ${index === 0 ? 'writer' : 'reader'} '${newIdentifier}' (copy of '${memberIdentifier}') in DB ` +
          `cluster '${next.originalIdentifier}'`,
      );
    }
    if (!sameIdentifier(created.DBClusterIdentifier, next.originalIdentifier)) {
      return swap.failed(
        next,
        `DB instance '${newIdentifier}' exists but belongs to '${created.DBClusterIdentifier ?? 'no cluster'}', ` +
          `not to '${next.originalIdentifier}'`,
      );
    }
    const status = created.DBInstanceStatus ?? 'unknown';
    if (FAILED_STATUSES.has(status)) return swap.failed(next, `DB instance '${newIdentifier}' is '${status}'`);
    if (index === 0) writerReady = status === 'available';
    if (status !== 'available') pending.push(`'${newIdentifier}' (${status})`);
  }
  if (pending.length > 0) return swap.waiting(next, `waiting for ${pending.join(', ')}`);
  return {
    ...next,
    status: 'AVAILABLE',
    reason:
      `DB cluster '${next.originalIdentifier}' restored from '${next.snapshotIdentifier}' with ` +
      `${members.length} instance(s), all available`,
  };
}
