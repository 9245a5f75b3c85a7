import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { type DeploymentReport, deploymentReportSchema, renderMarkdown } from '../../shared/deployment-report';
import { renderReportChart } from '../../shared/deployment-report-chart';
import { ConfigurationError } from '../../shared/errors';
import { parse } from '../../shared/validation';

/**
 * report_store: writes a deployment report to S3 as JSON, its timeline chart (a self-contained HTML page) and
 * Markdown, under `reports/<deployment>/report.json|html|md`.
 * A retried task overwrites the same keys (the bucket is versioned, so nothing is lost). Encryption is asked for on
 * every object, so a bucket default that changed is not silently relied on.
 */

export interface ReportStoreConfig {
  readonly bucketName: string;
  /** The bucket's region, for the console URL. */
  readonly region: string;
  /** SSE-KMS with this key (ARN); without it SSE-S3 (AES256). @default undefined (SSE-S3) */
  readonly kmsKeyArn?: string;
  /** The account that must own the bucket (S3 refuses the write otherwise). @default undefined (not checked) */
  readonly expectedBucketOwner?: string;
}

export interface StoredObject {
  readonly key: string;
  /** `s3://<bucket>/<key>` */
  readonly s3Uri: string;
  /** Null when the bucket is not versioned. */
  readonly versionId: string | null;
}

export interface StoredReport {
  readonly json: StoredObject;
  /** The timeline chart: weight, error rate and p95 over time (lambdas/shared/deployment-report-chart.ts). */
  readonly html: StoredObject;
  readonly markdown: StoredObject;
  /** The Markdown report in the S3 console. */
  readonly consoleUrl: string;
}

export interface ReportStore {
  store(report: DeploymentReport): Promise<StoredReport>;
}

export const REPORT_PREFIX = 'reports/';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const MARKDOWN_CONTENT_TYPE = 'text/markdown; charset=utf-8';
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/** `reports/<deployment>/report.<extension>`; an execution name has no `/`, and an empty or dot segment is refused. */
export function reportKey(deploymentName: string, extension: 'json' | 'html' | 'md'): string {
  if (deploymentName.includes('/') || deploymentName.trim() === '' || /^\.{1,2}$/.test(deploymentName)) {
    throw new ConfigurationError(`'${deploymentName}' cannot name a report folder`);
  }
  return `${REPORT_PREFIX}${deploymentName}/report.${extension}`;
}

export function consoleObjectUrl(region: string, bucketName: string, key: string): string {
  return (
    `https://${region}.console.aws.amazon.com/s3/object/${encodeURIComponent(bucketName)}` +
    `?region=${encodeURIComponent(region)}&bucketType=general&prefix=${encodeURIComponent(key)}`
  );
}

export function createReportStore(client: S3Client, config: ReportStoreConfig): ReportStore {
  const encryption: Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId' | 'BucketKeyEnabled'> =
    config.kmsKeyArn === undefined
      ? { ServerSideEncryption: 'AES256' }
      : // A bucket key: one KMS call per bucket and period instead of one per object.
        { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: config.kmsKeyArn, BucketKeyEnabled: true };

  async function put(key: string, body: string, contentType: string): Promise<StoredObject> {
    const output = await client.send(
      new PutObjectCommand({
        Bucket: config.bucketName,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...encryption,
        ...(config.expectedBucketOwner === undefined ? {} : { ExpectedBucketOwner: config.expectedBucketOwner }),
      }),
    );
    return { key, s3Uri: `s3://${config.bucketName}/${key}`, versionId: output.VersionId ?? null };
  }

  return {
    async store(report) {
      // Only a report that matches the documented schema is written: readers rely on it.
      const valid = parse(deploymentReportSchema, report);
      const name = valid.deployment.name;
      const jsonKey = reportKey(name, 'json');
      const markdownKey = reportKey(name, 'md');
      // The JSON first: it is the record other systems read. The chart before the Markdown, which links it.
      const json = await put(jsonKey, `${JSON.stringify(valid, null, 2)}\n`, JSON_CONTENT_TYPE);
      const html = await put(reportKey(name, 'html'), renderReportChart(valid), HTML_CONTENT_TYPE);
      const markdown = await put(markdownKey, renderMarkdown(valid), MARKDOWN_CONTENT_TYPE);
      return { json, html, markdown, consoleUrl: consoleObjectUrl(config.region, config.bucketName, markdownKey) };
    },
  };
}
