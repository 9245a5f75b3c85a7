import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  POST_DEPLOYMENT_VERIFIER_CONFIG,
  postDeploymentVerifierConfigSchema,
} from '../../lambdas/shared/config/post-deployment-verifier';
import { PROBE_METRIC } from '../../lambdas/shared/probe-metrics';
import { snapshotPrefixFor } from '../../lambdas/shared/rds-names';
import { compactRollbackGrants, PostDeploymentVerifierAgent } from '../../lib/agents/post-deployment-verifier';
import { ChairmanNotifications } from '../../lib/chairman-notifications';
import { resolveConfig } from '../../lib/config/resolve-config';
import { parseContextConfig, type VpcPlacement, vpcPlacementFrom } from '../../lib/context-config';
import { CrewStateTable } from '../../lib/crew-state-table';
import { CutoverAlarms } from '../../lib/cutover-alarms';
import type { PostDeploymentSettings, VerifierVpcPlacement } from '../../lib/deployment-crew-props';
import { executionsArnOf, stateMachineNameFor } from '../../lib/deployment-state-machine';
import { ReportBucket } from '../../lib/report-bucket';
import { nagFindings, synthesizeWithNag } from '../support/nag';
import { auroraOverrides, buildSampleStack, sampleContext } from '../support/sample-stack';

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
    {
      name: 'orders',
      flow: 'crud',
      path: '/api/orders',
      secretHeaders: { 'x-key': { secretArn: LOGIN_SECRET } },
      probe: true,
    },
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

const TRIGGER_NAME = `${STACK_NAME}-AlarmListener`;
/** A cheap probe step, for suites that are about something else. */
const PING = { name: 'ping', flow: 'crud' as const, path: '/ping', maxLatencyMs: 1_000, probe: true };
const DASHBOARD_URL = `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/${STACK_NAME}-deployment`;

/**
 * The sample configuration (cdk.json) in a stack of its own, with the crew's table, alarms and report bucket, as the
 * crew builds them; `vpc` places the verifier by ID (as cdk.json does) or as constructs made in the stack.
 */
function verifierStack(
  overrides: Record<string, unknown> = {},
  settings: PostDeploymentSettings = SETTINGS,
  vpc?: VpcPlacement | ((scope: Stack) => VerifierVpcPlacement),
) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  outdirs.push(app.outdir);
  const { env, crew } = parseContextConfig({ ...sampleContext(), ...overrides });
  const stack = new Stack(app, STACK_NAME, { env });
  const placement =
    vpc === undefined ? undefined : typeof vpc === 'function' ? vpc(stack) : vpcPlacementFrom(stack, vpc);
  const config = resolveConfig({ ...crew, postDeployment: { ...settings, vpc: placement } });
  const reports = new ReportBucket(stack, 'Reports');
  const table = new CrewStateTable(stack, 'State').table;
  const alarms = new CutoverAlarms(stack, 'Alarms', {
    alarmNamePrefix: STACK_NAME,
    listenerArn: config.listenerArn,
    targetGroupArns: config.targetGroupArns,
    database: config.database,
    databaseMaxConnections: config.databaseMaxConnections,
    thresholds: config.thresholds,
  });
  const verifier = new PostDeploymentVerifierAgent(stack, 'PostDeploymentVerifier', {
    config,
    // As the crew passes it: the executions of the state machine this stack names.
    executionsArn: executionsArnOf(config.where, stateMachineNameFor(STACK_NAME)),
    table,
    alarms,
    dashboardName: `${STACK_NAME}-deployment`,
    coordinatorRole: iam.Role.fromRoleArn(stack, 'Coordinator', COORDINATOR_ROLE_ARN),
    postDeployment: config.postDeployment,
    coordinatorRollbackActions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DescribeListeners'],
    coordinatorRollbackResources: { 'elasticloadbalancing:ModifyListener': [config.listenerArn] },
    rollbackTrigger: lambda.Function.fromFunctionName(stack, 'AlarmListener', TRIGGER_NAME),
    reports,
    dashboardUrl: DASHBOARD_URL,
    notifications: new ChairmanNotifications(stack, 'Chairman', { emails: ['chairman@shop.example.com'] }),
  });
  return { app, stack, config, alarms, table, reports, verifier, template: () => Template.fromStack(stack) };
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

/** The verifier's configuration as written in the template, tokens (table and alarm names) as a placeholder name. */
function writtenConfig(stack: Stack, verifier: PostDeploymentVerifierAgent): Record<string, unknown> {
  const functionId = stack.getLogicalId(verifier.function.node.defaultChild as CfnElement);
  const fn = Template.fromStack(stack).toJSON().Resources[functionId];
  const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;
  // A token variable (a Ref, a Fn::Join) stands for a name resolved at deployment.
  const resolved = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : 'resolved-name']),
  );
  return POST_DEPLOYMENT_VERIFIER_CONFIG.decode(resolved) as Record<string, unknown>;
}

/** The verifier of the whole crew (the sample stack), with the coordinator's grants it simulates. */
function crewVerifier(overrides: Record<string, unknown>) {
  const { app, stack } = buildSampleStack(overrides);
  outdirs.push(app.outdir);
  const { postDeploymentVerifier, rollbackCoordinator } = stack.crew;
  return {
    stack,
    verifier: postDeploymentVerifier,
    coordinatorGrants: {
      actions: rollbackCoordinator.rollbackActions,
      resources: rollbackCoordinator.rollbackResources,
      context: rollbackCoordinator.rollbackContext,
      statements: rollbackCoordinator.role,
    },
  };
}

describe('PostDeploymentVerifier template', () => {
  it('grants exactly the calls its tools make, each on its own resources', () => {
    // Prepare
    const { stack, table, reports, verifier, template } = verifierStack();
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
      // On *: DescribeAlarms returns composite alarms (an extra alarm may be one) only to a permission scoped to *.
      { Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' },
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
      // The report's state transitions: the history of this stack's own state machine's executions, nothing else.
      {
        Action: 'states:GetExecutionHistory',
        Effect: 'Allow',
        Resource: `arn:aws:states:eu-west-1:123456789012:execution:${STACK_NAME}-Deployment:*`,
      },
      {
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PROBES#*'] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(table), 'Arn'] },
      },
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(reports.bucket), 'Arn'] }, '/reports/*']] },
      },
      // Failed probe invocations (asynchronous) go to the verifier's own queue.
      {
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(verifier.failedProbes.queue), 'Arn'] },
      },
      // The probe policy, apart from the default policy.
      {
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'DeploymentCrew/Probes' } },
        Effect: 'Allow',
        Resource: 'arn:aws:cloudwatch:eu-west-1:123456789012:dataset/default',
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(verifier.function), 'Arn'] },
      },
    ]);
  });

  it('reads cluster snapshots for Aurora, and grants no secret or log group the settings do not name', () => {
    // Prepare
    const { verifier, template } = verifierStack(auroraOverrides(), {
      smokeSuite: [{ name: 'home', flow: 'crud', path: '/', probe: true }],
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

  it("runs for Lambda's longest timeout, 900 s (a prober invocation runs about 14 minutes), outside any VPC", () => {
    // Act
    const template = verifierStack().template();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      VpcConfig: Match.absent(),
      Environment: {
        Variables: Match.objectLike({ [POST_DEPLOYMENT_VERIFIER_CONFIG.name]: Match.anyValue() }),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('ec2:');
  });

  it('still refuses a suite that does not fit in one run beside its checks', () => {
    // Prepare: 27 steps of 30 s are 810 s, over the 780 s the checks leave of 900 s.
    const slowSuite = Array.from({ length: 27 }, (_, index) => ({
      name: `step-${index}`,
      flow: 'crud' as const,
      path: `/api/${index}`,
      maxLatencyMs: 30_000,
    }));

    // Act
    const build = () =>
      verifierStack({}, { smokeSuite: [...slowSuite, PING], productionUrl: 'https://shop.example.com' });

    // Assess
    expect(build).toThrow(/maxLatencyMs add up to 811 s; keep them under 780 s/);
  });

  it('writes a configuration the function reads back with the same schema', () => {
    // Prepare
    const { stack, verifier } = verifierStack();

    // Act: compressed, its tokens (table and alarm names) in variables of their own, read back as the function does.
    const config = v.parse(POST_DEPLOYMENT_VERIFIER_CONFIG.schema, writtenConfig(stack, verifier));

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
        // Read back in full: the actions on `*` first, then those with resources.
        rollbackActions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:ModifyListener'],
        rollbackResources: { 'elasticloadbalancing:ModifyListener': [LISTENER_ARN] },
        minHealthyTargets: 1,
        expectedDesiredCount: 1,
        rollbackVerifySeconds: 120,
      },
      probe: {
        intervalMs: 5_000,
        rule: { failures: 3, withinMs: 15_000 },
        // The listener's name, from a token (its ARN) at synth.
        rollbackTriggerFunctionName: 'resolved-name',
      },
      report: {
        bucketName: 'resolved-name',
        region: 'eu-west-1',
        dashboards: [{ name: `${STACK_NAME}-deployment`, url: DASHBOARD_URL }],
      },
      listenerArn: LISTENER_ARN,
      tableName: 'resolved-name',
      lockKey: `LOCK#${LISTENER_ARN}`,
    });
    expect(config.report.kmsKeyArn).toBeUndefined();
    expect(config.monitoring.alarmNames).toHaveLength(7);
  });

  it('refuses at synth a suite whose configuration would not fit in the function environment', () => {
    // Prepare
    // Paths that do not compress: the variable is gzip-compressed, so a repetitive suite would fit.
    const hugeSuite = Array.from({ length: 60 }, (_, index) => ({
      name: `step-${index}`,
      flow: 'crud' as const,
      path: `/api/${createHash('sha256').update(String(index)).digest('hex')}`,
      maxLatencyMs: 1_000,
      probe: true,
    }));

    // Act
    const build = () => verifierStack({}, { smokeSuite: hugeSuite, productionUrl: 'https://shop.example.com' });

    // Assess
    expect(build).toThrow(/over 3500 .*4 KB of environment variables/);
  });
});

const VPC: VpcPlacement = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
  securityGroupIds: ['sg-0123456789abcdef0'],
};

describe("the dry run's resources in the function environment", () => {
  it('leaves out `*`, shares keys, names each action once and drops the location, all read back in full', () => {
    // Prepare
    const listener = [LISTENER_ARN];
    const db = ['arn:aws:rds:eu-west-1:123456789012:db:shop', 'arn:aws:rds:eu-west-1:123456789012:db:shop-rb-*'];
    // Another account's key and a global resource keep their full ARNs.
    const keys = ['arn:aws:kms:eu-west-1:210987654321:key/*', 'arn:aws:iam::123456789012:role/shop-monitoring'];
    const grants = {
      'elasticloadbalancing:ModifyListener': listener,
      'elasticloadbalancing:DescribeListeners': ['*'],
      'rds:DescribeDBInstances': db,
      'rds:ModifyDBInstance': db,
      'kms:DescribeKey': keys,
    };
    const { stack, config, verifier } = verifierStack();
    const written = writtenConfig(stack, verifier);

    // Act
    const compact = compactRollbackGrants(Object.keys(grants), grants, config.where);
    const readBack = v.parse(postDeploymentVerifierConfigSchema, {
      ...written,
      dryRun: { ...(written.dryRun as object), ...compact },
    }).dryRun;

    // Assess
    expect(compact).toEqual({
      rollbackActions: ['elasticloadbalancing:DescribeListeners'],
      rollbackResources: {
        'elasticloadbalancing:ModifyListener': [
          'elasticloadbalancing:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
        ],
        'rds:DescribeDBInstances,rds:ModifyDBInstance': ['rds:db:shop', 'rds:db:shop-rb-*'],
        'kms:DescribeKey': keys,
      },
    });
    expect(new Set(readBack.rollbackActions)).toEqual(new Set(Object.keys(grants)));
    expect(readBack.rollbackResources).toEqual({
      'elasticloadbalancing:ModifyListener': listener,
      'rds:DescribeDBInstances': db,
      'rds:ModifyDBInstance': db,
      'kms:DescribeKey': keys,
    });
  });

  it.each([
    ['sample', {}],
    ['Aurora', auroraOverrides()],
  ])("hands the %s coordinator's grants to the dry run exactly, read back from the environment", (_, overrides) => {
    // Prepare
    const { stack, verifier, coordinatorGrants } = crewVerifier(overrides);

    // Act
    const { dryRun } = v.parse(postDeploymentVerifierConfigSchema, writtenConfig(stack, verifier));

    // Assess
    expect(new Set(dryRun.rollbackActions)).toEqual(new Set(coordinatorGrants.actions));
    expect(dryRun.rollbackResources).toEqual(
      Object.fromEntries(
        Object.entries(coordinatorGrants.resources).filter(([, resources]) => resources.join() !== '*'),
      ),
    );
    expect(dryRun.rollbackContext).toEqual(coordinatorGrants.context);
  });

  it("gives the simulation a value meeting every StringEquals/StringLike condition of the Aurora coordinator's rollback grants", () => {
    // Prepare
    const { stack, coordinatorGrants } = crewVerifier(auroraOverrides());
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(
        stack.getLogicalId(coordinatorGrants.statements.node.defaultChild as CfnElement),
      ),
    );
    const statements = policies.flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Condition?: Record<string, Record<string, string | string[]>>;
        }[],
    );

    // Act: every condition a rollback action's statement tests, against the context the verifier is given.
    const unmet: string[] = [];
    let conditioned = 0;
    for (const statement of statements) {
      const actions = [statement.Action].flat().filter((action) => coordinatorGrants.actions.includes(action));
      for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
        if (operator !== 'StringEquals' && operator !== 'StringLike') continue;
        for (const [key, expected] of Object.entries(keys)) {
          for (const action of actions) {
            conditioned += 1;
            const given = coordinatorGrants.context[action]?.find((entry) => entry.ContextKeyName === key);
            const value = given?.ContextKeyValues[0] ?? '';
            const pattern = new RegExp(
              `^${[expected]
                .flat()[0]
                ?.replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '.*')}$`,
            );
            if (given === undefined || !pattern.test(value)) unmet.push(`${action} ${operator} ${key}`);
          }
        }
      }
    }

    // Assess
    expect(conditioned).toBeGreaterThan(0);
    expect(unmet).toEqual([]);
  });
});

describe('PostDeploymentVerifier template: the prober', () => {
  it('publishes metrics only in the probe namespace, from a policy of its own', () => {
    // Prepare
    const { stack, verifier, template } = verifierStack();

    // Act
    const policy =
      template().toJSON().Resources[stack.getLogicalId(verifier.probePolicy.node.defaultChild as CfnElement)];

    // Assess
    expect(policy.Properties.Roles).toEqual([
      { Ref: stack.getLogicalId(verifier.role.node.defaultChild as CfnElement) },
    ]);
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Action: 'cloudwatch:PutMetricData',
      Condition: { StringEquals: { 'cloudwatch:namespace': PROBE_METRIC.namespace } },
      Effect: 'Allow',
      // The account's CloudWatch dataset (only the implicit `default` exists), never `*`.
      Resource: 'arn:aws:cloudwatch:eu-west-1:123456789012:dataset/default',
    });
    // Nowhere else: not on the default policy, and never without the condition.
    const putMetricData = JSON.stringify(verifierStatements(template(), verifier)).match(/cloudwatch:PutMetricData/g);
    expect(putMetricData).toHaveLength(1);
  });

  it('may invoke exactly itself (to continue a long window), and no other function or version', () => {
    // Prepare
    const { stack, verifier, template } = verifierStack();
    const functionId = stack.getLogicalId(verifier.function.node.defaultChild as CfnElement);

    // Act
    const invokes = verifierStatements(template(), verifier).filter((statement) =>
      JSON.stringify(statement).includes('lambda:'),
    );

    // Assess: the alarm listener's invoke grant is that construct's (allowProbeReports), not made here.
    expect(invokes).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [functionId, 'Arn'] } },
    ]);
    expect(JSON.stringify(verifierStatements(template(), verifier))).not.toContain(TRIGGER_NAME);
  });

  it("keeps a probe invocation that fails after Lambda's retries, and tells the Chairman", () => {
    // Prepare
    const { stack, verifier, template } = verifierStack();
    const functionId = stack.getLogicalId(verifier.function.node.defaultChild as CfnElement);
    const queueArn = {
      'Fn::GetAtt': [stack.getLogicalId(verifier.failedProbes.queue.node.defaultChild as CfnElement), 'Arn'],
    };

    // Act
    const synthesized = template();

    // Assess
    synthesized.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    synthesized.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: queueArn } });
    synthesized.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${STACK_NAME}-prober-failed-invocations`,
      AlarmActions: [Match.anyValue()],
    });
  });

  it('has no dependency cycle, where the self-invocation on the default policy would make one', () => {
    // Prepare
    const { app, template } = verifierStack();
    const broken = verifierStack();
    // The self-invocation on the role's default policy, which the function depends on.
    broken.verifier.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [broken.verifier.function.functionArn],
      }),
    );

    // Act: Template.fromStack refuses a template with a dependency cycle, as CloudFormation would.
    const build = () => template();
    const buildBroken = () => broken.template();

    // Assess
    expect(build).not.toThrow();
    expect(app.synth().getStackByName(STACK_NAME).template).toBeDefined();
    expect(buildBroken).toThrow(
      /dependency cycle: PostDeploymentVerifierRoleDefaultPolicy\w+ -> PostDeploymentVerifierFunction\w+ -> PostDeploymentVerifierRoleDefaultPolicy/,
    );
  });
});

describe('PostDeploymentVerifier template: VPC placement', () => {
  it('places the function in the subnets and security groups given by ID', () => {
    // Act
    const template = verifierStack({}, SETTINGS, VPC).template();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds },
    });
    // Imported as they are: no security group or rule is created in the application's VPC.
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
  });

  it("lets Lambda manage the function's network interfaces in exactly those subnets and groups, before it exists", () => {
    // Prepare
    const { stack, verifier, template } = verifierStack({}, SETTINGS, VPC);
    const policy = verifier.networkInterfacePolicy;
    if (policy === undefined) throw new Error('no network interface policy');
    const policyId = stack.getLogicalId(policy.node.defaultChild as CfnElement);
    const functionId = stack.getLogicalId(verifier.function.node.defaultChild as CfnElement);
    const ec2Arn = (resource: string) => `arn:aws:ec2:eu-west-1:123456789012:${resource}`;

    // Act
    const resources = template().toJSON().Resources;

    // Assess
    expect(resources[policyId].Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'ec2:CreateNetworkInterface',
        Effect: 'Allow',
        Resource: [
          ec2Arn('network-interface/*'),
          ...VPC.subnetIds.map((id) => ec2Arn(`subnet/${id}`)),
          ec2Arn('security-group/sg-0123456789abcdef0'),
        ],
      },
      {
        Action: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Effect: 'Allow',
        Resource: ec2Arn('network-interface/*'),
      },
      { Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Effect: 'Allow', Resource: '*' },
    ]);
    // Lambda checks these permissions when it creates the function.
    expect(resources[functionId].DependsOn).toContain(policyId);
    // No AWS managed policy (its logs:* on * is more than the agent needs).
    expect(
      resources[stack.getLogicalId(verifier.role.node.defaultChild as CfnElement)].Properties.ManagedPolicyArns,
    ).toBeUndefined();
  });

  it('names the security group Lambda creates when the placement gives none', () => {
    // Prepare
    const placement = (scope: Stack): VerifierVpcPlacement => ({
      vpc: ec2.Vpc.fromVpcAttributes(scope, 'AppVpc', {
        vpcId: VPC.vpcId,
        availabilityZones: VPC.availabilityZones,
        privateSubnetIds: VPC.subnetIds,
      }),
    });
    const { stack, verifier, template } = verifierStack({}, SETTINGS, placement);
    const groupId = stack.getLogicalId(
      verifier.function.connections.securityGroups[0]?.node.defaultChild as CfnElement,
    );

    // Act
    const statements = JSON.stringify(
      template().toJSON().Resources[
        stack.getLogicalId(verifier.networkInterfacePolicy?.node.defaultChild as CfnElement)
      ].Properties.PolicyDocument.Statement,
    );

    // Assess: the VPC's private subnets, and the function's own group.
    template().hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: VPC.subnetIds, SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }] },
    });
    expect(statements).toContain(`security-group/",{"Fn::GetAtt":["${groupId}","GroupId"]}`);
  });
});

describe('cdk-nag AwsSolutions and Serverless on the PostDeploymentVerifier', () => {
  it.each([
    ['sample', {}, undefined],
    ['Aurora variant', auroraOverrides(), undefined],
    ['sample in a VPC', {}, VPC],
    [
      'sample in a VPC with the security group Lambda creates',
      {},
      (scope: Stack): VerifierVpcPlacement => ({
        vpc: ec2.Vpc.fromVpcAttributes(scope, 'AppVpc', {
          vpcId: VPC.vpcId,
          availabilityZones: VPC.availabilityZones,
          privateSubnetIds: VPC.subnetIds,
        }),
      }),
    ],
  ])('synthesizes the %s with no unacknowledged finding', (_, overrides, vpc) => {
    // Prepare: with a customer-managed key for the secrets, too.
    const secretsKmsKeyArns = ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'];
    const { app } = verifierStack(overrides, { ...SETTINGS, secretsKmsKeyArns }, vpc);

    // Act
    const { synthesized, error } = synthesizeWithNag(app);

    // Assess
    expect(error).toBeUndefined();
    expect(synthesized).toBeDefined();
    expect(nagFindings(app)).toEqual([]);
  });
});
