import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where the report store writes (lambdas/tools/report-store: `reports/<deployment>/report.json|html|md`). */
export const REPORT_KEY_PREFIX = 'reports/';

/**
 * How the reports are encrypted at rest.
 * - `S3_MANAGED` (SSE-S3): the reports hold ARNs, URLs, metrics and approver identities but no secret (the smoke
 *   suite redacts secret headers before anything is recorded); access is then decided by IAM and the bucket policy
 *   alone, and a reader needs no key grant. No key to pay for or to lose.
 * - `KMS`: a customer-managed key of the bucket's own, rotated yearly, for an organisation that wants every read
 *   decided (and logged in CloudTrail) by a key policy as well; readers and the writer need key grants.
 */
export type ReportEncryption = 'S3_MANAGED' | 'KMS';

/**
 * Properties of the report bucket.
 */
export interface ReportBucketProps {
  /**
   * Encryption at rest (see `ReportEncryption` for the trade-off).
   * @default 'S3_MANAGED'
   */
  readonly encryption?: ReportEncryption;
  /**
   * After how long a report moves to S3 Standard-IA. S3 does not transition objects under 128 KB by default (the
   * 2024 lifecycle default), so a small report stays in Standard, where it costs less than IA's 128 KB minimum.
   * @default Duration.days(30) (the earliest S3 allows for Standard-IA)
   */
  readonly infrequentAccessAfter?: Duration;
  /**
   * How long an overwritten or deleted report's previous version is kept.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * After how long current reports expire.
   * @default undefined (reports are kept: they are the deployment record)
   */
  readonly reportExpiration?: Duration;
  /**
   * A bucket that receives the server access logs (the organisation's log bucket, SSE-S3 encrypted as S3 requires of
   * a log target).
   * @default undefined (no access logs; AwsSolutions-S1 is acknowledged with the reason)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * What happens to the bucket (and its key) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The S3 bucket of the deployment reports: encrypted, TLS 1.2 or newer only, versioned (a retried report overwrites
 * its keys, the old version is kept), public access blocked, ACLs disabled, with a lifecycle rule.
 */
export class ReportBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** The bucket's own key with `encryption: 'KMS'`; undefined with SSE-S3. */
  readonly encryptionKey: kms.Key | undefined;

  constructor(scope: Construct, id: string, props: ReportBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const infrequentAccessAfter = props.infrequentAccessAfter ?? Duration.days(30);
    if (infrequentAccessAfter.toDays() < 30) {
      throw new Error(
        `infrequentAccessAfter must be at least 30 days (S3 Standard-IA), got ${infrequentAccessAfter.toDays()}`,
      );
    }
    this.encryptionKey =
      props.encryption === 'KMS'
        ? new kms.Key(this, 'Key', {
            description: 'DeploymentCrew deployment reports',
            enableKeyRotation: true,
            removalPolicy,
          })
        : undefined;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(this.encryptionKey === undefined
        ? { encryption: s3.BucketEncryption.S3_MANAGED }
        : { encryption: s3.BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }),
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      ...(props.accessLogsBucket === undefined
        ? {}
        : { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: 'deployment-reports/' }),
      lifecycleRules: [
        {
          id: 'reports',
          prefix: REPORT_KEY_PREFIX,
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: infrequentAccessAfter }],
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
          ...(props.reportExpiration === undefined ? {} : { expiration: props.reportExpiration }),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    if (props.accessLogsBucket === undefined) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'No accessLogsBucket was given: server access logs must go to another bucket (the organisation log ' +
          'bucket), and one created here would be an unlogged bucket itself. Only the report writer role may put ' +
          'objects (reports/*), the bucket is TLS-only and versioned, so an overwrite or deletion stays recoverable.',
      });
    }
  }

  /** s3:PutObject on `reports/*` only (and the key's data keys with KMS): what the report store needs. */
  grantWriteReports(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects(`${REPORT_KEY_PREFIX}*`)],
    });
    // A single PutObject under SSE-KMS asks KMS for a data key; nothing else.
    this.encryptionKey?.grant(grantee, 'kms:GenerateDataKey');
  }

  /** s3:GetObject (and its versions) on `reports/*`, with kms:Decrypt under KMS: for whoever reads the reports. */
  grantReadReports(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [this.bucket.arnForObjects(`${REPORT_KEY_PREFIX}*`)],
    });
    this.encryptionKey?.grantDecrypt(grantee);
  }

  /** The report store's settings (lambdas/tools/report-store ReportStoreConfig), minus the region. */
  get storeSettings(): { readonly bucketName: string; readonly kmsKeyArn?: string } {
    return this.encryptionKey === undefined
      ? { bucketName: this.bucket.bucketName }
      : { bucketName: this.bucket.bucketName, kmsKeyArn: this.encryptionKey.keyArn };
  }
}
