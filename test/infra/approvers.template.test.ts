import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvalResponseWorstCaseMs } from '../../lambdas/shared/config/approval-response';
import { PROBE_LEDGER_PK_PREFIX } from '../../lambdas/shared/state-table';
import { assertApprovalTimeoutCoversSdkCalls } from '../../lib/agents/approval-response';
import { buildSampleStack, sampleContext } from '../support/sample-stack';

/**
 * The approvers in the template: each may call the two function URLs and nothing else (no direct invocation), the
 * functions know who they are, the approval function's timeout covers its AWS calls, every role touches only its own
 * items of the state table, and wrong approver ARNs stop the synth.
 */

const ACCOUNT = '123456789012';
const LISTENER_ARN = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

let template: Template;
let resources: Record<string, Resource>;
const approvers = sampleContext().approvers as string[];

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  template = buildSampleStack().template();
  resources = template.toJSON().Resources as Record<string, Resource>;
});

afterAll(() => {
  vi.unstubAllEnvs();
});

function functionId(agent: string): string {
  const [id] = Object.entries(resources).find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' && String(resource.Properties.Description ?? '').includes(agent),
  ) ?? [''];
  return id;
}

/** The logical ID of an agent's role (`<Agent>Role…`, under the crew's `Crew` scope). */
function roleIdOf(agent: string): string {
  const ids = Object.entries(resources)
    .filter(([id, resource]) => resource.Type === 'AWS::IAM::Role' && id.startsWith(`Crew${agent}Role`))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one role for ${agent}, found ${ids.join(', ') || 'none'}`);
  return ids[0] ?? '';
}

function permissionsOn(id: string): Record<string, unknown>[] {
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Permission')
    .map((resource) => resource.Properties)
    .filter((properties) => JSON.stringify(properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
}

const FUNCTIONS = [
  ['approval response', 'the Chairman answers an approval'],
  ['alarm listener and override', 'alarm listener and Chairman override'],
] as const;

describe('approvers: the function URLs and nothing else', () => {
  it.each(FUNCTIONS)(
    'grants each approver the %s URL: InvokeFunctionUrl, and InvokeFunction only through it',
    (_, agent) => {
      // Act
      const permissions = permissionsOn(functionId(agent)).filter((p) => p.Principal !== 'events.amazonaws.com');

      // Assess
      expect(permissions).toHaveLength(approvers.length * 2);
      for (const approver of approvers) {
        const own = permissions.filter((permission) => permission.Principal === approver);
        expect(own.map(({ FunctionName: _name, ...rest }) => rest)).toEqual(
          expect.arrayContaining([
            { Action: 'lambda:InvokeFunctionUrl', Principal: approver, FunctionUrlAuthType: 'AWS_IAM' },
            { Action: 'lambda:InvokeFunction', Principal: approver, InvokedViaFunctionUrl: true },
          ]),
        );
        expect(own).toHaveLength(2);
      }
    },
  );

  it('lets nothing but the alarm rule invoke either function without going through its URL', () => {
    // Act
    const direct = FUNCTIONS.flatMap(([, agent]) => permissionsOn(functionId(agent))).filter(
      (permission) => permission.Action === 'lambda:InvokeFunction' && permission.InvokedViaFunctionUrl !== true,
    );

    // Assess
    expect(direct.map((permission) => permission.Principal)).toEqual(['events.amazonaws.com']);
  });

  it.each(FUNCTIONS)('tells the %s function who the approvers are and which account they must be in', (_, agent) => {
    // Act
    const environment = resources[functionId(agent)]?.Properties.Environment as
      | { Variables: Record<string, string> }
      | undefined;
    const variables = environment?.Variables ?? {};

    // Assess
    expect(JSON.parse(variables.APPROVERS ?? '[]')).toEqual(approvers);
    expect(variables.ACCOUNT_ID).toBe(ACCOUNT);
  });
});

describe('approval function: bounded in time', () => {
  it('has a timeout above the worst case of its AWS calls, and refuses one below it', () => {
    // Act
    const timeout = resources[functionId('the Chairman answers an approval')]?.Properties.Timeout as number;

    // Assess
    expect(timeout * 1000).toBeGreaterThan(approvalResponseWorstCaseMs());
    expect(() => assertApprovalTimeoutCoversSdkCalls(Duration.seconds(20))).toThrow(/shorter than the worst case/);
  });
});

describe('state table: each role its own items', () => {
  it('narrows every DynamoDB statement to partition keys: the lock exactly, the deployments’ items, or the probe ledgers', () => {
    // Act
    const policies = Object.values(resources).filter((resource) => resource.Type === 'AWS::IAM::Policy');
    const statementsOf = (policy: Resource) =>
      (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.filter((statement) =>
        [statement.Action].flat().some((action) => String(action).startsWith('dynamodb:')),
      );
    const statements = policies.flatMap(statementsOf);
    const probeLedgerCondition = JSON.stringify({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${PROBE_LEDGER_PK_PREFIX}*`] },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
    const probeLedger = policies.flatMap((policy) =>
      statementsOf(policy)
        .filter((statement) => JSON.stringify(statement.Condition) === probeLedgerCondition)
        .map((statement) => ({ roles: policy.Properties.Roles, actions: statement.Action })),
    );

    // Assess
    expect(statements.length).toBeGreaterThanOrEqual(7);
    const conditions = new Set(statements.map((statement) => JSON.stringify(statement.Condition)));
    expect(conditions).toEqual(
      new Set([
        JSON.stringify({
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`LOCK#${LISTENER_ARN}`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        }),
        JSON.stringify({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEPLOYMENT#*'] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        }),
        probeLedgerCondition,
      ]),
    );
    // The probe ledgers are the verifier's own: read and updated by its role alone, never deleted or scanned.
    expect(probeLedger).toEqual([
      { roles: [{ Ref: roleIdOf('PostDeploymentVerifier') }], actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    ]);
  });
});

describe('approvers: refused at synth', () => {
  function synthError(approverList: unknown): string {
    try {
      buildSampleStack({ approvers: approverList });
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    throw new Error('the stack was built with approvers that should have been refused');
  }

  it.each([
    ['a session ARN', [`arn:aws:sts::${ACCOUNT}:assumed-role/Chairman/jane`], 'is not an IAM role or user ARN'],
    ['an e-mail address', ['chairman@shop.example.com'], 'is not an IAM role or user ARN'],
    ['the account root', [`arn:aws:iam::${ACCOUNT}:root`], 'is not an IAM role or user ARN'],
    ['another account', ['arn:aws:iam::210987654321:role/Chairman'], "is not in the stack's account 123456789012"],
    ['the same ARN twice', [`arn:aws:iam::${ACCOUNT}:role/A`, `arn:aws:iam::${ACCOUNT}:role/A`], 'listed twice'],
    ['no approver at all', [], 'approvers'],
  ])('refuses %s', (_, approverList, message) => {
    // Act
    const error = synthError(approverList);

    // Assess
    expect(error).toContain(message);
  });

  it('accepts roles with a path and users', () => {
    // Act
    const build = () =>
      buildSampleStack({
        approvers: [`arn:aws:iam::${ACCOUNT}:role/ops/release/Chairman`, `arn:aws:iam::${ACCOUNT}:user/deputy`],
      });

    // Assess
    expect(build).not.toThrow();
  });
});
