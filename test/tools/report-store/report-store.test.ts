import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanaryThresholds } from '../../../lambdas/shared/cutover-contracts';
import {
  buildDeploymentReport,
  type DeploymentReport,
  renderMarkdown,
} from '../../../lambdas/shared/deployment-report';
import { REPORT_CHART_FILE, renderReportChart } from '../../../lambdas/shared/deployment-report-chart';
import { ConfigurationError } from '../../../lambdas/shared/errors';
import { consoleObjectUrl, createReportStore, reportKey } from '../../../lambdas/tools/report-store';
import { rejection } from '../../support/errors';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const BUCKET = 'deploymentcrew-reports-123456789012';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-0000-4000-8000-1234567890ab';

beforeEach(() => {
  s3.reset();
});

afterEach(() => {
  s3.reset();
});

/** A real report (built by the builder): a release that failed its backup, nothing shifted. */
function failedReport(name = 'shop-1-4-0', thresholds: CanaryThresholds | null = null): DeploymentReport {
  return buildDeploymentReport(
    {
      deployment: {
        name,
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${name}`,
        startedAt: '2026-11-12T09:00:00.000Z',
      },
      release: { version: '1.4.0', image: 'shop:1.4.0', schemaChange: false },
      requestedBy: 'alice@shop.example.com',
      end: {
        outcome: 'FAILED',
        at: '2026-11-12T09:15:00.000Z',
        error: { name: 'BackupFailed', message: 'snapshot failed' },
      },
      productionUrl: 'https://shop.example.com/',
      dashboards: [],
      validation: null,
      sides: null,
      green: null,
      migration: null,
      canary: null,
      rollback: null,
      smoke: { preTraffic: null, production: null },
      probes: null,
      rollbackDryRun: null,
      stateTransitions: 57,
      thresholds,
      nextStage: 'staging',
      standbyWarmUntil: null,
    },
    new Date('2026-11-12T09:15:05.000Z'),
  );
}

describe('report store', () => {
  it('puts the JSON, the chart, then the Markdown, under reports/<deployment>/ with SSE-S3 and their content types', async () => {
    // Prepare
    s3.on(PutObjectCommand, { Key: 'reports/shop-1-4-0/report.json' }).resolves({ VersionId: 'v-json' });
    s3.on(PutObjectCommand, { Key: 'reports/shop-1-4-0/report.html' }).resolves({ VersionId: 'v-html' });
    s3.on(PutObjectCommand, { Key: 'reports/shop-1-4-0/report.md' }).resolves({ VersionId: 'v-md' });
    const report = failedReport();

    // Act
    const stored = await createReportStore(client, { bucketName: BUCKET, region: 'eu-west-1' }).store(report);

    // Assess
    const inputs = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(s3.calls()).toHaveLength(3);
    expect(inputs).toEqual([
      {
        Bucket: BUCKET,
        Key: 'reports/shop-1-4-0/report.json',
        Body: `${JSON.stringify(report, null, 2)}\n`,
        ContentType: 'application/json; charset=utf-8',
        ServerSideEncryption: 'AES256',
      },
      {
        Bucket: BUCKET,
        Key: 'reports/shop-1-4-0/report.html',
        Body: renderReportChart(report),
        ContentType: 'text/html; charset=utf-8',
        ServerSideEncryption: 'AES256',
      },
      {
        Bucket: BUCKET,
        Key: 'reports/shop-1-4-0/report.md',
        Body: renderMarkdown(report),
        ContentType: 'text/markdown; charset=utf-8',
        ServerSideEncryption: 'AES256',
      },
    ]);
    expect(stored).toEqual({
      json: {
        key: 'reports/shop-1-4-0/report.json',
        s3Uri: `s3://${BUCKET}/reports/shop-1-4-0/report.json`,
        versionId: 'v-json',
      },
      html: {
        key: 'reports/shop-1-4-0/report.html',
        s3Uri: `s3://${BUCKET}/reports/shop-1-4-0/report.html`,
        versionId: 'v-html',
      },
      markdown: {
        key: 'reports/shop-1-4-0/report.md',
        s3Uri: `s3://${BUCKET}/reports/shop-1-4-0/report.md`,
        versionId: 'v-md',
      },
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-west-1&bucketType=general&prefix=reports%2Fshop-1-4-0%2Freport.md`,
    });
  });

  it('asks for SSE-KMS with the configured key and a bucket key, on a bucket the expected account owns', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const store = createReportStore(client, {
      bucketName: BUCKET,
      region: 'eu-west-1',
      kmsKeyArn: KMS_KEY,
      expectedBucketOwner: '123456789012',
    });

    // Act
    const stored = await store.store(failedReport());

    // Assess
    for (const call of s3.commandCalls(PutObjectCommand)) {
      expect(call.args[0].input).toMatchObject({
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: '123456789012',
      });
    }
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
    expect([stored.json.versionId, stored.html.versionId, stored.markdown.versionId]).toEqual([null, null, null]);
  });

  it('writes nothing when the report does not match its schema', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const broken = { ...failedReport(), productionUrl: undefined } as unknown as DeploymentReport;

    // Act
    const error = await rejection(createReportStore(client, { bucketName: BUCKET, region: 'eu-west-1' }).store(broken));

    // Assess
    expect(error.message).toMatch(/productionUrl/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('links the chart from the Markdown by the name it is stored under', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    const stored = await createReportStore(client, { bucketName: BUCKET, region: 'eu-west-1' }).store(failedReport());

    // Assess
    const markdown = String(s3.commandCalls(PutObjectCommand)[2]?.args[0].input.Body);
    expect(stored.html.key).toBe(`reports/shop-1-4-0/${REPORT_CHART_FILE}`);
    expect(markdown).toContain(`[report.html](report.html)`);
  });

  it('draws the thresholds the report records in the chart, not the defaults', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const thresholds = {
      errorRatePercent: 2,
      errorRateBreachPeriods: 3,
      promoteErrorRatePercent: 0.5,
      p95LatencyMs: 900,
      dbConnectionsPercent: 70,
      loadBalancerErrorBaselinePercent: 0.1,
    };

    // Act
    await createReportStore(client, { bucketName: BUCKET, region: 'eu-west-1' }).store(
      failedReport('shop-1-4-0', thresholds),
    );

    // Assess
    const chart = String(s3.commandCalls(PutObjectCommand)[1]?.args[0].input.Body);
    expect(chart).toContain('rollback above 2 %');
    expect(chart).toContain('rollback above 900 ms');
    expect(chart).not.toContain('rollback above 500 ms');
    expect(chart).toContain('configured for this deployment, as recorded in the report');
  });

  it('fails without writing the chart or the Markdown when the JSON put is refused', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'Access Denied',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    // Act
    const error = await rejection(
      createReportStore(client, { bucketName: BUCKET, region: 'eu-west-1' }).store(failedReport()),
    );

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      'reports/shop-1-4-0/report.json',
    ]);
  });
});

describe('report keys and console URLs', () => {
  it.each(['a/b', '..', '.', ' '])('refuses %j as a report folder', (name) => {
    // Prepare: the name, from it.each

    // Act
    const key = () => reportKey(name, 'json');

    // Assess
    expect(key).toThrow(ConfigurationError);
  });

  it('encodes the key in the console URL', () => {
    // Prepare
    const key = reportKey('release-1.4.0+hotfix', 'md');

    // Act
    const url = consoleObjectUrl('eu-west-1', BUCKET, key);

    // Assess
    expect(key).toBe('reports/release-1.4.0+hotfix/report.md');
    expect(url).toBe(
      `https://eu-west-1.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-west-1&bucketType=general&prefix=reports%2Frelease-1.4.0%2Bhotfix%2Freport.md`,
    );
  });
});
