import { rmSync } from 'node:fs';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canaryThresholdsSchema } from '../../lambdas/shared/cutover-contracts';
import { greenErrorRateExpressions } from '../../lambdas/shared/green-errors';
import { CutoverAlarms } from '../../lib/cutover-alarms';
import { DeploymentDashboard, type DeploymentDashboardProps } from '../../lib/deployment-dashboard';
import { ReportBucket, type ReportBucketProps } from '../../lib/report-bucket';
import { nagFindings, synthesizeWithNag } from '../support/nag';

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067';
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/2453ed029918f21f';
const LOAD_BALANCER = 'app/shop/50dc6c495c0c9188';
const THRESHOLDS = v.parse(canaryThresholdsSchema, {});
const outdirs: string[] = [];

beforeAll(() => {
  // As in cdk-nag.test.ts: the built-in cfn-lint validation only costs cold start here.
  vi.stubEnv('CDK_VALIDATION', 'false');
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

function bareStack() {
  const app = new App();
  outdirs.push(app.outdir);
  const stack = new Stack(app, 'ReportTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack };
}

function withBucket(props: ReportBucketProps = {}) {
  const { app, stack } = bareStack();
  const reports = new ReportBucket(stack, 'Reports', props);
  return { app, stack, reports, template: () => Template.fromStack(stack) };
}

function withDashboard(overrides: Partial<DeploymentDashboardProps> = {}) {
  const { app, stack } = bareStack();
  const common = {
    listenerArn: LISTENER_ARN,
    targetGroupArns: [BLUE_TG, GREEN_TG],
    database: { kind: 'cluster' as const, identifier: 'shop-aurora' },
    databaseMaxConnections: 1000,
    thresholds: THRESHOLDS,
  };
  const alarms = new CutoverAlarms(stack, 'Alarms', { alarmNamePrefix: 'ReportTest', ...common });
  const dashboard = new DeploymentDashboard(stack, 'Dashboard', { ...common, alarms, ...overrides });
  return { app, stack, alarms, dashboard, template: () => Template.fromStack(stack) };
}

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: readonly unknown[][];
    readonly alarms?: readonly string[];
    readonly annotations?: { readonly horizontal?: readonly { readonly value: number; readonly label?: string }[] };
  };
}

/** The dashboard body as JSON; every token left (an alarm's ARN) becomes the string "<token>". */
function dashboardBody(template: Template): { readonly widgets: readonly Widget[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  if (dashboard === undefined) throw new Error('no dashboard in the template');
  const body = (dashboard.Properties as { DashboardBody: unknown }).DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : '<token>'))
          .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

const widget = (body: { readonly widgets: readonly Widget[] }, title: string): Widget => {
  const found = body.widgets.find((candidate) => candidate.properties.title === title);
  if (!found)
    throw new Error(`no widget titled '${title}' in ${body.widgets.map((w) => w.properties.title).join(', ')}`);
  return found;
};

/** The expressions of a graph widget's metric rows (`[{ expression, id, … }]`). */
const expressionsOf = (graph: Widget): string[] =>
  (graph.properties.metrics ?? []).flatMap((row) =>
    row.flatMap((entry) =>
      typeof entry === 'object' && entry !== null && 'expression' in entry ? [String(entry.expression)] : [],
    ),
  );

describe('ReportBucket', () => {
  it('is SSE-S3 encrypted, versioned, TLS 1.2+ only, closed to the public, ACL-free and retained', () => {
    // Prepare
    const { template } = withBucket();

    // Act
    const synthesized = template();

    // Assess
    synthesized.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: Match.absent(),
      },
    });
    synthesized.resourceCountIs('AWS::KMS::Key', 0);
    synthesized.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  it('moves reports to Standard-IA after 30 days and expires old versions after 90, by default', () => {
    // Prepare
    const { template } = withBucket();

    // Act
    const synthesized = template();

    // Assess
    synthesized.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'reports',
            Prefix: 'reports/',
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            ExpirationInDays: Match.absent(),
          },
        ],
      },
    });
  });

  it('takes the lifecycle from its props, and refuses Standard-IA before 30 days', () => {
    // Prepare
    const { template } = withBucket({
      infrequentAccessAfter: Duration.days(60),
      noncurrentVersionExpiration: Duration.days(30),
      reportExpiration: Duration.days(730),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Act
    const tooEarly = () => withBucket({ infrequentAccessAfter: Duration.days(7) });

    // Assess
    template().hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: {
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 60 }],
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              ExpirationInDays: 730,
            }),
          ],
        },
      },
    });
    expect(tooEarly).toThrow(/at least 30 days/);
  });

  it('with KMS, encrypts with a rotated key of its own and a bucket key, and grants the writer its data keys', () => {
    // Prepare
    const { stack, reports, template } = withBucket({ encryption: 'KMS' });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    reports.grantWriteReports(writer);

    // Assess
    const synthesized = template();
    const keyId = stack.getLogicalId(reports.encryptionKey?.node.defaultChild as never);
    synthesized.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    synthesized.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
    });
    synthesized.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('ReportsBucket'), 'Arn'] }, '/reports/*']],
            },
          },
          { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        ],
      },
    });
    expect(reports.storeSettings).toEqual({
      bucketName: reports.bucket.bucketName,
      kmsKeyArn: reports.encryptionKey?.keyArn,
    });
  });

  it('with SSE-S3, grants the writer s3:PutObject on reports/* only', () => {
    // Prepare
    const { stack, reports, template } = withBucket();
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    reports.grantWriteReports(writer);

    // Assess
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('ReportsBucket'), 'Arn'] }, '/reports/*']],
            },
          },
        ],
      },
    });
    expect(reports.storeSettings).toEqual({ bucketName: reports.bucket.bucketName });
  });

  it('logs server access to the given bucket, and acknowledges AwsSolutions-S1 only without one', () => {
    // Prepare
    const logged = withBucket({ accessLogsBucket: s3.Bucket.fromBucketName(new Stack(), 'Logs', 'org-access-logs') });
    const unlogged = withBucket();

    // Act
    const acknowledged = (reports: ReportBucket) =>
      reports.bucket.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.keys(entry.data as Record<string, unknown>));

    // Assess
    logged.template().hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: 'org-access-logs', LogFilePrefix: 'deployment-reports/' },
    });
    expect(acknowledged(logged.reports)).toEqual([]);
    expect(acknowledged(unlogged.reports)).toEqual(['Annotation::AwsSolutions-S1']);
  });
});

describe('DeploymentDashboard', () => {
  it('is named before deployment and links to the CloudWatch console', () => {
    // Prepare
    const { dashboard, template } = withDashboard();

    // Act
    const synthesized = template();

    // Assess
    synthesized.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ReportTest-deployment' });
    expect(dashboard.dashboardUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/ReportTest-deployment',
    );
  });

  it("draws each target group's requests as a share of the load balancer's", () => {
    // Prepare
    const { template } = withDashboard();

    // Act
    const traffic = widget(dashboardBody(template()), 'Traffic share per target group (%)');

    // Assess
    expect(expressionsOf(traffic)).toEqual([
      'IF(FILL(elb, 0) > 0, 100 * FILL(tg0, 0) / FILL(elb, 0), 0)',
      'IF(FILL(elb, 0) > 0, 100 * FILL(tg1, 0) / FILL(elb, 0), 0)',
    ]);
    const metric = (...dimensions: string[]) => [
      'AWS/ApplicationELB',
      'RequestCount',
      ...dimensions,
      { id: expect.any(String), visible: false, period: 60, stat: 'Sum' },
    ];
    expect(traffic.properties.metrics).toEqual(
      expect.arrayContaining([
        metric('LoadBalancer', LOAD_BALANCER, 'TargetGroup', 'targetgroup/shop-blue/73e2d6bc24d8a067'),
        metric('LoadBalancer', LOAD_BALANCER, 'TargetGroup', 'targetgroup/shop-green/2453ed029918f21f'),
        metric('LoadBalancer', LOAD_BALANCER),
      ]),
    );
    const ids = (traffic.properties.metrics ?? []).flatMap((row) => {
      const options = row.at(-1) as { id?: string; expression?: string };
      return options.expression === undefined ? [`${row[5] ?? row[3]}=${options.id}`] : [];
    });
    expect(ids).toEqual([
      'targetgroup/shop-blue/73e2d6bc24d8a067=tg0',
      `${LOAD_BALANCER}=elb`,
      'targetgroup/shop-green/2453ed029918f21f=tg1',
    ]);
  });

  it("counts each group's error rate with the alarms' metric math (lambdas/shared/green-errors.ts)", () => {
    // Prepare
    const { template } = withDashboard();
    const expected = greenErrorRateExpressions(THRESHOLDS.loadBalancerErrorBaselinePercent);

    // Act
    const body = dashboardBody(template());

    // Assess
    for (const name of ['shop-blue', 'shop-green']) {
      const errorRate = widget(body, `Error rate of ${name} (%)`);
      expect(expressionsOf(errorRate).sort()).toEqual([expected.errors, expected.excess, expected.rate].sort());
      expect(errorRate.properties.annotations?.horizontal?.map((line) => line.value)).toEqual([5, 1]);
      expect(JSON.stringify(errorRate.properties.metrics)).toContain(`"TargetGroup","targetgroup/${name}/`);
    }
  });

  it("draws p95 response time, and the cluster writer's DB connections against the threshold", () => {
    // Prepare
    const { template } = withDashboard();

    // Act
    const body = dashboardBody(template());

    // Assess
    const p95 = widget(body, 'p95 response time (s)');
    expect(JSON.stringify(p95.properties.metrics)).toContain('"TargetResponseTime"');
    expect(JSON.stringify(p95.properties.metrics)).toContain('"stat":"p95"');
    expect(p95.properties.annotations?.horizontal?.[0]?.value).toBe(0.5);
    const connections = widget(body, 'DB connections (shop-aurora, writer)');
    expect(connections.properties.metrics).toEqual([
      [
        'AWS/RDS',
        'DatabaseConnections',
        'DBClusterIdentifier',
        'shop-aurora',
        'Role',
        'WRITER',
        { period: 60, stat: 'Maximum' },
      ],
    ]);
    expect(connections.properties.annotations?.horizontal?.map((line) => line.value)).toEqual([800, 1000]);
  });

  it('draws an instance by its identifier', () => {
    // Prepare
    const { template } = withDashboard({ database: { kind: 'instance', identifier: 'shop-prod-db' } });

    // Act
    const connections = widget(dashboardBody(template()), 'DB connections (shop-prod-db)');

    // Assess
    expect(connections.properties.metrics).toEqual([
      ['AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier', 'shop-prod-db', { period: 60, stat: 'Maximum' }],
    ]);
  });

  it("draws the prober's ProbeSuccess and ProbeLatency at 10 s from the DeploymentCrew/Probes namespace", () => {
    // Prepare
    const { template } = withDashboard();

    // Act
    const body = dashboardBody(template());

    // Assess
    expect(expressionsOf(widget(body, 'Probe success (1 = passed), per deployment and target group'))).toEqual([
      `SEARCH('{DeploymentCrew/Probes,Deployment,TargetGroup} MetricName="ProbeSuccess"', 'Minimum', 10)`,
    ]);
    expect(expressionsOf(widget(body, 'Probe latency (ms, slowest step of a round)'))).toEqual([
      `SEARCH('{DeploymentCrew/Probes,Deployment,TargetGroup} MetricName="ProbeLatency"', 'Maximum', 10)`,
    ]);
  });

  it('shows every rollback alarm, and the extra ones by name', () => {
    // Prepare
    const { template } = withDashboard({ extraAlarmNames: ['shop-checkout-errors'] });

    // Act
    const status = widget(dashboardBody(template()), 'Rollback alarms');

    // Assess
    expect(status.type).toBe('alarm');
    // 3 per target group and the database's (their ARNs are tokens); the extra one by its name (the partition is a token).
    expect(status.properties.alarms).toHaveLength(2 * 3 + 1 + 1);
    expect(status.properties.alarms?.at(-1)).toBe(
      'arn:<token>:cloudwatch:eu-west-1:123456789012:alarm:shop-checkout-errors',
    );
  });
});

describe('cdk-nag AwsSolutions and Serverless on the report bucket and the dashboard', () => {
  it.each([
    ['SSE-S3', {}],
    ['KMS', { encryption: 'KMS' }],
  ] as const)('synthesizes with the %s bucket and the dashboard with no unacknowledged finding', (_, bucketProps) => {
    // Prepare
    const { app, stack } = withDashboard();
    new ReportBucket(stack, 'Reports', bucketProps);

    // Act
    const { synthesized, error } = synthesizeWithNag(app);

    // Assess
    expect(error).toBeUndefined();
    expect(synthesized).toBeDefined();
    expect(nagFindings(app)).toEqual([]);
  });

  it('fails the synth on an unacknowledged finding (the check is live)', () => {
    // Prepare
    const { app, stack } = bareStack();
    new s3.Bucket(stack, 'Bare');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const synthesize = () => app.synth();

    // Assess
    try {
      expect(synthesize).toThrow(/AwsSolutions-S1/);
    } finally {
      consoleError.mockRestore();
    }
  });
});
