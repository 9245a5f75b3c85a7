import * as v from 'valibot';
import type { ApprovalKind } from './contracts';
import { nonEmptyString, object } from './validation';

/**
 * The approval item in the DeploymentCrew table, shared by the approval-request Lambda (which writes it) and the
 * approval-response Lambda (which claims it). One item per deployment and approval kind:
 * pk = `DEPLOYMENT#<deploymentName>`, sk = `APPROVAL#<kind>`. The item holds the Step Functions task token: never log
 * it, never return it.
 */

export const approvalKindSchema = v.picklist(['START', 'DATABASE_ROLLBACK']) satisfies v.GenericSchema<ApprovalKind>;

export const approvalStatusSchema = v.picklist(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED']);
export type ApprovalStatus = v.InferOutput<typeof approvalStatusSchema>;

/** Items outlive their deadline by this much before DynamoDB's TTL removes them: a safety net, not a timer. */
export const APPROVAL_ITEM_RETENTION_SECONDS = 7 * 24 * 3600;

export const APPROVAL_SK_PREFIX = 'APPROVAL#';
/** Every per-deployment item's partition key starts with this (the roles' `dynamodb:LeadingKeys` condition). */
export const DEPLOYMENT_PK_PREFIX = 'DEPLOYMENT#';
/** Refused calls kept on an item: later ones are only logged, so that no caller can grow an item without bound. */
export const MAX_REFUSED_CALLS = 20;

export function deploymentPartitionKey(deploymentName: string): string {
  return `${DEPLOYMENT_PK_PREFIX}${deploymentName}`;
}

/** A call refused on this deployment (not an approver, or a direct invocation), as recorded on its items. */
export const refusedCallSchema = object({
  at: v.string(),
  /** The IAM ARN the function URL carried, or what a direct invocation claimed (unverified), or null. */
  caller: v.nullable(v.string()),
  via: v.picklist(['function-url', 'direct-invocation']),
  why: v.string(),
});

export function approvalSortKey(kind: ApprovalKind): string {
  return `${APPROVAL_SK_PREFIX}${kind}`;
}

export function approvalKey(deploymentName: string, kind: ApprovalKind): { pk: string; sk: string } {
  return { pk: deploymentPartitionKey(deploymentName), sk: approvalSortKey(kind) };
}

/** An approval item as read back from the table. Unknown attributes are tolerated (and dropped). */
export const approvalItemSchema = object({
  pk: v.string(),
  sk: v.string(),
  taskToken: nonEmptyString,
  status: approvalStatusSchema,
  kind: approvalKindSchema,
  deploymentName: v.string(),
  executionArn: v.string(),
  /** ISO-8601. */
  requestedAt: v.string(),
  /** ISO-8601: requestedAt + timeoutSeconds, when the approval task times out. */
  deadline: v.string(),
  timeoutSeconds: v.pipe(v.number(), v.finite()),
  /** Epoch seconds, the table's TTL attribute: deadline + {@link APPROVAL_ITEM_RETENTION_SECONDS}. */
  expiresAt: v.pipe(v.number(), v.finite()),
  releaseVersion: v.string(),
  requestedBy: v.string(),
  /** Set by the answer. On an EXPIRED item: the answer that came too late. */
  approver: v.optional(v.string()),
  approverVerified: v.optional(v.boolean()),
  answeredAt: v.optional(v.string()),
  reason: v.optional(v.string()),
  /** Set when Step Functions reported the task gone (TaskTimedOut, TaskDoesNotExist, InvalidToken). */
  expiredAt: v.optional(v.string()),
  expiryReason: v.optional(v.string()),
  /** When Step Functions took the answer (a repeated answer may deliver it again: SendTask* is safe to repeat). */
  deliveredAt: v.optional(v.string()),
  /**
   * Set, with the Step Functions error, when the answer's token was found closed before the deadline and no delivery
   * was recorded (the reply's `delivery: closed-before-deadline`): an earlier attempt of the same delivery landed (its
   * response was lost and the SDK retried), or the execution ended. Not proof of delivery: its history says which.
   */
  closedAt: v.optional(v.string()),
  closedReason: v.optional(v.string()),
  /** Calls refused on this approval, oldest first, at most {@link MAX_REFUSED_CALLS}. */
  refusedCalls: v.optional(v.array(refusedCallSchema)),
});
export type ApprovalItem = v.InferOutput<typeof approvalItemSchema>;
