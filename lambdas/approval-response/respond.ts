import type { SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { APPROVAL_SK_PREFIX, type ApprovalItem, approvalKey, deploymentPartitionKey } from '../shared/approval-item';
import type { ApprovalKind } from '../shared/contracts';
import { errorName, InvalidInputError } from '../shared/errors';
import {
  type CallerAccess,
  type FunctionUrlResponse,
  isFunctionUrlEvent,
  refuseDirectInvocation,
  serveFunctionUrl,
} from '../shared/function-url';
import { logger } from '../shared/logger';
import { type ApprovalAnswer, approvalAnswerSchema } from '../shared/operator-requests';
import { describeIssues } from '../shared/validation';
import { type Approver, createApprovalDelivery, type Delivery, decidedBy, recordedAnswerOf } from './deliver';
import {
  ApprovalConflictError,
  ApprovalKindRequiredError,
  describeOutcome,
  HTTP_STATUS_BY_ERROR,
  NothingToApproveError,
  notPendingError,
  toApprovalItem,
} from './errors';
import { claimedApprover, createRefusalRecorder } from './refusals';

/**
 * The Chairman's answer to an approval, by deployment name. It comes only through the function URL (AuthType
 * AWS_IAM): the caller's IAM ARN is the verified identity, and it must be a configured approver of the stack's
 * account (see shared/function-url.ts for what that relies on). A direct invocation is refused and recorded with the
 * name it claims, never as verified. An answer repeated because its response was lost is delivered again (see
 * deliver.ts). The task token never leaves DynamoDB except towards Step Functions, and is never logged.
 */

export { type ApprovalAnswer, approvalAnswerSchema } from '../shared/operator-requests';

export type { Approver, Delivery };

export interface ApprovalAnswerResult {
  readonly deployment: string;
  readonly kind: ApprovalKind;
  readonly decision: 'approve' | 'reject';
  readonly approver: Approver;
  readonly answeredAt: string;
  /**
   * Absent when Step Functions took the answer at once. On an answer repeated after its first one was recorded (a
   * lost response, sent again): `repeated` when Step Functions took it now; `delivered-before` when the token is
   * closed and a delivery was recorded. On any answer whose token was found closed before the deadline with no
   * delivery recorded: `closed-before-deadline` (an earlier attempt of this delivery landed, or the execution ended:
   * its history says which). `already-closed`: a repeat found the token closed after the deadline, no delivery
   * recorded (it took the first one just before it could be recorded, or the approval timed out).
   */
  readonly delivery?: Delivery;
}

/** The stored answer is this approver's same decision: the request is a repeat of it. */
function isSameAnswer(item: ApprovalItem, answer: ApprovalAnswer, approver: Approver): boolean {
  return (
    item.status === decidedBy(answer.decision) &&
    item.approver === approver.identity &&
    item.approverVerified === true &&
    approver.verified
  );
}

const MAX_CLAIM_ATTEMPTS = 3;

export interface ApprovalResponderDependencies {
  readonly ddb: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly tableName: string;
  readonly clock: () => Date;
  /** Who may answer: the approvers, in the stack's account. */
  readonly access: CallerAccess;
}

export function createApprovalResponder(dependencies: ApprovalResponderDependencies) {
  const { ddb, sfn, tableName, clock, access } = dependencies;
  const serveOptions = { access, clock, onRefused: createRefusalRecorder(ddb, tableName) };
  const delivery = createApprovalDelivery({ ddb, sfn, tableName, clock });

  async function readApproval(deploymentName: string, kind: ApprovalKind): Promise<ApprovalItem | undefined> {
    const result = await ddb.send(
      new GetCommand({ TableName: tableName, Key: approvalKey(deploymentName, kind), ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : toApprovalItem(result.Item);
  }

  async function readApprovals(deploymentName: string): Promise<ApprovalItem[]> {
    const result = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': deploymentPartitionKey(deploymentName), ':prefix': APPROVAL_SK_PREFIX },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map(toApprovalItem);
  }

  /** The pending approval to claim, or (`repeat`) this approver's own recorded answer, to deliver again. */
  async function findTarget(
    answer: ApprovalAnswer,
    approver: Approver,
  ): Promise<{ item: ApprovalItem; repeat: boolean }> {
    const name = answer.deployment;
    if (answer.kind !== undefined) {
      const item = await readApproval(name, answer.kind);
      if (item === undefined) {
        throw new NothingToApproveError(`no ${answer.kind} approval is waiting for deployment ${name}`);
      }
      if (item.status === 'PENDING') return { item, repeat: false };
      if (isSameAnswer(item, answer, approver)) return { item, repeat: true };
      throw notPendingError(item);
    }
    const items = await readApprovals(name);
    const pending = items.filter((item) => item.status === 'PENDING');
    const [only] = pending;
    if (only !== undefined && pending.length === 1) return { item: only, repeat: false };
    if (pending.length > 1) {
      const kinds = pending.map((item) => item.kind).join(', ');
      throw new ApprovalKindRequiredError(
        `approvals of kinds ${kinds} are waiting for deployment ${name}: say which one with "kind"`,
      );
    }
    const own = items.find((item) => isSameAnswer(item, answer, approver));
    if (own !== undefined) return { item: own, repeat: true };
    const latest = items.toSorted((a, b) => b.requestedAt.localeCompare(a.requestedAt))[0];
    throw new NothingToApproveError(
      `no approval is waiting for deployment ${name}${latest === undefined ? '' : ` (${describeOutcome(latest)})`}`,
    );
  }

  /** PENDING → APPROVED/REJECTED, only if nobody else did it first and the request was not renewed meanwhile. */
  async function claim(item: ApprovalItem, answer: ApprovalAnswer, approver: Approver, answeredAt: string) {
    const values: Record<string, unknown> = {
      ':pending': 'PENDING',
      ':token': item.taskToken,
      ':decided': answer.decision === 'approve' ? 'APPROVED' : 'REJECTED',
      ':approver': approver.identity,
      ':verified': approver.verified,
      ':answeredAt': answeredAt,
    };
    const names: Record<string, string> = {
      '#status': 'status',
      '#token': 'taskToken',
      '#approver': 'approver',
      '#verified': 'approverVerified',
      '#answeredAt': 'answeredAt',
      '#reason': 'reason',
    };
    let update = 'SET #status = :decided, #approver = :approver, #verified = :verified, #answeredAt = :answeredAt';
    if (answer.reason === undefined) {
      update += ' REMOVE #reason';
    } else {
      update += ', #reason = :reason';
      values[':reason'] = answer.reason;
    }
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: approvalKey(item.deploymentName, item.kind),
          UpdateExpression: update,
          ConditionExpression: '#status = :pending AND #token = :token',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Delivers this approver's recorded answer again: the response to an earlier one was lost. */
  async function deliverAgain(item: ApprovalItem): Promise<ApprovalAnswerResult> {
    const outcome = await delivery.deliverAgain(item);
    const { decision, approver, answeredAt } = recordedAnswerOf(item);
    logger.info('approval answer repeated', {
      deployment: item.deploymentName,
      kind: item.kind,
      decision,
      approver: approver.identity,
      delivery: outcome,
    });
    return { deployment: item.deploymentName, kind: item.kind, decision, approver, answeredAt, delivery: outcome };
  }

  /** Answers the pending approval of a deployment. Throws the errors above; returns what was recorded. */
  async function answer(input: ApprovalAnswer, approver: Approver): Promise<ApprovalAnswerResult> {
    for (let attempt = 1; ; attempt += 1) {
      const { item, repeat } = await findTarget(input, approver);
      if (item.kind === 'DATABASE_ROLLBACK' && input.decision === 'approve' && input.kind !== 'DATABASE_ROLLBACK') {
        throw new ApprovalKindRequiredError(
          `the approval waiting for deployment ${item.deploymentName} is a DATABASE RESTORE that loses writes: ` +
            'to confirm it, send "kind":"DATABASE_ROLLBACK" with your answer',
        );
      }
      if (repeat) return deliverAgain(item);
      const answeredAt = clock().toISOString();
      if (!(await claim(item, input, approver, answeredAt))) {
        const current = await readApproval(item.deploymentName, item.kind);
        // Still PENDING means the request was renewed (a retried task, new token) between our read and our claim.
        if (current?.status === 'PENDING' && attempt < MAX_CLAIM_ATTEMPTS) continue;
        if (current?.status === 'PENDING') {
          throw new ApprovalConflictError(
            `the approval for deployment ${item.deploymentName} kept changing while answering: try again`,
          );
        }
        if (current === undefined) {
          throw new NothingToApproveError(`no approval is waiting for deployment ${item.deploymentName}`);
        }
        // The same approver's same answer won the race (the client sent it twice): deliver that one.
        if (isSameAnswer(current, input, approver)) return deliverAgain(current);
        throw notPendingError(current);
      }
      const outcome = await delivery.deliver(item, {
        decision: input.decision,
        approver,
        answeredAt,
        reason: input.reason,
      });
      logger.info('approval answered', {
        deployment: item.deploymentName,
        kind: item.kind,
        decision: input.decision,
        approver: approver.identity,
        approverVerified: approver.verified,
        ...(outcome === undefined ? {} : { delivery: outcome }),
      });
      const result = {
        deployment: item.deploymentName,
        kind: item.kind,
        decision: input.decision,
        approver,
        answeredAt,
      };
      return outcome === undefined ? result : { ...result, delivery: outcome };
    }
  }

  /** Refused, logged and recorded with the approver it claims (unverified): only the URL carries a checked identity. */
  function handleDirectInvocation(event: unknown): Promise<never> {
    return refuseDirectInvocation(event, claimedApprover(event), serveOptions);
  }

  function handleFunctionUrl(event: unknown): Promise<FunctionUrlResponse> {
    return serveFunctionUrl(event, HTTP_STATUS_BY_ERROR, serveOptions, (body, identity) =>
      answer(parseAnswer(body), { identity, verified: true }),
    );
  }

  /** Events claiming the function URL shape get HTTP responses; anything else is a (refused) direct invocation. */
  async function handleEvent(event: unknown): Promise<FunctionUrlResponse> {
    return isFunctionUrlEvent(event) ? handleFunctionUrl(event) : handleDirectInvocation(event);
  }

  return { answer, handleEvent, handleFunctionUrl, handleDirectInvocation };
}

function parseAnswer(value: unknown): ApprovalAnswer {
  const parsed = v.safeParse(approvalAnswerSchema, value);
  if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.issues));
  return parsed.output;
}
