import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  APPROVAL_RESPONSE_SDK_BUDGET,
  approvalResponseEnvironment,
  approvalResponseWorstCaseMs,
} from '../../lambdas/shared/config/approval-response';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { deploymentItems, grantUrlToApprovers, tableStatement } from '../iam/shared-statements';

/**
 * Properties of the approval-response function.
 */
export interface ApprovalResponseAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the approval items and their task tokens. */
  readonly table: dynamodb.ITableV2;
  /**
   * The function's timeout. Refused when shorter than the worst case of its AWS calls with their retries: an answer
   * cut off between its claim and Step Functions is delivered only when the approver sends it again.
   * @default Duration.minutes(4)
   */
  readonly timeout?: Duration;
}

/**
 * The Chairman's answer to an approval, by deployment name, through an AWS_IAM function URL only: the caller's
 * verified identity, one of the configured approvers. It reads and claims the approval item, then answers the
 * waiting task token.
 */
export class ApprovalResponseAgent extends AgentFunction {
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApprovalResponseAgentProps) {
    const { config } = props;
    const timeout = props.timeout ?? Duration.minutes(4);
    assertApprovalTimeoutCoversSdkCalls(timeout);
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'approval-response',
      description: 'DeploymentCrew: the Chairman answers an approval by deployment name',
      environment: approvalResponseEnvironment({
        tableName: props.table.tableName,
        approvers: config.approvers,
        accountId: config.where.account,
      }),
      timeout,
      memorySize: 256,
      invokedSynchronouslyBy: 'its function URL',
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    grantUrlToApprovers(this.url, config.approvers);
    this.role.addToPolicy(tableStatement(props.table, deploymentItems(), 'GetItem', 'Query', 'UpdateItem'));
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

/** Refuses a timeout that could cut the answer's AWS calls short. */
export function assertApprovalTimeoutCoversSdkCalls(timeout: Duration): void {
  const worstCaseMs = approvalResponseWorstCaseMs();
  if (timeout.toMilliseconds() < worstCaseMs) {
    const { calls, limits } = APPROVAL_RESPONSE_SDK_BUDGET;
    throw new Error(
      `the approval function's timeout of ${timeout.toSeconds()} s is shorter than the worst case of its AWS calls ` +
        `(${Math.ceil(worstCaseMs / 1000)} s: ${calls} calls × ${limits.maxAttempts} attempts × ` +
        `(${limits.requestTimeoutMs} ms request timeout + backoff)); an answer cut off after its claim would wait ` +
        'for the approver to send it again',
    );
  }
}
