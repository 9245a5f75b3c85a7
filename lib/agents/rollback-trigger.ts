import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { rollbackTriggerEnvironment } from '../../lambdas/shared/config/rollback-trigger';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import type { CutoverAlarms } from '../cutover-alarms';
import { acknowledgeReadOnlyWildcards, listenerStatements, tableStatement } from '../iam/shared-statements';

/**
 * Properties of the alarm listener and Chairman's override.
 */
export interface RollbackTriggerAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the lock (where the rollback request is recorded first). */
  readonly table: dynamodb.ITableV2;
  /** The per-side alarms: an alarm on the live side is ignored. */
  readonly alarms: CutoverAlarms;
}

/**
 * The fast path of a rollback: an alarm entering ALARM (EventBridge) or the Chairman's override (an AWS_IAM function
 * URL) records the request on the lock, puts the listener back to 100 % live at once and interrupts the bake.
 */
export class RollbackTriggerAgent extends AgentFunction {
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RollbackTriggerAgentProps) {
    const { config } = props;
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'rollback-trigger',
      description:
        'DeploymentCrew alarm listener and Chairman override: listener back to live at once, bake interrupted',
      environment: rollbackTriggerEnvironment({
        tableName: props.table.tableName,
        lockKey: config.lockKey,
        listenerArn: config.listenerArn,
        alarmTargetGroups: props.alarms.targetGroupOfAlarm,
      }),
      timeout: Duration.seconds(30),
      memorySize: 512,
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    for (const statement of [
      ...listenerStatements(config.listenerArn),
      tableStatement(props.table, 'GetItem', 'UpdateItem'),
    ]) {
      this.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.role,
      'elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth',
    );
  }

  /**
   * SendTaskFailure on the state machine, to end the waiting bake. A separate policy, created in `scope` (the crew):
   * the state machine references sibling functions, and putting this on the role's default policy would make a cycle.
   */
  allowBakeInterrupts(scope: Construct, stateMachine: sfn.IStateMachine): iam.Policy {
    return new iam.Policy(scope, 'BakeInterruptPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ actions: ['states:SendTaskFailure'], resources: [stateMachine.stateMachineArn] }),
      ],
    });
  }
}
