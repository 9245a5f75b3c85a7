import { rmSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { RollbackCoordinatorAgent } from '../../lib/agents/rollback-coordinator';
import { resolveConfig } from '../../lib/config/resolve-config';
import { parseContextConfig } from '../../lib/context-config';
import { CrewStateTable } from '../../lib/crew-state-table';
import { auroraOverrides, sampleContext } from '../support/sample-stack';

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-0000-4000-8000-1234567890ab';
const MONITORING_ROLE = 'arn:aws:iam::123456789012:role/rds-monitoring';
const outdirs: string[] = [];

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

interface StatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The sample configuration's coordinator in a stack of its own, with the crew's table. */
function coordinatorStack(overrides: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  outdirs.push(app.outdir);
  const { env, crew } = parseContextConfig({ ...sampleContext(), ...overrides });
  const stack = new Stack(app, 'CoordinatorTest', { env });
  const table = new CrewStateTable(stack, 'State').table;
  const coordinator = new RollbackCoordinatorAgent(stack, 'RollbackCoordinator', {
    config: resolveConfig(crew),
    table,
  });
  return { stack, coordinator, template: Template.fromStack(stack) };
}

/** A value CloudFormation joins (`Fn::Join` of literals and Refs) as text, each Ref as `Ref(<id>)`. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map(joined).join(join[0]);
  return `Ref(${String((value as { Ref?: unknown }).Ref)})`;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** action → the resources the role's policies grant it on (resolved to JSON text when not a literal), sorted. */
function grantsOf({ stack, coordinator, template }: ReturnType<typeof coordinatorStack>): Record<string, string[]> {
  const roleId = stack.getLogicalId(coordinator.role.node.defaultChild as never);
  const grants: Record<string, Set<string>> = {};
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles = asList(policy.Properties.Roles as unknown[]).map((role) => JSON.stringify(role));
    if (!roles.includes(JSON.stringify({ Ref: roleId }))) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as StatementJson[]) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) {
        grants[action] ??= new Set();
        for (const resource of asList(statement.Resource)) {
          grants[action].add(typeof resource === 'string' ? resource : JSON.stringify(resource));
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([action, resources]) => [action, [...resources].sort()]));
}

describe('RollbackCoordinator: the rollback permissions it exposes', () => {
  it.each([
    ['an RDS instance', {}],
    ['an Aurora cluster', auroraOverrides()],
    [
      'a customer-managed key and a monitoring role',
      {
        databaseRestore: {
          ...(sampleContext().databaseRestore as Record<string, unknown>),
          kmsKeyArn: KMS_KEY,
          monitoringRoleArn: MONITORING_ROLE,
        },
      },
    ],
  ])('grants every listed action on exactly its listed resources (%s)', (_variant, overrides) => {
    // Prepare
    const built = coordinatorStack(overrides);
    const { rollbackActions, rollbackResources } = built.coordinator;

    // Act
    const grants = grantsOf(built);

    // Assess
    expect(Object.keys(rollbackResources).sort()).toEqual([...rollbackActions].sort());
    for (const action of rollbackActions) {
      expect(grants[action], action).toEqual([...(rollbackResources[action] ?? [])].sort());
    }
  });

  it('lists the traffic and the database rollback, and leaves out the lock, the events and the logs', () => {
    // Prepare
    const built = coordinatorStack();

    // Act
    const { rollbackActions, rollbackResources } = built.coordinator;
    const granted = Object.keys(grantsOf(built));

    // Assess
    expect(rollbackActions).toEqual(
      expect.arrayContaining([
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeTargetHealth',
        'cloudwatch:GetMetricData',
        'ec2:DescribeSecurityGroups',
        'rds:DescribeDBInstances',
        'rds:ModifyDBInstance',
        'rds:RestoreDBInstanceFromDBSnapshot',
        'rds:AddTagsToResource',
        'rds:DeleteDBInstance',
        'kms:DescribeKey',
      ]),
    );
    expect(rollbackResources['elasticloadbalancing:ModifyListener']).toEqual([
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
    ]);
    expect(granted.filter((action) => !rollbackActions.includes(action)).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'events:PutEvents',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('may put events on the configured bus only', () => {
    // Prepare
    const built = coordinatorStack({ eventBusName: 'shop-deployments' });

    // Act
    const grants = grantsOf(built);

    // Assess
    expect(grants['events:PutEvents']).toEqual(['arn:aws:events:eu-west-1:123456789012:event-bus/shop-deployments']);
  });

  it('tells the function the bus, the default one unless configured', () => {
    // Prepare
    const built = coordinatorStack();
    const variables = Object.values(built.template.findResources('AWS::Lambda::Function'))[0]?.Properties.Environment
      .Variables as Record<string, unknown>;

    // Act: the table's name is a Ref inside the JSON, joined in by CloudFormation
    const config = JSON.parse(joined(variables.COORDINATOR_CONFIG)) as { eventBusName?: string };

    // Assess
    expect(config.eventBusName).toBe('default');
  });
});
