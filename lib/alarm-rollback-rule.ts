import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ChairmanNotifications } from './chairman-notifications';
import { DEAD_LETTER_QUEUE_REASON, WatchedDeadLetterQueue } from './watched-dead-letter-queue';

/**
 * Properties of the alarm-to-rollback rule.
 */
export interface AlarmRollbackRuleProps {
  /** Alarms whose entry into ALARM starts a rollback. */
  readonly alarmNames: readonly string[];
  /** The alarm listener (rollback trigger) function. */
  readonly target: lambda.IFunction;
  /** The Chairman's topic, told when an alarm event could not be delivered to the listener. */
  readonly notifications: ChairmanNotifications;
}

/** EventBridge's retries of a delivery the Lambda service refused (throttled, unavailable), within the event's age. */
export const ALARM_RULE_RETRY_ATTEMPTS = 4;
/** An alarm event older than this is not worth delivering: the bake it would interrupt is judged by the verdict. */
export const ALARM_RULE_MAX_EVENT_AGE = Duration.minutes(5);

/**
 * EventBridge rule: `aws.cloudwatch` / `CloudWatch Alarm State Change` for the pipeline's alarms entering ALARM,
 * delivered to the alarm listener, which rolls traffic back when a deployment is in cutover. A delivery EventBridge
 * could not make after its retries goes to a dead-letter queue (its policy lets only this rule send), whose alarm
 * notifies the Chairman.
 */
export class AlarmRollbackRule extends Construct {
  readonly rule: events.Rule;
  readonly deadLetters: WatchedDeadLetterQueue;

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
    this.deadLetters = new WatchedDeadLetterQueue(this, 'UndeliveredEvents', {
      alarmNameSuffix: 'alarm-rule-undelivered-events',
      description:
        'an alarm event could not be delivered to the alarm listener: a rollback may not have started. Check the ' +
        'deployment in progress, then read and delete the messages of the queue.',
      notifications: props.notifications,
    });
    // cdk-nag recognizes a queue as a DLQ only from another queue's redrive policy or a function's DeadLetterConfig.
    Validations.of(this.deadLetters.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `The dead-letter queue of the alarm rule's EventBridge target. ${DEAD_LETTER_QUEUE_REASON}`,
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.target, {
        retryAttempts: ALARM_RULE_RETRY_ATTEMPTS,
        maxEventAge: ALARM_RULE_MAX_EVENT_AGE,
        deadLetterQueue: this.deadLetters.queue,
      }),
    );
  }
}
