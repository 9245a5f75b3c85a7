import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeConfig } from '../../lambdas/shared/config/deployment-intake';
import { parseContextConfig } from '../../lib/context-config';
import { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { sampleContext } from '../support/sample-stack';

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2';
const BLUE_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067';
const GREEN_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/a1b2c3d4e5f60718';
/** The sample's ECS block; cases replace its services. */
const ECS = sampleContext().ecs as Record<string, unknown>;

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
