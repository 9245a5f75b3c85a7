import { rmSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { targetsConfigSchema } from '../../lambdas/shared/config/approval-request';
import { orchestratorConfigSchema } from '../../lambdas/shared/config/blue-green-orchestrator';
import { databaseConfigSchema } from '../../lambdas/shared/config/database';
import { intakeConfigSchema } from '../../lambdas/shared/config/deployment-intake';
import {
  POST_DEPLOYMENT_VERIFIER_CONFIG,
  postDeploymentVerifierConfigSchema,
} from '../../lambdas/shared/config/post-deployment-verifier';
import { healthChecksConfigSchema } from '../../lambdas/shared/config/pre-deployment-validator';
import { coordinatorConfigSchema } from '../../lambdas/shared/config/rollback-coordinator';
import { MANAGED_BY, TAG_MANAGED_BY, TAG_PROMOTED, TAG_TEMPORARY_MEMBER } from '../../lambdas/shared/rds-names';
import { STACK_OUTPUTS } from '../../lambdas/shared/stack-outputs';
import { describeIssues } from '../../lambdas/shared/validation';
import {
  preservedIdentifierFor,
  restoredMemberIdentifier,
  temporaryIdentifierFor,
} from '../../lambdas/tools/database-restore/identifiers';
import type { AlarmRollbackRule } from '../../lib/alarm-rollback-rule';
import type { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { type DeploymentStateMachine, readDefinition } from '../../lib/deployment-state-machine';
import { auroraOverrides, buildSampleStack, sampleContext } from '../support/sample-stack';
import {
  type AslMachine,
  type AslState,
  invokedFunctionPlaceholder,
  isCallback,
  isLambdaTask,
  statesOf,
} from './asl-definition';
import { allowingStatements, type RequestedResource } from './iam-evaluate';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const BLUE_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/shop-blue/73e2d6bc24d8a067`;
const GREEN_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/shop-green/a1b2c3d4e5f60718`;
/** The `LoadBalancer` and `TargetGroup` dimensions of the ALB metrics: the full names inside the ARNs. */
const LOAD_BALANCER = 'app/shop-prod/50dc6c495c0c9188';
const TARGET_GROUPS = {
  'shop-blue': 'targetgroup/shop-blue/73e2d6bc24d8a067',
  'shop-green': 'targetgroup/shop-green/a1b2c3d4e5f60718',
} as const;
const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** ARNs are compared with the partition abstracted: `arn:aws:` literals and `${AWS::Partition}` joins alike. */
const PARTITION = '<partition>';

const LOG_WRITE = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** Every agent's active tracing, in a policy of its own (AgentFunction): X-Ray has no resource-level permissions. */
const AGENT_XRAY = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
const ELB_DESCRIBE = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
];
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
/** The only mutating actions the state machine's role may hold on "*". */
const MUTATING_ON_ANY_RESOURCE = [
  'logs:CreateLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:PutResourcePolicy',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  // The OpsItems of an aborted deployment, a failed rollback or an old side left running: CreateOpsItem has no
  // resource types in the service authorization reference (wildcard only).
  'ssm:CreateOpsItem',
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
  /** The statement's Condition block, undefined when it has none. */
  readonly condition: unknown;
  /** NotAction or NotResource: an inverted statement, never expected here. */
  readonly inverted: boolean;
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

/** The sample listener as a granted resource. */
const LISTENER = render(LISTENER_ARN);

function ref(logicalId: string): string {
  return `Ref(${logicalId})`;
}

function arnOf(logicalId: string): string {
  return `GetAtt(${logicalId}.Arn)`;
}

function arn(rest: string): string {
  return `arn:${PARTITION}:${rest}`;
}

/** A resource granted under a condition, as grantsOf() lists it. */
function when(resource: string, condition: unknown): string {
  return `${resource} when ${JSON.stringify(condition)}`;
}

/** The state table, for the lock item only or the per-deployment items only (`dynamodb:LeadingKeys`). */
function tableItems(leadingKeys: Record<string, unknown>): Record<string, unknown> {
  return { ...leadingKeys, Null: { 'dynamodb:LeadingKeys': 'false' } };
}
const LOCK_ITEM = tableItems({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`LOCK#${LISTENER_ARN}`] } });
const DEPLOYMENT_ITEMS = tableItems({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEPLOYMENT#*'] } });

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
    condition: statement.Condition,
    inverted: statement.NotAction !== undefined || statement.NotResource !== undefined,
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

/** A statement's resources, each with the statement's condition when it has one. */
function grantedResources(statement: FlatStatement): string[] {
  return statement.resources.map((resource) =>
    statement.condition === undefined ? resource : when(resource, statement.condition),
  );
}

/**
 * What a role may do: action → sorted resources (conditional ones as `<resource> when <condition>`), merged over all
 * its policies, however CDK split or merged the statements (`@aws-cdk/aws-iam:minimizePolicies` on or off). Only
 * Allow statements with Action and Resource are expected.
 */
function grantsOf(template: Template, roleId: string): Record<string, string[]> {
  const statements = identityStatements(template).filter((statement) => statement.roles.includes(roleId));
  const odd = statements.filter((statement) => statement.effect !== 'Allow' || statement.inverted);
  if (odd.length > 0) throw new Error(`unexpected statements on ${roleId}: ${JSON.stringify(odd)}`);
  const grants: Record<string, Set<string>> = {};
  for (const statement of statements) {
    for (const action of statement.actions) {
      grants[action] ??= new Set();
      for (const resource of grantedResources(statement)) grants[action].add(resource);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([action, resources]) => [action, [...resources].sort()]));
}

/** Who holds an action, in which policies, on which resources: over every identity policy of the template. */
function holdersOf(template: Template, action: string) {
  const statements = identityStatements(template).filter((statement) => statement.actions.includes(action));
  return {
    roles: [...new Set(statements.flatMap((statement) => statement.roles))].sort(),
    policies: [...new Set(statements.map((statement) => statement.policy))].sort(),
    resources: [...new Set(statements.flatMap(grantedResources))].sort(),
  };
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

/** A JSON environment variable, parsed; references inside it (an `Fn::Join`) read as `Ref(X)` strings. */
function jsonVariable(template: Template, functionId: string, name: string): unknown {
  const environment = environmentOf(template, functionId);
  const value = environment[name];
  if (value === undefined) throw new Error(`${functionId} has no ${name}`);
  // The verifier's configuration is compressed, its tokens in variables of their own: read as the function reads it.
  if (name === POST_DEPLOYMENT_VERIFIER_CONFIG.name) {
    return POST_DEPLOYMENT_VERIFIER_CONFIG.decode(
      Object.fromEntries(Object.entries(environment).map(([key, raw]) => [key, renderRaw(raw)])),
    );
  }
  return JSON.parse(renderRaw(value));
}

/** The alarm with this AlarmName; throws when there is none or more than one. */
function alarmNamed(template: Template, alarmName: string): Record<string, unknown> {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResourceJson>);
  const found = alarms.filter((alarm) => alarm.Properties?.AlarmName === alarmName);
  if (found.length !== 1) throw new Error(`${found.length} alarms named ${alarmName}`);
  return found[0]?.Properties ?? {};
}

/** An alarm name as CloudFormation will know it: a literal, or the Ref (= the name) of one of the stack's alarms. */
function alarmNameOf(template: Template, value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.Ref === 'string') {
    const name = resourceOf(template, 'AWS::CloudWatch::Alarm', value.Ref).Properties?.AlarmName;
    if (typeof name === 'string') return name;
  }
  throw new Error(`not an alarm name: ${JSON.stringify(value)}`);
}

function albDimensions(targetGroup: string) {
  return [
    { Name: 'LoadBalancer', Value: LOAD_BALANCER },
    { Name: 'TargetGroup', Value: targetGroup },
  ];
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
  const rule = crew.node.findChild('AlarmRollback') as AlarmRollbackRule;
  const agent = (agentFunction: typeof crew.intake) => ({
    function: idOf(agentFunction.function),
    role: idOf(agentFunction.role),
    logGroup: idOf(agentFunction.logGroup),
  });
  const alarmsOf = (targetGroupArn: string) => {
    const alarms = crew.alarms.byTargetGroup.find((group) => group.targetGroupArn === targetGroupArn);
    if (!alarms) throw new Error(`no alarms for ${targetGroupArn}`);
    return {
      errorRate: idOf(alarms.errorRate),
      p95Latency: idOf(alarms.p95Latency),
      noHealthyTargets: idOf(alarms.noHealthyTargets),
    };
  };
  return {
    intake: agent(crew.intake),
    approvalRequest: agent(crew.approvalRequest),
    approvalResponse: agent(crew.approvalResponse),
    validator: agent(crew.preDeploymentValidator),
    orchestrator: agent(crew.orchestrator),
    coordinator: agent(crew.rollbackCoordinator),
    trigger: agent(crew.rollbackTrigger),
    verifier: agent(crew.postDeploymentVerifier),
    stateMachine: idOf(crew.stateMachine),
    stateMachineRole: idOf(crew.stateMachine.role),
    stateMachineLogGroup: idOf(workflow.logGroup),
    table: idOf(crew.stateTable.table),
    topic: idOf(crew.notifications.topic),
    key: idOf(crew.notifications.key),
    approvalUrl: idOf(crew.approvalUrl),
    rollbackUrl: idOf(crew.rollbackUrl),
    approvalCallbackPolicy: idOf(crew.node.findChild('ApprovalCallbackPolicy')),
    bakeInterruptPolicy: idOf(crew.node.findChild('BakeInterruptPolicy')),
    alarms: { blue: alarmsOf(BLUE_ARN), green: alarmsOf(GREEN_ARN), db: idOf(crew.alarms.databaseConnections) },
    rule: idOf(rule.rule),
    failedInvocations: idOf(crew.rollbackTrigger.failedInvocations.queue),
    failedProbes: idOf(crew.postDeploymentVerifier.failedProbes.queue),
    undeliveredEvents: idOf(rule.deadLetters.queue),
  };
}

const outdirs: string[] = [];

function synthesize(overrides: Record<string, unknown> = {}) {
  const { app, stack, template } = buildSampleStack(overrides);
  outdirs.push(app.outdir);
  return { template: template(), ids: logicalIds(stack) };
}

/** The Aurora sample as an Aurora MySQL cluster with its own option group (Aurora PostgreSQL has none). */
function auroraMysqlOverrides(): Record<string, unknown> {
  const overrides = auroraOverrides();
  const databaseRestore = overrides.databaseRestore as Record<string, unknown>;
  return { ...overrides, databaseRestore: { ...databaseRestore, optionGroupNames: ['shop-aurora-audit'] } };
}

/** Every setting of the cutover with a non-default value: thresholds, max connections, extra alarms, a KMS key. */
function tunedOverrides(): Record<string, unknown> {
  const { databaseRestore } = sampleContext();
  return {
    stackName: 'DeploymentCrewStaging',
    thresholds: {
      errorRatePercent: 3,
      errorRateBreachPeriods: 3,
      p95LatencyMs: 800,
      loadBalancerErrorBaselinePercent: 0.5,
    },
    databaseMaxConnections: 1000,
    extraAlarmNames: ['shop-checkout-errors', 'shop-queue-depth'],
    databaseRestore: { ...(databaseRestore as Record<string, unknown>), kmsKeyArn: KMS_KEY_ARN },
  };
}

let sample: ReturnType<typeof synthesize>;
let aurora: ReturnType<typeof synthesize>;
let tuned: ReturnType<typeof synthesize>;

beforeAll(() => {
  // The template is the same with or without the built-in CloudFormation validation, which costs seconds per
  // process; `cdk synth` runs it.
  vi.stubEnv('CDK_VALIDATION', 'false');
  sample = synthesize();
  aurora = synthesize(auroraMysqlOverrides());
  tuned = synthesize(tunedOverrides());
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/** The three variants by name, for it.each (they are only built in beforeAll). */
function variant(name: 'sample' | 'aurora' | 'tuned') {
  return { sample, aurora, tuned }[name];
}

/** Lambda tasks invoking with InvocationType Event: done once Lambda queues the request, whatever the function does. */
function isAsynchronousInvocation(state: AslState): boolean {
  return state.Parameters?.InvocationType === 'Event';
}

/**
 * Lambda tasks whose TimeoutSeconds does not exceed the timeout of the function they invoke. An asynchronous
 * invocation does not wait for the function, so its timeout is not compared.
 */
function lambdaTimeoutProblems(definition: AslMachine, functionTimeout: (placeholder: string) => number): string[] {
  return statesOf(definition)
    .filter(({ state }) => isLambdaTask(state) && !isAsynchronousInvocation(state))
    .flatMap(({ id, state }) => {
      const placeholder = invokedFunctionPlaceholder(state);
      if (placeholder === undefined) return [`${id}: invokes no \${...FunctionArn} placeholder`];
      const timeout = functionTimeout(placeholder);
      if (state.TimeoutSeconds !== undefined) {
        return state.TimeoutSeconds > timeout
          ? []
          : [`${id}: TimeoutSeconds ${state.TimeoutSeconds} <= ${placeholder} timeout ${timeout}`];
      }
      // A callback waits for a person or the bake, not for the function: the settings bound it (see the ASL tests).
      return isCallback(state) && state.TimeoutSecondsPath?.startsWith('$.settings.')
        ? []
        : [`${id}: no TimeoutSeconds`];
    });
}

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
      BlueGreenOrchestratorFunctionArn: { 'Fn::GetAtt': [ids.orchestrator.function, 'Arn'] },
      RollbackCoordinatorFunctionArn: { 'Fn::GetAtt': [ids.coordinator.function, 'Arn'] },
      PostDeploymentVerifierFunctionArn: { 'Fn::GetAtt': [ids.verifier.function, 'Arn'] },
      ListenerArn: LISTENER_ARN,
      CrewTableName: { Ref: ids.table },
      LockKey: `LOCK#${LISTENER_ARN}`,
      ChairmanTopicArn: { Ref: ids.topic },
      EventBusName: 'default',
    });
  });

  describe('Lambda task timeouts', () => {
    /** The deployed definition and each function placeholder's timeout, through the template's substitutions. */
    function deployedDefinition() {
      const { template, ids } = sample;
      const properties = resourceOf(template, 'AWS::StepFunctions::StateMachine', ids.stateMachine).Properties ?? {};
      const substitutions = properties.DefinitionSubstitutions as Record<string, unknown>;
      const functionTimeout = (placeholder: string): number => {
        const getAtt = (substitutions[placeholder] as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
        const functionId = String(getAtt?.[0]);
        const timeout = resourceOf(template, 'AWS::Lambda::Function', functionId).Properties?.Timeout;
        if (typeof timeout !== 'number') throw new Error(`${placeholder} (${functionId}) has no Timeout`);
        return timeout;
      };
      return { text: String(properties.DefinitionString), substitutions, functionTimeout };
    }

    it("gives every Lambda task a TimeoutSeconds above its function's timeout", () => {
      // Prepare
      const { text, substitutions, functionTimeout } = deployedDefinition();
      const definition = JSON.parse(text) as AslMachine;

      // Act
      const problems = lambdaTimeoutProblems(definition, functionTimeout);

      // Assess
      expect(problems).toEqual([]);
      // Only the verifier's probe starts are asynchronous (they return once Lambda has queued them).
      expect(
        statesOf(definition)
          .filter(({ state }) => isLambdaTask(state) && isAsynchronousInvocation(state))
          .map(({ id, state }) => `${id} → ${invokedFunctionPlaceholder(state)}`)
          .sort(),
      ).toEqual([
        'StartBakeProbes → PostDeploymentVerifierFunctionArn',
        'StartWatchProbes → PostDeploymentVerifierFunctionArn',
      ]);
      // Every function the state machine may invoke is reached by some task, so each timeout was compared.
      const invoked = new Set(
        statesOf(definition)
          .filter(({ state }) => !isAsynchronousInvocation(state))
          .map(({ state }) => invokedFunctionPlaceholder(state)),
      );
      expect([...invoked].filter((name) => name !== undefined).sort()).toEqual(
        Object.keys(substitutions)
          .filter((name) => name.endsWith('FunctionArn'))
          .sort(),
      );
    });

    it('finds a task that would time out before its function does (the check is live)', () => {
      // Prepare
      const { text, functionTimeout } = deployedDefinition();
      const definition = JSON.parse(text) as { States: Record<string, { TimeoutSeconds?: number }> };
      const evaluate = definition.States.EvaluateStep;
      if (!evaluate) throw new Error('EvaluateStep is missing from the definition');
      evaluate.TimeoutSeconds = functionTimeout('BlueGreenOrchestratorFunctionArn');

      // Act
      const problems = lambdaTimeoutProblems(definition as unknown as AslMachine, functionTimeout);

      // Assess
      expect(problems).toEqual(['EvaluateStep: TimeoutSeconds 60 <= BlueGreenOrchestratorFunctionArn timeout 60']);
    });
  });
});

describe('agent functions', () => {
  const agents = [
    'intake',
    'approvalRequest',
    'approvalResponse',
    'validator',
    'orchestrator',
    'coordinator',
    'trigger',
    'verifier',
  ] as const;
  const serviceNames = {
    intake: 'deployment-crew-deployment-intake',
    approvalRequest: 'deployment-crew-approval-request',
    approvalResponse: 'deployment-crew-approval-response',
    validator: 'deployment-crew-pre-deployment-validator',
    orchestrator: 'deployment-crew-blue-green-orchestrator',
    coordinator: 'deployment-crew-rollback-coordinator',
    trigger: 'deployment-crew-rollback-trigger',
    verifier: 'deployment-crew-post-deployment-verifier',
  } as const;

  it('has exactly the eight agent functions', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const functionIds = Object.keys(template.findResources('AWS::Lambda::Function')).sort();

    // Assess
    expect(functionIds).toHaveLength(8);
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
    expect(roleArns).toHaveLength(8);
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

  it('configures the intake: lock TTL beyond the execution limit, defaults, bounded polls, the canary', () => {
    // Prepare
    const { template, ids } = sample;
    const executionTimeoutSeconds = readDefinition().timeoutSeconds;

    // Act
    const config = jsonVariable(template, ids.intake.function, 'INTAKE_CONFIG') as { lockTtlSeconds: number };

    // Assess
    expect(config.lockTtlSeconds).toBeGreaterThan(executionTimeoutSeconds);
    expect(config).toEqual({
      defaultApprovalTimeoutSeconds: 86400,
      defaultBakeSeconds: 300,
      lockTtlSeconds: config.lockTtlSeconds,
      migrationConfigured: true,
      settings: {
        // 7200 s of snapshot timeout at one describe every 30 s.
        snapshotPollSeconds: 30,
        snapshotMaxPolls: 240,
        // The 20 min default green readiness timeout at one check every 30 s.
        greenPollSeconds: 30,
        greenMaxPolls: 40,
        // The sample's 1800 s migration timeout at one check every 30 s.
        migrationPollSeconds: 30,
        migrationMaxPolls: 60,
        canarySteps: [10, 50, 100],
        rollbackVerifySeconds: 120,
        databaseRollbackApprovalTimeoutSeconds: 3600,
        // The 3 h default restore timeout at one step every 60 s, and 30 steps kept for the swap and the recovery.
        restorePollSeconds: 60,
        restoreMaxPolls: 210,
        scaleDownGreenAfterRollback: false,
        // The old side stays warm for an hour after promotion (the default), for a fast rollback.
        blueRetentionSeconds: 3600,
      },
    });
  });

  it.each(['sample', 'aurora', 'tuned'] as const)(
    'hands every function a JSON configuration its own schema accepts at cold start (%s)',
    (name) => {
      // Prepare
      const { template, ids } = variant(name);
      const configurations: [string, string, v.GenericSchema][] = [
        [ids.intake.function, 'INTAKE_CONFIG', intakeConfigSchema],
        [ids.approvalRequest.function, 'TARGETS', targetsConfigSchema],
        [ids.validator.function, 'HEALTH_CHECKS', healthChecksConfigSchema],
        [ids.validator.function, 'DATABASE', databaseConfigSchema],
        [ids.orchestrator.function, 'ORCHESTRATOR_CONFIG', orchestratorConfigSchema],
        [ids.coordinator.function, 'COORDINATOR_CONFIG', coordinatorConfigSchema],
        [ids.verifier.function, POST_DEPLOYMENT_VERIFIER_CONFIG.name, postDeploymentVerifierConfigSchema],
      ];

      // Act
      const refused = configurations.flatMap(([functionId, variable, schema]) => {
        const parsed = v.safeParse(schema, jsonVariable(template, functionId, variable));
        return parsed.success ? [] : [`${variable}: ${describeIssues(parsed.issues)}`];
      });

      // Assess
      expect(refused).toEqual([]);
    },
  );

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

  it('tells the orchestrator which side each service is on and which alarms watch each target group', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const config = jsonVariable(template, ids.orchestrator.function, 'ORCHESTRATOR_CONFIG');

    // Assess
    expect(config).toMatchObject({
      listenerArn: LISTENER_ARN,
      sides: [
        { targetGroupArn: BLUE_ARN, serviceName: 'shop-blue' },
        { targetGroupArn: GREEN_ARN, serviceName: 'shop-green' },
      ],
      clusterName: 'shop-prod',
      taskDefinitionFamily: 'shop-web',
      migrationCommand: ['npm', 'run', 'migrate'],
      thresholds: {
        errorRatePercent: 5,
        errorRateBreachPeriods: 2,
        promoteErrorRatePercent: 1,
        p95LatencyMs: 500,
        dbConnectionsPercent: 80,
        loadBalancerErrorBaselinePercent: 0.1,
      },
      inconclusiveAllowance: 2,
      dbMaxConnections: 400,
      alarms: {
        byTargetGroup: Object.fromEntries(
          (['blue', 'green'] as const).map((side) => [
            side === 'blue' ? BLUE_ARN : GREEN_ARN,
            [ref(ids.alarms[side].errorRate), ref(ids.alarms[side].p95Latency), ref(ids.alarms[side].noHealthyTargets)],
          ]),
        ),
        shared: [ref(ids.alarms.db)],
      },
      metrics: { maxWaitSeconds: 300, expectedDelaySeconds: 90, baselineMinutes: 15 },
      alarmTriggers: {
        [ref(ids.alarms.blue.errorRate)]: 'ERROR_RATE',
        [ref(ids.alarms.blue.p95Latency)]: 'LATENCY',
        [ref(ids.alarms.blue.noHealthyTargets)]: 'HEALTH_CHECK_FAILED',
        [ref(ids.alarms.green.errorRate)]: 'ERROR_RATE',
        [ref(ids.alarms.green.p95Latency)]: 'LATENCY',
        [ref(ids.alarms.green.noHealthyTargets)]: 'HEALTH_CHECK_FAILED',
        [ref(ids.alarms.db)]: 'DB_CONNECTIONS',
      },
      tableName: ref(ids.table),
      lockKey: `LOCK#${LISTENER_ARN}`,
    });
  });

  it('tells the alarm listener the route of each alarm (target group and trigger), and the lock and listener', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const environment = environmentOf(template, ids.trigger.function);
    const alarmRoutes = jsonVariable(template, ids.trigger.function, 'ALARM_ROUTES');

    // Assess
    expect(environment).toMatchObject({
      TABLE_NAME: { Ref: ids.table },
      LOCK_KEY: `LOCK#${LISTENER_ARN}`,
      LISTENER_ARN,
    });
    expect(alarmRoutes).toEqual({
      [ref(ids.alarms.blue.errorRate)]: { targetGroupArn: BLUE_ARN, trigger: 'ERROR_RATE' },
      [ref(ids.alarms.blue.p95Latency)]: { targetGroupArn: BLUE_ARN, trigger: 'LATENCY' },
      [ref(ids.alarms.blue.noHealthyTargets)]: { targetGroupArn: BLUE_ARN, trigger: 'HEALTH_CHECK_FAILED' },
      [ref(ids.alarms.green.errorRate)]: { targetGroupArn: GREEN_ARN, trigger: 'ERROR_RATE' },
      [ref(ids.alarms.green.p95Latency)]: { targetGroupArn: GREEN_ARN, trigger: 'LATENCY' },
      [ref(ids.alarms.green.noHealthyTargets)]: { targetGroupArn: GREEN_ARN, trigger: 'HEALTH_CHECK_FAILED' },
      [ref(ids.alarms.db)]: { targetGroupArn: null, trigger: 'DB_CONNECTIONS' },
    });
  });

  it('tells the coordinator the database, the restore groups and no automatic restore', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const config = jsonVariable(template, ids.coordinator.function, 'COORDINATOR_CONFIG');

    // Assess
    expect(config).toMatchObject({
      listenerArn: LISTENER_ARN,
      database: { kind: 'instance', identifier: 'shop-prod-db' },
      autoDatabaseRollback: false,
      errorRatePercent: 5,
      allowedRestoreResources: {
        subnetGroups: ['shop-prod-db-subnets'],
        parameterGroups: ['shop-postgres16'],
        optionGroups: ['default:postgres-16'],
        clusterParameterGroups: [],
      },
      restore: {
        fenceSecurityGroupId: 'sg-0f1e2d3c4b5a69788',
        acknowledgedBreaks: [],
        keepTemporaryCopyOnFailure: false,
        snapshotPrefix: expect.stringMatching(/^deploymentcrew-[0-9a-f]{6}-/),
        // The 3 h restore timeout at 60 s: the fence starts no later than step 180; the loop has 30 more.
        lastFencePoll: 180,
      },
      tableName: ref(ids.table),
      lockKey: `LOCK#${LISTENER_ARN}`,
      region: REGION,
    });
  });
});

describe('cutover alarms', () => {
  const alarmNames = [
    'DeploymentCrew-shop-blue-error-rate',
    'DeploymentCrew-shop-blue-p95-latency',
    'DeploymentCrew-shop-blue-no-healthy-targets',
    'DeploymentCrew-shop-green-error-rate',
    'DeploymentCrew-shop-green-p95-latency',
    'DeploymentCrew-shop-green-no-healthy-targets',
    'DeploymentCrew-db-connections',
  ];

  function errorRateAlarm(
    group: keyof typeof TARGET_GROUPS,
    threshold: number,
    periods: number,
    prefix: string,
    baselineFraction = 0.001,
  ) {
    const metric = (metricName: string, dimensions: { Name: string; Value: string }[]) => ({
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: dimensions },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    const groupDimensions = albDimensions(TARGET_GROUPS[group]);
    const balancerDimensions = [{ Name: 'LoadBalancer', Value: LOAD_BALANCER }];
    return {
      AlarmName: `${prefix}-${group}-error-rate`,
      AlarmDescription: expect.any(String),
      Metrics: expect.arrayContaining([
        {
          Id: expect.any(String),
          Expression: 'IF(FILL(requests, 0) > errors, 100 * errors / FILL(requests, 0), IF(errors > 0, 100, 0))',
          Label: expect.any(String),
          ReturnData: true,
        },
        {
          Id: 'errors',
          Expression:
            'FILL(targetErrors, 0) + IF(FILL(connectionErrors, 0) > excess, FILL(connectionErrors, 0), IF(excess > 0, excess, 0))',
          Label: expect.any(String),
          ReturnData: false,
        },
        {
          Id: 'excess',
          Expression: `FILL(elbErrors, 0) - ${baselineFraction} * FILL(elbRequests, 0)`,
          Label: expect.any(String),
          ReturnData: false,
        },
        { Id: 'requests', ...metric('RequestCount', groupDimensions) },
        { Id: 'targetErrors', ...metric('HTTPCode_Target_5XX_Count', groupDimensions) },
        { Id: 'connectionErrors', ...metric('TargetConnectionErrorCount', groupDimensions) },
        // The load balancer's own 5xx exist without a TargetGroup dimension only.
        { Id: 'elbErrors', ...metric('HTTPCode_ELB_5XX_Count', balancerDimensions) },
        { Id: 'elbRequests', ...metric('RequestCount', balancerDimensions) },
      ]),
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: periods,
      DatapointsToAlarm: periods,
      TreatMissingData: 'notBreaching',
    };
  }

  function noHealthyTargetsAlarm(group: keyof typeof TARGET_GROUPS, prefix: string) {
    return {
      AlarmName: `${prefix}-${group}-no-healthy-targets`,
      AlarmDescription: expect.any(String),
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Dimensions: albDimensions(TARGET_GROUPS[group]),
      Statistic: 'Minimum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    };
  }

  function p95Alarm(group: keyof typeof TARGET_GROUPS, thresholdSeconds: number, prefix: string) {
    return {
      AlarmName: `${prefix}-${group}-p95-latency`,
      AlarmDescription: expect.any(String),
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'TargetResponseTime',
      Dimensions: albDimensions(TARGET_GROUPS[group]),
      ExtendedStatistic: 'p95',
      Period: 60,
      Threshold: thresholdSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    };
  }

  function databaseAlarm(dimensions: { Name: string; Value: string }[], threshold: number, prefix: string) {
    return {
      AlarmName: `${prefix}-db-connections`,
      AlarmDescription: expect.any(String),
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnections',
      Dimensions: dimensions,
      Statistic: 'Maximum',
      Period: 60,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    };
  }

  it('creates exactly seven alarms with names known before deployment', () => {
    // Prepare
    const { template } = sample;

    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResourceJson>);

    // Assess: besides the four dead-letter queue alarms (test/infra/alarm-listener.template.test.ts, the verifier's
    // failed probe invocations in post-deployment-verifier.template.test.ts, the release start rules' undelivered
    // events in release-start-rules.test.ts).
    expect(alarms.map((alarm) => alarm.Properties?.AlarmName).sort()).toEqual(
      [
        ...alarmNames,
        'DeploymentCrew-alarm-listener-failed-invocations',
        'DeploymentCrew-alarm-rule-undelivered-events',
        'DeploymentCrew-prober-failed-invocations',
        'DeploymentCrew-release-start-undelivered-events',
      ].sort(),
    );
  });

  it.each(['shop-blue', 'shop-green'] as const)(
    "alarms on %s's error rate, the load balancer's own 5xx included, above 5 % in 2 of 2 minutes",
    (group) => {
      // Prepare
      const { template } = sample;

      // Act
      const alarm = alarmNamed(template, `DeploymentCrew-${group}-error-rate`);

      // Assess
      expect(alarm).toEqual(errorRateAlarm(group, 5, 2, 'DeploymentCrew'));
      expect(alarm.Metrics).toHaveLength(8);
    },
  );

  it.each(['shop-blue', 'shop-green'] as const)(
    "alarms on %s's p95 response time above 0.5 s for a minute",
    (group) => {
      // Prepare
      const { template } = sample;

      // Act
      const alarm = alarmNamed(template, `DeploymentCrew-${group}-p95-latency`);

      // Assess
      expect(alarm).toEqual(p95Alarm(group, 0.5, 'DeploymentCrew'));
    },
  );

  it.each(['shop-blue', 'shop-green'] as const)('alarms when %s has no healthy target for a minute', (group) => {
    // Prepare
    const { template } = sample;

    // Act
    const alarm = alarmNamed(template, `DeploymentCrew-${group}-no-healthy-targets`);

    // Assess
    expect(alarm).toEqual(noHealthyTargetsAlarm(group, 'DeploymentCrew'));
  });

  it("alarms on the database's connections above 80 % of its 400 (320)", () => {
    // Prepare
    const { template } = sample;

    // Act
    const alarm = alarmNamed(template, 'DeploymentCrew-db-connections');

    // Assess
    expect(alarm).toEqual(
      databaseAlarm([{ Name: 'DBInstanceIdentifier', Value: 'shop-prod-db' }], 320, 'DeploymentCrew'),
    );
  });

  it("watches the Aurora cluster's writer: DBClusterIdentifier with Role=WRITER", () => {
    // Prepare
    const { template } = aurora;

    // Act
    const alarm = alarmNamed(template, 'DeploymentCrew-db-connections');

    // Assess
    expect(alarm).toEqual(
      databaseAlarm(
        [
          { Name: 'DBClusterIdentifier', Value: 'shop-aurora' },
          { Name: 'Role', Value: 'WRITER' },
        ],
        320,
        'DeploymentCrew',
      ),
    );
  });

  it('follows the thresholds, the max connections and the stack name of the props', () => {
    // Prepare
    const { template } = tuned;

    // Act
    const blueErrorRate = alarmNamed(template, 'DeploymentCrewStaging-shop-blue-error-rate');
    const greenP95 = alarmNamed(template, 'DeploymentCrewStaging-shop-green-p95-latency');
    const database = alarmNamed(template, 'DeploymentCrewStaging-db-connections');

    // Assess
    expect(blueErrorRate).toEqual(errorRateAlarm('shop-blue', 3, 3, 'DeploymentCrewStaging', 0.005));
    expect(greenP95).toEqual(p95Alarm('shop-green', 0.8, 'DeploymentCrewStaging'));
    // 80 % (the default share) of 1000.
    expect(database).toEqual(
      databaseAlarm([{ Name: 'DBInstanceIdentifier', Value: 'shop-prod-db' }], 800, 'DeploymentCrewStaging'),
    );
    // The seven and the four dead-letter queue alarms.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 11);
  });
});

describe('alarm rollback rule', () => {
  it('sends exactly the seven alarms entering ALARM to the alarm listener, with retries', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const rule = resourceOf(template, 'AWS::Events::Rule', ids.rule).Properties ?? {};
    const pattern = rule.EventPattern as { detail: { alarmName: unknown[] } };

    // Assess: the other rule is Release Candidate Ready (test/infra/release-start-rules.test.ts).
    template.resourceCountIs('AWS::Events::Rule', 2);
    expect(rule).toMatchObject({
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] } },
      },
    });
    expect(Object.keys(rule.EventPattern as object).sort()).toEqual(['detail', 'detail-type', 'source']);
    expect(Object.keys(pattern.detail).sort()).toEqual(['alarmName', 'state']);
    expect(pattern.detail.alarmName.map((name) => alarmNameOf(template, name)).sort()).toEqual(
      [
        'DeploymentCrew-shop-blue-error-rate',
        'DeploymentCrew-shop-blue-p95-latency',
        'DeploymentCrew-shop-blue-no-healthy-targets',
        'DeploymentCrew-shop-green-error-rate',
        'DeploymentCrew-shop-green-p95-latency',
        'DeploymentCrew-shop-green-no-healthy-targets',
        'DeploymentCrew-db-connections',
      ].sort(),
    );
    expect(rule.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': [ids.trigger.function, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.undeliveredEvents, 'Arn'] } },
      },
    ]);
  });

  it('adds the extra alarm names to the rule', () => {
    // Prepare
    const { template, ids } = tuned;

    // Act
    const rule = resourceOf(template, 'AWS::Events::Rule', ids.rule).Properties ?? {};
    const names = (rule.EventPattern as { detail: { alarmName: unknown[] } }).detail.alarmName;

    // Assess
    expect(names.map((name) => alarmNameOf(template, name)).sort()).toEqual(
      [
        'DeploymentCrewStaging-shop-blue-error-rate',
        'DeploymentCrewStaging-shop-blue-p95-latency',
        'DeploymentCrewStaging-shop-blue-no-healthy-targets',
        'DeploymentCrewStaging-shop-green-error-rate',
        'DeploymentCrewStaging-shop-green-p95-latency',
        'DeploymentCrewStaging-shop-green-no-healthy-targets',
        'DeploymentCrewStaging-db-connections',
        'shop-checkout-errors',
        'shop-queue-depth',
      ].sort(),
    );
  });

  it('lets EventBridge invoke the alarm listener from this rule only', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission') as Record<string, CfnResourceJson>,
    );

    // Assess: besides the approvers' URL-only grants (test/infra/approvers.template.test.ts).
    const direct = permissions.filter((permission) => permission.Properties?.InvokedViaFunctionUrl !== true);
    expect(
      direct.filter((permission) => permission.Properties?.Action === 'lambda:InvokeFunction').map((p) => p.Properties),
    ).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.trigger.function, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ids.rule, 'Arn'] },
      },
    ]);
  });
});

describe('roles and scoped statements', () => {
  it.each(['sample', 'aurora', 'tuned'] as const)(
    'allows mutating actions on "*" only for the state machine\'s log delivery and X-Ray, and the agents\' X-Ray (%s)',
    (name) => {
      // Prepare
      const { template, ids } = variant(name);

      // Act
      const onAnyResource = identityStatements(template)
        .filter((statement) => statement.resources.includes('*'))
        .flatMap((statement) =>
          statement.actions
            .filter((action) => !isReadOnly(action))
            .map((action) => ({ action, roles: statement.roles })),
        );

      // Assess
      const byAgents = onAnyResource.filter(({ roles }) => !roles.includes(ids.stateMachineRole));
      const agentRoles = [
        ids.intake,
        ids.approvalRequest,
        ids.approvalResponse,
        ids.validator,
        ids.orchestrator,
        ids.coordinator,
        ids.trigger,
        ids.verifier,
      ].map(({ role }) => role);
      expect(
        onAnyResource
          .filter(({ roles }) => roles.includes(ids.stateMachineRole))
          .map(({ action }) => action)
          .sort(),
      ).toEqual([...MUTATING_ON_ANY_RESOURCE].sort());
      expect(new Set(byAgents.map(({ action }) => action))).toEqual(new Set(AGENT_XRAY));
      expect(new Set(byAgents.flatMap(({ roles }) => roles))).toEqual(new Set(agentRoles));
    },
  );

  it('lets the PreDeploymentValidator snapshot and tag only its database and the deploymentcrew- snapshots', () => {
    // Prepare
    const { template, ids } = sample;
    const database = arn(`rds:${REGION}:${ACCOUNT}:db:shop-prod-db`);
    const snapshots = arn(`rds:${REGION}:${ACCOUNT}:snapshot:deploymentcrew-d726d2-deploymentcr-*`);

    // Act
    const grants = grantsOf(template, ids.validator.role);

    // Assess
    expect(grants['rds:CreateDBSnapshot']).toEqual([database, snapshots].sort());
    expect(grants['rds:AddTagsToResource']).toEqual([snapshots]);
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.validator.logGroup)]),
      ...grant(AGENT_XRAY, ['*']),
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
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['states:SendTaskSuccess', 'states:SendTaskFailure'], [ref(ids.stateMachine)]),
      ...grant(
        ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        [when(arnOf(ids.table), DEPLOYMENT_ITEMS)],
      ),
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
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['dynamodb:PutItem'], [when(arnOf(ids.table), DEPLOYMENT_ITEMS)]),
      ...grant(['sns:Publish'], [ref(ids.topic)]),
      ...grant(['kms:GenerateDataKey', 'kms:Decrypt'], [arnOf(ids.key)]),
    });
  });

  it('lets the intake write its logs and traces, nothing else', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const grants = grantsOf(template, ids.intake.role);

    // Assess
    expect(grants).toEqual({ ...grant(LOG_WRITE, [arnOf(ids.intake.logGroup)]), ...grant(AGENT_XRAY, ['*']) });
  });

  it('lets the orchestrator move the listener, the two services and the family, pass the two roles, read alarms', () => {
    // Prepare
    const { template, ids } = sample;
    const family = arn(`ecs:${REGION}:${ACCOUNT}:task-definition/shop-web:*`);
    const passedToEcsTasks = { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } };

    // Act
    const grants = grantsOf(template, ids.orchestrator.role);

    // Assess
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.orchestrator.logGroup)]),
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['elasticloadbalancing:ModifyListener'], [LISTENER]),
      ...grant(ELB_DESCRIBE, ['*']),
      ...grant(
        ['ecs:DescribeServices', 'ecs:UpdateService'],
        [
          arn(`ecs:${REGION}:${ACCOUNT}:service/shop-prod/shop-blue`),
          arn(`ecs:${REGION}:${ACCOUNT}:service/shop-prod/shop-green`),
        ],
      ),
      ...grant(['ecs:DescribeTaskDefinition'], ['*']),
      ...grant(['ecs:RegisterTaskDefinition'], [family]),
      ...grant(['ecs:TagResource'], [when(family, { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } })]),
      ...grant(
        ['ecs:RunTask'],
        [when(family, { ArnEquals: { 'ecs:cluster': `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/shop-prod` } })],
      ),
      ...grant(['ecs:DescribeTasks'], [arn(`ecs:${REGION}:${ACCOUNT}:task/shop-prod/*`)]),
      ...grant(
        ['iam:PassRole'],
        [
          when(arn(`iam::${ACCOUNT}:role/shop-web-task`), passedToEcsTasks),
          when(arn(`iam::${ACCOUNT}:role/shop-web-execution`), passedToEcsTasks),
        ],
      ),
      ...grant(['cloudwatch:GetMetricData'], ['*']),
      ...grant(['cloudwatch:DescribeAlarms'], ['*']),
      ...grant(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [when(arnOf(ids.table), LOCK_ITEM)]),
      // Phase and traffic events on the crew's bus.
      ...grant(['events:PutEvents'], [arn(`events:${REGION}:${ACCOUNT}:event-bus/default`)]),
    });
  });

  it('lets the coordinator restore only the database, its preserved copy, the crew snapshots and its groups', () => {
    // Prepare
    const { template, ids } = sample;
    const rds = (resource: string) => arn(`rds:${REGION}:${ACCOUNT}:${resource}`);

    // Act
    const grants = grantsOf(template, ids.coordinator.role);

    // Assess
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.coordinator.logGroup)]),
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['kms:DescribeKey'], [arn(`kms:${REGION}:${ACCOUNT}:key/*`)]),
      ...grant(['elasticloadbalancing:ModifyListener'], [LISTENER]),
      ...grant(['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'], ['*']),
      ...grant(['cloudwatch:GetMetricData'], ['*']),
      ...grant(['ec2:DescribeSecurityGroups'], ['*']),
      ...grant(['events:PutEvents'], [arn(`events:${REGION}:${ACCOUNT}:event-bus/default`)]),
      ...grant(
        ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
        [rds('db:shop-prod-db'), rds('db:shop-prod-db-pre-rb-*'), rds('db:shop-prod-db-rb-new-*')],
      ),
      // Restores only this stack's snapshots, only into the temporary copy.
      ...grant(
        ['rds:RestoreDBInstanceFromDBSnapshot'],
        [
          rds('db:shop-prod-db-rb-new-*'),
          rds('snapshot:deploymentcrew-d726d2-deploymentcr-*'),
          rds('subgrp:shop-prod-db-subnets'),
          rds('pg:shop-postgres16'),
          rds('og:default:postgres-16'),
        ],
      ),
      ...grant(['rds:AddTagsToResource', 'rds:DeleteDBInstance'], [rds('db:shop-prod-db-rb-new-*')]),
      ...grant(['rds:DescribeDBProxies', 'rds:DescribeDBProxyTargets'], [rds('db-proxy:*'), rds('target-group:*')]),
      ...grant(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [when(arnOf(ids.table), LOCK_ITEM)]),
    });
  });

  it('lets the alarm listener move the listener, fail the bake token in a policy of its own, and use the lock', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const grants = grantsOf(template, ids.trigger.role);
    const sendTaskFailure = holdersOf(template, 'states:SendTaskFailure');

    // Assess
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.trigger.logGroup)]),
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['elasticloadbalancing:ModifyListener'], [LISTENER]),
      ...grant(['elasticloadbalancing:DescribeListeners'], ['*']),
      ...grant(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [when(arnOf(ids.table), LOCK_ITEM)]),
      ...grant(['states:SendTaskFailure'], [ref(ids.stateMachine)]),
      ...grant(['cloudwatch:DescribeAlarms'], ['*']),
      ...grant(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [arnOf(ids.failedInvocations)]),
    });
    // Not in the role's default policy: the state machine references the functions, a cycle otherwise.
    expect(sendTaskFailure.policies).toEqual([ids.approvalCallbackPolicy, ids.bakeInterruptPolicy].sort());
  });

  it('keeps ModifyListener to the sample listener, held by the orchestrator, coordinator, alarm listener and verifier only', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const holders = holdersOf(template, 'elasticloadbalancing:ModifyListener');

    // Assess
    // The verifier's rollback dry run re-applies the listener's current default action (and restores live when a
    // rollback raced it).
    expect(holders.roles).toEqual(
      [ids.orchestrator.role, ids.coordinator.role, ids.trigger.role, ids.verifier.role].sort(),
    );
    expect(holders.resources).toEqual([LISTENER]);
  });

  it('keeps ECS changes (UpdateService, RegisterTaskDefinition, RunTask, PassRole) to the orchestrator', () => {
    // Prepare
    const { template, ids } = sample;
    const actions = ['ecs:UpdateService', 'ecs:RegisterTaskDefinition', 'ecs:RunTask', 'iam:PassRole'];

    // Act
    const roles = actions.map((action) => holdersOf(template, action).roles);

    // Assess
    expect(roles).toEqual(actions.map(() => [ids.orchestrator.role]));
  });

  it('lets only the approval response and the alarm listener call back into this state machine', () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const success = holdersOf(template, 'states:SendTaskSuccess');
    const failure = holdersOf(template, 'states:SendTaskFailure');

    // Assess
    expect(success).toEqual({
      roles: [ids.approvalResponse.role],
      policies: [ids.approvalCallbackPolicy],
      resources: [ref(ids.stateMachine)],
    });
    expect(failure).toEqual({
      roles: [ids.approvalResponse.role, ids.trigger.role].sort(),
      policies: [ids.approvalCallbackPolicy, ids.bakeInterruptPolicy].sort(),
      resources: [ref(ids.stateMachine)],
    });
  });

  it('lets only the orchestrator, the alarm listener and the verifier describe alarms, on * (composite alarms are described only so)', () => {
    // Prepare
    const { template, ids } = tuned;

    // Act
    const holders = holdersOf(template, 'cloudwatch:DescribeAlarms');

    // Assess
    // "You can't return information about composite alarms if your cloudwatch:DescribeAlarms permission has a
    // narrower scope" (DescribeAlarms API reference): an extra alarm may be composite.
    // The verifier checks the extra alarms too (they exist, have actions enabled and have data).
    expect(holders.roles).toEqual([ids.orchestrator.role, ids.trigger.role, ids.verifier.role].sort());
    expect(holders.resources).toEqual(['*']);
  });

  it("grants the coordinator the database's KMS key only through RDS", () => {
    // Prepare
    const { template, ids } = tuned;

    // Act
    const grants = grantsOf(template, ids.coordinator.role);

    // Assess
    const viaRds = { StringEquals: { 'kms:ViaService': `rds.${REGION}.amazonaws.com` } };
    expect(grants['kms:CreateGrant']).toEqual([when(render(KMS_KEY_ARN), viaRds)]);
    // DescribeKey also directly, on any key: it tells the aws/rds key from a customer managed one.
    expect(grants['kms:DescribeKey']).toEqual([
      arn(`kms:${REGION}:${ACCOUNT}:key/*`),
      when(render(KMS_KEY_ARN), viaRds),
    ]);
    expect(holdersOf(template, 'kms:CreateGrant').roles).toEqual([ids.coordinator.role]);
  });

  it('lets the state machine invoke the six functions it calls, unqualified, and reach only its own resources', () => {
    // Prepare
    const { template, ids } = sample;
    const invoked = [
      ids.intake.function,
      ids.approvalRequest.function,
      ids.validator.function,
      ids.orchestrator.function,
      ids.coordinator.function,
      ids.verifier.function,
    ].map(arnOf);

    // Act
    const grants = grantsOf(template, ids.stateMachineRole);

    // Assess
    expect(grants['lambda:InvokeFunction']).toEqual([...invoked].sort());
    expect(grants['lambda:InvokeFunction']?.some((resource) => resource.endsWith(':*'))).toBe(false);
    expect(grants).toEqual({
      ...grant(STATE_MACHINE_LOG_DELIVERY, ['*']),
      ...grant(STATE_MACHINE_XRAY, ['*']),
      ...grant(['lambda:InvokeFunction'], invoked),
      ...grant(['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], [when(arnOf(ids.table), LOCK_ITEM)]),
      ...grant(['sns:Publish'], [ref(ids.topic)]),
      ...grant(['kms:GenerateDataKey', 'kms:Decrypt'], [arnOf(ids.key)]),
      ...grant(['events:PutEvents'], [arn(`events:${REGION}:${ACCOUNT}:event-bus/default`)]),
      // Wildcard only: CreateOpsItem has no resource types (service authorization reference).
      ...grant(['ssm:CreateOpsItem'], ['*']),
    });
  });

  it("lets only the verifier read execution history, of this state machine's executions only", () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const holders = holdersOf(template, 'states:GetExecutionHistory');
    const name = resourceOf(template, 'AWS::StepFunctions::StateMachine', ids.stateMachine).Properties
      ?.StateMachineName;

    // Assess
    // The report counts the execution's state transitions; the fixed name lets the grant name the executions.
    expect(name).toBe('DeploymentCrew-Deployment');
    expect(holders).toEqual({
      roles: [ids.verifier.role],
      policies: [expect.stringMatching(/^CrewPostDeploymentVerifierRoleDefaultPolicy/)],
      resources: [arn(`states:${REGION}:${ACCOUNT}:execution:DeploymentCrew-Deployment:*`)],
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
      {
        Protocol: 'email',
        Endpoint: 'chairman@shop.example.com',
        TopicArn: { Ref: ids.topic },
        // Failed deliveries: see tracing.template.test.ts.
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^CrewChairmanDeadLetters/), 'Arn'] },
        },
      },
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

describe('function URLs', () => {
  it("exposes the approval response and the Chairman's rollback override with IAM auth only, nothing else", () => {
    // Prepare
    const { template, ids } = sample;

    // Act
    const urls = template.findResources('AWS::Lambda::Url') as Record<string, CfnResourceJson>;

    // Assess
    expect(Object.keys(urls).sort()).toEqual([ids.approvalUrl, ids.rollbackUrl].sort());
    expect(urls[ids.approvalUrl]?.Properties).toEqual({
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [ids.approvalResponse.function, 'Arn'] },
    });
    expect(urls[ids.rollbackUrl]?.Properties).toEqual({
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [ids.trigger.function, 'Arn'] },
    });
    // No resource policy opens a function URL to a public or cross-account caller: EventBridge and the approvers only.
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission') as Record<string, CfnResourceJson>,
    );
    const approvers = sampleContext().approvers as string[];
    expect(new Set(permissions.map((permission) => permission.Properties?.Principal))).toEqual(
      new Set(['events.amazonaws.com', ...approvers]),
    );
    expect(
      permissions.filter(
        (p) => p.Properties?.FunctionUrlAuthType !== undefined && p.Properties?.FunctionUrlAuthType !== 'AWS_IAM',
      ),
    ).toEqual([]);
  });
});

describe('outputs', () => {
  it('gives the operator the state machine, topic, approval and rollback URLs and functions, dashboard, reports, table', () => {
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
      RollbackUrl: { 'Fn::GetAtt': [ids.rollbackUrl, 'FunctionUrl'] },
      RollbackFunctionName: { Ref: ids.trigger.function },
      DashboardUrl:
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/DeploymentCrew-deployment',
      ReportBucketName: { Ref: expect.stringMatching(/^CrewReportsBucket/) },
      StateTableName: { Ref: ids.table },
      LockKey: `LOCK#${sampleContext().listenerArn}`,
    });
    // Every output the crew CLI discovers the stack by is there.
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(Object.values(STACK_OUTPUTS)));
  });
});

describe('Aurora variant', () => {
  it('snapshots the cluster into deploymentcrew- cluster snapshots, with no instance actions', () => {
    // Prepare
    const { template, ids } = aurora;
    const cluster = arn(`rds:${REGION}:${ACCOUNT}:cluster:shop-aurora`);
    const snapshots = arn(`rds:${REGION}:${ACCOUNT}:cluster-snapshot:deploymentcrew-d726d2-deploymentcr-*`);

    // Act
    const grants = grantsOf(template, ids.validator.role);

    // Assess
    expect(grants['rds:CreateDBClusterSnapshot']).toEqual([cluster, snapshots].sort());
    expect(grants['rds:AddTagsToResource']).toEqual([snapshots]);
    expect(Object.keys(grants).filter((action) => /DBSnapshot|DBInstance/.test(action))).toEqual([]);
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.validator.logGroup)]),
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['rds:CreateDBClusterSnapshot', 'rds:DescribeDBClusterSnapshots'], [cluster, snapshots]),
      ...grant(['rds:AddTagsToResource'], [snapshots]),
      ...grant(['rds:DescribeDBClusters'], [cluster]),
    });
  });

  it('lets the coordinator restore the cluster only from crew snapshots, into members named after the copy', () => {
    // Prepare
    const { template, ids } = aurora;
    const rds = (resource: string) => arn(`rds:${REGION}:${ACCOUNT}:${resource}`);
    const cluster = rds('cluster:shop-aurora');
    const preserved = rds('cluster:shop-aurora-pre-rb-*');
    const temporary = rds('cluster:shop-aurora-rb-new-*');
    const members = rds('db:shop-aurora-rb-new-*');
    const marked = { StringLike: { [`aws:RequestTag/${TAG_TEMPORARY_MEMBER}`]: 'shop-aurora-rb-new-*' } };
    const notPromoted = { Null: { [`aws:ResourceTag/${TAG_PROMOTED}`]: 'true' } };

    // Act
    const grants = grantsOf(template, ids.coordinator.role);

    // Assess
    expect(grants).toEqual({
      ...grant(LOG_WRITE, [arnOf(ids.coordinator.logGroup)]),
      ...grant(AGENT_XRAY, ['*']),
      ...grant(['kms:DescribeKey'], [arn(`kms:${REGION}:${ACCOUNT}:key/*`)]),
      ...grant(['elasticloadbalancing:ModifyListener'], [LISTENER]),
      ...grant(['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'], ['*']),
      ...grant(['cloudwatch:GetMetricData'], ['*']),
      ...grant(['ec2:DescribeSecurityGroups'], ['*']),
      ...grant(['events:PutEvents'], [arn(`events:${REGION}:${ACCOUNT}:event-bus/default`)]),
      ...grant(['rds:DescribeDBClusters', 'rds:ModifyDBCluster'], [cluster, preserved, temporary]),
      // Member names are only known at run time; describing instances is read-only.
      ...grant(['rds:DescribeDBInstances'], [rds('db:*')]),
      ...grant(
        ['rds:RestoreDBClusterFromSnapshot'],
        [
          temporary,
          rds('cluster-snapshot:deploymentcrew-d726d2-deploymentcr-*'),
          rds('subgrp:shop-aurora-subnets'),
          rds('cluster-pg:shop-aurora-cluster'),
          rds('og:shop-aurora-audit'),
        ],
      ),
      ...grant(
        ['rds:CreateDBInstance'],
        [members, temporary, rds('pg:shop-aurora-instances')].map((resource) => when(resource, marked)),
      ),
      ...grant(['rds:AddTagsToResource'], [temporary, when(members, notPromoted)]),
      ...grant(
        ['rds:DeleteDBInstance'],
        [
          when(members, {
            ...notPromoted,
            StringLike: { [`aws:ResourceTag/${TAG_TEMPORARY_MEMBER}`]: 'shop-aurora-rb-new-*' },
          }),
        ],
      ),
      ...grant(['rds:DeleteDBCluster'], [temporary]),
      ...grant(['rds:DescribeDBClusterEndpoints'], [cluster, rds('cluster-endpoint:*')]),
      ...grant(['rds:DescribeDBProxies', 'rds:DescribeDBProxyTargets'], [rds('db-proxy:*'), rds('target-group:*')]),
      ...grant(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [when(arnOf(ids.table), LOCK_ITEM)]),
    });
  });

  it("lets the coordinator delete and tag only this rollback's temporary members, never production's", () => {
    // Prepare
    const { template, ids } = aurora;
    const statements = identityStatements(template).filter((statement) =>
      statement.roles.includes(ids.coordinator.role),
    );
    const db = (name: string) => arn(`rds:${REGION}:${ACCOUNT}:db:${name}`);
    const cluster = (name: string) => arn(`rds:${REGION}:${ACCOUNT}:cluster:${name}`);
    const thisCopy = temporaryIdentifierFor('shop-aurora', 'deploy-2');
    const earlierCopy = temporaryIdentifierFor('shop-aurora', 'deploy-1');
    const member = (copy: string, source: string) => restoredMemberIdentifier('shop-aurora', copy, source);
    // What the restore tool sets on a member it creates, and what the swap adds before the copy takes the name.
    const temporaryTags = (copy: string) => ({ [TAG_TEMPORARY_MEMBER]: copy, [TAG_MANAGED_BY]: MANAGED_BY });
    const promoted = (copy: string) => ({ ...temporaryTags(copy), [TAG_PROMOTED]: 'shop-aurora' });
    const production: RequestedResource[] = [
      { arn: cluster('shop-aurora'), tags: {} },
      { arn: cluster(preservedIdentifierFor('shop-aurora', 'deploy-1')), tags: {} },
      { arn: db('shop-aurora-instance-1'), tags: {} },
      // A member restored by an earlier release, which named copies <member>-rb.
      { arn: db('shop-aurora-instance-1-rb'), tags: { [TAG_MANAGED_BY]: MANAGED_BY } },
      // The members of an earlier rollback, production since its swap: named after its copy, marked, promoted.
      { arn: db(member(earlierCopy, 'shop-aurora-instance-1')), tags: promoted(earlierCopy) },
      { arn: db(member(earlierCopy, 'shop-aurora-instance-2')), tags: promoted(earlierCopy) },
    ];
    const temporary: RequestedResource[] = [
      { arn: cluster(thisCopy), tags: {} },
      { arn: db(member(thisCopy, member(earlierCopy, 'shop-aurora-instance-1'))), tags: temporaryTags(thisCopy) },
    ];

    // Act
    const allowed = (action: string, resources: readonly RequestedResource[]) =>
      resources.filter((resource) => allowingStatements(statements, action, resource).length > 0).map(({ arn }) => arn);

    // Assess
    for (const action of ['rds:DeleteDBInstance', 'rds:DeleteDBCluster', 'rds:AddTagsToResource']) {
      expect(allowed(action, production), action).toEqual([]);
    }
    expect(allowed('rds:DeleteDBInstance', temporary)).toEqual([temporary[1]?.arn]);
    expect(allowed('rds:DeleteDBCluster', temporary)).toEqual([temporary[0]?.arn]);
    expect(allowed('rds:AddTagsToResource', temporary)).toEqual(temporary.map(({ arn }) => arn));
    expect(grantsOf(template, ids.coordinator.role)['rds:RemoveTagsFromResource']).toBeUndefined();
  });

  it('tells the PreDeploymentValidator, the approval request and the coordinator that the database is a cluster', () => {
    // Prepare
    const { template, ids } = aurora;

    // Act
    const database = jsonVariable(template, ids.validator.function, 'DATABASE');
    const targets = jsonVariable(template, ids.approvalRequest.function, 'TARGETS') as { database: unknown };
    const coordinator = jsonVariable(template, ids.coordinator.function, 'COORDINATOR_CONFIG') as {
      database: unknown;
      allowedRestoreResources: unknown;
    };

    // Assess
    expect(database).toEqual({ kind: 'cluster', identifier: 'shop-aurora' });
    expect(targets.database).toEqual({ kind: 'cluster', identifier: 'shop-aurora' });
    expect(coordinator.database).toEqual({ kind: 'cluster', identifier: 'shop-aurora' });
    expect(coordinator.allowedRestoreResources).toEqual({
      subnetGroups: ['shop-aurora-subnets'],
      parameterGroups: ['shop-aurora-instances'],
      optionGroups: ['shop-aurora-audit'],
      clusterParameterGroups: ['shop-aurora-cluster'],
    });
  });
});
