import { rmSync } from 'node:fs';
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { alarmListenerWorstCaseMs } from '../../lambdas/shared/config/rollback-trigger';
import { RollbackTriggerAgent } from '../../lib/agents/rollback-trigger';
import type { AlarmRollbackRule } from '../../lib/alarm-rollback-rule';
import { ChairmanNotifications } from '../../lib/chairman-notifications';
import { resolveConfig } from '../../lib/config/resolve-config';
import { parseContextConfig } from '../../lib/context-config';
import { CrewStateTable } from '../../lib/crew-state-table';
import { CutoverAlarms } from '../../lib/cutover-alarms';
import type { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { nagFindings } from '../support/nag';
import { buildSampleStack, sampleContext } from '../support/sample-stack';

/**
 * The alarm listener's failure handling as deployed: an on-failure destination (and dead-letter queue) for the
 * function, a dead-letter queue and retry policy for the rule's target, an alarm on each queue that reaches the
 * Chairman, and a function timeout that covers the worst case of its AWS calls.
 */

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

const outdirs: string[] = [];
let template: Template;
let stack: DeploymentCrewStack;
let app: App;

/** The logical ID of a construct's default resource. */
function idOf(construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (!child) throw new Error(`${construct.node.path} has no default child`);
  return stack.getLogicalId(child as CfnElement);
}

function resource(type: string, logicalId: string): Resource {
  const found = (template.findResources(type) as Record<string, Resource>)[logicalId];
  if (!found) throw new Error(`no ${type} ${logicalId}`);
  return found;
}

function ids() {
  const crew = stack.crew;
  const rule = crew.node.findChild('AlarmRollback') as AlarmRollbackRule;
  return {
    function: idOf(crew.rollbackTrigger.function),
    role: idOf(crew.rollbackTrigger.role),
    rule: idOf(rule.rule),
    failedInvocations: idOf(crew.rollbackTrigger.failedInvocations.queue),
    failedInvocationsAlarm: idOf(crew.rollbackTrigger.failedInvocations.alarm),
    failedProbesAlarm: idOf(crew.postDeploymentVerifier.failedProbes.alarm),
    undeliveredEvents: idOf(rule.deadLetters.queue),
    undeliveredEventsAlarm: idOf(rule.deadLetters.alarm),
    releaseStartAlarm: idOf(crew.releaseStart.deadLetters.alarm),
    topic: idOf(crew.notifications.topic),
    key: idOf(crew.notifications.key),
  };
}

/** The statements of a policy document property; none when it is absent. */
function statementsOf(document: unknown): Record<string, unknown>[] {
  return (document as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ?? [];
}

/** Statements of the queue policy attached to a queue. */
function queuePolicyStatements(queueId: string): Record<string, unknown>[] {
  const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy') as Record<string, Resource>).filter(
    (policy) => JSON.stringify(policy.Properties?.Queues) === JSON.stringify([{ Ref: queueId }]),
  );
  return policies.flatMap((policy) => statementsOf(policy.Properties?.PolicyDocument));
}

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  const built = buildSampleStack();
  app = built.app;
  stack = built.stack;
  outdirs.push(app.outdir);
  template = built.template();
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('alarm listener: failed invocations', () => {
  it('retries a failed alarm event twice within an hour, then sends it to its queue', () => {
    // Prepare
    const { function: functionId, failedInvocations } = ids();

    // Act: the crew's other asynchronous function (the prober) has a configuration of its own.
    const configs = Object.values(
      template.findResources('AWS::Lambda::EventInvokeConfig') as Record<string, Resource>,
    ).filter((config) => JSON.stringify(config.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }));

    // Assess
    expect(configs.map((config) => config.Properties)).toEqual([
      {
        FunctionName: { Ref: functionId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failedInvocations, 'Arn'] } } },
      },
    ]);
    expect(resource('AWS::Lambda::Function', functionId).Properties?.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [failedInvocations, 'Arn'] },
    });
  });

  it('gives the function a timeout that covers the worst case of its AWS calls', () => {
    // Act
    const timeout = resource('AWS::Lambda::Function', ids().function).Properties?.Timeout;

    // Assess
    expect(timeout).toBe(300);
    expect(Number(timeout) * 1000).toBeGreaterThanOrEqual(alarmListenerWorstCaseMs());
  });
});

describe('alarm listener: dead-letter queues', () => {
  it.each(['failedInvocations', 'undeliveredEvents'] as const)(
    'encrypts the %s queue, keeps messages 14 days and refuses requests without TLS',
    (name) => {
      // Prepare
      const queueId = ids()[name];

      // Act
      const queue = resource('AWS::SQS::Queue', queueId).Properties;
      const statements = queuePolicyStatements(queueId);

      // Assess
      expect(queue).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    },
  );

  it("lets EventBridge send to the rule's dead-letter queue for this rule only", () => {
    // Prepare
    const { undeliveredEvents, rule } = ids();

    // Act
    const allows = queuePolicyStatements(undeliveredEvents).filter((statement) => statement.Effect === 'Allow');

    // Assess
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [undeliveredEvents, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
        Sid: expect.any(String),
      },
    ]);
  });

  it("gives the rule's target a dead-letter queue and a bounded retry policy", () => {
    // Prepare
    const { rule, undeliveredEvents } = ids();

    // Act
    const targets = resource('AWS::Events::Rule', rule).Properties?.Targets as Record<string, unknown>[];

    // Assess
    expect(targets).toEqual([
      expect.objectContaining({
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [undeliveredEvents, 'Arn'] } },
      }),
    ]);
  });

  it("lets nothing but the listener's role send to its on-failure queue: no resource policy allows anyone", () => {
    // Act
    const allows = queuePolicyStatements(ids().failedInvocations).filter((statement) => statement.Effect === 'Allow');

    // Assess
    expect(allows).toEqual([]);
  });
});

describe('alarm listener: the Chairman hears of a message in either queue', () => {
  it.each([
    ['failedInvocations', 'failedInvocationsAlarm', 'DeploymentCrew-alarm-listener-failed-invocations'],
    ['undeliveredEvents', 'undeliveredEventsAlarm', 'DeploymentCrew-alarm-rule-undelivered-events'],
  ] as const)('alarms on %s holding any visible message, notifying the topic', (queue, alarm, alarmName) => {
    // Prepare
    const all = ids();

    // Act
    const properties = resource('AWS::CloudWatch::Alarm', all[alarm]).Properties;

    // Assess
    expect(properties).toEqual({
      AlarmName: alarmName,
      AlarmDescription: expect.stringMatching(/^DeploymentCrew: .*read and delete the messages of the queue\.$/),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [all[queue], 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: all.topic }],
    });
  });

  it("lets CloudWatch publish to the encrypted topic for these two alarms, the prober's and the release start rules' only, and use its key", () => {
    // Prepare: the verifier's failed probe invocations and the release start rules' undelivered events are watched
    // the same way (WatchedDeadLetterQueue).
    const { topic, key, failedInvocationsAlarm, failedProbesAlarm, undeliveredEventsAlarm, releaseStartAlarm } = ids();

    // Act
    const topicStatements = Object.values(template.findResources('AWS::SNS::TopicPolicy') as Record<string, Resource>)
      .filter((policy) => JSON.stringify(policy.Properties?.Topics) === JSON.stringify([{ Ref: topic }]))
      .flatMap((policy) => statementsOf(policy.Properties?.PolicyDocument))
      .filter((statement) => JSON.stringify(statement.Principal).includes('cloudwatch.amazonaws.com'));
    const keyStatements = statementsOf(resource('AWS::KMS::Key', key).Properties?.KeyPolicy).filter((statement) =>
      JSON.stringify(statement.Principal).includes('cloudwatch.amazonaws.com'),
    );

    // Assess
    expect(topicStatements).toEqual(
      [failedInvocationsAlarm, failedProbesAlarm, undeliveredEventsAlarm, releaseStartAlarm].map((alarm) => ({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic },
        Condition: {
          ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [alarm, 'Arn'] } },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
        Sid: expect.any(String),
      })),
    );
    // In any order: @aws-cdk/aws-iam:minimizePolicies sorts them.
    expect(keyStatements.map((statement) => ({ ...statement, Action: [statement.Action].flat().sort() }))).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
      },
    ]);
  });
});

describe('alarm listener: cdk-nag', () => {
  it('leaves no AwsSolutions or Serverless finding on the listener, its rule and their queues', () => {
    // Prepare
    const ours = ['DeploymentCrew/Crew/RollbackTrigger/', 'DeploymentCrew/Crew/AlarmRollback/'];

    // Act
    const findings = nagFindings(app);

    // Assess
    expect(findings.filter((finding) => ours.some((path) => finding.includes(path)))).toEqual([]);
  });
});

describe('alarm listener: timeout check', () => {
  function agentWithTimeout(timeout: Duration) {
    const scratch = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    outdirs.push(scratch.outdir);
    const appConfig = parseContextConfig(sampleContext());
    const config = resolveConfig(appConfig.crew);
    const scope = new Stack(scratch, 'Scratch', { env: appConfig.env });
    const alarms = new CutoverAlarms(scope, 'Alarms', {
      alarmNamePrefix: 'Scratch',
      listenerArn: config.listenerArn,
      targetGroupArns: config.targetGroupArns,
      database: config.database,
      databaseMaxConnections: config.databaseMaxConnections,
      thresholds: config.thresholds,
    });
    return () =>
      new RollbackTriggerAgent(scope, 'RollbackTrigger', {
        config,
        table: new CrewStateTable(scope, 'State').table,
        alarms,
        notifications: new ChairmanNotifications(scope, 'Chairman', { emails: ['chairman@shop.example.com'] }),
        timeout,
      });
  }

  it('refuses a timeout shorter than the worst case of the AWS calls, naming both', () => {
    // Prepare
    const build = agentWithTimeout(Duration.seconds(30));

    // Act / Assess
    expect(build).toThrow(
      `the alarm listener's timeout of 30 s is shorter than the worst case of its AWS calls (${Math.ceil(alarmListenerWorstCaseMs() / 1000)} s`,
    );
  });

  it('accepts a timeout that just covers the worst case', () => {
    // Prepare
    const seconds = Math.ceil(alarmListenerWorstCaseMs() / 1000);
    const build = agentWithTimeout(Duration.seconds(seconds));

    // Act
    const agent = build();

    // Assess
    Template.fromStack(Stack.of(agent)).hasResourceProperties('AWS::Lambda::Function', { Timeout: seconds });
  });
});
