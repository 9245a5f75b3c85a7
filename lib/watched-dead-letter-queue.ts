import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ChairmanNotifications } from './chairman-notifications';

/** Why a dead-letter queue has no dead-letter queue of its own (cdk-nag's SQS3 and SQSRedrivePolicy). */
export const DEAD_LETTER_QUEUE_REASON =
  'This queue is itself a dead-letter queue: what lands here is kept for inspection and alarmed on, and there is ' +
  'nothing further to redrive it to.';

/**
 * Properties of a dead-letter queue the Chairman hears about.
 */
export interface WatchedDeadLetterQueueProps {
  /** Name of the alarm on the queue (the stack name prefixes it), e.g. `alarm-listener-failed-invocations`. */
  readonly alarmNameSuffix: string;
  /** What lands in the queue and what it means, for the alarm's description. */
  readonly description: string;
  /** The Chairman's topic: the alarm notifies it when the first message arrives. */
  readonly notifications: ChairmanNotifications;
  /**
   * How long a message is kept for someone to look at it.
   * @default Duration.days(14) (the SQS maximum)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * An encrypted, TLS-only SQS queue for events that could not be delivered or processed, with an alarm on
 * ApproximateNumberOfMessagesVisible > 0 that notifies the Chairman: such an event may be a rollback that did not
 * happen. The alarm stays in ALARM until the queue is emptied, so it notifies once per incident.
 */
export class WatchedDeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WatchedDeadLetterQueueProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: DEAD_LETTER_QUEUE_REASON });

    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: `${stack.stackName}-${props.alarmNameSuffix}`,
      alarmDescription: `DeploymentCrew: ${props.description}`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.seconds(60),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // SQS stops publishing for a queue idle for hours: no data is an empty queue.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.notifications.topic));
    allowAlarmToNotify(props.notifications, this.alarm);
  }
}

/**
 * CloudWatch publishes an alarm's notification as the `cloudwatch.amazonaws.com` service: the topic's own policy
 * (which enforceSSL replaced the default one with) must let it publish for this alarm, and the topic's key must let
 * it encrypt.
 */
function allowAlarmToNotify(notifications: ChairmanNotifications, alarm: cloudwatch.Alarm): void {
  const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  notifications.topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudWatch],
      actions: ['sns:Publish'],
      resources: [notifications.topic.topicArn],
      conditions: {
        ArnEquals: { 'aws:SourceArn': alarm.alarmArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(alarm).account },
      },
    }),
  );
  // A key policy: "*" is this key. Identical statements from several alarms are merged by CDK.
  notifications.key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudWatch],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
    }),
  );
}
