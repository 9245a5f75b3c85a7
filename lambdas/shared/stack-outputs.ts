/**
 * The outputs of the DeploymentCrew stack that operators' tools read (the `crew` CLI discovers everything from them,
 * so nothing is typed by hand). The stack names its CfnOutputs with these ids.
 */
export const STACK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  approvalUrl: 'ApprovalUrl',
  rollbackUrl: 'RollbackUrl',
  stateTableName: 'StateTableName',
  reportBucketName: 'ReportBucketName',
  dashboardUrl: 'DashboardUrl',
  /** The lock item's partition key in the state table (one lock per listener). */
  lockKey: 'LockKey',
} as const;

export type StackOutputName = keyof typeof STACK_OUTPUTS;

/** The stack name `cdk deploy` uses unless cdk.json's `deploymentCrew.stackName` says otherwise. */
export const DEFAULT_STACK_NAME = 'DeploymentCrew';
