import * as v from 'valibot';
import { type ApprovalItem, approvalItemSchema } from '../shared/approval-item';
import type { ApprovalKind } from '../shared/contracts';
import { DeploymentCrewError } from '../shared/errors';
import { describeIssues } from '../shared/validation';

/** The answers the approval function refuses with, by name (the HTTP status of each is below). */

/** No approval is waiting for the deployment (never requested, already answered or expired). HTTP 404. */
export class NothingToApproveError extends DeploymentCrewError {
  constructor(message: string) {
    super('NothingToApprove', message);
  }
}

/** Someone else answered first. HTTP 409. */
export class AlreadyAnsweredError extends DeploymentCrewError {
  constructor(message: string) {
    super('AlreadyAnswered', message);
  }
}

/** Step Functions no longer waits for this answer (timed out, or the execution ended). HTTP 410. */
export class ApprovalExpiredError extends DeploymentCrewError {
  constructor(message: string) {
    super('ApprovalExpired', message);
  }
}

/** More than one approval waits, or a DATABASE_ROLLBACK is approved without naming the kind. HTTP 400. */
export class ApprovalKindRequiredError extends DeploymentCrewError {
  constructor(message: string) {
    super('ApprovalKindRequired', message);
  }
}

/** The approval item changed under us repeatedly (requests re-sent while answering). HTTP 409, safe to retry. */
export class ApprovalConflictError extends DeploymentCrewError {
  constructor(message: string) {
    super('ApprovalConflict', message);
  }
}

/** Step Functions refused the answer for a reason that is neither expiry nor transient; the approval still waits. */
export class ApprovalDeliveryFailedError extends DeploymentCrewError {
  constructor(message: string, cause: unknown) {
    super('ApprovalDeliveryFailed', message, { cause });
  }
}

/** The Step Functions error names (SendTaskFailure `error`) the state machine catches for a "no". */
export const REJECTION_ERRORS = {
  START: 'ApprovalRejected',
  DATABASE_ROLLBACK: 'DatabaseRollbackDeclined',
} as const satisfies Record<ApprovalKind, string>;

export const HTTP_STATUS_BY_ERROR: Readonly<Record<string, number>> = {
  InvalidInput: 400,
  ApprovalKindRequired: 400,
  Unauthenticated: 401,
  CallerNotAllowed: 403,
  NothingToApprove: 404,
  AlreadyAnswered: 409,
  ApprovalConflict: 409,
  ApprovalExpired: 410,
  TransientAwsError: 503,
};

/** An item read from the table, checked. */
export function toApprovalItem(raw: Record<string, unknown>): ApprovalItem {
  const parsed = v.safeParse(approvalItemSchema, raw);
  if (!parsed.success) {
    throw new DeploymentCrewError(
      'InvalidApprovalItem',
      `stored approval is malformed: ${describeIssues(parsed.issues)}`,
    );
  }
  return parsed.output;
}

export function notPendingError(item: ApprovalItem): DeploymentCrewError {
  const what = `the ${item.kind} approval for deployment ${item.deploymentName}`;
  if (item.status === 'EXPIRED') return new ApprovalExpiredError(`${what} has expired (deadline was ${item.deadline})`);
  return new AlreadyAnsweredError(`${what} was already answered: ${describeOutcome(item)}`);
}

export function describeOutcome(item: ApprovalItem): string {
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
