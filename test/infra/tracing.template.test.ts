import { rmSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentFunction } from '../../lib/agent-function';
import type { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { buildSampleStack } from '../support/sample-stack';

/** What active tracing needs: neither action supports resource-level permissions. */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

interface ResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: readonly string[];
}

interface StatementJson {
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function statementsOf(document: unknown): StatementJson[] {
  return asList((document as { Statement?: unknown } | undefined)?.Statement) as StatementJson[];
}

let stack: DeploymentCrewStack;
let template: Template;
const outdirs: string[] = [];

beforeAll(() => {
  // The template is the same with or without the built-in CloudFormation validation, which costs seconds.
  vi.stubEnv('CDK_VALIDATION', 'false');
  const built = buildSampleStack();
  outdirs.push(built.app.outdir);
  stack = built.stack;
  template = built.template();
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

function logicalIdOf(construct: IConstruct): string {
  const child = construct.node.defaultChild ?? construct;
  return stack.getLogicalId(child as CfnElement);
}

function resources(type: string): Record<string, ResourceJson> {
  return template.findResources(type) as Record<string, ResourceJson>;
}

function agents(): AgentFunction[] {
  return stack.node.findAll().filter((construct): construct is AgentFunction => construct instanceof AgentFunction);
}

describe('X-Ray tracing', () => {
  it('is active on every Lambda function of the stack', () => {
    // Prepare
    const functions = resources('AWS::Lambda::Function');

    // Act
    const tracing = Object.entries(functions).map(([id, fn]) => [id, fn.Properties?.TracingConfig]);

    // Assess
    expect(tracing.length).toBe(agents().length);
    expect(tracing.length).toBeGreaterThan(0);
    expect(tracing).toEqual(Object.keys(functions).map((id) => [id, { Mode: 'Active' }]));
  });

  it('is enabled on the state machine', () => {
    // Prepare
    const machines = resources('AWS::StepFunctions::StateMachine');

    // Act
    const tracing = Object.values(machines).map((machine) => machine.Properties?.TracingConfiguration);

    // Assess
    expect(tracing).toEqual([{ Enabled: true }]);
  });

  it("grants each function's role the two X-Ray actions on * in a policy of their own, ready before the function", () => {
    // Prepare
    const policies = resources('AWS::IAM::Policy');

    // Act
    const grants = agents().map((agent) => {
      const role = logicalIdOf(agent.role);
      const holding = Object.entries(policies).filter(
        ([, policy]) =>
          asList(policy.Properties?.Roles).some((ref) => (ref as { Ref?: string }).Ref === role) &&
          statementsOf(policy.Properties?.PolicyDocument).some((statement) =>
            asList(statement.Action).some((action) => String(action).startsWith('xray:')),
          ),
      );
      const functionId = logicalIdOf(agent.function);
      return {
        agent: agent.node.id,
        policies: holding.map(([id]) => id),
        // Actions in any order: @aws-cdk/aws-iam:minimizePolicies sorts them.
        statements: holding.flatMap(([, policy]) =>
          statementsOf(policy.Properties?.PolicyDocument).map((statement) => ({
            ...statement,
            Action: asList(statement.Action).map(String).sort(),
          })),
        ),
        functionWaitsForIt: holding.every(([id]) =>
          resources('AWS::Lambda::Function')[functionId]?.DependsOn?.includes(id),
        ),
      };
    });

    // Assess
    expect(grants.length).toBeGreaterThan(0);
    expect(grants).toEqual(
      agents().map((agent) => ({
        agent: agent.node.id,
        policies: [logicalIdOf(agent.tracingPolicy)],
        statements: [{ Effect: 'Allow', Action: [...XRAY_ACTIONS].sort(), Resource: '*' }],
        functionWaitsForIt: true,
      })),
    );
  });
});

describe('failed Chairman e-mail deliveries', () => {
  function ids() {
    const { notifications } = stack.crew;
    return {
      topic: logicalIdOf(notifications.topic),
      key: logicalIdOf(notifications.key),
      queue: logicalIdOf(notifications.deadLetterQueue),
      queueKey: logicalIdOf(notifications.deadLetterQueue.encryptionMasterKey as IConstruct),
    };
  }

  it('redrive every e-mail subscription into the dead-letter queue', () => {
    // Prepare
    const { queue, topic } = ids();

    // Act
    const subscriptions = Object.values(resources('AWS::SNS::Subscription')).map((resource) => resource.Properties);

    // Assess
    expect(subscriptions.length).toBeGreaterThan(0);
    expect(subscriptions).toEqual(
      subscriptions.map((subscription) => ({
        Protocol: 'email',
        Endpoint: subscription?.Endpoint,
        TopicArn: { Ref: topic },
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      })),
    );
  });

  it('stay 14 days in a queue encrypted with a rotated key of its own, redriven nowhere', () => {
    // Prepare
    const { queue, queueKey, key } = ids();

    // Act
    const properties = resources('AWS::SQS::Queue')[queue]?.Properties;
    const keyProperties = resources('AWS::KMS::Key')[queueKey]?.Properties;

    // Assess
    expect(queueKey).not.toBe(key);
    expect(properties).toEqual({
      KmsMasterKeyId: { 'Fn::GetAtt': [queueKey, 'Arn'] },
      MessageRetentionPeriod: 1209600,
    });
    expect(keyProperties?.EnableKeyRotation).toBe(true);
  });

  it('reach the queue from this topic only, and the queue refuses requests without TLS', () => {
    // Prepare
    const { queue, topic } = ids();

    // Act
    const statements = Object.values(resources('AWS::SQS::QueuePolicy'))
      .filter((policy) => asList(policy.Properties?.Queues).some((ref) => (ref as { Ref?: string }).Ref === queue))
      .flatMap((policy) => statementsOf(policy.Properties?.PolicyDocument));

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Principal: { Service: 'sns.amazonaws.com' },
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic } } },
      },
    ]);
  });

  it("are encrypted by SNS with the queue's key on behalf of this topic only", () => {
    // Prepare
    const { queueKey, topic } = ids();

    // Act
    const forSns = statementsOf(resources('AWS::KMS::Key')[queueKey]?.Properties?.KeyPolicy).filter(
      (statement) => JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'sns.amazonaws.com' }),
    );

    // Assess
    expect(forSns).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Principal: { Service: 'sns.amazonaws.com' },
        Resource: '*',
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic } } },
      },
    ]);
  });

  it('raise no alarm to the topic whose deliveries are failing (it would mail about itself)', () => {
    // Prepare
    const { queue, topic } = ids();

    // Act
    const loops = Object.values(resources('AWS::CloudWatch::Alarm')).filter(
      (alarm) =>
        JSON.stringify(alarm.Properties).includes(`"${queue}"`) &&
        JSON.stringify(alarm.Properties?.AlarmActions ?? []).includes(`"${topic}"`),
    );

    // Assess
    expect(loops).toEqual([]);
  });
});
