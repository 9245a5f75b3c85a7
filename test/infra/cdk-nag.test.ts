import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auroraOverrides, buildSampleStack } from '../support/sample-stack';

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

/** Synthesizes with cdk-nag registered as bin/ registers it: a finding nobody acknowledged fails the synth. */
function synthesizeWithNag(overrides: Record<string, unknown> = {}) {
  const { app } = buildSampleStack(overrides, { nag: true });
  outdirs.push(app.outdir);
  const assembly = app.synth();
  return { app, report: readReport(assembly.directory) };
}

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

/** Every acknowledgement recorded with `Validations.of(scope).acknowledge()` in the app's construct tree. */
function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
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

describe('cdk-nag AwsSolutions', () => {
  it('synthesizes the sample stack with no unacknowledged violation', () => {
    // Prepare
    const overrides = {};

    // Act
    const { app, report } = synthesizeWithNag(overrides);

    // Assess
    expect(unacknowledged(report)).toEqual([]);
    expect(report.pluginReports.filter((plugin) => plugin.conclusion !== 'success')).toEqual([]);
    // The pack itself, run on the synthesized tree: it walks every resource and honours the acknowledgements.
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });

  it('synthesizes the Aurora variant with no unacknowledged violation', () => {
    // Prepare
    const overrides = auroraOverrides();

    // Act
    const { app, report } = synthesizeWithNag(overrides);

    // Assess
    expect(unacknowledged(report)).toEqual([]);
    expect(report.pluginReports.filter((plugin) => plugin.conclusion !== 'success')).toEqual([]);
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });

  it('fails the synth and reports a violation nobody acknowledged (the check is live)', () => {
    // Prepare
    const { app, stack } = buildSampleStack({}, { nag: true });
    outdirs.push(app.outdir);
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
});

describe('acknowledgements', () => {
  it('give a reason of at least 40 characters each', () => {
    // Prepare
    const { app } = buildSampleStack({}, { nag: true });
    outdirs.push(app.outdir);

    // Act
    const acknowledged = acknowledgements(app);

    // Assess
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter(({ reason }) => reason.trim().length < MIN_REASON_LENGTH)).toEqual([]);
  });

  it('are only the expected findings, each on the construct it concerns', () => {
    // Prepare
    const { app } = buildSampleStack({}, { nag: true });
    outdirs.push(app.outdir);

    // Act
    const acknowledged = acknowledgements(app).map(({ path, id }) => `${path} ${id}`);

    // Assess
    expect(acknowledged.sort()).toEqual(
      [
        'DeploymentCrew/Crew/Workflow/StateMachine CloudFormation-Validate::E1029',
        'DeploymentCrew/Crew/Workflow/StateMachine/Role Annotation::AwsSolutions-IAM5[Resource::*]',
        `DeploymentCrew/Crew/PreDeploymentValidator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-*')}`,
        `DeploymentCrew/Crew/BlueGreenOrchestrator/Role ${iam5('*')}`,
        `DeploymentCrew/Crew/BlueGreenOrchestrator/Role ${iam5('arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:*')}`,
        `DeploymentCrew/Crew/BlueGreenOrchestrator/Role ${iam5('arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:db:shop-prod-db-pre-rb-*')}`,
        `DeploymentCrew/Crew/RollbackCoordinator/Role ${iam5('arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-*')}`,
        `DeploymentCrew/Crew/RollbackTrigger/Role ${iam5('*')}`,
      ].sort(),
    );
  });

  it("follow the Aurora variant's cluster names, each pattern anchored on the cluster or the restore suffix", () => {
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
        iam5('arn:aws:rds:eu-west-1:123456789012:cluster:shop-aurora-pre-rb-*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:deploymentcrew-*'),
        iam5('arn:aws:rds:eu-west-1:123456789012:db:*-rb'),
        iam5('arn:aws:rds:eu-west-1:123456789012:db:*'),
      ].sort(),
    );
  });
});
