import { rmSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RollbackTriggerAgent } from '../../lib/agents/rollback-trigger';
import { ChairmanNotifications } from '../../lib/chairman-notifications';
import { resolveConfig } from '../../lib/config/resolve-config';
import { parseContextConfig } from '../../lib/context-config';
import { CrewStateTable } from '../../lib/crew-state-table';
import { CutoverAlarms } from '../../lib/cutover-alarms';
import { nagFindings } from '../support/nag';
import { sampleContext } from '../support/sample-stack';

/**
 * allowProbeReports: the prober's role may invoke the alarm listener directly (a probe failure report), and nothing
 * else; the grant is on the prober's role, not a resource policy anyone could be added to.
 */

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

const outdirs: string[] = [];

function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (!child) throw new Error(`${construct.node.path} has no default child`);
  return Stack.of(construct).getLogicalId(child as CfnElement);
}

/** The alarm listener in a stack of its own, with the prober's role; `grant` says whether allowProbeReports ran. */
function build(grant: boolean) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  outdirs.push(app.outdir);
  const appConfig = parseContextConfig(sampleContext());
  const config = resolveConfig(appConfig.crew);
  const scope = new Stack(app, 'ProbeReports', { env: appConfig.env });
  const agent = new RollbackTriggerAgent(scope, 'RollbackTrigger', {
    config,
    table: new CrewStateTable(scope, 'State').table,
    alarms: new CutoverAlarms(scope, 'Alarms', {
      alarmNamePrefix: 'ProbeReports',
      listenerArn: config.listenerArn,
      targetGroupArns: config.targetGroupArns,
      database: config.database,
      databaseMaxConnections: config.databaseMaxConnections,
      thresholds: config.thresholds,
    }),
    notifications: new ChairmanNotifications(scope, 'Chairman', { emails: ['chairman@shop.example.com'] }),
  });
  const prober = new iam.Role(scope, 'ProberRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  if (grant) agent.allowProbeReports(prober);
  return { agent, prober, scope, template: Template.fromStack(scope) };
}

/** Statements of the IAM policies attached to a role, by the role's logical ID. */
function statementsOfRole(template: Template, roleId: string): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ?? [],
    );
}

/** Lambda resource-policy permissions (AWS::Lambda::Permission), as their properties. */
function permissions(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::Lambda::Permission') as Record<string, Resource>).map(
    (permission) => permission.Properties ?? {},
  );
}

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('alarm listener: probe reports (allowProbeReports)', () => {
  it("grants the prober's role lambda:InvokeFunction on the alarm listener only", () => {
    // Prepare
    const { agent, prober, template } = build(true);
    const functionArn = { 'Fn::GetAtt': [logicalId(agent.function), 'Arn'] };

    // Act
    const statements = statementsOfRole(template, logicalId(prober));

    // Assess: the unqualified function ARN, no `:*` (versions and aliases), nothing else
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArn }]);
  });

  it('adds no resource-policy permission: the function URL stays the only way in for anyone else', () => {
    // Prepare
    const without = permissions(build(false).template);

    // Act
    const withGrant = permissions(build(true).template);

    // Assess
    expect(withGrant).toEqual(without);
  });

  it("leaves no cdk-nag finding on the prober's role (no wildcard to acknowledge)", () => {
    // Prepare
    const { prober, scope } = build(true);

    // Act
    const findings = nagFindings(scope);

    // Assess
    expect(findings.filter((finding) => finding.includes(`${prober.node.path}/`))).toEqual([]);
  });
});
