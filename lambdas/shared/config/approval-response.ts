import { approversSchema } from '../approvers';
import { type SdkBudget, type SdkClientLimits, worstCaseDurationMs } from '../sdk-budget';
import { requireEnv } from '../validation';
import { jsonEnvironmentVariable } from './environment';

/** Everything the approval-response function reads from its environment. */
export interface ApprovalResponseConfig {
  /** `TABLE_NAME`: the crew's state table, where the approval items (and their task tokens) are. */
  readonly tableName: string;
  /** `APPROVERS`: IAM role and user ARNs that may answer (an assumed-role session counts as its role). */
  readonly approvers: readonly string[];
  /** `ACCOUNT_ID`: the stack's account; callers from any other account are refused. */
  readonly accountId: string;
}

const APPROVERS = jsonEnvironmentVariable('APPROVERS', approversSchema);

export function approvalResponseEnvironment(config: ApprovalResponseConfig): Record<string, string> {
  return {
    TABLE_NAME: config.tableName,
    ACCOUNT_ID: config.accountId,
    ...APPROVERS.environment([...config.approvers]),
  };
}

export function loadApprovalResponseConfig(): ApprovalResponseConfig {
  return { tableName: requireEnv('TABLE_NAME'), accountId: requireEnv('ACCOUNT_ID'), approvers: APPROVERS.load() };
}

/** Every AWS client of the approval function (DynamoDB, Step Functions): these APIs answer in milliseconds. */
export const APPROVAL_RESPONSE_SDK_LIMITS: SdkClientLimits = {
  maxAttempts: 2,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
};

/**
 * The most SDK calls one answer makes (lambdas/approval-response/respond.ts): two claims lost to a renewed request
 * (read, claim, re-read: 3 each), then a third lost to the same approver's own earlier answer (read, claim, re-read),
 * delivered again and marked delivered: 6 + 5. A refused call makes at most 3 (query, record on two approvals).
 * A test drives the longest path through the handler and counts.
 */
export const APPROVAL_RESPONSE_MAX_SDK_CALLS = 11;

export const APPROVAL_RESPONSE_SDK_BUDGET: SdkBudget = {
  calls: APPROVAL_RESPONSE_MAX_SDK_CALLS,
  limits: APPROVAL_RESPONSE_SDK_LIMITS,
};

/** Worst-case duration of one answer's AWS calls, in milliseconds, for the stack's check of the function timeout. */
export function approvalResponseWorstCaseMs(): number {
  return worstCaseDurationMs(APPROVAL_RESPONSE_SDK_BUDGET);
}
