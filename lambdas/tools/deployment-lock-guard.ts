import type { LockPhase, RollbackRequest } from './deployment-lock';

/**
 * The guard of the deployment lock's claimRollbackIf: what the lock must hold for a rollback to be claimed without
 * reading it first, as one DynamoDB condition.
 */

/** What claimRollbackIf requires of the lock, besides being HELD with no rollback recorded. */
export interface ClaimGuard {
  /** The phases the claim may land in; a lock without a phase is not claimed this way. */
  readonly phases: readonly LockPhase[];
  /**
   * Only while this deployment holds the lock.
   * @default any holder
   */
  readonly holder?: string;
  /**
   * Only while green is this target group.
   * @default any green
   */
  readonly greenTargetGroupArn?: string;
  /**
   * Only while the sides are recorded, this target group is not the live side, and green's weight is not 0.
   * @default no target group watched
   */
  readonly watchedTargetGroupArn?: string;
  /**
   * Only while the lock was taken before this instant, or has no `acquiredAt`. Compared as strings, which order as
   * instants for ISO 8601 UTC (`Z`, with or without a fraction, as `$$.State.EnteredTime` is) against this bound
   * (`toISOString()`, whole second); a lock time without `Z` does not let the claim through.
   * @default any time
   */
  readonly acquiredBefore?: string;
}

/** The condition of claimRollbackIf, with its names and values. */
export function guardCondition(request: RollbackRequest, guard: ClaimGuard) {
  if (guard.phases.length === 0) throw new Error('a claim guard needs at least one phase');
  const names: Record<string, string> = { '#rollback': 'rollback', '#lockState': 'lockState', '#phase': 'phase' };
  const values: Record<string, unknown> = { ':request': request, ':held': 'HELD' };
  const phases = guard.phases.map((phase, index) => {
    values[`:phase${index}`] = phase;
    return `:phase${index}`;
  });
  const terms = ['#lockState = :held', 'attribute_not_exists(#rollback)', `#phase IN (${phases.join(', ')})`];
  if (guard.holder !== undefined) {
    names['#holder'] = 'holder';
    values[':holder'] = guard.holder;
    terms.push('#holder = :holder');
  }
  const sides = () => Object.assign(names, { '#sides': 'sides', '#tg': 'targetGroupArn' });
  if (guard.greenTargetGroupArn !== undefined) {
    Object.assign(sides(), { '#green': 'green' });
    values[':green'] = guard.greenTargetGroupArn;
    terms.push('#sides.#green.#tg = :green');
  }
  if (guard.watchedTargetGroupArn !== undefined) {
    Object.assign(sides(), { '#live': 'live', '#greenWeight': 'greenWeight' });
    Object.assign(values, { ':watched': guard.watchedTargetGroupArn, ':noWeight': 0 });
    terms.push(
      'attribute_exists(#sides.#live.#tg) AND #sides.#live.#tg <> :watched',
      '(attribute_not_exists(#greenWeight) OR #greenWeight <> :noWeight)',
    );
  }
  if (guard.acquiredBefore !== undefined) {
    names['#acquiredAt'] = 'acquiredAt';
    Object.assign(values, { ':acquiredBefore': guard.acquiredBefore, ':utc': 'Z' });
    // Strings order as instants only in UTC (Z); a lock time in any other form is left to the judgement.
    terms.push(
      '(attribute_not_exists(#acquiredAt) OR (#acquiredAt < :acquiredBefore AND contains(#acquiredAt, :utc)))',
    );
  }
  return {
    ConditionExpression: terms.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
