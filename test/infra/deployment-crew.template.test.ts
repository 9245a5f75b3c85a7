import { rmSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { type DeploymentStateMachine, readDefinition } from '../../lib/deployment-state-machine';
import { buildSampleStack, sampleContext } from '../support/sample-stack';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;
/** ARNs are compared with the partition abstracted: `arn:aws:` literals and `${AWS::Partition}` joins alike. */
const PARTITION = '<partition>';

const LOG_WRITE = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** What `logs.destination` + `tracingEnabled` grant the state machine: none of these supports resource-level scoping. */
const STATE_MACHINE_LOG_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
const STATE_MACHINE_XRAY = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
];
/** The only mutating actions any identity policy may hold on "*". */
const MUTATING_ON_ANY_RESOURCE = [
  'logs:CreateLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:PutResourcePolicy',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

interface StatementJson {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly NotAction?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

interface PolicyDocumentJson {
  readonly Statement: readonly StatementJson[];
}

/** An identity policy statement, flattened: one list of actions, one list of rendered resources. */
interface FlatStatement {
  /** Logical ID of the policy resource (or `<role>.Policies` for inline policies). */
  readonly policy: string;
  /** Logical IDs of the roles the policy is attached to. */
  readonly roles: readonly string[];
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditional: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function renderRaw(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    if (value.Ref === 'AWS::Partition') return PARTITION;
    if (typeof value.Ref === 'string') return `Ref(${value.Ref})`;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `GetAtt(${getAtt.map(String).join('.')})`;
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(renderRaw).join(join[0]);
    }
  }
  return `?${JSON.stringify(value)}`;
}

/** A CloudFormation value as a comparable string: `Ref(X)`, `GetAtt(X.Arn)`, `arn:<partition>:…`. */
function render(value: unknown): string {
  return renderRaw(value).replace(/^arn:aws:/, `arn:${PARTITION}:`);
}

function ref(logicalId: string): string {
  return `Ref(${logicalId})`;
}

function arnOf(logicalId: string): string {
  return `GetAtt(${logicalId}.Arn)`;
}

function arn(rest: string): string {
  return `arn:${PARTITION}:${rest}`;
}

function roleIdsOf(value: unknown): string[] {
  return asList(value).map((role) => {
    if (isRecord(role) && typeof role.Ref === 'string') return role.Ref;
    throw new Error(`policy attached to a role that is not a Ref: ${JSON.stringify(role)}`);
  });
}

function flatten(policy: string, roles: readonly string[], document: PolicyDocumentJson): FlatStatement[] {
  return document.Statement.map((statement) => ({
    policy,
    roles,
    effect: String(statement.Effect),
    actions: asList(statement.Action ?? statement.NotAction).map(String),
    resources: asList(statement.Resource ?? statement.NotResource).map(render),
    conditional:
      statement.Condition !== undefined || statement.NotAction !== undefined || statement.NotResource !== undefined,
  }));
}

/** Every statement of every identity policy: AWS::IAM::Policy resources and the roles' inline policies. */
function identityStatements(template: Template): FlatStatement[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<string, CfnResourceJson>;
  const roles = template.findResources('AWS::IAM::Role') as Record<string, CfnResourceJson>;
  return [
    ...Object.entries(policies).flatMap(([id, resource]) =>
      flatten(id, roleIdsOf(resource.Properties?.Roles), resource.Properties?.PolicyDocument as PolicyDocumentJson),
    ),
    ...Object.entries(roles).flatMap(([id, resource]) =>
      asList(resource.Properties?.Policies).flatMap((inline) =>
        isRecord(inline) ? flatten(`${id}.Policies`, [id], inline.PolicyDocument as PolicyDocumentJson) : [],
      ),
    ),
  ];
}

/**
 * What a role may do: action → sorted resources, merged over all its policies, however CDK split or merged the
 * statements (`@aws-cdk/aws-iam:minimizePolicies` on or off). Only unconditional Allow statements are expected.
 */
function grantsOf(template: Template, roleId: string): Record<string, string[]> {
  const statements = identityStatements(template).filter((statement) => statement.roles.includes(roleId));
  const odd = statements.filter((statement) => statement.effect !== 'Allow' || statement.conditional);
  if (odd.length > 0) throw new Error(`unexpected statements on ${roleId}: ${JSON.stringify(odd)}`);
  const grants: Record<string, Set<string>> = {};
  for (const statement of statements) {
    for (const action of statement.actions) {
      grants[action] ??= new Set();
      for (const resource of statement.resources) grants[action].add(resource);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([action, resources]) => [action, [...resources].sort()]));
}

/** `{ action: [resources] }` for several actions sharing the same resources, resources sorted. */
function grant(actions: readonly string[], resources: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(actions.map((action) => [action, [...resources].sort()]));
}

function isReadOnly(action: string): boolean {
  return /^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*$/.test(action);
}

function resourceOf(template: Template, type: string, logicalId: string): CfnResourceJson {
  const resource = (template.findResources(type) as Record<string, CfnResourceJson>)[logicalId];
  if (!resource) throw new Error(`no ${type} ${logicalId} in the template`);
  return resource;
}

function environmentOf(template: Template, functionId: string): Record<string, unknown> {
  const variables = (
    resourceOf(template, 'AWS::Lambda::Function', functionId).Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined
  )?.Variables;
  if (!variables) throw new Error(`function ${functionId} has no environment`);
  return variables;
}

function jsonVariable(template: Template, functionId: string, name: string): unknown {
  const value = environmentOf(template, functionId)[name];
  if (typeof value !== 'string') throw new Error(`${name} of ${functionId} is not a plain string: ${String(value)}`);
  return JSON.parse(value);
}

/** Logical IDs of the stack's resources, looked up through the constructs rather than hard-coded hashes. */
function logicalIds(stack: DeploymentCrewStack) {
  const idOf = (construct: IConstruct): string => {
    const child = construct.node.defaultChild;
    if (!child) throw new Error(`${construct.node.path} has no default child`);
    return stack.getLogicalId(child as CfnElement);
  };
  const crew = stack.crew;
  const workflow = crew.node.findChild('Workflow') as DeploymentStateMachine;
  const agent = (agentFunction: typeof crew.intake) => ({
    function: idOf(agentFunction.function),
    role: idOf(agentFunction.role),
    logGroup: idOf(agentFunction.logGroup),
  });
  return {
    intake: agent(crew.intake),
    approvalRequest: agent(crew.approvalRequest),
    approvalResponse: agent(crew.approvalResponse),
    validator: agent(crew.preDeploymentValidator),
    stateMachine: idOf(crew.stateMachine),
    stateMachineRole: idOf(crew.stateMachine.role),
    stateMachineLogGroup: idOf(workflow.logGroup),
    table: idOf(crew.stateTable.table),
    topic: idOf(crew.notifications.topic),
    key: idOf(crew.notifications.key),
    approvalUrl: idOf(crew.approvalUrl),
  };
}

const outdirs: string[] = [];

function synthesize(overrides: Record<string, unknown> = {}) {
  const { app, stack, template } = buildSampleStack(overrides);
  outdirs.push(app.outdir);
  return { template: template(), ids: logicalIds(stack) };
}

let sample: ReturnType<typeof synthesize>;
let aurora: ReturnType<typeof synthesize>;

beforeAll(() => {
  // The template is the same with or without the built-in CloudFormation validation, which costs seconds per
  // process; `cdk synth` runs it.
  vi.stubEnv('CDK_VALIDATION', 'false');
  sample = synthesize();
  aurora = synthesize({ database: { clusterIdentifier: 'shop-aurora' } });
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('state machine', () => {
  it('is a Standard state machine logging ALL without execution data, traced with X-Ray', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const machine = resourceOf(template, 'AWS::StepFunctions::StateMachine', ids.stateMachine);

    // Assess
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [ids.stateMachineLogGroup, 'Arn'] } } },
        ],
      },
      TracingConfiguration: { Enabled: true },
      RoleArn: { 'Fn::GetAtt': [ids.stateMachineRole, 'Arn'] },
    });
    expect(resourceOf(template, 'AWS::Logs::LogGroup', ids.stateMachineLogGroup).Properties).toEqual({
      RetentionInDays: 365,
    });
  });

  it('carries the ASL file inline, placeholders kept for DefinitionSubstitutions', () => {
    // Prepare
    const { template } = sample;
    const definition = new Capture();

    // Act
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { DefinitionString: definition });

    // Assess
    expect(definition.asString()).toBe(readDefinition().text);
    expect(definition.asString()).toContain(`"Resource": "\${DeploymentIntakeFunctionArn}"`);
  });

  it('substitutes exactly the placeholders the ASL file uses', () => {
    // Prepare
    const { template, ids } = sample;
    const placeholders = [...readDefinition().text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]);

    // Act
    const substitutions = resourceOf(template, 'AWS::StepFunctions::StateMachine', ids.stateMachine).Properties
      ?.DefinitionSubstitutions as Record<string, unknown>;

    // Assess
    expect(Object.keys(substitutions).sort()).toEqual([...new Set(placeholders)].sort());
  });

  it('maps each placeholder to the right resource', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const substitutions = resourceOf(template, 'AWS::StepFunctions::StateMachine', ids.stateMachine).Properties
      ?.DefinitionSubstitutions;

    // Assess
    expect(substitutions).toEqual({
      DeploymentIntakeFunctionArn: { 'Fn::GetAtt': [ids.intake.function, 'Arn'] },
      ApprovalRequestFunctionArn: { 'Fn::GetAtt': [ids.approvalRequest.function, 'Arn'] },
      PreDeploymentValidatorFunctionArn: { 'Fn::GetAtt': [ids.validator.function, 'Arn'] },
      CrewTableName: { Ref: ids.table },
      LockKey: `LOCK#${LISTENER_ARN}`,
      ChairmanTopicArn: { Ref: ids.topic },
      EventBusName: 'default',
    });
  });
});

describe('agent functions', () => {
  const agents = ['intake', 'approvalRequest', 'approvalResponse', 'validator'] as const;
  const serviceNames = {
    intake: 'deployment-crew-deployment-intake',
    approvalRequest: 'deployment-crew-approval-request',
    approvalResponse: 'deployment-crew-approval-response',
    validator: 'deployment-crew-pre-deployment-validator',
  } as const;

  it('has exactly the four agent functions', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const functionIds = Object.keys(template.findResources('AWS::Lambda::Function')).sort();

    // Assess
    expect(functionIds).toEqual(agents.map((agent) => ids[agent].function).sort());
  });

  it.each(agents)('runs %s on Node.js 24 on arm64, with its service name, logging JSON to its own group', (agent) => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const properties = resourceOf(template, 'AWS::Lambda::Function', ids[agent].function).Properties;

    // Assess
    expect(properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Role: { 'Fn::GetAtt': [ids[agent].role, 'Arn'] },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: ids[agent].logGroup } },
    });
    expect(environmentOf(template, ids[agent].function).POWERTOOLS_SERVICE_NAME).toBe(serviceNames[agent]);
    expect(resourceOf(template, 'AWS::Logs::LogGroup', ids[agent].logGroup)).toMatchObject({
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  it('gives every function a role of its own, assumable by Lambda only', () => {
    // Prepare
    const { template } = sample;
    const functions = template.findResources('AWS::Lambda::Function') as Record<string, CfnResourceJson>;

    // Act
    const roleArns = Object.values(functions).map((fn) => render(fn.Properties?.Role));

    // Assess
    expect(roleArns).toHaveLength(4);
    expect(new Set(roleArns).size).toBe(roleArns.length);
    for (const roleArn of roleArns) {
      const roleId = roleArn.replace(/^GetAtt\((.+)\.Arn\)$/, '$1');
      expect(resourceOf(template, 'AWS::IAM::Role', roleId).Properties).toMatchObject({
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        },
      });
      expect(resourceOf(template, 'AWS::IAM::Role', roleId).Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("hands the PreDeploymentValidator the sample's endpoints, dependencies and database", () => {
    // Prepare
    const { template, ids } = sample;
    const context = sampleContext();

    // Act
    const healthChecks = jsonVariable(template, ids.validator.function, 'HEALTH_CHECKS');
    const database = jsonVariable(template, ids.validator.function, 'DATABASE');

    // Assess
    expect(healthChecks).toEqual({
      endpoints: context.healthEndpoints,
      dependencies: context.externalDependencies,
      retries: 2,
    });
    expect(database).toEqual({ kind: 'instance', identifier: 'shop-prod-db' });
  });

  it('configures the intake: lock TTL beyond the execution limit, approval default, bounded snapshot polls', () => {
    // Prepare
    const { template, ids } = sample;
    const executionTimeoutSeconds = readDefinition().timeoutSeconds;

    // Act
    const config = jsonVariable(template, ids.intake.function, 'INTAKE_CONFIG') as Record<string, number>;

    // Assess
    expect(config.lockTtlSeconds).toBeGreaterThan(executionTimeoutSeconds);
    expect(config).toEqual({
      defaultApprovalTimeoutSeconds: 86400,
      snapshotPollSeconds: 30,
      // 7200 s of snapshot timeout at one describe every 30 s.
      snapshotMaxPolls: 240,
      lockTtlSeconds: config.lockTtlSeconds,
    });
  });

  it('tells the approval request where the table, topic, approval URL and targets are', () => {
    // Prepare
    const { template, ids } = sample;
    const context = sampleContext();

    // Act
    const environment = environmentOf(template, ids.approvalRequest.function);

    // Assess
    expect(environment).toMatchObject({
      TABLE_NAME: { Ref: ids.table },
      TOPIC_ARN: { Ref: ids.topic },
      APPROVAL_URL: { 'Fn::GetAtt': [ids.approvalUrl, 'FunctionUrl'] },
      APPROVAL_FUNCTION_NAME: { Ref: ids.approvalResponse.function },
    });
    expect(jsonVariable(template, ids.approvalRequest.function, 'TARGETS')).toEqual({
      listenerArn: LISTENER_ARN,
      targetGroupArns: context.targetGroupArns,
      database: { kind: 'instance', identifier: 'shop-prod-db' },
    });
  });
});

describe('roles and scoped statements', () => {
  it('allows mutating actions on "*" only for the state machine\'s log delivery and X-Ray', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const onAnyResource = identityStatements(template)
      .filter((statement) => statement.resources.includes('*'))
      .flatMap((statement) =>
        statement.actions.filter((action) => !isReadOnly(action)).map((action) => ({ action, roles: statement.roles })),
      );

    // Assess
    expect(onAnyResource.map(({ action }) => action).sort()).toEqual([...MUTATING_ON_ANY_RESOURCE].sort());
    expect(new Set(onAnyResource.flatMap(({ roles }) => roles))).toEqual(new Set([ids.stateMachineRole]));
  });

  it('lets the PreDeploymentValidator snapshot and tag only its database and the deploymentcrew- snapshots', () => {
    // Prepare
    const { template, ids } = sample;
    const database = arn(`rds:${REGION}:${ACCOUNT}:db:shop-prod-db`);
    const snapshots = arn(`rds:${REGION}:${ACCOUNT}:snapshot:deploymentcrew-*`);

    // Act
    const grants = grantsOf(template, ids.validator.role);

    // Assess
    expect(grants['rds:CreateDBSnapshot']).toEqual([database, snapshots].sort());
    expect(grants['rds:AddTagsToResource']).toEqual([snapshots]);
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.validator.logGroup)]),
      ...grant(['rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots'], [database, snapshots]),
      ...grant(['rds:AddTagsToResource'], [snapshots]),
      ...grant(['rds:DescribeDBInstances'], [database]),
    });
  });

  it('lets the approval response answer only this state machine and touch only the state table', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const grants = grantsOf(template, ids.approvalResponse.role);

    // Assess
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.approvalResponse.logGroup)]),
      ...grant(['states:SendTaskSuccess', 'states:SendTaskFailure'], [ref(ids.stateMachine)]),
      ...grant(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], [arnOf(ids.table)]),
    });
  });

  it('lets the approval request write approvals and publish to the encrypted topic only', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const grants = grantsOf(template, ids.approvalRequest.role);

    // Assess
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.approvalRequest.logGroup)]),
      ...grant(['dynamodb:PutItem'], [arnOf(ids.table)]),
      ...grant(['sns:Publish'], [ref(ids.topic)]),
      ...grant(['kms:GenerateDataKey', 'kms:Decrypt'], [arnOf(ids.key)]),
    });
  });

  it('lets the intake write its logs and nothing else', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const grants = grantsOf(template, ids.intake.role);

    // Assess
    expect(grants).toEqual(grant(LOG_WRITE, [arnOf(ids.intake.logGroup)]));
  });

  it('lets the state machine invoke the three functions it calls, unqualified, and reach only its own resources', () => {
    // Prepare
    const { template, ids } = sample;
    const invoked = [ids.intake.function, ids.approvalRequest.function, ids.validator.function].map(arnOf);

    // Act
    const grants = grantsOf(template, ids.stateMachineRole);

    // Assess
    expect(grants['lambda:InvokeFunction']).toEqual([...invoked].sort());
    expect(grants['lambda:InvokeFunction']?.some((resource) => resource.endsWith(':*'))).toBe(false);
    expect(grants).toEqual({
      ...grant(STATE_MACHINE_LOG_DELIVERY, ['*']),
      ...grant(STATE_MACHINE_XRAY, ['*']),
      ...grant(['lambda:InvokeFunction'], invoked),
      ...grant(['dynamodb:PutItem', 'dynamodb:DeleteItem'], [arnOf(ids.table)]),
      ...grant(['sns:Publish'], [ref(ids.topic)]),
      ...grant(['kms:GenerateDataKey', 'kms:Decrypt'], [arnOf(ids.key)]),
      ...grant(['events:PutEvents'], [arn(`events:${REGION}:${ACCOUNT}:event-bus/default`)]),
    });
  });

  it('lets Step Functions assume the state machine role only from state machines of this account', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const role = resourceOf(template, 'AWS::IAM::Role', ids.stateMachineRole);

    // Assess
    expect(role.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ],
    });
  });
});

describe('Chairman notifications', () => {
  it('encrypts the topic with its own rotated key', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const topic = resourceOf(template, 'AWS::SNS::Topic', ids.topic);
    const key = resourceOf(template, 'AWS::KMS::Key', ids.key);

    // Assess
    expect(topic.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('refuses publishing without TLS', () => {
    // Prepare
    const { template, ids } = sample;

    // Act / Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Resource: { Ref: ids.topic },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('subscribes the Chairman by e-mail', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const subscriptions = Object.values(
      template.findResources('AWS::SNS::Subscription') as Record<string, CfnResourceJson>,
    );

    // Assess
    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'chairman@shop.example.com', TopicArn: { Ref: ids.topic } },
    ]);
  });
});

describe('state table', () => {
  it('keys by pk/sk, expires items on expiresAt, keeps point-in-time recovery and deletion protection', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const table = resourceOf(template, 'AWS::DynamoDB::GlobalTable', ids.table);

    // Assess
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        {
          Region: REGION,
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        },
      ],
    });
  });
});

describe('approval URL', () => {
  it('exposes the approval response through a function URL with IAM auth only', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const url = resourceOf(template, 'AWS::Lambda::Url', ids.approvalUrl);

    // Assess
    template.resourceCountIs('AWS::Lambda::Url', 1);
    expect(url.Properties).toEqual({
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [ids.approvalResponse.function, 'Arn'] },
    });
    // No resource policy opens any function to a public or cross-account caller.
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });
});

describe('outputs', () => {
  it('gives the operator the state machine, topic, approval URL and function, and the table', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.Value]))).toEqual({
      StateMachineArn: { Ref: ids.stateMachine },
      ChairmanTopicArn: { Ref: ids.topic },
      ApprovalUrl: { 'Fn::GetAtt': [ids.approvalUrl, 'FunctionUrl'] },
      ApprovalFunctionName: { Ref: ids.approvalResponse.function },
      StateTableName: { Ref: ids.table },
    });
  });
});

describe('Aurora variant', () => {
  it('snapshots the cluster into deploymentcrew- cluster snapshots, with no instance actions', () => {
    // Prepare
    const { template, ids } = aurora;
    const cluster = arn(`rds:${REGION}:${ACCOUNT}:cluster:shop-aurora`);
    const snapshots = arn(`rds:${REGION}:${ACCOUNT}:cluster-snapshot:deploymentcrew-*`);

    // Act
    const grants = grantsOf(template, ids.validator.role);

    // Assess
    expect(grants['rds:CreateDBClusterSnapshot']).toEqual([cluster, snapshots].sort());
    expect(grants['rds:AddTagsToResource']).toEqual([snapshots]);
    expect(Object.keys(grants).filter((action) => /DBSnapshot|DBInstance/.test(action))).toEqual([]);
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.validator.logGroup)]),
      ...grant(['rds:CreateDBClusterSnapshot', 'rds:DescribeDBClusterSnapshots'], [cluster, snapshots]),
      ...grant(['rds:AddTagsToResource'], [snapshots]),
      ...grant(['rds:DescribeDBClusters'], [cluster]),
    });
  });

  it('tells the PreDeploymentValidator and the approval request that the database is a cluster', () => {
    // Prepare
    const { template, ids } = aurora;

    // Act
    const database = jsonVariable(template, ids.validator.function, 'DATABASE');
    const targets = jsonVariable(template, ids.approvalRequest.function, 'TARGETS') as { database: unknown };

    // Assess
    expect(database).toEqual({ kind: 'cluster', identifier: 'shop-aurora' });
    expect(targets.database).toEqual({ kind: 'cluster', identifier: 'shop-aurora' });
  });
});
