import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import type { CommandResult, CrewContext } from '../context';
import { executionArnOf } from '../deployments';
import { CrewError, fromAwsError, nameOf } from '../errors';
import { columns, formatTime, isoSeconds, oneLine } from '../format';
import { type LockView, mayCarryTraffic, readLock } from '../lock-view';

/**
 * `crew unlock --force`: clears a deployment lock that no running deployment needs any more: an ESCALATED lock (a
 * failed rollback, or an old side that could not be retired) once production is sound again, or an orphan (its
 * execution ended or was stopped without releasing it). A HELD lock of a RUNNING execution is never cleared: that
 * execution is still using it (its cutover steps and the alarm listener rendezvous on it), so it must be rolled back
 * or stopped first. It shows what holds the lock, asks (unless --yes), and deletes the item only if the holder and
 * the state are still the ones shown: a lock that changed meanwhile is left alone. The item's bake token is never
 * read (lock-view.ts) and the delete returns nothing of the old item.
 */

export interface UnlockOptions {
  readonly force: boolean;
  readonly yes: boolean;
}

interface HolderExecution {
  readonly executionArn: string;
  /** The execution's status; NOT_FOUND when Step Functions has no such execution (any more). */
  readonly status: string;
  readonly error: string | null;
  readonly stoppedAt: string | null;
}

async function holderExecution(context: CrewContext, lock: LockView): Promise<HolderExecution> {
  const executionArn = lock.executionArn ?? executionArnOf((await context.stack()).stateMachineArn, lock.holder);
  try {
    const described = await context.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return {
      executionArn,
      status: described.status ?? 'UNKNOWN',
      error: described.error ?? null,
      stoppedAt: described.stopDate === undefined ? null : isoSeconds(described.stopDate),
    };
  } catch (error) {
    if (nameOf(error) === 'ExecutionDoesNotExist') {
      return { executionArn, status: 'NOT_FOUND', error: null, stoppedAt: null };
    }
    throw fromAwsError(error, context.region);
  }
}

function describeLock(lock: LockView, execution: HolderExecution, now: Date): string[] {
  const since = lock.escalatedAt ?? lock.acquiredAt;
  const expires =
    lock.expiresAt === null
      ? 'never'
      : `${isoSeconds(new Date(lock.expiresAt * 1000))}${lock.expiresAt * 1000 <= now.getTime() ? ' (expired)' : ''}`;
  const executionText =
    execution.status === 'NOT_FOUND'
      ? `not found (${execution.executionArn})`
      : execution.status === 'RUNNING'
        ? 'RUNNING'
        : `${execution.status}${execution.error === null ? '' : ` (${execution.error})`} at ${formatTime(execution.stoppedAt)}`;
  const rows: string[][] = [
    ['holder', lock.holder],
    ['state', `${lock.lockState} since ${formatTime(since)}`],
    [
      'phase',
      `${lock.phase ?? 'VALIDATION'}${lock.phaseBeforeRollback === null ? '' : ` (from ${lock.phaseBeforeRollback})`}`,
    ],
    ...(lock.releaseVersion === null ? [] : [['release', lock.releaseVersion]]),
    ...(lock.rollback === null
      ? []
      : [
          [
            'rollback',
            `requested (${lock.rollback.trigger}) by ${lock.rollback.requestedBy} at ${formatTime(lock.rollback.requestedAt)}: ${oneLine(lock.rollback.reason)}`,
          ],
        ]),
    ['expires', expires],
    ['execution', executionText],
  ];
  return ['The deployment lock is held:', ...columns(rows).map((line) => `  ${line}`)];
}

function lockDocument(lock: LockView, execution: HolderExecution) {
  return {
    holder: lock.holder,
    lockState: lock.lockState,
    phase: lock.phase,
    releaseVersion: lock.releaseVersion,
    acquiredAt: lock.acquiredAt,
    escalatedAt: lock.escalatedAt,
    expiresAt: lock.expiresAt === null ? null : isoSeconds(new Date(lock.expiresAt * 1000)),
    rollback: lock.rollback,
    execution,
  };
}

const isConditionFailure = (error: unknown): boolean => nameOf(error) === 'ConditionalCheckFailedException';

async function deleteIfUnchanged(context: CrewContext, lock: LockView): Promise<void> {
  const { stateTableName, lockKey } = await context.stack();
  try {
    await context.clients.dynamo.send(
      new DeleteCommand({
        TableName: stateTableName,
        Key: { pk: lockKey, sk: LOCK_SORT_KEY },
        ConditionExpression: '#holder = :holder AND #lockState = :lockState',
        ExpressionAttributeNames: { '#holder': 'holder', '#lockState': 'lockState' },
        ExpressionAttributeValues: { ':holder': lock.holder, ':lockState': lock.lockState },
        // Never ALL_OLD: the old item carries the bake's task token.
        ReturnValues: 'NONE',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw fromAwsError(error, context.region);
    const now = await readLock(context);
    throw new CrewError(
      'LOCK_CHANGED',
      now === undefined
        ? `the lock of ${lock.holder} was cleared by someone else meanwhile: nothing was deleted`
        : `the lock changed meanwhile (it is now ${now.lockState} by ${now.holder}, it was ${lock.lockState} by ${lock.holder}): nothing was deleted`,
      'run crew unlock --force again to see what holds it now',
    );
  }
}

export async function unlock(context: CrewContext, options: UnlockOptions): Promise<CommandResult> {
  if (!options.force) {
    throw new CrewError('USAGE', 'crew unlock clears the deployment lock only with --force', 'nothing was changed');
  }
  const lock = await readLock(context);
  if (lock === undefined) {
    throw new CrewError(
      'NOT_LOCKED',
      'no deployment holds the lock: there is nothing to unlock',
      'nothing was changed',
    );
  }
  const execution = await holderExecution(context, lock);
  const description = describeLock(lock, execution, context.now());
  // PENDING_REDRIVE: the execution is about to run again and will need its lock.
  if (lock.lockState !== 'ESCALATED' && (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE')) {
    throw new CrewError(
      'LOCK_HELD',
      `deployment ${lock.holder} is running and holds the lock (${lock.lockState}, phase ${lock.phase ?? 'VALIDATION'}): ` +
        "crew unlock does not clear a running deployment's lock",
      `roll it back (crew rollback ${lock.holder} --reason ...); stopping its execution does not put traffic back`,
    );
  }
  // A deployment stopped mid-cutover leaves green weighted in: without its lock, alarms would no longer act on it.
  if (lock.lockState !== 'ESCALATED' && mayCarryTraffic(lock)) {
    throw new CrewError(
      'LOCK_HELD',
      `green may still take traffic (phase ${lock.phase}, green at ${lock.greenWeight ?? '?'} %) and no rollback ` +
        `confirmed the listener back on the live side: clearing ${lock.holder}'s lock would leave it unwatched`,
      `crew rollback ${lock.holder} --reason ... puts the listener back on the live side (it works while the lock is held); then crew unlock --force`,
    );
  }
  if (!options.yes) {
    context.io.stderr(`${description.join('\n')}\n`);
    const warning = lock.lockState === 'ESCALATED' ? ' Only once production is sound again (the runbook).' : '';
    const confirmed = await context.io.confirm(`Clear the lock held by ${lock.holder} (${lock.lockState})?${warning}`);
    if (!confirmed) {
      throw new CrewError(
        'ABORTED',
        `not confirmed: the lock held by ${lock.holder} was not cleared`,
        'pass --yes to clear it without asking (scripts, no terminal)',
      );
    }
  }
  await deleteIfUnchanged(context, lock);
  return {
    json: { cleared: true, lock: lockDocument(lock, execution) },
    human: [
      ...(options.yes ? [...description, ''] : []),
      `Cleared the lock held by ${lock.holder} (${lock.lockState}). The next deployment may start: crew start ...`,
    ],
  };
}
