import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Properties of the Chairman's notification channel.
 */
export interface ChairmanNotificationsProps {
  /** E-mail addresses subscribed to the topic (each confirms its subscription once). */
  readonly emails: readonly string[];
}

/**
 * The SNS topic that tells the Chairman what is about to happen, asks for approvals and reports failures.
 * Encrypted with a customer managed key (rotated) and reachable over TLS only. An e-mail SNS cannot deliver (after
 * its retries) goes to a dead-letter queue rather than being dropped.
 */
export class ChairmanNotifications extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  /** The e-mails SNS could not deliver, kept 14 days for whoever wonders why an approval request never arrived. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ChairmanNotificationsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'DeploymentCrew: encrypts the Chairman notification topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'DeploymentCrew',
      masterKey: this.key,
      enforceSSL: true,
    });
    // A key of its own: SNS needs the queue's key for this topic only, and a condition on the topic in the topic's
    // own key would make the two depend on each other. Its messages live 14 days at most, the queue goes with the
    // stack, and so does the key.
    const deadLetterKey = new kms.Key(this, 'DeadLetterKey', {
      description: 'DeploymentCrew: encrypts the Chairman e-mails SNS could not deliver',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: deadLetterKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // SNS encrypts what it moves into the queue, on behalf of this topic only. (The subscription adds the matching
    // sqs:SendMessage to the queue policy itself.)
    deadLetterKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } },
      }),
    );
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This is the dead-letter queue of the e-mail subscriptions, read by an operator only: no consumer fails ' +
          'on its messages, so there is nothing for a further dead-letter queue to catch.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'The dead-letter queue of the e-mail subscriptions is the end of the line, read by an operator only: no ' +
          'consumer fails on its messages, so there is nothing to redrive.',
      },
    );
    // No alarm on the queue: it would be mailed through this topic, whose e-mails are the ones failing.
    for (const email of props.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: this.deadLetterQueue }));
    }
  }

  /**
   * Lets a principal publish to the topic: sns:Publish on it and the two KMS actions SNS needs to encrypt with its
   * key (named exactly, instead of the `kms:GenerateDataKey*` wildcard `topic.grantPublish` would add).
   */
  grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }
}
