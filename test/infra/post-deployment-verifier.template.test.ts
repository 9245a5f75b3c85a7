import { rmSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POST_DEPLOYMENT_VERIFIER_CONFIG } from '../../lambdas/shared/config/post-deployment-verifier';
import { snapshotPrefixFor } from '../../lambdas/shared/rds-names';
import { PostDeploymentVerifierAgent } from '../../lib/agents/post-deployment-verifier';
import { resolveConfig } from '../../lib/config/resolve-config';
import { parseContextConfig } from '../../lib/context-config';
import { CrewStateTable } from '../../lib/crew-state-table';
import { CutoverAlarms } from '../../lib/cutover-alarms';
import type { PostDeploymentSettings } from '../../lib/deployment-crew-props';
import { nagFindings, synthesizeWithNag } from '../support/nag';
import { auroraOverrides, sampleContext } from '../support/sample-stack';

const STACK_NAME = 'VerifierTest';
const COORDINATOR_ROLE_ARN = 'arn:aws:iam::123456789012:role/VerifierTest-RollbackCoordinator';
const LOGIN_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smoke-login-AbC123';
const PARTNER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/partner-key-XyZ789';
const outdirs: string[] = [];

beforeAll(() => {
  // As in cdk-nag.test.ts: the built-in cfn-lint validation only costs cold start here.
  vi.stubEnv('CDK_VALIDATION', 'false');
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

const SETTINGS: PostDeploymentSettings = {
  smokeSuite: [
    {
      name: 'login',
      flow: 'authentication',
      method: 'POST',
      path: '/api/login',
      secretHeaders: { authorization: { secretArn: LOGIN_SECRET, jsonKey: 'token' } },
    },
    { name: 'orders', flow: 'crud', path: '/api/orders', secretHeaders: { 'x-key': { secretArn: LOGIN_SECRET } } },
    {
      name: 'partner',
      flow: 'integrations',
      path: '/api/partner',
      secretHeaders: { 'x-key': { secretArn: PARTNER_SECRET } },
    },
  ],
  productionUrl: 'https://shop.example.com',
  testListenerUrl: 'https://green.shop.example.com:8443',
  logGroupNames: ['/ecs/shop-web'],
};

/** The sample configuration (cdk.json) in a stack of its own, with the crew's table and alarms, as the crew builds them. */
function verifierStack(overrides: Record<string, unknown> = {}, settings: PostDeploymentSettings = SETTINGS) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  outdirs.push(app.outdir);
  const { env, crew } = parseContextConfig({ ...sampleContext(), ...overrides });
  const config = resolveConfig({ ...crew, postDeployment: settings });
  const stack = new Stack(app, STACK_NAME, { env });
  const table = new CrewStateTable(stack, 'State').table;
  const alarms = new CutoverAlarms(stack, 'Alarms', {
    alarmNamePrefix: STACK_NAME,
    listenerArn: config.listenerArn,
    targetGroupArns: config.targetGroupArns,
    database: config.database,
    databaseMaxConnections: config.databaseMaxConnections,
    thresholds: config.thresholds,
  });
  if (config.postDeployment === null) throw new Error('postDeployment did not resolve');
  const verifier = new PostDeploymentVerifierAgent(stack, 'PostDeploymentVerifier', {
    config,
    table,
    alarms,
    dashboardName: `${STACK_NAME}-deployment`,
    coordinatorRole: iam.Role.fromRoleArn(stack, 'Coordinator', COORDINATOR_ROLE_ARN),
    postDeployment: config.postDeployment,
    coordinatorRollbackActions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DescribeListeners'],
    coordinatorRollbackResources: { 'elasticloadbalancing:ModifyListener': [config.listenerArn] },
  });
  return { app, stack, config, alarms, table, verifier, template: () => Template.fromStack(stack) };
}

/** The statements of the verifier role's default policy. */
function verifierStatements(template: Template, verifier: PostDeploymentVerifierAgent): unknown[] {
  const roleId = Stack.of(verifier).getLogicalId(verifier.role.node.defaultChild as iam.CfnRole);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(roleId),
  );
  return policies
    .filter((policy) => !JSON.stringify(policy).includes('xray:'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as unknown[]);
}

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2';

describe('PostDeploymentVerifier template', () => {
  it('grants exactly the calls its tools make, each on its own resources', () => {
    // Prepare
    const { stack, alarms, table, verifier, template } = verifierStack();
    const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const prefix = snapshotPrefixFor(STACK_NAME);

    // Act
    const statements = verifierStatements(template(), verifier);

    // Assess
    expect(statements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(verifier.logGroup), 'Arn'] },
      },
      {
        Action: 'cloudwatch:DescribeAlarms',
        Effect: 'Allow',
        Resource: alarms.alarmNames.map((name) =>
          stack.resolve(`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`),
        ),
      },
      {
        Action: 'cloudwatch:GetDashboard',
        Effect: 'Allow',
        Resource: `arn:aws:cloudwatch::123456789012:dashboard/${STACK_NAME}-deployment`,
      },
      {
        Action: 'logs:DescribeLogStreams',
        Effect: 'Allow',
        Resource: [
          'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-web',
          'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-web:*',
        ],
      },
      { Action: 'elasticloadbalancing:ModifyListener', Effect: 'Allow', Resource: LISTENER_ARN },
      {
        Action: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'],
        Effect: 'Allow',
        Resource: '*',
      },
      {
        Action: 'ecs:DescribeServices',
        Effect: 'Allow',
        Resource: [
          'arn:aws:ecs:eu-west-1:123456789012:service/shop-prod/shop-blue',
          'arn:aws:ecs:eu-west-1:123456789012:service/shop-prod/shop-green',
        ],
      },
      {
        Action: 'rds:DescribeDBSnapshots',
        Effect: 'Allow',
        Resource: `arn:aws:rds:eu-west-1:123456789012:snapshot:${prefix}*`,
      },
      { Action: 'iam:SimulatePrincipalPolicy', Effect: 'Allow', Resource: COORDINATOR_ROLE_ARN },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: [LOGIN_SECRET, PARTNER_SECRET] },
      {
        Action: 'dynamodb:GetItem',
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`LOCK#${LISTENER_ARN}`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(table), 'Arn'] },
      },
    ]);
  });

  it('reads cluster snapshots for Aurora, and grants no secret or log group the settings do not name', () => {
    // Prepare
    const { verifier, template } = verifierStack(auroraOverrides(), {
      smokeSuite: [{ name: 'home', flow: 'crud', path: '/' }],
      productionUrl: 'https://shop.example.com',
    });

    // Act
    const statements = JSON.stringify(verifierStatements(template(), verifier));

    // Assess
    expect(statements).toContain(
      `"Action":"rds:DescribeDBClusterSnapshots","Effect":"Allow","Resource":"arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:${snapshotPrefixFor(STACK_NAME)}*"`,
    );
    expect(statements).not.toContain('rds:DescribeDBSnapshots');
    expect(statements).not.toContain('secretsmanager:');
    expect(statements).not.toContain('logs:DescribeLogStreams');
  });

  it('decrypts the secrets with their customer-managed keys only through Secrets Manager', () => {
    // Prepare
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { verifier, template } = verifierStack({}, { ...SETTINGS, secretsKmsKeyArns: [key] });

    // Act
    const statements = verifierStatements(template(), verifier);

    // Assess
    expect(statements).toContainEqual({
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      Effect: 'Allow',
      Resource: key,
    });
    expect(JSON.stringify(verifierStatements(verifierStack().template(), verifierStack().verifier))).not.toContain(
      'kms:',
    );
  });

  it('refuses a secrets key that is not a KMS key ARN', () => {
    // Act
    const build = () => verifierStack({}, { ...SETTINGS, secretsKmsKeyArns: ['alias/shop-secrets'] });

    // Assess
    expect(build).toThrow(/postDeployment.secretsKmsKeyArns/);
  });

  it('configures the function from the settings, with a timeout that fits the whole suite', () => {
    // Prepare
    const slowSuite = Array.from({ length: 20 }, (_, index) => ({
      name: `step-${index}`,
      flow: 'crud' as const,
      path: `/api/${index}`,
      maxLatencyMs: 30_000,
    }));

    // Act
    const sample = verifierStack().template();
    const slow = verifierStack({}, { smokeSuite: slowSuite, productionUrl: 'https://shop.example.com' }).template();

    // Assess
    sample.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 126,
      Environment: {
        Variables: Match.objectLike({ [POST_DEPLOYMENT_VERIFIER_CONFIG.name]: Match.anyValue() }),
      },
    });
    slow.hasResourceProperties('AWS::Lambda::Function', { Timeout: 720 });
  });

  it('writes a configuration the function reads back with the same schema', () => {
    // Prepare
    const { template } = verifierStack();
    const [fn] = Object.values(template().findResources('AWS::Lambda::Function'));
    const value: unknown = fn?.Properties.Environment.Variables[POST_DEPLOYMENT_VERIFIER_CONFIG.name];
    // Tokens (table and alarm names) become a placeholder string, as their resolved names are strings.
    const text =
      typeof value === 'string'
        ? value
        : (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((part) => (typeof part === 'string' ? part : 'resolved-name'))
            .join('');

    // Act
    const config = POST_DEPLOYMENT_VERIFIER_CONFIG.schema.parse(JSON.parse(text));

    // Assess
    expect(config.suite.map((step) => step.name)).toEqual(['login', 'orders', 'partner']);
    expect(config.suite[0]?.secretHeaders).toEqual({ authorization: { secretArn: LOGIN_SECRET, jsonKey: 'token' } });
    expect(config).toMatchObject({
      productionUrl: 'https://shop.example.com',
      testListenerUrl: 'https://green.shop.example.com:8443',
      extraHeaders: {},
      monitoring: {
        dashboardName: `${STACK_NAME}-deployment`,
        logGroupNames: ['/ecs/shop-web'],
        logsRecentWithinMinutes: 60,
        onMissing: 'fail',
      },
      dryRun: {
        clusterName: 'shop-prod',
        coordinatorRoleArn: COORDINATOR_ROLE_ARN,
        rollbackActions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DescribeListeners'],
        rollbackResources: { 'elasticloadbalancing:ModifyListener': [LISTENER_ARN] },
        minHealthyTargets: 1,
        expectedDesiredCount: 1,
        rollbackVerifySeconds: 120,
      },
      listenerArn: LISTENER_ARN,
      tableName: 'resolved-name',
      lockKey: `LOCK#${LISTENER_ARN}`,
    });
    expect(config.monitoring.alarmNames).toHaveLength(7);
  });

  it('refuses at synth a suite whose configuration would not fit in the function environment', () => {
    // Prepare
    const hugeSuite = Array.from({ length: 60 }, (_, index) => ({
      name: `a-long-smoke-step-name-${index}`,
      flow: 'crud' as const,
      path: `/api/some/rather/long/path/${index}?with=query&and=more`,
      maxLatencyMs: 1_000,
    }));

    // Act
    const build = () => verifierStack({}, { smokeSuite: hugeSuite, productionUrl: 'https://shop.example.com' });

    // Assess
    expect(build).toThrow(/over 3500 .*4 KB of environment variables/);
  });
});

describe('cdk-nag AwsSolutions and Serverless on the PostDeploymentVerifier', () => {
  it.each([
    ['sample', {}],
    ['Aurora variant', auroraOverrides()],
  ])('synthesizes the %s with no unacknowledged finding', (_, overrides) => {
    // Prepare: with a customer-managed key for the secrets, too.
    const secretsKmsKeyArns = ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'];
    const { app } = verifierStack(overrides, { ...SETTINGS, secretsKmsKeyArns });

    // Act
    const { synthesized, error } = synthesizeWithNag(app);

    // Assess
    expect(error).toBeUndefined();
    expect(synthesized).toBeDefined();
    expect(nagFindings(app)).toEqual([]);
  });
});
