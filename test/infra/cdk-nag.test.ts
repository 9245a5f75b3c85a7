import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type App, type CfnElement, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentFunction } from '../../lib/agent-function';
import { readDefinition } from '../../lib/deployment-state-machine';
import { nagFindings } from '../support/nag';
import { auroraOverrides, buildSampleStack } from '../support/sample-stack';
import { type AslMachine, statesOf } from './asl-definition';

/** The parts of `validation-report.json` (aws-cdk-lib 2.276) the assertions read. */
interface ValidationReport {
  readonly pluginReports: readonly PluginReport[];
}

interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations: readonly ReportedViolation[];
}

interface ReportedViolation {
  readonly ruleName: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

/** The parts of a template resource the dead-letter checks read. */
interface TemplateResource {
  readonly Type: string;
  readonly Properties?: {
    readonly Principal?: unknown;
    readonly FunctionName?: unknown;
    readonly DeadLetterConfig?: { readonly TargetArn?: unknown };
    readonly DestinationConfig?: { readonly OnFailure?: { readonly Destination?: unknown } };
    readonly DefinitionSubstitutions?: unknown;
  };
}

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

const MIN_REASON_LENGTH = 40;
const outdirs: string[] = [];

beforeAll(() => {
  // aws-cdk-lib's built-in CloudFormation validation (cfn-lint compiled to wasm) costs ~5 s of cold start per test
  // process and can only add warnings here (no "@aws-cdk/core:validateAgainstDefaultRules"): `cdk synth` runs it.
  // Remove this line to have its findings, and the acknowledged E1029, in the reports below too.
  vi.stubEnv('CDK_VALIDATION', 'false');
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

function readReport(directory: string): ValidationReport {
  return JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/** The sample stack with both packs registered as bin/ registers them. */
function buildWithNag(overrides: Record<string, unknown> = {}) {
  const built = buildSampleStack(overrides, { nag: true });
  Validations.of(built.app).addPlugins(new ServerlessChecks(built.app));
  outdirs.push(built.app.outdir);
  return built;
}

/**
 * Synthesizes with cdk-nag as bin/ registers it: a finding nobody acknowledged fails the synth, after writing the
 * report. Returns whether the synth failed, and the report either way.
 */
function synthesizeWithNag(overrides: Record<string, unknown> = {}) {
  const { app } = buildWithNag(overrides);
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  let failed = false;
  try {
    app.synth();
  } catch {
    failed = true;
  } finally {
    consoleError.mockRestore();
  }
  return { app, failed, report: readReport(app.outdir) };
}

/** A pack's own findings on the synthesized tree, in the report's `<pack>: <rule> at <path>` form. */
function packFindings(pack: AwsSolutionsChecks | ServerlessChecks, app: App): string[] {
  return nagFindings(app, [pack]);
}

/** Every agent: each traces to X-Ray through a policy of its own. */
const AGENTS = [
  'DeploymentIntake',
  'ApprovalRequest',
  'ApprovalResponse',
  'PreDeploymentValidator',
  'BlueGreenOrchestrator',
  'RollbackCoordinator',
  'RollbackTrigger',
  'PostDeploymentVerifier',
];

/**
 * Agents invoked asynchronously: the alarm listener (EventBridge) and the verifier's prober (Step Functions with
 * InvocationType Event, and itself). Each keeps what fails after Lambda's retries.
 */
const ASYNCHRONOUS_AGENTS = ['RollbackTrigger', 'PostDeploymentVerifier'];

/** Agents invoked synchronously only (Step Functions Task states, a function URL): no dead-letter queue needed. */
const SYNCHRONOUS_AGENTS = AGENTS.filter((agent) => !ASYNCHRONOUS_AGENTS.includes(agent));

/** The id cdk-nag's AwsSolutions-IAM5 acknowledgement of one wildcard resource has. */
function iam5(resource: string): string {
  return `Annotation::AwsSolutions-IAM5[Resource::${resource}]`;
}

function unacknowledged(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) => `${plugin.pluginName}: ${violation.ruleName} at ${construct.constructPath}`,
      ),
    ),
  );
}

/** Every acknowledgement recorded with `Validations.of(scope).acknowledge()` in the construct tree under `scope`. */
function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason: String(reason),
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions and Serverless', () => {
  it.each([
    ['sample stack', {}],
    ['Aurora variant', auroraOverrides()],
  ])('synthesizes the %s with no unacknowledged violation', (_, overrides) => {
    // Prepare: the variant's overrides, from it.each

    // Act
    const { app, failed, report } = synthesizeWithNag(overrides);

    // Assess
    expect(unacknowledged(report)).toEqual([]);
    expect(failed).toBe(false);
    // The packs themselves, run on the synthesized tree: they walk every resource and honour the acknowledgements.
    expect(packFindings(new AwsSolutionsChecks(), app)).toEqual([]);
    expect(packFindings(new ServerlessChecks(), app)).toEqual([]);
  });

  it('fails the synth and reports an AwsSolutions violation nobody acknowledged (the check is live)', () => {
    // Prepare
    const { app, stack } = buildWithNag();
    new sns.Topic(stack, 'Unencrypted');
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const synthesize = () => app.synth();

    // Assess
    try {
      expect(synthesize).toThrow(/AwsSolutions-SNS3/);
    } finally {
      consoleError.mockRestore();
    }
    expect(unacknowledged(readReport(app.outdir))).toContain(
      'AwsSolutions: AwsSolutions-SNS3 at DeploymentCrew/Unencrypted/Resource',
    );
  });

  it('fails the synth and reports a Serverless violation nobody acknowledged (the check is live)', () => {
    // Prepare
    const { app, stack } = buildWithNag();
    new sns.Subscription(stack, 'Undriven', {
      topic: stack.crew.notifications.topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: 'someone@shop.example.com',
    });
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const synthesize = () => app.synth();

    // Assess
    try {
      expect(synthesize).toThrow(/Serverless-SNSRedrivePolicy/);
    } finally {
      consoleError.mockRestore();
    }
    expect(unacknowledged(readReport(app.outdir))).toContain(
      'Serverless: Serverless-SNSRedrivePolicy at DeploymentCrew/Undriven/Resource',
    );
  });
});

describe('acknowledgements', () => {
  it('give a reason of at least 40 characters each', () => {
    // Prepare
    const { app } = buildWithNag();

    // Act
    const acknowledged = acknowledgements(app);

    // Assess
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter(({ reason }) => reason.trim().length < MIN_REASON_LENGTH)).toEqual([]);
  });

  it('are only the expected findings, each on the construct it concerns', () => {
    // Prepare
    const { app } = buildWithNag();

    // Act
    const acknowledged = acknowledgements(app).map(({ path, id }) => `${path} ${id}`);

    // Assess
    expect(acknowledged.sort()).toEqual(
      [
        'DeploymentCrew/Crew/Workflow/StateMachine CloudFormation-Validate::E1029',
        'DeploymentCrew/Crew/Workflow/StateMachine/Role Annotation::AwsSolutions-IAM5[Resource::*]',
        `DeploymentCrew/Crew/PreDeploymentValidator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-d726d2-deploymentcr-*')}`,
        `DeploymentCrew/Crew/BlueGreenOrchestrator/Role ${iam5('*')}`,
        `DeploymentCrew/Crew/BlueGreenOrchestrator/Role ${iam5('arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:*')}`,
        `DeploymentCrew/Crew/BlueGreenOrchestrator/Role ${iam5('arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/*')}`,
        'DeploymentCrew/Crew/Reports/Bucket Annotation::AwsSolutions-S1',
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:kms:eu-west-1:123456789012:key/*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:db:shop-prod-db-pre-rb-*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:db:shop-prod-db-rb-new-*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-d726d2-deploymentcr-*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:db-proxy:*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:target-group:*')}`,
        `DeploymentCrew/Crew/RollbackTrigger/Role ${iam5('*')}`,
        ...AGENTS.map((agent) => `DeploymentCrew/Crew/${agent}/Tracing ${iam5('*')}`),
        ...SYNCHRONOUS_AGENTS.map((agent) => `DeploymentCrew/Crew/${agent}/Function Annotation::Serverless-LambdaDLQ`),
        'DeploymentCrew/Crew/Chairman/DeadLetters Annotation::AwsSolutions-SQS3',
        'DeploymentCrew/Crew/Chairman/DeadLetters Annotation::Serverless-SQSRedrivePolicy',
        'DeploymentCrew/Crew/RollbackTrigger/FailedInvocations/Queue Annotation::Serverless-SQSRedrivePolicy',
        `DeploymentCrew/Crew/PostDeploymentVerifier/Role ${iam5('*')}`,
        `DeploymentCrew/Crew/PostDeploymentVerifier/Role ${iam5('<CrewReportsBucketC231372F.Arn>/reports/*')}`,
        `DeploymentCrew/Crew/PostDeploymentVerifier/Role ${iam5('arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-web:*')}`,
        `DeploymentCrew/Crew/PostDeploymentVerifier/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-d726d2-deploymentcr-*')}`,
        // GetExecutionHistory on the executions of the state machine the stack names (`<stack>-Deployment`).
        `DeploymentCrew/Crew/PostDeploymentVerifier/Role ${iam5('arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew-Deployment:*')}`,
        'DeploymentCrew/Crew/PostDeploymentVerifier/FailedProbes/Queue Annotation::Serverless-SQSRedrivePolicy',
        'DeploymentCrew/Crew/AlarmRollback/UndeliveredEvents/Queue Annotation::AwsSolutions-SQS3',
        'DeploymentCrew/Crew/AlarmRollback/UndeliveredEvents/Queue Annotation::Serverless-SQSRedrivePolicy',
        'DeploymentCrew/Crew/ReleaseStart/UndeliveredEvents/Queue Annotation::AwsSolutions-SQS3',
        'DeploymentCrew/Crew/ReleaseStart/UndeliveredEvents/Queue Annotation::Serverless-SQSRedrivePolicy',
      ].sort(),
    );
  });

  it('waive a dead-letter queue only for functions nothing invokes asynchronously', () => {
    // Prepare
    // The acknowledgements are in the construct tree with or without the packs, which would refuse this synth.
    const { app, stack, template } = buildSampleStack();
    outdirs.push(app.outdir);
    const resources = template().toJSON().Resources as Record<string, TemplateResource>;
    const definition = JSON.parse(readDefinition().text) as AslMachine;
    const agents = stack.node
      .findAll()
      .filter((construct): construct is AgentFunction => construct instanceof AgentFunction)
      .map((agent) => ({
        agent: agent.node.id,
        path: agent.function.node.path,
        id: stack.getLogicalId(agent.function.node.defaultChild as CfnElement),
      }));

    // Act
    const waived = agents.filter(({ path }) =>
      acknowledgements(stack).some(
        (acknowledgement) => acknowledgement.path === path && acknowledgement.id === 'Annotation::Serverless-LambdaDLQ',
      ),
    );
    // An event source, an event invoke config or a service allowed to invoke (EventBridge, SNS, S3, …) all mean
    // asynchronous invocation; a function URL is synchronous and needs no such permission with AWS_IAM auth.
    const invokedAsynchronously = agents
      .filter(({ id }) =>
        Object.values(resources).some(
          (resource) =>
            (resource.Type === 'AWS::Lambda::Permission'
              ? String(resource.Properties?.Principal).endsWith('.amazonaws.com')
              : ['AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::EventSourceMapping'].includes(resource.Type)) &&
            JSON.stringify(resource.Properties).includes(`"${id}"`),
        ),
      )
      .map(({ agent }) => agent);
    // Task states that invoke with InvocationType Event, and the function each one names (through the substitutions).
    const substitutions = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
    )?.Properties?.DefinitionSubstitutions as Record<string, unknown>;
    const eventInvocations = statesOf(definition)
      .filter(({ state }) => state.Parameters?.InvocationType === 'Event')
      .map(({ id, state }) => {
        const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Parameters?.FunctionName))?.[1] ?? '';
        const target = JSON.stringify(substitutions[placeholder]);
        return {
          state: id,
          agent: agents.find((agent) => target === JSON.stringify({ 'Fn::GetAtt': [agent.id, 'Arn'] }))?.agent,
        };
      });
    const keepsFailures = (agent: string) => {
      const id = agents.find((candidate) => candidate.agent === agent)?.id ?? '';
      const onFailure = Object.values(resources).some(
        (resource) =>
          resource.Type === 'AWS::Lambda::EventInvokeConfig' &&
          JSON.stringify(resource.Properties?.FunctionName) === JSON.stringify({ Ref: id }) &&
          resource.Properties?.DestinationConfig?.OnFailure?.Destination !== undefined,
      );
      return onFailure && resources[id]?.Properties?.DeadLetterConfig?.TargetArn !== undefined;
    };

    // Assess
    expect(waived.map(({ agent }) => agent).sort()).toEqual([...SYNCHRONOUS_AGENTS].sort());
    expect(invokedAsynchronously.sort()).toEqual([...ASYNCHRONOUS_AGENTS].sort());
    expect(eventInvocations.map(({ state }) => state).sort()).toEqual(['StartBakeProbes', 'StartWatchProbes']);
    const asynchronous = [
      ...invokedAsynchronously,
      ...eventInvocations.map(({ agent }) => agent ?? 'an unknown function'),
    ];
    // Every function invoked asynchronously keeps what fails after Lambda's retries: an on-failure destination and a
    // dead-letter queue, and no waiver.
    expect(
      [...new Set(asynchronous)].filter((agent) => !keepsFailures(agent) || waived.some((w) => w.agent === agent)),
    ).toEqual([]);
  });

  it("follow the Aurora variant's cluster names, each mutating pattern anchored on the cluster", () => {
    // Prepare
    const { app } = buildSampleStack(auroraOverrides(), { nag: true });
    outdirs.push(app.outdir);

    // Act
    const coordinator = acknowledgements(app)
      .filter(({ path }) => path === 'DeploymentCrew/Crew/RollbackCoordinator/Role')
      .map(({ id }) => id);

    // Assess
    expect(coordinator.sort()).toEqual(
      [
        iam5('*'),
        iam5('arn:aws:kms:eu-west-1:123456789012:key/*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:cluster:shop-aurora-pre-rb-*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:cluster:shop-aurora-rb-new-*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:deploymentcrew-d726d2-deploymentcr-*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:db-proxy:*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:target-group:*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:cluster-endpoint:*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:db:shop-aurora-rb-new-*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:db:*'),
      ].sort(),
    );
  });
});
