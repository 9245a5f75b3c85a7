import type { BackupMetadata } from '../../shared/contracts';
import { isOurRestore, restoreTags } from './identifiers';
import { type GroupFacts, type KeyManager, precheck } from './prechecks';
import { FAILED_STATUSES } from './rds-errors';
import type { Step, SwapSettings, SwapTarget } from './swap-context';

/**
 * The phases of a restore, the same for instances and clusters. Each call looks at what exists, makes at most one
 * mutating call and returns: the state machine's Wait loop calls again.
 *
 *   CHECKING     pre-checks; refused (FAILED, `refused`) with nothing touched, else the snapshot is restored under
 *                the temporary identifier
 *   RESTORING    until the copy is available, has what a restore cannot set, and matches the source; then the fence
 *   FENCING      until production shows only the fence group; then production → preserved
 *   RENAMING     until the preserved name holds production; then temporary → original (with deletion protection);
 *                AVAILABLE once the original name holds the copy. The endpoint is down only in this phase.
 *   RECOVERING   a swap that failed half-way: production renamed back, its groups put back
 *   CLEANING_UP  the temporary copy deleted (or kept, as configured); then FAILED
 */

export interface StepContext {
  readonly target: SwapTarget;
  readonly settings: SwapSettings;
  readonly clock: () => Date;
  readonly snapshot: BackupMetadata;
  readonly deploymentName: string | undefined;
  readonly keyManagerOf: (keyId: string) => Promise<KeyManager>;
  readonly securityGroupsOf: ((groupIds: readonly string[]) => Promise<ReadonlyMap<string, GroupFacts>>) | undefined;
}

const UNTOUCHED = 'production was not changed';

function waiting(next: Step, reason: string): Step {
  return { ...next, reason };
}

function refused(next: Step, label: string, refusals: readonly string[]): Step {
  return {
    ...next,
    status: 'FAILED',
    refused: true,
    reason:
      `database rollback refused, nothing was created or changed (${label} '${next.originalIdentifier}' is as it ` +
      `was): ${refusals.join('; ')}`,
  };
}

/** A failure before the swap: the copy is deleted (or kept) next, production was never touched. */
export function failBeforeSwap(next: Step, reason: string): Step {
  return { ...next, status: 'CLEANING_UP', failure: `${reason}; ${UNTOUCHED}`, reason: `cleaning up after: ${reason}` };
}

/** A failure once production is fenced or renamed: undone first. */
export function failDuringSwap(next: Step, reason: string): Step {
  return { ...next, status: 'RECOVERING', failure: reason, reason: `recovering production after: ${reason}` };
}

/** Where a non-retryable RDS error sends the restore, by phase. */
export function onFatal(next: Step, reason: string): Step {
  switch (next.status) {
    case 'CHECKING':
      return { ...next, status: 'FAILED', reason: `${reason}; nothing was restored and ${UNTOUCHED}` };
    case 'RESTORING':
      return failBeforeSwap(next, reason);
    case 'FENCING':
    case 'RENAMING':
      return failDuringSwap(next, reason);
    case 'RECOVERING':
      return {
        ...next,
        status: 'FAILED',
        reason:
          `${next.failure ?? 'the swap failed'}, and undoing it failed too (${reason}): see which of ` +
          `'${next.originalIdentifier}' and '${next.preservedIdentifier}' exists and put production's security ` +
          `groups ${next.fence?.originalSecurityGroupIds.join(', ') ?? '(unchanged)'} back`,
      };
    default:
      return {
        ...next,
        status: 'FAILED',
        reason: `${next.failure ?? 'the restore failed'}; the temporary copy '${next.temporaryIdentifier}' could not be deleted (${reason})`,
      };
  }
}

export async function checking(context: StepContext, next: Step): Promise<Step> {
  const { target, settings } = context;
  const source = await target.inspect(next.originalIdentifier);
  if (source === undefined) {
    return refused(next, target.label, [
      `${target.label} '${next.originalIdentifier}' not found: nothing to roll back`,
    ]);
  }
  if (source.unsupported !== undefined) return refused(next, target.label, [source.unsupported]);
  const temporary = await target.describe(next.temporaryIdentifier);
  if (temporary !== undefined) {
    // A retried step whose restore call went through.
    if (isOurRestore(temporary.tags, next.snapshotIdentifier)) {
      return { ...next, status: 'RESTORING', reason: `the restore into '${next.temporaryIdentifier}' was started` };
    }
    return refused(next, target.label, [`'${next.temporaryIdentifier}' exists and was not restored by this rollback`]);
  }
  if ((await target.describe(next.preservedIdentifier)) !== undefined) {
    return refused(next, target.label, [
      `'${next.preservedIdentifier}' already exists (a preserved copy of an earlier rollback of this deployment?)`,
    ]);
  }
  if (source.view.status !== 'available') {
    return waiting(next, `${target.label} '${next.originalIdentifier}' is '${source.view.status}'; the checks wait`);
  }
  const dependents = await target.dependents(next.originalIdentifier);
  const { snapshot } = context;
  const keyManager =
    snapshot.encrypted && snapshot.kmsKeyId !== null ? await context.keyManagerOf(snapshot.kmsKeyId) : undefined;
  const fence = settings.fenceSecurityGroupId;
  const groups =
    fence === undefined || context.securityGroupsOf === undefined
      ? undefined
      : await context.securityGroupsOf([fence, ...source.facts.securityGroupIds]);
  const { refusals, followUps } = precheck(
    source.facts,
    dependents,
    snapshot,
    settings,
    target.label,
    keyManager,
    groups,
  );
  if (refusals.length > 0) return refused(next, target.label, refusals);
  const tags = restoreTags(source.view.tags, {
    snapshotIdentifier: next.snapshotIdentifier,
    preservedIdentifier: next.preservedIdentifier,
    deploymentName: context.deploymentName,
    restoredAt: context.clock(),
  });
  await source.restore(next, tags);
  return {
    ...next,
    status: 'RESTORING',
    followUps,
    reason: `restoring snapshot '${next.snapshotIdentifier}' as '${next.temporaryIdentifier}'; production untouched`,
  };
}

export async function restoring(context: StepContext, next: Step): Promise<Step> {
  const { target } = context;
  const prepared = await target.prepare(next);
  if (prepared.state === 'failed') return failBeforeSwap(next, prepared.reason);
  if (prepared.state === 'waiting') {
    return { ...next, ...(prepared.modified ? { restoreModified: true } : {}), reason: prepared.reason };
  }
  const production = await target.describe(next.originalIdentifier);
  if (production === undefined) {
    return failBeforeSwap(next, `${target.label} '${next.originalIdentifier}' disappeared before the fence`);
  }
  const fence = context.settings.fenceSecurityGroupId ?? '';
  // The copy was verified to have the source's groups: the ones to put back, even if a retried step finds the fence.
  const record = next.fence ?? {
    securityGroupId: fence,
    originalSecurityGroupIds: [...prepared.securityGroupIds],
    fencedAt: context.clock().toISOString(),
  };
  const alreadyFenced = production.securityGroupIds.includes(fence);
  // The steps after lastFencePoll are the swap's and the recovery's: a fence that starts later could be left on.
  const { lastFencePoll } = context.settings;
  if (!alreadyFenced && lastFencePoll !== undefined && next.polls > lastFencePoll) {
    return failBeforeSwap(
      next,
      `the copy was ready at step ${next.polls}, too late to fence and swap safely (the restore may use ` +
        `${lastFencePoll} steps; the rest are kept for the swap and for putting production back)`,
    );
  }
  if (!alreadyFenced && production.status !== 'available') {
    return waiting(next, `the copy is ready; production is '${production.status}', the fence waits`);
  }
  if (!alreadyFenced) await target.setSecurityGroups(next.originalIdentifier, [fence]);
  return {
    ...next,
    status: 'FENCING',
    restoredResourceId: prepared.resourceId,
    fence: record,
    reason:
      `copy '${next.temporaryIdentifier}' verified; fencing '${next.originalIdentifier}' (security groups ` +
      `${record.originalSecurityGroupIds.join(', ')} replaced by '${fence}')`,
  };
}

export async function fencing(context: StepContext, next: Step): Promise<Step> {
  const { target } = context;
  const production = await target.describe(next.originalIdentifier);
  if (production === undefined) {
    if ((await target.describe(next.preservedIdentifier)) !== undefined) return startedRenaming(context, next);
    return failDuringSwap(next, `${target.label} '${next.originalIdentifier}' disappeared while being fenced`);
  }
  if (production.status === 'renaming') return startedRenaming(context, next);
  const fence = next.fence?.securityGroupId ?? '';
  const fenced =
    !production.securityGroupsChanging &&
    production.securityGroupIds.length === 1 &&
    production.securityGroupIds[0] === fence;
  if (production.status !== 'available' || !fenced) {
    return waiting(
      next,
      `fencing '${next.originalIdentifier}': '${production.status}', groups ${production.securityGroupIds.join(', ')}`,
    );
  }
  await target.rename(next.originalIdentifier, next.preservedIdentifier);
  return startedRenaming(context, next);
}

function startedRenaming(context: StepContext, next: Step): Step {
  return {
    ...next,
    status: 'RENAMING',
    swap: next.swap ?? { startedAt: context.clock().toISOString() },
    reason: `renaming '${next.originalIdentifier}' to '${next.preservedIdentifier}': the endpoint is down until the copy takes its name`,
  };
}

export async function renaming(context: StepContext, next: Step): Promise<Step> {
  const { target } = context;
  const swap = next.swap ?? { startedAt: context.clock().toISOString() };
  const original = await target.describe(next.originalIdentifier);
  if (original !== undefined && original.resourceId !== undefined && original.resourceId === next.restoredResourceId) {
    if (original.status !== 'available') {
      return waiting(
        next,
        `'${next.temporaryIdentifier}' is taking the name '${next.originalIdentifier}' (${original.status})`,
      );
    }
    const completedAt = context.clock();
    const endpointDownSeconds = Math.max(0, (completedAt.getTime() - Date.parse(swap.startedAt)) / 1000);
    return {
      ...next,
      status: 'AVAILABLE',
      swap: { ...swap, completedAt: completedAt.toISOString(), endpointDownSeconds },
      reason:
        `${target.label} '${next.originalIdentifier}' restored from '${next.snapshotIdentifier}' and available; ` +
        `the endpoint was down for at most ${endpointDownSeconds} s (from the first rename to the first poll that saw ` +
        `the copy available under the name); the previous database is '${next.preservedIdentifier}', fenced`,
    };
  }
  if (swap.temporaryRenamedAt !== undefined) {
    return waiting(next, `'${next.temporaryIdentifier}' is being renamed to '${next.originalIdentifier}'`);
  }
  if (original !== undefined) {
    return waiting(
      next,
      `'${next.originalIdentifier}' is being renamed to '${next.preservedIdentifier}' (${original.status})`,
    );
  }
  const preserved = await target.describe(next.preservedIdentifier);
  if (preserved === undefined || preserved.status !== 'available') {
    return waiting(
      next,
      `the rename to '${next.preservedIdentifier}' is in progress (${preserved?.status ?? 'not visible yet'})`,
    );
  }
  const temporary = await target.describe(next.temporaryIdentifier);
  if (temporary === undefined || FAILED_STATUSES.has(temporary.status)) {
    return failDuringSwap(next, `the copy '${next.temporaryIdentifier}' is ${temporary?.status ?? 'gone'} mid-swap`);
  }
  if (temporary.status !== 'available') {
    return waiting(next, `the copy '${next.temporaryIdentifier}' is '${temporary.status}'; its rename waits`);
  }
  // Tags only, idempotent (ClusterSwap.promote): the rename stays this step's one change to a database.
  await target.promote?.(next);
  await target.rename(next.temporaryIdentifier, next.originalIdentifier, preserved.deletionProtection);
  return {
    ...next,
    swap: { ...swap, temporaryRenamedAt: context.clock().toISOString() },
    reason: `renaming '${next.temporaryIdentifier}' to '${next.originalIdentifier}'`,
  };
}

export async function recovering(context: StepContext, next: Step): Promise<Step> {
  const { target } = context;
  const original = await target.describe(next.originalIdentifier);
  if (original === undefined) {
    const preserved = await target.describe(next.preservedIdentifier);
    if (preserved?.status !== 'available') {
      return waiting(
        next,
        `waiting for '${next.preservedIdentifier}' (${preserved?.status ?? 'not visible'}) to rename it back`,
      );
    }
    await target.rename(next.preservedIdentifier, next.originalIdentifier);
    return waiting(next, `renaming '${next.preservedIdentifier}' back to '${next.originalIdentifier}'`);
  }
  if (original.resourceId !== undefined && original.resourceId === next.restoredResourceId) {
    // The rename that seemed to fail went through: the swap is complete after all.
    return renaming(context, { ...next, status: 'RENAMING' });
  }
  if (original.status !== 'available') return waiting(next, `production is '${original.status}'; unfencing waits`);
  const groups = next.fence?.originalSecurityGroupIds;
  if (groups !== undefined) {
    const restored =
      !original.securityGroupsChanging &&
      original.securityGroupIds.length === groups.length &&
      groups.every((id) => original.securityGroupIds.includes(id));
    if (!restored) {
      await target.setSecurityGroups(next.originalIdentifier, groups);
      return waiting(next, `putting back the security groups ${groups.join(', ')} of '${next.originalIdentifier}'`);
    }
  }
  const now = context.clock().toISOString();
  const swap =
    next.swap === undefined
      ? undefined
      : {
          ...next.swap,
          completedAt: now,
          endpointDownSeconds: Math.max(0, (Date.parse(now) - Date.parse(next.swap.startedAt)) / 1000),
        };
  const fence = next.fence === undefined ? undefined : { ...next.fence, unfencedAt: now };
  return {
    ...next,
    status: 'CLEANING_UP',
    ...(swap === undefined ? {} : { swap }),
    ...(fence === undefined ? {} : { fence }),
    failure:
      `${next.failure ?? 'the swap failed'}; recovered: '${next.originalIdentifier}' is production again, ` +
      'under its name and with its own security groups (writes made since the fence were refused, none lost)',
    reason: `production recovered; cleaning up '${next.temporaryIdentifier}'`,
  };
}

export async function cleaningUp(context: StepContext, next: Step): Promise<Step> {
  const failure = next.failure ?? 'the restore failed';
  if (context.settings.keepTemporaryCopyOnFailure) {
    return {
      ...next,
      status: 'FAILED',
      reason: `${failure}. The temporary copy '${next.temporaryIdentifier}' is kept (keepTemporaryCopyOnFailure)`,
    };
  }
  const temporary = await context.target.describe(next.temporaryIdentifier);
  if (temporary !== undefined && !isOurRestore(temporary.tags, next.snapshotIdentifier)) {
    return {
      ...next,
      status: 'FAILED',
      reason: `${failure}. '${next.temporaryIdentifier}' was not restored by this rollback and is left alone`,
    };
  }
  const pending = temporary === undefined ? undefined : await context.target.removeTemporary(next);
  if (pending !== undefined) return waiting(next, `deleting the temporary copy: ${pending}`);
  return {
    ...next,
    status: 'FAILED',
    reason: `${failure}. The temporary copy '${next.temporaryIdentifier}' is deleted (or was never created)`,
  };
}
