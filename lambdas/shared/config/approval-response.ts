import { requireEnv } from '../validation';

/** Everything the approval-response function reads from its environment. */
export interface ApprovalResponseConfig {
  /** `TABLE_NAME`: the crew's state table, where the approval items (and their task tokens) are. */
  readonly tableName: string;
}

export function approvalResponseEnvironment(config: ApprovalResponseConfig): Record<string, string> {
  return { TABLE_NAME: config.tableName };
}

export function loadApprovalResponseConfig(): ApprovalResponseConfig {
  return { tableName: requireEnv('TABLE_NAME') };
}
