import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * Properties of the crew's state table.
 */
export interface CrewStateTableProps {
  /**
   * What happens to the table when the stack is deleted. It holds the lock and the approval records (an audit
   * trail of who approved what), so it is kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One DynamoDB table for the pipeline's own state: the deployment lock (`pk = LOCK#<listener ARN>`, `sk = LOCK`) and
 * the approval records holding task tokens (`pk = DEPLOYMENT#<name>`, `sk = APPROVAL#<kind>`). `expiresAt` is the
 * TTL attribute: a safety net for a lock or a token left behind by a crashed execution.
 */
export class CrewStateTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: CrewStateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
