import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
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
 * Encrypted with a customer managed key (rotated) and reachable over TLS only.
 */
export class ChairmanNotifications extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

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
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
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
