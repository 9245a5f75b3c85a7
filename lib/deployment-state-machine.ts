import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ListenerArnParts } from '../lambdas/shared/arns';
import type { ChairmanNotifications } from './chairman-notifications';
import { ApplicationArns } from './iam/application-arns';
import { lockItems, tableStatement } from './iam/shared-statements';
import { type DefinitionSubstitutions, readDefinition } from './state-machine-definition';

export {
  DEFINITION_FILE,
  type DefinitionSubstitutions,
  readDefinition,
  renderDefinition,
} from './state-machine-definition';

/**
 * Properties of the deployment state machine.
 */
export interface DeploymentStateMachineProps {
  /** Values of the ASL file's `${...}` placeholders. */
  readonly substitutions: DefinitionSubstitutions;
  /** The functions the ASL's Task states invoke (their unqualified ARNs). */
  readonly invokedFunctions: readonly lambda.IFunction[];
  /** The crew's state table: the lock is taken, marked and released by direct DynamoDB tasks. */
  readonly table: dynamodb.ITableV2;
  /** The Chairman's topic: failure, rollback and escalation notices are published by SNS tasks. */
  readonly notifications: ChairmanNotifications;
  /** The bus of the pipeline's events (EventBridge PutEvents tasks). */
  readonly eventBusName: string;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The state machine's name: fixed, so that a function it invokes can be granted its executions' history by ARN
   * (a reference to the state machine itself from such a function's role would be a dependency cycle).
   * @default - a name CloudFormation generates
   */
  readonly stateMachineName?: string;
}

/** Step Functions allows 80 characters in a state machine's name. */
const MAX_STATE_MACHINE_NAME = 80;

/** `<stack name>-Deployment`: the state machine's fixed name. */
export function stateMachineNameFor(stackName: string): string {
  const name = `${stackName}-Deployment`;
  if (name.length > MAX_STATE_MACHINE_NAME) {
    throw new Error(
      `the state machine's name ${name} is over ${MAX_STATE_MACHINE_NAME} characters: use a shorter stack name`,
    );
  }
  return name;
}

/**
 * `arn:…:states:<region>:<account>:execution:<state machine name>:*`: its executions, for GetExecutionHistory. The
 * stack lives in the listener's account and region (the region guard), so the ARN is literal, like the others.
 */
export function executionsArnOf(where: ListenerArnParts, stateMachineName: string): string {
  return new ApplicationArns(where).arn('states', `execution:${stateMachineName}:*`);
}

/**
 * The Standard state machine built from `statemachine/deployment-crew.asl.json`, inline (so the template shows it),
 * with ALL-level logging that leaves execution data out (task tokens travel in task parameters) and X-Ray tracing.
 * Permissions are not derived from the file: each integration the ASL uses is granted here explicitly.
 */
export class DeploymentStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DeploymentStateMachineProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...(props.stateMachineName === undefined ? {} : { stateMachineName: props.stateMachineName }),
      definitionBody: sfn.DefinitionBody.fromString(readDefinition().text),
      definitionSubstitutions: { ...props.substitutions },
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // The unqualified ARNs only: the ASL never invokes a version or an alias, so no `function:*` grant.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: props.invokedFunctions.map((fn) => fn.functionArn),
      }),
    );
    this.stateMachine.addToRolePolicy(
      tableStatement(props.table, lockItems(props.substitutions.LockKey), 'PutItem', 'DeleteItem', 'UpdateItem'),
    );
    props.notifications.grantPublish(this.stateMachine);
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [
          Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: props.eventBusName }),
        ],
      }),
    );
    // An OpsItem when a deployment aborts, a rollback fails or the old side cannot be retired. CreateOpsItem supports
    // no resource-level permission (service authorization reference: no resource types), hence `*`; no tags are sent.
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:CreateOpsItem'], resources: ['*'] }));
    Validations.of(this.stateMachine).acknowledge({
      id: 'CloudFormation-Validate::E1029',
      reason:
        'The dollar-brace placeholders are DefinitionSubstitutions, filled by Step Functions, not Fn::Sub parameters.',
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*), CloudWatch Logs delivery actions ' +
        '(CreateLogDelivery, ListLogDeliveries, …) and ssm:CreateOpsItem are granted on *: none of them supports ' +
        'resource-level permissions.',
    });
  }
}
