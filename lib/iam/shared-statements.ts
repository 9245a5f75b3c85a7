import { Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The listener: ModifyListener on it alone; ELB describe calls support no resource-level permissions. */
export function listenerStatements(listenerArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: [listenerArn] }),
    new iam.PolicyStatement({
      actions: [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      resources: ['*'],
    }),
  ];
}

/** `dynamodb:<action>` on the crew's state table. */
export function tableStatement(table: dynamodb.ITableV2, ...actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: actions.map((action) => `dynamodb:${action}`),
    resources: [table.tableArn],
  });
}

/** Read-only actions that support no resource-level permissions, named per role. */
export function acknowledgeReadOnlyWildcards(role: iam.IRole, actions: string): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `Only read-only actions without resource-level permissions are on *: ${actions}. Every mutating action is scoped.`,
  });
}
