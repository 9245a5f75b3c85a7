import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { approvalRequestEnvironment } from '../../lambdas/shared/config/approval-request';
import { AgentFunction } from '../agent-function';
import type { ChairmanNotifications } from '../chairman-notifications';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { deploymentItems, tableStatement } from '../iam/shared-statements';
import type { ApprovalResponseAgent } from './approval-response';

/**
 * Properties of the approval-request function.
 */
export interface ApprovalRequestAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table: the approval item (and its task token) is stored there. */
  readonly table: dynamodb.ITableV2;
  /** The Chairman's topic. */
  readonly notifications: ChairmanNotifications;
  /** Where the Chairman answers: its URL and name go into the message. */
  readonly responder: ApprovalResponseAgent;
}

/**
 * The `.waitForTaskToken` task of an approval: stores the task token under the deployment's name and tells the
 * Chairman what is about to happen and how to answer.
 */
export class ApprovalRequestAgent extends AgentFunction {
  constructor(scope: Construct, id: string, props: ApprovalRequestAgentProps) {
    const { config } = props;
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'approval-request',
      description: 'DeploymentCrew: stores the approval task token by deployment and notifies the Chairman',
      environment: approvalRequestEnvironment({
        tableName: props.table.tableName,
        topicArn: props.notifications.topic.topicArn,
        targets: {
          listenerArn: config.listenerArn,
          targetGroupArns: [...config.targetGroupArns],
          database: config.database,
        },
        approvalUrl: props.responder.url.url,
        approvalFunctionName: props.responder.function.functionName,
      }),
      timeout: Duration.seconds(20),
      memorySize: 256,
      invokedSynchronouslyBy: 'Step Functions',
    });
    this.role.addToPolicy(tableStatement(props.table, deploymentItems(), 'PutItem'));
    props.notifications.grantPublish(this.role);
  }
}
