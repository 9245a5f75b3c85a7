import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { approvalResponseEnvironment } from '../../lambdas/shared/config/approval-response';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { tableStatement } from '../iam/shared-statements';

/**
 * Properties of the approval-response function.
 */
export interface ApprovalResponseAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the approval items and their task tokens. */
  readonly table: dynamodb.ITableV2;
}

/**
 * The Chairman's answer to an approval, by deployment name, through an AWS_IAM function URL (the caller's verified
 * identity) or a direct invocation. It reads and claims the approval item, then answers the waiting task token.
 */
export class ApprovalResponseAgent extends AgentFunction {
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApprovalResponseAgentProps) {
    super(scope, id, {
      logRetention: props.config.logRetention,
      agent: 'approval-response',
      description: 'DeploymentCrew: the Chairman answers an approval by deployment name',
      environment: approvalResponseEnvironment({ tableName: props.table.tableName }),
      timeout: Duration.seconds(20),
      memorySize: 256,
      invokedSynchronouslyBy: 'its function URL',
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.role.addToPolicy(tableStatement(props.table, 'GetItem', 'Query', 'UpdateItem'));
  }

  /**
   * SendTaskSuccess/SendTaskFailure on the state machine. A separate policy, created in `scope` (the crew): the
   * state machine references sibling functions, and putting this on the role's default policy would make a cycle.
   */
  allowTaskResponses(scope: Construct, stateMachine: sfn.IStateMachine): iam.Policy {
    return new iam.Policy(scope, 'ApprovalCallbackPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [stateMachine.stateMachineArn],
        }),
      ],
    });
  }
}
