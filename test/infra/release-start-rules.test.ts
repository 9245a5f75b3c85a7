import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { intake } from '../../lambdas/deployment-intake/intake';
import { type IntakeConfig, intakeConfigSchema } from '../../lambdas/shared/config/deployment-intake';
import { deploymentRequestSchema } from '../../lambdas/shared/deployment-request';
import { parseContextConfig } from '../../lib/context-config';
import { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { nagFindings } from '../support/nag';
import { buildSampleStack, sampleContext } from '../support/sample-stack';
import { ecrPushEvent, type InputTransformer, renderInput } from './input-transformer';

/**
 * The rules that start a deployment from EventBridge, as deployed: the `Release Candidate Ready` rule (always), the
 * ECR push rule (with `releaseStart.ecrPush`), their shared start role, dead-letter queue and retry policy, and the
 * input a push becomes, rendered as EventBridge renders it and fed to the intake.
 */

const ACCOUNT = '123456789012';
const DIGEST = `sha256:${'7f5b2640fe6fb4f4'.repeat(4)}`;
const ECR_PUSH = { repositoryName: 'shop/web', tagPattern: 'v*' };

interface Target {
  readonly Arn: unknown;
  readonly RoleArn: unknown;
  readonly DeadLetterConfig?: unknown;
  readonly RetryPolicy?: unknown;
  readonly Input?: unknown;
  readonly InputPath?: unknown;
  readonly InputTransformer?: InputTransformer;
}

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

const outdirs: string[] = [];

/** The sample stack with the given `releaseStart`, its template, and the logical IDs of the rules' resources. */
function build(releaseStart?: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const built = buildSampleStack(releaseStart === undefined ? overrides : { ...overrides, releaseStart });
  outdirs.push(built.app.outdir);
  const { stack } = built;
  const idOf = (construct: IConstruct | undefined) =>
    construct === undefined ? undefined : stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const rules = stack.crew.releaseStart;
  const template = built.template();
  return {
    stack,
    template,
    ids: {
      releaseCandidateRule: idOf(rules.releaseCandidateRule) ?? '',
      ecrPushRule: idOf(rules.ecrPushRule),
      role: idOf(rules.role) ?? '',
      queue: idOf(rules.deadLetters.queue) ?? '',
      alarm: idOf(rules.deadLetters.alarm) ?? '',
      stateMachine: idOf(stack.crew.stateMachine) ?? '',
      topic: idOf(stack.crew.notifications.topic) ?? '',
    },
  };
}

function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

function onlyTarget(template: Template, ruleId: string): Target {
  const targets = resourcesOf(template, 'AWS::Events::Rule')[ruleId]?.Properties.Targets as Target[] | undefined;
  expect(targets).toHaveLength(1);
  return (targets as Target[])[0] as Target;
}

/** The INTAKE_CONFIG the stack hands the intake function. */
function intakeConfigOf(stack: DeploymentCrewStack): IntakeConfig {
  const cfn = stack.crew.intake.function.node.defaultChild as CfnFunction;
  const environment = stack.resolve(cfn.environment) as { variables: { INTAKE_CONFIG: string } };
  return v.parse(intakeConfigSchema, JSON.parse(environment.variables.INTAKE_CONFIG));
}

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('Release Candidate Ready rule', () => {
  it("matches this account's deployment-crew.release / Release Candidate Ready on the default bus", () => {
    // Prepare
    const { template, ids } = build();

    // Act
    const rule = resourcesOf(template, 'AWS::Events::Rule')[ids.releaseCandidateRule];

    // Assess
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['deployment-crew.release'],
      'detail-type': ['Release Candidate Ready'],
      // A bus shared with other accounts must not let them start deployments here.
      account: [ACCOUNT],
    });
    expect(rule?.Properties.EventBusName).toBeUndefined();
    expect(rule?.Properties.State).toBe('ENABLED');
  });

  it('starts the state machine with the whole event, through the start role, with retries and a dead-letter queue', () => {
    // Prepare
    const { template, ids } = build();

    // Act
    const target = onlyTarget(template, ids.releaseCandidateRule);

    // Assess: no Input, InputPath or InputTransformer: the intake unwraps the envelope itself
    expect(target).toEqual({
      Id: 'Target0',
      Arn: { Ref: ids.stateMachine },
      RoleArn: { 'Fn::GetAtt': [ids.role, 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.queue, 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 },
    });
  });

  it('follows the configured source and bus, and the crew bus when only that is set', () => {
    // Prepare
    const configured = build({ source: 'shop.ci', eventBusName: 'releases' }, { eventBusName: 'crew-events' });
    const crewBus = build(undefined, { eventBusName: 'crew-events' });

    // Act
    const rule = resourcesOf(configured.template, 'AWS::Events::Rule')[configured.ids.releaseCandidateRule];
    const crewBusRule = resourcesOf(crewBus.template, 'AWS::Events::Rule')[crewBus.ids.releaseCandidateRule];

    // Assess
    expect(rule?.Properties.EventBusName).toBe('releases');
    expect(rule?.Properties.EventPattern).toMatchObject({ source: ['shop.ci'] });
    expect(crewBusRule?.Properties.EventBusName).toBe('crew-events');
  });
});

describe('ECR push rule', () => {
  it('is absent by default: the only rules are the alarm and release candidate rules', () => {
    // Prepare
    const { template, ids, stack } = build();

    // Act
    const sources = Object.values(resourcesOf(template, 'AWS::Events::Rule')).map(
      (rule) => (rule.Properties.EventPattern as { source: string[] }).source,
    );

    // Assess
    expect(ids.ecrPushRule).toBeUndefined();
    expect(stack.crew.releaseStart.ecrPushRule).toBeUndefined();
    expect(sources.sort()).toEqual([['aws.cloudwatch'], ['deployment-crew.release']]);
  });

  it("matches this account's successful pushes of the repository with a tag the pattern matches", () => {
    // Prepare
    const { template, ids } = build({ ecrPush: ECR_PUSH });

    // Act
    const rule = resourcesOf(template, 'AWS::Events::Rule')[ids.ecrPushRule ?? ''];

    // Assess: on the default bus, where ECR sends its events
    expect(rule?.Properties.EventBusName).toBeUndefined();
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      account: [ACCOUNT],
      detail: {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'repository-name': ['shop/web'],
        'image-tag': [{ wildcard: 'v*' }],
      },
    });
  });

  it('starts the state machine through the same role, retries and dead-letter queue, with an input transformer', () => {
    // Prepare
    const { template, ids } = build({ ecrPush: ECR_PUSH });

    // Act
    const { InputTransformer: transformer, ...target } = onlyTarget(template, ids.ecrPushRule ?? '');

    // Assess
    expect(target).toEqual({
      Id: 'Target0',
      Arn: { Ref: ids.stateMachine },
      RoleArn: { 'Fn::GetAtt': [ids.role, 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.queue, 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 },
    });
    expect(transformer?.InputPathsMap).toMatchObject({
      account: '$.account',
      region: '$.region',
      'detail-repository-name': '$.detail.repository-name',
      'detail-image-digest': '$.detail.image-digest',
      'detail-image-tag': '$.detail.image-tag',
    });
  });

  it('turns a push into a release of the pushed digest, versioned by its tag, requested by the ECR push', () => {
    // Prepare
    const { template, ids } = build({ ecrPush: ECR_PUSH });
    const transformer = onlyTarget(template, ids.ecrPushRule ?? '').InputTransformer;
    if (transformer === undefined) throw new Error('the ECR push target has no input transformer');

    // Act
    const input = renderInput(transformer, ecrPushEvent(ACCOUNT, DIGEST));

    // Assess
    expect(input).toEqual({
      release: {
        version: 'v1.4.0',
        image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop/web@${DIGEST}`,
        schemaChange: false,
        notes: expect.stringContaining('13cde686-328b-6117-af20-0e5566167482'),
      },
      requestedBy: 'ECR push of shop/web:v1.4.0',
    });
  });

  it("produces an input the intake accepts with the stack's own intake configuration", () => {
    // Prepare
    const { template, ids, stack } = build({ ecrPush: ECR_PUSH });
    const transformer = onlyTarget(template, ids.ecrPushRule ?? '').InputTransformer;
    if (transformer === undefined) throw new Error('the ECR push target has no input transformer');
    const input = renderInput(transformer, ecrPushEvent(ACCOUNT, DIGEST));
    const execution = { name: 'c0ffee00-0000-4000-8000-000000000001', id: 'arn:exec', startTime: '2026-11-24T10:30Z' };

    // Act
    const parsed = v.safeParse(deploymentRequestSchema, input);
    const context = intake({ input, execution }, intakeConfigOf(stack));

    // Assess
    expect(parsed.success, parsed.issues?.[0]?.message).toBe(true);
    expect(context.release.image).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop/web@${DIGEST}`);
    expect(context.requestedBy).toBe('ECR push of shop/web:v1.4.0');
  });

  it('carries schemaChange from the prop, never from the push', () => {
    // Prepare
    const { template, ids } = build({ ecrPush: { ...ECR_PUSH, schemaChange: true } });
    const transformer = onlyTarget(template, ids.ecrPushRule ?? '').InputTransformer;
    if (transformer === undefined) throw new Error('the ECR push target has no input transformer');

    // Act
    const input = renderInput(transformer, ecrPushEvent(ACCOUNT, DIGEST)) as { release: { schemaChange: unknown } };

    // Assess
    expect(input.release.schemaChange).toBe(true);
    expect(Object.values(transformer.InputPathsMap).filter((path) => /schema/i.test(path))).toEqual([]);
  });
});

describe('start role and dead-letter queue', () => {
  it('lets EventBridge of this account only start this state machine, nothing else', () => {
    // Prepare
    const { template, ids } = build({ ecrPush: ECR_PUSH });

    // Act
    const role = resourcesOf(template, 'AWS::IAM::Role')[ids.role];
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${ids.role}"`))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement);

    // Assess
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ],
    });
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(statements).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: ids.stateMachine } },
    ]);
  });

  it('lets only the two rules send to the dead-letter queue, whose alarm notifies the Chairman', () => {
    // Prepare
    const { template, ids } = build({ ecrPush: ECR_PUSH });

    // Act
    const senders = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'))
      .filter((policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([{ Ref: ids.queue }]))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((statement) => statement.Effect === 'Allow');
    const alarm = resourcesOf(template, 'AWS::CloudWatch::Alarm')[ids.alarm];
    const publishers = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((statement) => JSON.stringify(statement.Condition).includes(`"${ids.alarm}"`));

    // Assess
    expect(senders.map((statement) => [statement.Principal, statement.Action, statement.Condition])).toEqual(
      [ids.releaseCandidateRule, ids.ecrPushRule].map((rule) => [
        { Service: 'events.amazonaws.com' },
        'sqs:SendMessage',
        { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
      ]),
    );
    expect(alarm?.Properties).toMatchObject({
      AlarmName: 'DeploymentCrew-release-start-undelivered-events',
      AlarmActions: [{ Ref: ids.topic }],
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // The topic's own policy must let CloudWatch publish for this alarm, or the Chairman never hears of it.
    expect(publishers).toMatchObject([
      { Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: ids.topic } },
    ]);
  });

  it('leaves cdk-nag nothing to report, with the ECR rule on', () => {
    // Prepare
    const { stack } = build({ ecrPush: ECR_PUSH });

    // Act
    const findings = nagFindings(stack.crew.releaseStart);

    // Assess
    expect(findings).toEqual([]);
  });
});

describe('refused at synth', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'release-start-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** Builds in an App whose output directory is removed afterwards: a construct that throws leaves its App behind. */
  function constructionError(overrides: Record<string, unknown>): string {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const config = parseContextConfig({ ...sampleContext(), ...overrides });
    try {
      new DeploymentCrewStack(app, config.stackName, { env: config.env, crew: config.crew });
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    throw new Error('the stack was built from settings that should have been refused');
  }

  it.each([
    { case: 'the crew own source', releaseStart: { source: 'deployment-crew' }, message: 'releaseStart.source' },
    { case: 'an aws. source', releaseStart: { source: 'aws.ecr' }, message: 'reserved for AWS services' },
    { case: 'a lone *', releaseStart: { ecrPush: { ...ECR_PUSH, tagPattern: '*' } }, message: 'matches "latest"' },
    { case: 'l*', releaseStart: { ecrPush: { ...ECR_PUSH, tagPattern: 'l*' } }, message: 'matches "latest"' },
    {
      case: 'a pattern that matches cosign signature tags (s*)',
      releaseStart: { ecrPush: { ...ECR_PUSH, tagPattern: 's*' } },
      message: 'signature',
    },
    {
      case: 'a pattern that matches attestation tags (*.*)',
      releaseStart: { ecrPush: { ...ECR_PUSH, tagPattern: '*.*' } },
      message: 'signature',
    },
    { case: 'a space', releaseStart: { ecrPush: { ...ECR_PUSH, tagPattern: 'v *' } }, message: 'tagPattern' },
    {
      case: 'an upper-case repository',
      releaseStart: { ecrPush: { ...ECR_PUSH, repositoryName: 'Shop/Web' } },
      message: 'repositoryName',
    },
  ])('refuses $case', ({ releaseStart, message }) => {
    // Act
    const error = constructionError({ releaseStart });

    // Assess
    expect(error).toContain(message);
  });

  it('refuses a misspelt releaseStart key in the cdk.json context, naming it', () => {
    // Act
    const parse = () => parseContextConfig({ ...sampleContext(), releaseStart: { ecr: ECR_PUSH } });

    // Assess
    expect(parse).toThrow(/releaseStart.*ecr/);
  });

  it('refuses schemaChange: true on a stack without a migration', () => {
    // Act
    const error = constructionError({
      migration: undefined,
      releaseStart: { ecrPush: { ...ECR_PUSH, schemaChange: true } },
    });

    // Assess
    expect(error).toContain('releaseStart.ecrPush.schemaChange');
  });
});
