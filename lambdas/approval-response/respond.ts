import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  APPROVAL_SK_PREFIX,
  type ApprovalItem,
  approvalItemSchema,
  approvalKey,
  approvalKindSchema,
  deploymentPartitionKey,
} from '../shared/approval-item';
import {
  type ApprovalDecision,
  type ApprovalKind,
  approvalDecisionSchema,
  type approverSchema,
} from '../shared/contracts';
import {
  DeploymentCrewError,
  errorName,
  InvalidInputError,
  isTransientAwsError,
  TransientAwsError,
} from '../shared/errors';
import { type FunctionUrlResponse, isFunctionUrlEvent, serveFunctionUrl } from '../shared/function-url';
import { logger } from '../shared/logger';
import { describeZodError } from '../shared/validation';
import {
  AlreadyAnsweredError,
  ApprovalConflictError,
  ApprovalDeliveryFailedError,
  ApprovalExpiredError,
  ApprovalKindRequiredError,
  HTTP_STATUS_BY_ERROR,
  NothingToApproveError,
  REJECTION_ERRORS,
} from './errors';

/**
 * The Chairman's answer to an approval, by deployment name. It arrives either through the function URL (AuthType
 * AWS_IAM: the caller's IAM ARN is the verified identity) or as a direct `aws lambda invoke` naming an `approver`
 * (recorded unverified). The task token never leaves DynamoDB except towards Step Functions, and is never logged.
 */

export const approvalAnswerSchema = z
  .strictObject({
    /** The deployment (= execution) name from the notification. */
    deployment: z.string().trim().min(1).max(80),
    decision: z.enum(['approve', 'reject']),
    /** Required to reject, optional to approve. */
    reason: z.string().trim().min(1).max(1000).optional(),
    /** Who answers; required (and unverified) for a direct invocation, ignored for the function URL. */
    approver: z.string().trim().min(1).max(256).optional(),
    /** Which approval; needed when more than one waits, and to approve a DATABASE_ROLLBACK. */
    kind: approvalKindSchema.optional(),
  })
  .superRefine((answer, ctx) => {
    if (answer.decision === 'reject' && answer.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a reason is required to reject' });
    }
  });
export type ApprovalAnswer = z.output<typeof approvalAnswerSchema>;

export type Approver = z.output<typeof approverSchema>;

export interface ApprovalAnswerResult {
  readonly deployment: string;
  readonly kind: ApprovalKind;
  readonly decision: 'approve' | 'reject';
  readonly approver: Approver;
  readonly answeredAt: string;
}

/** Step Functions errors meaning the task no longer waits: the answer can never be delivered. */
const TASK_GONE_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** SendTaskFailure `cause` limit. */
const MAX_CAUSE_LENGTH = 32_768;
const MAX_CLAIM_ATTEMPTS = 3;

export interface ApprovalResponderDependencies {
  readonly ddb: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly tableName: string;
  readonly clock: () => Date;
}

export function createApprovalResponder(dependencies: ApprovalResponderDependencies) {
  const { ddb, sfn, tableName, clock } = dependencies;

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

  async function findPending(answer: ApprovalAnswer): Promise<ApprovalItem> {
    const name = answer.deployment;
    if (answer.kind !== undefined) {
      const item = await readApproval(name, answer.kind);
      if (item === undefined) {
        throw new NothingToApproveError(`no ${answer.kind} approval is waiting for deployment ${name}`);
      }
      if (item.status !== 'PENDING') throw notPendingError(item);
      return item;
    }
    const items = await readApprovals(name);
    const pending = items.filter((item) => item.status === 'PENDING');
    const [only] = pending;
    if (only !== undefined && pending.length === 1) return only;
    if (pending.length > 1) {
      const kinds = pending.map((item) => item.kind).join(', ');
      throw new ApprovalKindRequiredError(
        `approvals of kinds ${kinds} are waiting for deployment ${name}: say which one with "kind"`,
      );
    }
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

  /** Undoes or finalizes our claim, only while the item is still exactly as we claimed it. Best effort. */
  async function afterClaim(
    item: ApprovalItem,
    decided: 'APPROVED' | 'REJECTED',
    answeredAt: string,
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
            ':decided': decided,
            ':answeredAt': answeredAt,
            ':token': item.taskToken,
            ...change.values,
          },
        }),
      );
    } catch (error) {
      logger.warn('could not update the approval after Step Functions refused the answer', {
        deployment: item.deploymentName,
        kind: item.kind,
        errorName: errorName(error) ?? 'UnknownError',
      });
    }
  }

  async function deliver(item: ApprovalItem, answer: ApprovalAnswer, approver: Approver, answeredAt: string) {
    const decided = answer.decision === 'approve' ? 'APPROVED' : 'REJECTED';
    try {
      if (answer.decision === 'approve') {
        const decision: ApprovalDecision = approvalDecisionSchema.parse({
          approved: true,
          kind: item.kind,
          approver,
          answeredAt,
          ...(answer.reason === undefined ? {} : { reason: answer.reason }),
        });
        await sfn.send(new SendTaskSuccessCommand({ taskToken: item.taskToken, output: JSON.stringify(decision) }));
      } else {
        const cause = `Rejected by ${approver.identity} at ${answeredAt}: ${answer.reason ?? ''}`;
        await sfn.send(
          new SendTaskFailureCommand({
            taskToken: item.taskToken,
            error: REJECTION_ERRORS[item.kind],
            cause: cause.slice(0, MAX_CAUSE_LENGTH),
          }),
        );
      }
    } catch (error) {
      // Never pass the SDK's message on: InvalidToken and friends may quote the token.
      const sfnError = errorName(error) ?? 'UnknownError';
      if (TASK_GONE_ERRORS.has(sfnError)) {
        await afterClaim(item, decided, answeredAt, {
          update: 'SET #status = :expired, #expiredAt = :expiredAt, #expiryReason = :expiryReason',
          names: { '#expiredAt': 'expiredAt', '#expiryReason': 'expiryReason' },
          values: { ':expired': 'EXPIRED', ':expiredAt': clock().toISOString(), ':expiryReason': sfnError },
        });
        throw new ApprovalExpiredError(
          `the ${item.kind} approval for deployment ${item.deploymentName} is no longer awaited by Step Functions ` +
            `(${sfnError}; deadline was ${item.deadline}): nothing was ${decided.toLowerCase()}`,
        );
      }
      // The condition sees the item before the update, so it can require our answeredAt while the update removes it.
      await afterClaim(item, decided, answeredAt, {
        update: 'SET #status = :pending REMOVE #approver, #verified, #answeredAt, #reason',
        names: { '#approver': 'approver', '#verified': 'approverVerified', '#reason': 'reason' },
        values: { ':pending': 'PENDING' },
      });
      const message = `Step Functions did not take the answer (${sfnError}); the ${item.kind} approval for deployment ${item.deploymentName} is still waiting`;
      if (isTransientAwsError(error)) throw new TransientAwsError(`${message}: try again`, error);
      throw new ApprovalDeliveryFailedError(message, error);
    }
  }

  /** Answers the pending approval of a deployment. Throws the errors above; returns what was recorded. */
  async function answer(input: ApprovalAnswer, approver: Approver): Promise<ApprovalAnswerResult> {
    for (let attempt = 1; ; attempt += 1) {
      const item = await findPending(input);
      if (item.kind === 'DATABASE_ROLLBACK' && input.decision === 'approve' && input.kind !== 'DATABASE_ROLLBACK') {
        throw new ApprovalKindRequiredError(
          `the approval waiting for deployment ${item.deploymentName} is a DATABASE RESTORE that loses writes: ` +
            'to confirm it, send "kind":"DATABASE_ROLLBACK" with your answer',
        );
      }
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
        throw current === undefined
          ? new NothingToApproveError(`no approval is waiting for deployment ${item.deploymentName}`)
          : notPendingError(current);
      }
      await deliver(item, input, approver, answeredAt);
      logger.info('approval answered', {
        deployment: item.deploymentName,
        kind: item.kind,
        decision: input.decision,
        approver: approver.identity,
        approverVerified: approver.verified,
      });
      return { deployment: item.deploymentName, kind: item.kind, decision: input.decision, approver, answeredAt };
    }
  }

  async function handleDirectInvocation(event: unknown): Promise<ApprovalAnswerResult> {
    const input = parseAnswer(event);
    if (input.approver === undefined) {
      throw new InvalidInputError(
        'approver: required when invoking the function directly (or call the function URL, which takes your IAM identity)',
      );
    }
    return answer(input, { identity: input.approver, verified: false });
  }

  function handleFunctionUrl(event: unknown): Promise<FunctionUrlResponse> {
    return serveFunctionUrl(event, HTTP_STATUS_BY_ERROR, (body, identity) =>
      answer(parseAnswer(body), { identity, verified: true }),
    );
  }

  /** Function URL events (with `requestContext.http`) get HTTP responses; anything else is a direct invocation. */
  async function handleEvent(event: unknown): Promise<FunctionUrlResponse | ApprovalAnswerResult> {
    return isFunctionUrlEvent(event) ? handleFunctionUrl(event) : handleDirectInvocation(event);
  }

  return { answer, handleEvent, handleFunctionUrl, handleDirectInvocation };
}

function parseAnswer(value: unknown): ApprovalAnswer {
  const parsed = approvalAnswerSchema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError(describeZodError(parsed.error));
  return parsed.data;
}

function toApprovalItem(raw: Record<string, unknown>): ApprovalItem {
  const parsed = approvalItemSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeploymentCrewError(
      'InvalidApprovalItem',
      `stored approval is malformed: ${describeZodError(parsed.error)}`,
    );
  }
  return parsed.data;
}

function notPendingError(item: ApprovalItem): DeploymentCrewError {
  const what = `the ${item.kind} approval for deployment ${item.deploymentName}`;
  if (item.status === 'EXPIRED') return new ApprovalExpiredError(`${what} has expired (deadline was ${item.deadline})`);
  return new AlreadyAnsweredError(`${what} was already answered: ${describeOutcome(item)}`);
}

function describeOutcome(item: ApprovalItem): string {
  switch (item.status) {
    case 'APPROVED':
    case 'REJECTED':
      return `${item.kind} ${item.status.toLowerCase()} by ${item.approver ?? 'unknown'}${
        item.approverVerified === true ? '' : ' (unverified)'
      } at ${item.answeredAt ?? 'an unknown time'}`;
    case 'EXPIRED':
      return `${item.kind} expired (deadline was ${item.deadline})`;
    case 'PENDING':
      return `${item.kind} pending`;
  }
}
