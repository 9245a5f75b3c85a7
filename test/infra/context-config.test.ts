import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeConfig } from '../../lambdas/shared/config/deployment-intake';
import { resolveConfig } from '../../lib/config/resolve-config';
import { longestExecutionSeconds, verifierTaskSeconds } from '../../lib/config/time-budget';
import { parseContextConfig, vpcPlacementFrom } from '../../lib/context-config';
import { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { readDefinition } from '../../lib/deployment-state-machine';
import { sampleContext } from '../support/sample-stack';

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2';
const BLUE_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067';
const GREEN_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/a1b2c3d4e5f60718';
/** The sample's ECS block; cases replace its services. */
const ECS = sampleContext().ecs as Record<string, unknown>;
/** The sample's postDeployment block; cases change some of its keys. */
const POST_DEPLOYMENT = sampleContext().postDeployment as Record<string, unknown>;
const SMOKE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smoke-user-AbCdEf';
const VPC = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
  securityGroupIds: ['sg-0123456789abcdef0'],
};

function parseError(raw: unknown): string {
  try {
    parseContextConfig(raw);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('parseContextConfig accepted a value that should have been refused');
}

let outdir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'deployment-crew-context-'));
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

/**
 * Builds the stack from the sample context plus overrides as buildSampleStack does (no bundling), but in an App whose
 * output directory is removed afterwards: a construct that throws leaves its App behind.
 */
function buildStack(overrides: Record<string, unknown>, context = sampleContext()): DeploymentCrewStack {
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseContextConfig({ ...context, ...overrides });
  return new DeploymentCrewStack(app, config.stackName, { env: config.env, crew: config.crew });
}

/** The INTAKE_CONFIG the stack hands the intake function, parsed. */
function intakeConfigOf(stack: DeploymentCrewStack): IntakeConfig {
  const intake = stack.crew.intake.function.node.defaultChild as CfnFunction;
  const environment = stack.resolve(intake.environment) as { variables: { INTAKE_CONFIG: string } };
  return JSON.parse(environment.variables.INTAKE_CONFIG) as IntakeConfig;
}

function constructionError(overrides: Record<string, unknown>): string {
  try {
    buildStack(overrides);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the stack was built from settings that should have been refused');
}

describe('parseContextConfig: the cdk.json sample', () => {
  it('parses into stack settings with durations and defaults', () => {
    // Prepare
    const raw = sampleContext();

    // Act
    const config = parseContextConfig(raw);

    // Assess
    expect(config.stackName).toBe('DeploymentCrew');
    expect(config.crew).toMatchObject({
      listenerArn: LISTENER_ARN,
      targetGroupArns: [BLUE_ARN, GREEN_ARN],
      database: { instanceIdentifier: 'shop-prod-db' },
      healthCheckRetries: 2,
      chairmanEmails: ['chairman@shop.example.com'],
      eventBusName: undefined,
    });
    expect(config.crew.healthEndpoints.map((endpoint) => endpoint.name)).toEqual(['api', 'web']);
    expect(config.crew.externalDependencies?.map((dependency) => [dependency.name, dependency.critical])).toEqual([
      ['supabase', true],
      ['stripe', true],
      ['email', false],
    ]);
    expect(config.crew.approvalTimeout?.toSeconds()).toBe(86400);
    expect(config.crew.snapshotPollInterval?.toSeconds()).toBe(30);
    expect(config.crew.snapshotTimeout?.toSeconds()).toBe(7200);
  });

  it('parses the cutover settings: ECS services, database limits and restore groups, migration, canary, thresholds', () => {
    // Prepare
    const raw = sampleContext();

    // Act
    const config = parseContextConfig(raw);

    // Assess
    expect(config.crew).toMatchObject({
      ecs: {
        clusterName: 'shop-prod',
        services: [
          { targetGroupArn: BLUE_ARN, serviceName: 'shop-blue' },
          { targetGroupArn: GREEN_ARN, serviceName: 'shop-green' },
        ],
        taskDefinitionFamily: 'shop-web',
      },
      databaseMaxConnections: 400,
      databaseRestore: {
        subnetGroupName: 'shop-prod-db-subnets',
        parameterGroupNames: ['shop-postgres16'],
        optionGroupNames: ['default:postgres-16'],
      },
      migration: { command: ['npm', 'run', 'migrate'] },
      canary: { steps: [10, 50, 100], inconclusiveAllowance: 2 },
      thresholds: {
        errorRatePercent: 5,
        errorRateBreachPeriods: 2,
        promoteErrorRatePercent: 1,
        p95LatencyMs: 500,
        dbConnectionsPercent: 80,
      },
      autoDatabaseRollback: false,
      scaleDownGreenAfterRollback: false,
    });
    expect(config.crew.migration?.timeout?.toSeconds()).toBe(1800);
    expect(config.crew.canary?.bakeTime?.toSeconds()).toBe(300);
  });

  it('derives the environment from the listener ARN', () => {
    // Prepare
    const raw = sampleContext();

    // Act
    const config = parseContextConfig(raw);

    // Assess
    expect(config.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('follows the listener to another account and region', () => {
    // Prepare
    const raw = {
      ...sampleContext(),
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-2:210987654321:listener/app/shop/0123456789abcdef/fedcba9876543210',
      targetGroupArns: [
        'arn:aws:elasticloadbalancing:us-east-2:210987654321:targetgroup/shop-blue/0123456789abcdef',
        'arn:aws:elasticloadbalancing:us-east-2:210987654321:targetgroup/shop-green/fedcba9876543210',
      ],
    };

    // Act
    const config = parseContextConfig(raw);

    // Assess
    expect(config.env).toEqual({ account: '210987654321', region: 'us-east-2' });
  });

  it('accepts the block as a JSON string, as `-c deploymentCrew=...` passes it', () => {
    // Prepare
    const raw = JSON.stringify({ ...sampleContext(), stackName: 'DeploymentCrewStaging' });

    // Act
    const config = parseContextConfig(raw);

    // Assess
    expect(config.stackName).toBe('DeploymentCrewStaging');
    expect(config.crew.listenerArn).toBe(LISTENER_ARN);
  });

  it('leaves the optional timings to the construct defaults when absent', () => {
    // Prepare
    const {
      approvalTimeoutSeconds: _approval,
      snapshotPollSeconds: _poll,
      snapshotTimeoutSeconds: _snapshot,
      ...raw
    } = sampleContext();

    // Act
    const config = parseContextConfig(raw);

    // Assess
    expect(config.crew.approvalTimeout).toBeUndefined();
    expect(config.crew.snapshotPollInterval).toBeUndefined();
    expect(config.crew.snapshotTimeout).toBeUndefined();
  });
});

describe('parseContextConfig: what real addresses and URLs look like', () => {
  it.each(["o'brien@shop.example.com", 'ops@xn--bcher-kva.ch', 'duty@a--b.example.com'])(
    'takes the chairman address %s',
    (address) => {
      // Act
      const config = parseContextConfig({ ...sampleContext(), chairmanEmails: [address] });

      // Assess
      expect(config.crew.chairmanEmails).toEqual([address]);
    },
  );
});

describe('parseContextConfig: errors name the field', () => {
  it('says the deploymentCrew context is missing', () => {
    // Prepare
    const raw = undefined;

    // Act
    const message = parseError(raw);

    // Assess
    expect(message).toBe('cdk context "deploymentCrew" is missing: see README, Configuration');
  });

  it.each([
    {
      case: 'an unknown (misspelt) key',
      change: { approvalTimeout: 3600 },
      expected: '(root): Unrecognized key: "approvalTimeout"',
    },
    {
      case: 'a single target group',
      change: { targetGroupArns: [BLUE_ARN] },
      expected: 'targetGroupArns: ',
    },
    {
      case: 'thresholds given as a list',
      change: { thresholds: [] },
      expected: 'thresholds: Invalid type: Expected Object but received Array',
    },
    {
      case: 'a timeout beyond the integers JSON carries exactly',
      change: { approvalTimeoutSeconds: 2 ** 53 },
      expected: 'approvalTimeoutSeconds: ',
    },
    {
      case: 'both database identifiers',
      change: { database: { instanceIdentifier: 'shop-prod-db', clusterIdentifier: 'shop-aurora' } },
      expected: 'database: ',
    },
    {
      case: 'a health endpoint URL that is not http(s)',
      change: { healthEndpoints: [{ name: 'api', url: 'ftp://api.shop.example.com/health' }] },
      expected: 'healthEndpoints.0.url: ',
    },
    {
      case: 'a dependency URL that is not http(s)',
      change: { externalDependencies: [{ name: 'stripe', url: 'file:///etc/hosts', critical: true }] },
      expected: 'externalDependencies.0.url: ',
    },
    {
      case: 'an ECS cluster without services',
      change: { ecs: { clusterName: 'shop-prod', services: [], taskDefinitionFamily: 'shop-web', passRoleArns: [] } },
      expected: 'ecs.services: ',
    },
    {
      case: 'a DB connections share above 100 %',
      change: { thresholds: { dbConnectionsPercent: 120 } },
      expected: 'thresholds.dbConnectionsPercent: ',
    },
    {
      case: 'a malformed e-mail address',
      change: { chairmanEmails: ['chairman@shop.example.com', 'deputy.shop.example.com'] },
      expected: 'chairmanEmails.1: ',
    },
  ])('refuses $case', ({ change, expected }) => {
    // Prepare
    const raw = { ...sampleContext(), ...change };

    // Act
    const message = parseError(raw);

    // Assess
    expect(message.startsWith('cdk context "deploymentCrew" is invalid: ')).toBe(true);
    expect(message).toContain(expected);
  });

  it.each([
    { case: 'a target group ARN', arn: BLUE_ARN },
    {
      case: 'a load balancer ARN',
      arn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-prod/50dc6c495c0c9188',
    },
  ])('refuses $case given as listenerArn, naming the field and the value', ({ arn }) => {
    // Prepare
    const raw = { ...sampleContext(), listenerArn: arn };

    // Act
    const message = parseError(raw);

    // Assess
    expect(message).toContain(arn);
    expect(message).toContain('listenerArn: ');
  });
});

describe('DeploymentCrew construct: settings refused at construction', () => {
  it.each([
    {
      case: 'a target group in another region',
      overrides: {
        targetGroupArns: [
          BLUE_ARN,
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-green/a1b2c3d4e5f60718',
        ],
      },
      expected: "targetGroupArns: targetgroup/shop-green/a1b2c3d4e5f60718 is not in the listener's account and region",
    },
    {
      case: 'a target group in another account',
      overrides: {
        targetGroupArns: [
          'arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/shop-blue/73e2d6bc24d8a067',
          GREEN_ARN,
        ],
      },
      expected: "targetGroupArns: targetgroup/shop-blue/73e2d6bc24d8a067 is not in the listener's account and region",
    },
    {
      case: 'the same target group twice',
      overrides: { targetGroupArns: [BLUE_ARN, BLUE_ARN] },
      expected: 'targetGroupArns: the two target groups must differ',
    },
    {
      case: 'an approval timeout below 300 s',
      overrides: { approvalTimeoutSeconds: 299 },
      expected: 'approvalTimeout: must be between 300 and 604800 seconds',
    },
    {
      case: 'a snapshot timeout below the poll interval',
      overrides: { snapshotPollSeconds: 60, snapshotTimeoutSeconds: 59 },
      expected: 'snapshotPollInterval/snapshotTimeout: ',
    },
    {
      case: 'canary steps that do not end at 100',
      overrides: { canary: { steps: [10, 50] } },
      expected: 'canary.steps: increasing whole percentages from 1 to 100, ending at 100; got [10,50]',
    },
    {
      case: 'canary steps that do not increase',
      overrides: { canary: { steps: [50, 10, 100] } },
      expected: 'canary.steps: increasing whole percentages from 1 to 100, ending at 100; got [50,10,100]',
    },
    {
      case: 'canary steps that repeat a weight',
      overrides: { canary: { steps: [50, 50, 100] } },
      expected: 'canary.steps: increasing whole percentages from 1 to 100, ending at 100; got [50,50,100]',
    },
    {
      case: 'a bake time below 60 s',
      overrides: { canary: { bakeSeconds: 59 } },
      expected: 'canary.bakeTime: between 60 and 3600 seconds',
    },
    {
      case: 'a bake time above 1 h',
      overrides: { canary: { bakeSeconds: 3601 } },
      expected: 'canary.bakeTime: between 60 and 3600 seconds',
    },
    {
      // The bake's last minute ends up to 60 s after the bake and its datapoints come about 90 s later: a shorter
      // wait would make every bake inconclusive.
      case: 'a metrics wait too short for the last minute to arrive',
      overrides: { canary: { metricsMaxWaitSeconds: 149 } },
      expected: 'canary.metricsMaxWait: between 150 and 900 seconds',
    },
    {
      case: 'a metrics wait above 15 minutes',
      overrides: { canary: { metricsMaxWaitSeconds: 901 } },
      expected: 'canary.metricsMaxWait: between 150 and 900 seconds',
    },
    {
      case: 'ECS services bound to the same target group',
      overrides: {
        ecs: {
          ...ECS,
          services: [
            { targetGroupArn: BLUE_ARN, serviceName: 'shop-blue' },
            { targetGroupArn: BLUE_ARN, serviceName: 'shop-green' },
          ],
        },
      },
      expected: 'ecs.services: bind exactly one ECS service to each of the two targetGroupArns',
    },
    {
      case: 'an ECS service bound to a target group the listener does not use',
      overrides: {
        ecs: {
          ...ECS,
          services: [
            { targetGroupArn: BLUE_ARN, serviceName: 'shop-blue' },
            {
              targetGroupArn:
                'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-admin/0f0e0d0c0b0a0908',
              serviceName: 'shop-admin',
            },
          ],
        },
      },
      expected: 'ecs.services: bind exactly one ECS service to each of the two targetGroupArns',
    },
    {
      case: 'one ECS service behind both target groups',
      overrides: {
        ecs: {
          ...ECS,
          services: [
            { targetGroupArn: BLUE_ARN, serviceName: 'shop-web' },
            { targetGroupArn: GREEN_ARN, serviceName: 'shop-web' },
          ],
        },
      },
      expected: 'ecs.services: the two target groups need two different services',
    },
    {
      case: 'a promotion error rate above the rollback error rate',
      overrides: { thresholds: { errorRatePercent: 2, promoteErrorRatePercent: 3 } },
      expected: 'thresholds: promoteErrorRatePercent cannot be above errorRatePercent',
    },
  ])('throws for $case', ({ overrides, expected }) => {
    // Prepare
    const settings = { ...overrides };

    // Act
    const message = constructionError(settings);

    // Assess
    expect(message).toContain(expected);
  });

  it('builds at the limits: a 300 s approval timeout and a snapshot timeout of one poll interval', () => {
    // Prepare
    const overrides = { approvalTimeoutSeconds: 300, snapshotPollSeconds: 60, snapshotTimeoutSeconds: 60 };

    // Act
    const stack = buildStack(overrides);

    // Assess
    expect(intakeConfigOf(stack)).toMatchObject({
      defaultApprovalTimeoutSeconds: 300,
      settings: { snapshotPollSeconds: 60, snapshotMaxPolls: 1 },
    });
  });

  it.each([60, 3600])('builds with a bake time of %i s, a bound of the allowed range', (bakeSeconds) => {
    // Prepare
    const overrides = { canary: { bakeSeconds } };

    // Act
    const stack = buildStack(overrides);

    // Assess
    expect(intakeConfigOf(stack).defaultBakeSeconds).toBe(bakeSeconds);
  });

  it('builds with a single 100 % step and a promotion error rate equal to the rollback one', () => {
    // Prepare
    const overrides = { canary: { steps: [100] }, thresholds: { errorRatePercent: 2, promoteErrorRatePercent: 2 } };

    // Act
    const stack = buildStack(overrides);

    // Assess
    expect(intakeConfigOf(stack).settings.canarySteps).toEqual([100]);
  });

  it('builds without a migration command, and tells the intake so (schema changes are then refused)', () => {
    // Prepare
    const { migration: _migration, ...withoutMigration } = sampleContext();

    // Act
    const stack = buildStack({}, withoutMigration);

    // Assess
    expect(intakeConfigOf(stack)).toMatchObject({
      migrationConfigured: false,
      // The default migration timeout, 30 min, at one check every 30 s.
      settings: { migrationPollSeconds: 30, migrationMaxPolls: 60 },
    });
  });
});

describe('DeploymentCrew construct: the time budget and the restore groups', () => {
  it('refuses props whose longest deployment exceeds the state machine limit (and so the lock TTL)', () => {
    // Act
    const message = constructionError({ snapshotTimeoutSeconds: 300_000 });

    // Assess
    expect(message).toMatch(/longest possible deployment \(\d+\.\d h.*exceeds the state machine's limit of 240\.0 h/);
  });

  it('refuses a canary with more bakes than the history carried in the state may hold', () => {
    // Act
    const message = constructionError({
      canary: { steps: [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], inconclusiveAllowance: 2 },
    });

    // Assess
    expect(message).toBe('canary: 11 steps × (1 + 2 inconclusive) bakes is more than 30');
  });

  it('refuses health checks whose slowest attempt series would outlast the validator function', () => {
    // Act
    const message = constructionError({
      healthEndpoints: [{ name: 'api', url: 'https://api.shop.example.com/health', timeoutMs: 30000 }],
      healthCheckRetries: 2,
    });

    // Assess
    expect(message).toMatch(/the slowest check can take 91 s .* keep it under 75 s/);
  });

  it('refuses an instance restore without the option group it re-uses', () => {
    // Act
    const message = constructionError({
      databaseRestore: { subnetGroupName: 'shop-prod-db-subnets', parameterGroupNames: ['shop-postgres16'] },
    });

    // Assess
    expect(message).toContain('databaseRestore.optionGroupNames');
  });

  it('refuses an Aurora restore without the cluster parameter group it re-uses', () => {
    // Act
    const message = constructionError({
      database: { clusterIdentifier: 'shop-aurora' },
      databaseRestore: { subnetGroupName: 'shop-prod-db-subnets', parameterGroupNames: ['shop-aurora-pg'] },
    });

    // Assess
    expect(message).toContain('databaseRestore.clusterParameterGroupNames');
  });

  it('refuses a database rollback approval window the Chairman could not answer in', () => {
    // Act
    const message = constructionError({ databaseRollbackApprovalTimeoutSeconds: 10 });

    // Assess
    expect(message).toContain('databaseRollbackApprovalTimeout: must be between 300');
  });
});

describe('parseContextConfig: postDeployment', () => {
  it('parses the sample suite as written, the URLs, the log group and the durations', () => {
    // Prepare
    const raw = sampleContext();

    // Act
    const { crew, vpcPlacement } = parseContextConfig(raw);

    // Assess
    expect(crew.postDeployment).toMatchObject({
      productionUrl: 'https://shop.example.com',
      testListenerUrl: 'https://shop.example.com:8443',
      logGroupNames: ['/ecs/shop-web'],
      probes: { failuresToRollback: 3 },
    });
    // As written: no schema default (method, headers, …) is added, so the function's environment stays small.
    expect(crew.postDeployment.smokeSuite).toEqual(POST_DEPLOYMENT.smokeSuite);
    expect(crew.postDeployment.smokeSuite.map((step) => [step.name, step.flow, step.probe ?? false])).toEqual([
      ['login', 'authentication', false],
      ['list products', 'crud', true],
      ['dependencies', 'integrations', true],
    ]);
    expect(crew.postDeployment.smokeSuite[0]).toMatchObject({
      method: 'POST',
      path: '/api/auth/login',
      body: { email: 'smoke-user@shop.example.com' },
      secretHeaders: { 'x-smoke-password': { secretArn: SMOKE_SECRET, jsonKey: 'password' } },
      assertions: [{ path: '$.token' }],
    });
    expect(crew.postDeployment.probes?.interval?.toSeconds()).toBe(5);
    expect(crew.postDeployment.probes?.detectWithin?.toSeconds()).toBe(15);
    expect(crew.blueRetention?.toSeconds()).toBe(3600);
    expect(vpcPlacement).toBeUndefined();
  });

  it('resolves the sample: one secret, probe timing within its goal, the watch in the intake settings', () => {
    // Act
    const config = resolveConfig(parseContextConfig(sampleContext()).crew);

    // Assess
    expect(config.postDeployment).toMatchObject({
      secretArns: [SMOKE_SECRET],
      probes: { intervalMs: 5_000, rule: { failures: 3, withinMs: 15_000 } },
      vpc: null,
    });
    expect(config.blueRetentionSeconds).toBe(3600);
    expect(intakeConfigOf(buildStack({})).settings.blueRetentionSeconds).toBe(3600);
  });

  it('turns the seconds of logsRecentWithinSeconds into a duration, and leaves absent keys to the defaults', () => {
    // Prepare
    const { probes: _probes, ...withoutProbes } = POST_DEPLOYMENT;
    const { blueRetentionSeconds: _retention, ...raw } = sampleContext();

    // Act
    const { crew } = parseContextConfig({
      ...raw,
      postDeployment: { ...withoutProbes, logsRecentWithinSeconds: 7200 },
    });

    // Assess
    expect(crew.postDeployment.logsRecentWithin?.toMinutes()).toBe(120);
    expect(crew.postDeployment.probes).toBeUndefined();
    expect(crew.blueRetention).toBeUndefined();
    expect(resolveConfig(crew).blueRetentionSeconds).toBe(3600);
  });

  it('carries a VPC placement by ID, for the stack to import', () => {
    // Prepare
    const raw = { ...sampleContext(), postDeployment: { ...POST_DEPLOYMENT, vpc: VPC } };

    // Act
    const { crew, vpcPlacement } = parseContextConfig(raw);

    // Assess
    expect(vpcPlacement).toEqual(VPC);
    // The construct-level props hold constructs only: the stack makes them from the description.
    expect(crew.postDeployment.vpc).toBeUndefined();
  });

  it('imports the placement offline, without lookups and without making the groups mutable', () => {
    // Prepare
    const app = new App({ outdir });
    const stack = new Stack(app, 'Imports', { env: { account: '123456789012', region: 'eu-west-1' } });

    // Act
    const placement = vpcPlacementFrom(stack, VPC);

    // Assess
    expect(stack.resolve(placement.vpc.vpcId)).toBe(VPC.vpcId);
    expect(placement.vpc.availabilityZones).toEqual(VPC.availabilityZones);
    expect(placement.subnets?.subnets?.map((subnet) => subnet.subnetId)).toEqual(VPC.subnetIds);
    expect(placement.securityGroups?.map((group) => group.securityGroupId)).toEqual(VPC.securityGroupIds);
    // An immutable import: a rule added to it is dropped, the application's group is never changed.
    placement.securityGroups?.[0]?.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443));
    expect(app.synth().getStackByName('Imports').template.Resources ?? {}).toEqual({});
  });

  it('builds the stack from a VPC placement given by ID', () => {
    // Prepare
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const config = parseContextConfig({ ...sampleContext(), postDeployment: { ...POST_DEPLOYMENT, vpc: VPC } });

    // Act
    const stack = new DeploymentCrewStack(app, 'WithVpc', {
      env: config.env,
      crew: config.crew,
      vpcPlacement: config.vpcPlacement,
    });

    // Assess
    const vpc = stack.node.findChild('VerifierVpcPlacement').node.findChild('Vpc') as ec2.IVpc;
    expect(stack.resolve(vpc.vpcId)).toBe(VPC.vpcId);
  });

  it('refuses a VPC placement given both as constructs and by ID', () => {
    // Prepare
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const config = parseContextConfig({ ...sampleContext(), postDeployment: { ...POST_DEPLOYMENT, vpc: VPC } });
    const scope = new Stack(app, 'Elsewhere');
    const vpc = vpcPlacementFrom(scope, VPC);

    // Act
    const build = () =>
      new DeploymentCrewStack(app, 'Twice', {
        env: config.env,
        crew: { ...config.crew, postDeployment: { ...config.crew.postDeployment, vpc } },
        vpcPlacement: config.vpcPlacement,
      });

    // Assess
    expect(build).toThrow('postDeployment.vpc: give the VPC placement either as constructs (crew) or by ID, not both');
  });

  it('counts the post-promotion watch in the execution time budget (and so in the lock TTL)', () => {
    // Prepare
    const crew = parseContextConfig(sampleContext()).crew;

    // Act
    const verifier = verifierTaskSeconds(readDefinition().text);
    const hour = longestExecutionSeconds(resolveConfig({ ...crew, blueRetention: Duration.hours(1) }), verifier);
    const day = longestExecutionSeconds(resolveConfig({ ...crew, blueRetention: Duration.hours(24) }), verifier);

    // Assess
    expect(day - hour).toBe(23 * 3600);
  });

  it("counts every verifier task's timeout once per attempt, with the retries' longest delays", () => {
    // Prepare
    const task = (timeout: number, attempts: number[]) => ({
      Type: 'Task',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, as the definition writes it.
      Resource: '${PostDeploymentVerifierFunctionArn}',
      TimeoutSeconds: timeout,
      Retry: attempts.map((MaxAttempts) => ({ ErrorEquals: ['X'], MaxAttempts, MaxDelaySeconds: 10 })),
    });
    const definition = JSON.stringify({
      States: {
        Smoke: task(930, [6, 5]),
        Report: task(930, [2]),
        Probes: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 30 },
      },
    });

    // Act
    const seconds = verifierTaskSeconds(definition);

    // Assess: 930 × (1 + 11) + 11 × 10, and 930 × 3 + 2 × 10; the asynchronous start holds nothing.
    expect(seconds).toBe(930 * 12 + 110 + 930 * 3 + 20);
  });
});

describe('parseContextConfig: postDeployment errors name the field', () => {
  it('requires postDeployment', () => {
    // Prepare
    const { postDeployment: _postDeployment, ...raw } = sampleContext();

    // Act
    const message = parseError(raw);

    // Assess
    expect(message).toContain('cdk context "deploymentCrew" is invalid: ');
    expect(message).toContain('postDeployment: ');
  });

  it.each([
    { case: 'no productionUrl', change: { productionUrl: undefined }, expected: 'postDeployment.productionUrl: ' },
    { case: 'no smoke suite', change: { smokeSuite: undefined }, expected: 'postDeployment.smokeSuite: ' },
    {
      case: 'a step path without its leading slash',
      change: { smokeSuite: [{ name: 'home', flow: 'crud', path: 'home', probe: true }] },
      expected: 'postDeployment.smokeSuite.0.path: ',
    },
    {
      case: 'a step of an unknown flow',
      change: { smokeSuite: [{ name: 'home', flow: 'checkout', path: '/', probe: true }] },
      expected: 'postDeployment.smokeSuite.0.flow: ',
    },
    {
      case: 'a misspelt key',
      change: { logGroups: ['/ecs/shop-web'] },
      expected: 'postDeployment: Unrecognized key: "logGroups"',
    },
    {
      // An array where a map belongs must not be read as { 0: … }: the header would go out as "0".
      case: 'green headers given as a list',
      change: { greenHeaders: ['x-deployment-side: green'] },
      expected: 'postDeployment.greenHeaders: Invalid type: Expected Object but received Array',
    },
    {
      case: 'a smoke step header map given as a list',
      change: { smokeSuite: [{ name: 'home', flow: 'crud', path: '/', headers: ['accept: text/html'] }] },
      expected: 'postDeployment.smokeSuite.0.headers: Invalid type: Expected Object but received Array',
    },
    {
      case: 'a duration given as a Duration-like object',
      change: { logsRecentWithinSeconds: { minutes: 60 } },
      expected: 'postDeployment.logsRecentWithinSeconds: ',
    },
    {
      case: 'eleven failures to roll back',
      change: { probes: { failuresToRollback: 11 } },
      expected: 'postDeployment.probes.failuresToRollback: ',
    },
    {
      case: 'a subnet named by something else than its ID',
      change: { vpc: { ...VPC, subnetIds: ['private-a'] } },
      expected: 'postDeployment.vpc.subnetIds.0: a subnet ID (subnet-…)',
    },
    {
      case: 'a VPC placement without subnets',
      change: { vpc: { ...VPC, subnetIds: [] } },
      expected: 'postDeployment.vpc.subnetIds: ',
    },
    {
      case: 'a security group named by its name',
      change: { vpc: { ...VPC, securityGroupIds: ['shop-verifier'] } },
      expected: 'postDeployment.vpc.securityGroupIds.0: a security group ID (sg-…)',
    },
  ])('refuses $case', ({ change, expected }) => {
    // Prepare
    const raw = { ...sampleContext(), postDeployment: { ...POST_DEPLOYMENT, ...change } };

    // Act
    const message = parseError(raw);

    // Assess
    expect(message.startsWith('cdk context "deploymentCrew" is invalid: ')).toBe(true);
    expect(message).toContain(expected);
  });

  it("refuses availability zones outside the listener's region", () => {
    // Prepare
    const raw = {
      ...sampleContext(),
      postDeployment: { ...POST_DEPLOYMENT, vpc: { ...VPC, availabilityZones: ['eu-west-1a', 'us-east-1b'] } },
    };

    // Act
    const message = parseError(raw);

    // Assess
    expect(message).toBe(
      'cdk context "deploymentCrew" is invalid: postDeployment.vpc.availabilityZones: us-east-1b is not in the ' +
        "listener's region eu-west-1",
    );
  });

  it.each([
    {
      case: 'a suite without a probe step',
      overrides: {
        postDeployment: {
          ...POST_DEPLOYMENT,
          smokeSuite: [{ name: 'home', flow: 'crud', path: '/' }],
        },
      },
      expected: 'postDeployment.smokeSuite: mark at least one step probe: true',
    },
    {
      case: 'a detection goal the probe timing cannot meet',
      overrides: { postDeployment: { ...POST_DEPLOYMENT, probes: { intervalSeconds: 10 } } },
      expected: 'postDeployment.probes: probes every 10000 ms with a 1500 ms ceiling decide after up to 21500 ms',
    },
    {
      case: 'a post-promotion watch over 24 h',
      overrides: { blueRetentionSeconds: 86_401 },
      expected: 'blueRetention: whole seconds, more than 0 and at most 86400 (24 h)',
    },
  ])('refuses $case at construction', ({ overrides, expected }) => {
    // Act
    const message = constructionError(overrides);

    // Assess
    expect(message).toContain(expected);
  });

  it('refuses a zero-second watch already in the context', () => {
    // Act
    const message = parseError({ ...sampleContext(), blueRetentionSeconds: 0 });

    // Assess
    expect(message).toContain('blueRetentionSeconds: ');
  });
});
