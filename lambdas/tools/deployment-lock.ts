import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as v from 'valibot';
import { DeploymentCrewError, RollbackRequestedError } from '../shared/errors';
import { rollbackTriggerSchema, type Sides, sidesSchema } from '../shared/lock-contracts';
import { LOCK_SORT_KEY } from '../shared/state-table';
import { describeIssues, object } from '../shared/validation';
import { type ClaimGuard, guardCondition } from './deployment-lock-guard';

/**
 * The deployment lock item (`pk = LOCK#<listener ARN>`, `sk = LOCK`) is also the rendezvous between the state
 * machine's cutover steps and the alarm listener: it records which side is live, the phase, green's weight, the bake
 * token, and a rollback request. Every write is conditional on the holder, so a stale execution cannot touch
 * another's lock, and a rollback request, once written, is seen by every later step (a rollback wins over a
 * step-up that is in flight or retried).
 */

export const lockPhaseSchema = v.picklist([
  'VALIDATION',
  'PROVISIONING',
  'MIGRATION',
  'CUTOVER',
  'PROMOTED',
  /** After the post-promotion watch: the old side is being scaled down, alarms are no longer acted on. */
  'RETIRING',
  'ROLLING_BACK',
]);
export type LockPhase = v.InferOutput<typeof lockPhaseSchema>;

export const rollbackRequestSchema = object({
  trigger: rollbackTriggerSchema,
  reason: v.string(),
  requestedAt: v.string(),
  requestedBy: v.string(),
  alarmName: v.optional(v.string()),
  /** When the trigger happened, if known and earlier than the request (an alarm's own state change). */
  detectedAt: v.optional(v.string()),
});
export type RollbackRequest = v.InferOutput<typeof rollbackRequestSchema>;

const lockItemSchema = object({
  holder: v.string(),
  lockState: v.picklist(['HELD', 'ESCALATED']),
  executionArn: v.optional(v.string()),
  /** When AcquireDeploymentLock took the lock (`$$.State.EnteredTime`): older alarm events are not this deployment's. */
  acquiredAt: v.optional(v.string()),
  phase: v.optional(lockPhaseSchema),
  /** The phase a rollback started from (the phase is ROLLING_BACK meanwhile). */
  phaseBeforeRollback: v.optional(lockPhaseSchema),
  sides: v.optional(sidesSchema),
  greenWeight: v.optional(v.pipe(v.number(), v.finite())),
  migrationStarted: v.optional(v.boolean()),
  bakeToken: v.optional(v.string()),
  bakeStartedAt: v.optional(v.string()),
  rollback: v.optional(rollbackRequestSchema),
  /** When the alarm listener (or the coordinator) confirmed the listener back at 100 % live. */
  listenerRestoredAt: v.optional(v.string()),
});
export type LockItem = v.InferOutput<typeof lockItemSchema>;

export interface DeploymentLock {
  /** The lock item, or undefined when no deployment holds the listener. */
  read(): Promise<LockItem | undefined>;
  /** Records the sides and a phase; fails with RollbackRequested when a rollback was asked for in the meantime. */
  enterPhase(
    holder: string,
    phase: LockPhase,
    fields?: { sides?: Sides; greenWeight?: number; migrationStarted?: boolean },
  ): Promise<void>;
  /**
   * Records a phase even when a rollback was requested (the rollback's own phases), keeping the phase it replaces
   * when given (a retried rollback still knows where it started from).
   */
  recordPhase(holder: string, phase: LockPhase, previous?: LockPhase): Promise<void>;
  /**
   * Records a rollback request unless one is already there (the first trigger is kept). Returns the item after the
   * write, and whether this request was the first.
   */
  requestRollback(holder: string, request: RollbackRequest): Promise<{ first: boolean; item: LockItem }>;
  /**
   * Claims the rollback for one actor, in one conditional write: only while no rollback is recorded and the bake
   * token is still `seenBakeToken` (null: no bake was waiting). `claimed: false` returns the item as it is now (a
   * request recorded by someone else, or another token); LockLost when the holder no longer holds the lock.
   */
  claimRollback(
    holder: string,
    request: RollbackRequest,
    seenBakeToken: string | null,
    /** When given, also only while the phase is still this one (null: no phase yet). */
    seenPhase?: LockPhase | null,
  ): Promise<RollbackClaim>;
  /**
   * Claims the rollback without reading the lock first, in one conditional write that lands only while the lock is
   * HELD, no rollback is recorded and the guard holds; it returns the item after the write (with the bake token of
   * that instant). `claimed: false` returns the item as it was (undefined: no lock), for the caller to judge.
   */
  claimRollbackIf(request: RollbackRequest, guard: ClaimGuard): Promise<GuardedClaim>;
  /** Records when the listener was confirmed back to live; a later restore already recorded is kept. */
  recordListenerRestored(holder: string, restoredAt: string): Promise<void>;
  /**
   * Records whether the migration may have changed the schema (its task was started and its command may have run),
   * even when a rollback was requested meanwhile: the rollback's database decision depends on it.
   */
  recordMigrationStarted(holder: string, started: boolean): Promise<void>;
  /** Stores the bake's task token; refuses with RollbackRequested when a rollback is already requested. */
  storeBakeToken(holder: string, token: string, startedAt: string): Promise<void>;
  clearBakeToken(holder: string): Promise<void>;
  /**
   * Removes a token that was answered (failed) only while the lock still holds that very token, so that a later
   * alarm does not act on a closed one and a newer bake's token is never touched. False when there was nothing to do.
   */
  clearBakeTokenIf(holder: string, token: string): Promise<boolean>;
}

export type RollbackClaim = { readonly claimed: boolean; readonly item: LockItem };

export type { ClaimGuard } from './deployment-lock-guard';

export type GuardedClaim =
  | { readonly claimed: true; readonly item: LockItem }
  | { readonly claimed: false; readonly item: LockItem | undefined };

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

export function createDeploymentLock(
  client: DynamoDBDocumentClient,
  tableName: string,
  lockKey: string,
): DeploymentLock {
  const Key = { pk: lockKey, sk: LOCK_SORT_KEY };

  const parse = (Item: Record<string, unknown>): LockItem => {
    const parsed = v.safeParse(lockItemSchema, Item);
    if (!parsed.success)
      throw new DeploymentCrewError('InvalidLockItem', `the lock item is malformed: ${describeIssues(parsed.issues)}`);
    return parsed.output;
  };

  const read = async (): Promise<LockItem | undefined> => {
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
    return Item === undefined ? undefined : parse(Item);
  };

  /**
   * The item as a failed conditional write found it: DynamoDB returns it with ReturnValuesOnConditionCheckFailure
   * (marshalled: the document client leaves errors alone), so no read follows; without one (no item, or a store that
   * does not return it, like dynalite) it is read.
   */
  const itemOfFailure = async (error: unknown): Promise<LockItem | undefined> => {
    const old = (error as Pick<ConditionalCheckFailedException, 'Item'>).Item;
    if (old === undefined) return read();
    let item: Record<string, unknown>;
    try {
      item = unmarshall(old);
    } catch {
      // Not in the wire form (an SDK that unmarshalled it already): the lock is read instead.
      return read();
    }
    return parse(item);
  };

  /**
   * Writes the rollback request (`:request` in the condition's values) where the condition holds: the item after the
   * write (with the bake token of that instant), or the item as the failed condition found it.
   */
  const writeRollback = async (condition: {
    readonly ConditionExpression: string;
    readonly ExpressionAttributeNames: Record<string, string>;
    readonly ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<GuardedClaim> => {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key,
          UpdateExpression: 'SET #rollback = :request',
          ...condition,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (Attributes === undefined) throw new DeploymentCrewError('LockLost', 'the lock item vanished in the claim');
      return { claimed: true, item: parse(Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { claimed: false, item: await itemOfFailure(error) };
    }
  };

  /** Explains a failed conditional write: the lock is gone or held by someone else, or a rollback is pending. */
  const refusal = async (holder: string): Promise<Error> => refusalOf(holder, await read());
  const refusalOf = (holder: string, item: LockItem | undefined): Error => {
    if (item === undefined) return new DeploymentCrewError('LockLost', `deployment ${holder} no longer holds the lock`);
    if (item.holder !== holder) {
      return new DeploymentCrewError('LockLost', `the lock is held by ${item.holder}, not ${holder}`);
    }
    if (item.rollback !== undefined) {
      return new RollbackRequestedError(
        `rollback requested (${item.rollback.trigger}) by ${item.rollback.requestedBy} at ${item.rollback.requestedAt}: ${item.rollback.reason}`,
      );
    }
    return new DeploymentCrewError('LockLost', `the lock of ${holder} is ${item.lockState}`);
  };

  const update = async (
    holder: string,
    set: Record<string, unknown>,
    options: { remove?: string[]; refuseWhenRollbackRequested: boolean },
  ): Promise<void> => {
    const names: Record<string, string> = { '#holder': 'holder', '#lockState': 'lockState' };
    const values: Record<string, unknown> = { ':holder': holder, ':held': 'HELD' };
    const assignments = Object.entries(set).map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    const removals = (options.remove ?? []).map((field, index) => {
      names[`#r${index}`] = field;
      return `#r${index}`;
    });
    let condition = '#holder = :holder AND #lockState = :held';
    if (options.refuseWhenRollbackRequested) {
      names['#rollback'] = 'rollback';
      condition += ' AND attribute_not_exists(#rollback)';
    }
    const expression = [
      assignments.length > 0 ? `SET ${assignments.join(', ')}` : '',
      removals.length > 0 ? `REMOVE ${removals.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw await refusal(holder);
      throw error;
    }
  };

  return {
    read,
    enterPhase: (holder, phase, fields = {}) =>
      update(holder, { phase, ...fields }, { refuseWhenRollbackRequested: true }),
    recordPhase: (holder, phase, previous) =>
      update(holder, previous === undefined ? { phase } : { phase, phaseBeforeRollback: previous }, {
        refuseWhenRollbackRequested: false,
      }),
    async requestRollback(holder, request) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET #rollback = :request',
            ConditionExpression: '#holder = :holder AND #lockState = :held AND attribute_not_exists(#rollback)',
            ExpressionAttributeNames: { '#rollback': 'rollback', '#holder': 'holder', '#lockState': 'lockState' },
            ExpressionAttributeValues: { ':request': request, ':holder': holder, ':held': 'HELD' },
          }),
        );
        const item = await read();
        if (item === undefined) throw new DeploymentCrewError('LockLost', `deployment ${holder} lost its lock`);
        return { first: true, item };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const item = await read();
        if (item?.holder === holder && item.rollback !== undefined) return { first: false, item };
        throw await refusal(holder);
      }
    },
    async claimRollback(holder, request, seenBakeToken, seenPhase) {
      const names: Record<string, string> = {
        '#rollback': 'rollback',
        '#holder': 'holder',
        '#lockState': 'lockState',
        '#token': 'bakeToken',
      };
      const values: Record<string, unknown> = { ':request': request, ':holder': holder, ':held': 'HELD' };
      let tokenCondition = 'attribute_not_exists(#token)';
      if (seenBakeToken !== null) {
        values[':token'] = seenBakeToken;
        tokenCondition = '#token = :token';
      }
      if (seenPhase !== undefined) {
        names['#phase'] = 'phase';
        if (seenPhase === null) tokenCondition += ' AND attribute_not_exists(#phase)';
        else {
          values[':phase'] = seenPhase;
          tokenCondition += ' AND #phase = :phase';
        }
      }
      const claim = await writeRollback({
        ConditionExpression: `#holder = :holder AND #lockState = :held AND attribute_not_exists(#rollback) AND ${tokenCondition}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      if (claim.claimed) return claim;
      if (claim.item?.holder === holder && claim.item.lockState === 'HELD') return { claimed: false, item: claim.item };
      throw refusalOf(holder, claim.item);
    },
    claimRollbackIf: (request, guard) => writeRollback(guardCondition(request, guard)),
    async clearBakeTokenIf(holder, token) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'REMOVE #token',
            ConditionExpression: '#holder = :holder AND #token = :token',
            ExpressionAttributeNames: { '#holder': 'holder', '#token': 'bakeToken' },
            ExpressionAttributeValues: { ':holder': holder, ':token': token },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    recordMigrationStarted: (holder, started) =>
      update(holder, { migrationStarted: started }, { refuseWhenRollbackRequested: false }),
    async recordListenerRestored(holder, restoredAt) {
      // Only ever later: a step-up write that landed after the alarm listener's restore is undone later still, and
      // that later restore is when the weight was effective. ISO 8601 UTC strings compare as the instants do.
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET #restoredAt = :restoredAt',
            ConditionExpression:
              '#holder = :holder AND #lockState = :held AND ' +
              '(attribute_not_exists(#restoredAt) OR #restoredAt < :restoredAt)',
            ExpressionAttributeNames: {
              '#restoredAt': 'listenerRestoredAt',
              '#holder': 'holder',
              '#lockState': 'lockState',
            },
            ExpressionAttributeValues: { ':restoredAt': restoredAt, ':holder': holder, ':held': 'HELD' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // The item as found tells a later restore kept (fine) from a lock lost.
        const item = await itemOfFailure(error);
        const kept = item?.holder === holder && item.lockState === 'HELD' && item.listenerRestoredAt !== undefined;
        if (!kept) throw refusalOf(holder, item);
      }
    },
    storeBakeToken: (holder, token, startedAt) =>
      update(holder, { bakeToken: token, bakeStartedAt: startedAt }, { refuseWhenRollbackRequested: true }),
    clearBakeToken: (holder) => update(holder, {}, { remove: ['bakeToken'], refuseWhenRollbackRequested: false }),
  };
}
