import { Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DEPLOYMENT_PK_PREFIX } from '../../lambdas/shared/approval-item';

/** The listener: ModifyListener on it alone; ELB describe calls support no resource-level permissions. */
/** The listener reads a role may need (none of them supports resource-level permissions: granted on `*`). */
export type ListenerRead = 'DescribeListeners' | 'DescribeRules' | 'DescribeTargetHealth';

/** ModifyListener on the one listener, and exactly the reads the role's use of the traffic router makes. */
export function listenerStatements(listenerArn: string, reads: readonly ListenerRead[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: [listenerArn] }),
    new iam.PolicyStatement({ actions: reads.map((read) => `elasticloadbalancing:${read}`), resources: ['*'] }),
  ];
}

/** The items of the state table a role may touch, by partition key (`dynamodb:LeadingKeys`). */
export type TableItems =
  | { readonly partitionKey: string; readonly partitionKeyPrefix?: never }
  | { readonly partitionKeyPrefix: string; readonly partitionKey?: never };

/** Exactly the deployment lock item's partition (the lock of this listener). */
export function lockItems(lockKey: string): TableItems {
  return { partitionKey: lockKey };
}

/** The per-deployment items (`DEPLOYMENT#<name>`: the approvals), never the lock. */
export function deploymentItems(): TableItems {
  return { partitionKeyPrefix: DEPLOYMENT_PK_PREFIX };
}

/**
 * `dynamodb:<action>` on the crew's state table, for the items `items` names only. `ForAllValues` holds for a request
 * without keys too (a Scan), hence the `Null` condition: only requests that name their partition keys get through.
 * Only item-level actions belong here (GetItem, Query, PutItem, UpdateItem, DeleteItem).
 */
export function tableStatement(table: dynamodb.ITableV2, items: TableItems, ...actions: string[]): iam.PolicyStatement {
  const leadingKeys =
    items.partitionKey === undefined
      ? { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${items.partitionKeyPrefix}*`] } }
      : { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [items.partitionKey] } };
  return new iam.PolicyStatement({
    actions: actions.map((action) => `dynamodb:${action}`),
    resources: [table.tableArn],
    conditions: { ...leadingKeys, Null: { 'dynamodb:LeadingKeys': 'false' } },
  });
}

/** Read-only actions that support no resource-level permissions, named per role. */
export function acknowledgeReadOnlyWildcards(role: iam.IRole, actions: string): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `Only read-only actions without resource-level permissions are on *: ${actions}. Every mutating action is scoped.`,
  });
}

/**
 * The function's resource policy, per approver: `lambda:InvokeFunctionUrl` (AuthType AWS_IAM) and
 * `lambda:InvokeFunction` with `lambda:InvokedViaFunctionUrl = true`, both needed by URLs created since October
 * 2025. The condition is what keeps approvers from invoking directly with a forged URL-shaped payload.
 */
export function grantUrlToApprovers(url: lambda.FunctionUrl, approvers: readonly string[]): void {
  for (const approver of approvers) url.grantInvokeUrl(new iam.ArnPrincipal(approver));
}
