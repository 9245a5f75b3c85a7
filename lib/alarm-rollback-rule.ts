import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * Properties of the alarm-to-rollback rule.
 */
export interface AlarmRollbackRuleProps {
  /** Alarms whose entry into ALARM starts a rollback. */
  readonly alarmNames: readonly string[];
  /** The alarm listener (rollback trigger) function. */
  readonly target: lambda.IFunction;
}

/**
 * EventBridge rule: `aws.cloudwatch` / `CloudWatch Alarm State Change` for the pipeline's alarms entering ALARM,
 * delivered to the alarm listener, which rolls traffic back when a deployment is in cutover.
 */
export class AlarmRollbackRule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AlarmRollbackRuleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'DeploymentCrew: an alarm entering ALARM rolls a deployment in cutover back',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [...props.alarmNames], state: { value: ['ALARM'] } },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.target, { retryAttempts: 4, maxEventAge: Duration.minutes(5) }),
    );
  }
}
