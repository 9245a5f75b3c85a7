import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as v from 'valibot';
import { type ApprovalItem, approvalKey } from '../shared/approval-item';
import { type ApprovalDecision, approvalDecisionSchema, type approverSchema } from '../shared/contracts';
import { errorName, isTransientAwsError, TransientAwsError } from '../shared/errors';
import { logger } from '../shared/logger';
import { parse } from '../shared/validation';
import { ApprovalDeliveryFailedError, ApprovalExpiredError, REJECTION_ERRORS } from './errors';

/**
 * Delivering a claimed answer to Step Functions, and recording what came of it. The SDK retries a call whose
 * response was lost (a request timeout): a later attempt can then find the token closed by the earlier one. So a
 * closed token, or a transient error, after an attempt that may have landed is never reported as "nothing was
 * approved": the answer stays recorded as the approver's, and only the same answer can follow (it re-delivers).
 */

export type Approver = v.InferOutput<typeof approverSchema>;
export type Decided = 'APPROVED' | 'REJECTED';

export function decidedBy(decision: 'approve' | 'reject'): Decided {
  return decision === 'approve' ? 'APPROVED' : 'REJECTED';
}

/**
 * What came of a delivery, when it was not simply taken at the first call: `repeated` (a repeated answer, taken now),
 * `delivered-before` (token closed, an earlier delivery recorded), `closed-before-deadline` (token closed before the
 * deadline and no delivery recorded: an earlier attempt of this delivery landed, or the execution ended),
 * `already-closed` (a repeated answer found the token closed after the deadline, no delivery recorded).
 */
export type Delivery = 'repeated' | 'delivered-before' | 'closed-before-deadline' | 'already-closed';

/** An answer as sent to Step Functions: the request's, or the one recorded on the item (a repeat). */
export interface RecordedAnswer {
  readonly decision: 'approve' | 'reject';
  readonly approver: Approver;
  readonly answeredAt: string;
  readonly reason: string | undefined;
}

/** The answer recorded on a claimed (APPROVED/REJECTED) item. */
export function recordedAnswerOf(item: ApprovalItem): RecordedAnswer {
  return {
    decision: item.status === 'APPROVED' ? 'approve' : 'reject',
    approver: { identity: item.approver ?? '', verified: item.approverVerified === true },
    answeredAt: item.answeredAt ?? '',
    reason: item.reason,
  };
}

/** Step Functions errors meaning the task no longer waits (timed out, answered, or its execution ended). */
const TASK_GONE_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** SendTaskFailure `cause` limit. */
const MAX_CAUSE_LENGTH = 32_768;

/**
 * False only when the SDK reports that the failed call made a single attempt (it sets `$metadata.attempts` on what it
 * throws). More attempts, or no count, mean an earlier attempt may have reached Step Functions.
 */
function earlierAttemptMayHaveLanded(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return true;
  const metadata: unknown = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('attempts' in metadata)) return true;
  return metadata.attempts !== 1;
}

export interface ApprovalDeliveryDependencies {
  readonly ddb: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly tableName: string;
  readonly clock: () => Date;
}

export function createApprovalDelivery(dependencies: ApprovalDeliveryDependencies) {
  const { ddb, sfn, tableName, clock } = dependencies;

  /** Before the deadline the approval-request Lambda recorded (Step Functions' own timer started a little earlier). */
  function beforeDeadline(item: ApprovalItem): boolean {
    return clock().getTime() < Date.parse(item.deadline);
  }

  /** Undoes or finalizes our claim, only while the item is still exactly as we claimed it. Best effort. */
  async function afterClaim(
    item: ApprovalItem,
    answer: RecordedAnswer,
    change: {
      readonly update: string;
      readonly values: Record<string, unknown>;
      readonly names: Record<string, string>;
    },
  ): Promise<void> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: approvalKey(item.deploymentName, item.kind),
          UpdateExpression: change.update,
          ConditionExpression: '#status = :decided AND #answeredAt = :answeredAt AND #token = :token',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#answeredAt': 'answeredAt',
            '#token': 'taskToken',
            ...change.names,
          },
          ExpressionAttributeValues: {
            ':decided': decidedBy(answer.decision),
            ':answeredAt': answer.answeredAt,
            ':token': item.taskToken,
            ...change.values,
          },
        }),
      );
    } catch (error) {
      logger.warn('could not update the approval after answering Step Functions', {
        deployment: item.deploymentName,
        kind: item.kind,
        errorName: errorName(error) ?? 'UnknownError',
      });
    }
  }

  /** SendTaskSuccess / SendTaskFailure for an answer: safe to repeat (a closed token answers TaskTimedOut & co). */
  async function sendDecision(item: ApprovalItem, answer: RecordedAnswer): Promise<void> {
    if (answer.decision === 'approve') {
      const decision: ApprovalDecision = parse(approvalDecisionSchema, {
        approved: true,
        kind: item.kind,
        approver: answer.approver,
        answeredAt: answer.answeredAt,
        ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      });
      await sfn.send(new SendTaskSuccessCommand({ taskToken: item.taskToken, output: JSON.stringify(decision) }));
      return;
    }
    const cause = `Rejected by ${answer.approver.identity} at ${answer.answeredAt}: ${answer.reason ?? ''}`;
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: item.taskToken,
        error: REJECTION_ERRORS[item.kind],
        cause: cause.slice(0, MAX_CAUSE_LENGTH),
      }),
    );
  }

  /** Records that Step Functions took the answer. Best effort. */
  function markDelivered(item: ApprovalItem, answer: RecordedAnswer): Promise<void> {
    return afterClaim(item, answer, {
      update: 'SET #deliveredAt = :deliveredAt',
      names: { '#deliveredAt': 'deliveredAt' },
      values: { ':deliveredAt': clock().toISOString() },
    });
  }

  /** Records that the token was closed before the deadline (the first time it was seen). Best effort. */
  async function markClosedBeforeDeadline(item: ApprovalItem, answer: RecordedAnswer, sfnError: string) {
    logger.warn('approval token closed before its deadline', {
      deployment: item.deploymentName,
      kind: item.kind,
      sfnError,
    });
    await afterClaim(item, answer, {
      update: 'SET #closedAt = if_not_exists(#closedAt, :closedAt), #closedReason = if_not_exists(#closedReason, :why)',
      names: { '#closedAt': 'closedAt', '#closedReason': 'closedReason' },
      values: { ':closedAt': clock().toISOString(), ':why': sfnError },
    });
  }

  /**
   * Delivers a freshly claimed answer. Returns `closed-before-deadline` when Step Functions no longer awaited it
   * before the deadline although an earlier attempt of this call may have landed; undefined when it took it.
   */
  async function deliver(item: ApprovalItem, answer: RecordedAnswer): Promise<'closed-before-deadline' | undefined> {
    const decided = decidedBy(answer.decision).toLowerCase();
    try {
      await sendDecision(item, answer);
    } catch (error) {
      // Never pass the SDK's message on: InvalidToken and friends may quote the token.
      const sfnError = errorName(error) ?? 'UnknownError';
      const mayHaveLanded = earlierAttemptMayHaveLanded(error);
      if (TASK_GONE_ERRORS.has(sfnError)) {
        if (mayHaveLanded && beforeDeadline(item)) {
          await markClosedBeforeDeadline(item, answer, sfnError);
          return 'closed-before-deadline';
        }
        await afterClaim(item, answer, {
          update: 'SET #status = :expired, #expiredAt = :expiredAt, #expiryReason = :expiryReason',
          names: { '#expiredAt': 'expiredAt', '#expiryReason': 'expiryReason' },
          values: { ':expired': 'EXPIRED', ':expiredAt': clock().toISOString(), ':expiryReason': sfnError },
        });
        throw new ApprovalExpiredError(
          `the ${item.kind} approval for deployment ${item.deploymentName} is no longer awaited by Step Functions ` +
            `(${sfnError}; deadline was ${item.deadline}): ${
              mayHaveLanded
                ? `an earlier attempt of this answer may have landed just before; the execution's history says whether it was ${decided}`
                : `nothing was ${decided}`
            }`,
        );
      }
      const what = `the ${item.kind} approval for deployment ${item.deploymentName}`;
      // The SDK retries transient errors, so one that reaches us follows attempts of unknown fate: keep the claim.
      if (isTransientAwsError(error)) {
        throw new TransientAwsError(
          `Step Functions did not confirm the answer (${sfnError}); ${what} stays answered by you and nobody else ` +
            'can answer it meanwhile: send the same answer again to deliver it',
          error,
        );
      }
      if (mayHaveLanded) {
        throw new ApprovalDeliveryFailedError(
          `Step Functions refused the answer (${sfnError}) after an earlier attempt that may have landed; ${what} ` +
            'stays answered by you: send the same answer again to deliver it',
          error,
        );
      }
      // Refused at its only attempt: nothing reached Step Functions. The condition sees the item before the update,
      // so it can require our answeredAt while the update removes it.
      await afterClaim(item, answer, {
        update: 'SET #status = :pending REMOVE #approver, #verified, #answeredAt, #reason',
        names: { '#approver': 'approver', '#verified': 'approverVerified', '#reason': 'reason' },
        values: { ':pending': 'PENDING' },
      });
      throw new ApprovalDeliveryFailedError(
        `Step Functions did not take the answer (${sfnError}); ${what} is still waiting`,
        error,
      );
    }
    await markDelivered(item, answer);
    return undefined;
  }

  /**
   * Delivers an item's recorded answer again (its response was lost and the client sent it again): the first call may
   * have ended between the claim and Step Functions, or Step Functions' answer to it may have been lost.
   */
  async function deliverAgain(item: ApprovalItem): Promise<Delivery> {
    const answer = recordedAnswerOf(item);
    try {
      await sendDecision(item, answer);
    } catch (error) {
      const sfnError = errorName(error) ?? 'UnknownError';
      if (!TASK_GONE_ERRORS.has(sfnError)) {
        // The answer stays recorded: sending it again repeats the delivery.
        const message = `Step Functions did not take the repeated answer (${sfnError}); the ${item.kind} answer for deployment ${item.deploymentName} stays recorded`;
        if (isTransientAwsError(error)) throw new TransientAwsError(`${message}: send it again`, error);
        throw new ApprovalDeliveryFailedError(message, error);
      }
      if (item.deliveredAt !== undefined) return 'delivered-before';
      if (!beforeDeadline(item)) return 'already-closed';
      await markClosedBeforeDeadline(item, answer, sfnError);
      return 'closed-before-deadline';
    }
    await markDelivered(item, answer);
    return 'repeated';
  }

  return { deliver, deliverAgain };
}
