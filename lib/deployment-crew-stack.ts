import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../lambdas/shared/stack-outputs';
import { type VpcPlacement, vpcPlacementFrom } from './context-config';
import { DeploymentCrew } from './deployment-crew';
import type { DeploymentCrewProps } from './deployment-crew-props';

/**
 * Properties of the DeploymentCrew stack.
 */
export interface DeploymentCrewStackProps extends StackProps {
  /** The pipeline's configuration: the application's resources and the Chairman. */
  readonly crew: DeploymentCrewProps;
  /**
   * The verifier's VPC placement by ID (cdk.json's `postDeployment.vpc`), imported in this stack as
   * `crew.postDeployment.vpc`.
   * @default - `crew.postDeployment.vpc` as given
   */
  readonly vpcPlacement?: VpcPlacement;
}

/**
 * The deployable unit: the crew and the outputs an operator needs to start and approve deployments (the `crew` CLI
 * discovers everything from them: lambdas/shared/stack-outputs.ts).
 */
export class DeploymentCrewStack extends Stack {
  readonly crew: DeploymentCrew;

  constructor(scope: Construct, id: string, props: DeploymentCrewStackProps) {
    super(scope, id, props);
    this.crew = new DeploymentCrew(this, 'Crew', withVpcPlacement(this, props));

    new CfnOutput(this, STACK_OUTPUTS.stateMachineArn, {
      description: 'Start a deployment here (console: Start execution; CLI: aws stepfunctions start-execution)',
      value: this.crew.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ChairmanTopicArn', {
      description: 'SNS topic of approval requests and failure notices',
      value: this.crew.notifications.topic.topicArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.approvalUrl, {
      description: 'Function URL (AWS_IAM) where the Chairman approves or rejects by deployment name',
      value: this.crew.approvalUrl.url,
    });
    new CfnOutput(this, 'ApprovalFunctionName', {
      description: 'The approval function, for its logs and metrics (direct invocations are refused: use the URL)',
      value: this.crew.approvalResponse.function.functionName,
    });
    new CfnOutput(this, STACK_OUTPUTS.rollbackUrl, {
      description: "Function URL (AWS_IAM) of the Chairman's rollback override",
      value: this.crew.rollbackUrl.url,
    });
    new CfnOutput(this, 'RollbackFunctionName', {
      description: 'The override and alarm listener function, for its logs and metrics (use the URL to override)',
      value: this.crew.rollbackTrigger.function.functionName,
    });
    new CfnOutput(this, STACK_OUTPUTS.dashboardUrl, {
      description:
        'CloudWatch dashboard of the cutover: traffic share, error rate as the verdict counts it, p95, DB, probes',
      value: this.crew.dashboard.dashboardUrl,
    });
    new CfnOutput(this, STACK_OUTPUTS.reportBucketName, {
      description: 'Deployment reports (reports/<deployment>/report.json and report.md)',
      value: this.crew.reports.bucket.bucketName,
    });
    new CfnOutput(this, STACK_OUTPUTS.stateTableName, {
      description: 'DynamoDB table of the deployment lock and approval records',
      value: this.crew.stateTable.table.tableName,
    });
    new CfnOutput(this, STACK_OUTPUTS.lockKey, {
      description: "The deployment lock's partition key in the state table (crew status and crew unlock read it)",
      value: this.crew.lockKey,
    });
  }
}

function withVpcPlacement(scope: Construct, props: DeploymentCrewStackProps): DeploymentCrewProps {
  if (props.vpcPlacement === undefined) return props.crew;
  if (props.crew.postDeployment.vpc !== undefined) {
    throw new Error('postDeployment.vpc: give the VPC placement either as constructs (crew) or by ID, not both');
  }
  return {
    ...props.crew,
    postDeployment: { ...props.crew.postDeployment, vpc: vpcPlacementFrom(scope, props.vpcPlacement) },
  };
}
