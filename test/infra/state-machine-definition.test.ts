import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { workflowSettingsSchema } from '../../lambdas/shared/contracts';
import { verdictDecisionSchema } from '../../lambdas/shared/cutover-contracts';
import { APPROVAL_TIMEOUT_BOUNDS } from '../../lambdas/shared/deployment-request';
import { DEFINITION_FILE, readDefinition, renderDefinition } from '../../lib/deployment-state-machine';
import { type AslMachine, catchesAll, isCallback, isLambdaTask, statesOf } from './asl-definition';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The shared ASL audit lives beside the repository in CI (`../shared/tools`); other checkouts may not have it. */
const ASL_AUDIT = fileURLToPath(new URL('../../../shared/tools/asl-audit.mjs', import.meta.url));

/** The error names a run may end with: the contract with EventBridge consumers and the Chairman's runbook. */
const KNOWN_FAIL_ERRORS = [
  'InvalidInput',
  'DeploymentInProgress',
  'ApprovalRejected',
  'ApprovalTimedOut',
  'PreDeploymentValidationFailed',
  'BackupFailed',
  'InternalError',
  'ListenerNotSteady',
  'GreenProvisioningFailed',
  'DeploymentRolledBack',
  'RollbackFailed',
  'SmokeFailedBeforeTraffic',
  'OldSideNotRetired',
];

/** Optimized service integrations the workflow may use, spelt exactly as Step Functions expects them. */
const SERVICE_INTEGRATIONS = [
  'arn:aws:states:::lambda:invoke',
  'arn:aws:states:::lambda:invoke.waitForTaskToken',
  'arn:aws:states:::aws-sdk:ssm:createOpsItem',
  'arn:aws:states:::dynamodb:putItem',
  'arn:aws:states:::dynamodb:deleteItem',
  'arn:aws:states:::dynamodb:updateItem',
  'arn:aws:states:::dynamodb:getItem',
  'arn:aws:states:::sns:publish',
  'arn:aws:states:::events:putEvents',
];

/** What Lambda throws when the invocation, not the function's code, failed: every Lambda task retries these. */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** The `${Name}` placeholders of a definition text, each once. */
function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] ?? ''))];
}

/** A deployment-time value for a placeholder, shaped like the real one so that asl-validator's ARN check applies. */
function fakeValue(name: string): string {
  if (name.endsWith('FunctionArn')) {
    return `arn:aws:lambda:eu-west-1:123456789012:function:DeploymentCrew-${name.slice(0, -'FunctionArn'.length)}`;
  }
  if (name.endsWith('TopicArn')) return `arn:aws:sns:eu-west-1:123456789012:DeploymentCrew-${name}`;
  if (name === 'ListenerArn') return LISTENER_ARN;
  if (name === 'LockKey') return `LOCK#${LISTENER_ARN}`;
  if (name === 'EventBusName') return 'default';
  return `DeploymentCrew-${name}`;
}

/** Values for every placeholder the file uses (the template test checks the stack maps the same names). */
const FAKE_SUBSTITUTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  placeholdersOf(readFileSync(DEFINITION_FILE, 'utf8')).map((name) => [name, fakeValue(name)]),
);

function rawText(): string {
  return readFileSync(DEFINITION_FILE, 'utf8');
}

/** A fresh parse each time: asl-validator writes into the object it checks. */
function parse(text: string): AslMachine {
  return JSON.parse(text) as AslMachine;
}

function isPlaceholder(resource: string): boolean {
  return /^\$\{[A-Za-z0-9_]+\}$/.test(resource);
}

/** Resources that are neither a placeholder nor a known integration: a misspelt suffix runs nowhere. */
function unknownIntegrations(machine: AslMachine): string[] {
  return statesOf(machine)
    .filter(({ state }) => state.Resource !== undefined)
    .filter(({ state }) => !isPlaceholder(state.Resource ?? '') && !SERVICE_INTEGRATIONS.includes(state.Resource ?? ''))
    .map(({ id, state }) => `${id}: ${state.Resource}`);
}

/** Task, Parallel and Map states an error could leave without a States.ALL Catch of their own or around them. */
function uncaughtStates(machine: AslMachine): string[] {
  return statesOf(machine)
    .filter(({ state }) => ['Task', 'Parallel', 'Map'].includes(state.Type))
    .filter(({ state, caughtByEnclosing }) => !caughtByEnclosing && !catchesAll(state))
    .map(({ id }) => id);
}

const VERDICT_DECISION = '$.canary.verdict.decision';

/** Names of the `$.settings.<name>` fields a definition text reads (paths, parameters, Choice variables), sorted. */
function settingsReadBy(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\.settings\.([A-Za-z0-9_]+)/g)].map((match) => match[1] ?? ''))].sort();
}

/** Settings read by the ASL that are not fields of the intake's output (the workflow settings contract). */
function unknownSettings(read: readonly string[]): string[] {
  const provided = new Set(Object.keys(workflowSettingsSchema.entries));
  return read.filter((name) => !provided.has(name));
}

describe('asl-validator', () => {
  it('accepts the definition rendered with deployment-time values, paths and ARNs checked', () => {
    // Prepare
    const definition = parse(renderDefinition(rawText(), FAKE_SUBSTITUTIONS));

    // Act
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('accepts the raw file, placeholders and all', () => {
    // Prepare
    const definition = parse(rawText());

    // Act
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('rejects a copy whose transition points at a missing state (the check is live)', () => {
    // Prepare
    const definition = JSON.parse(renderDefinition(rawText(), FAKE_SUBSTITUTIONS)) as {
      States: Record<string, { Next?: string }>;
    };
    const first = definition.States.ValidateInput;
    if (!first) throw new Error('ValidateInput is missing from the definition');
    first.Next = 'AcquireDeploymentLok';

    // Act
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    // Assess
    expect(result.isValid).toBe(false);
    expect(result.errors.map((error) => error.Message)).toContain(
      "Missing 'StartAt'|'Next'|'Default' target: AcquireDeploymentLok",
    );
  });
});

describe('timeouts', () => {
  it('limits the whole execution, longer than the longest approval wait', () => {
    // Prepare
    const definition = parse(rawText());

    // Act
    const timeoutSeconds = definition.TimeoutSeconds;

    // Assess
    expect(typeof timeoutSeconds).toBe('number');
    expect(timeoutSeconds).toBe(readDefinition().timeoutSeconds);
    expect(timeoutSeconds).toBeGreaterThan(APPROVAL_TIMEOUT_BOUNDS.maxSeconds);
  });

  it('gives every Task a TimeoutSeconds or a TimeoutSecondsPath', () => {
    // Prepare
    const tasks = statesOf(parse(rawText())).filter(({ state }) => state.Type === 'Task');

    // Act
    const withoutTimeout = tasks
      .filter(({ state }) => state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
      .map(({ id }) => id);

    // Assess
    expect(tasks.length).toBeGreaterThan(0);
    expect(withoutTimeout).toEqual([]);
  });

  it('bounds every wait for a task token, heartbeats shorter than the timeout', () => {
    // Prepare
    const callbacks = statesOf(parse(rawText())).filter(({ state }) => isCallback(state));

    // Act
    const problems = callbacks.flatMap(({ id, state }) => {
      const found: string[] = [];
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) found.push(`${id}: no timeout`);
      if (
        state.HeartbeatSeconds !== undefined &&
        state.TimeoutSeconds !== undefined &&
        state.HeartbeatSeconds >= state.TimeoutSeconds
      ) {
        found.push(`${id}: HeartbeatSeconds ${state.HeartbeatSeconds} >= TimeoutSeconds ${state.TimeoutSeconds}`);
      }
      return found;
    });

    // Assess
    expect(callbacks.map(({ id }) => id)).toContain('RequestChairmanApproval');
    expect(problems).toEqual([]);
  });

  it("times the approvals and the bake out by the execution's settings, never by a fixed number", () => {
    // Prepare
    const callbacks = statesOf(parse(rawText())).filter(({ state }) => isCallback(state));

    // Act
    const timeouts = Object.fromEntries(
      callbacks.map(({ id, state }) => [id, { seconds: state.TimeoutSeconds, path: state.TimeoutSecondsPath }]),
    );

    // Assess
    expect(timeouts).toEqual({
      RequestChairmanApproval: { seconds: undefined, path: '$.settings.approvalTimeoutSeconds' },
      BakeStep: { seconds: undefined, path: '$.settings.bakeSeconds' },
      WatchOldSide: { seconds: undefined, path: '$.settings.blueRetentionSeconds' },
      ConfirmDatabaseRollback: { seconds: undefined, path: '$.settings.databaseRollbackApprovalTimeoutSeconds' },
    });
  });
});

describe('settings', () => {
  it('reads only settings the intake provides, and every one of them', () => {
    // Prepare
    const text = rawText();

    // Act
    const read = settingsReadBy(text);

    // Assess
    expect(unknownSettings(read)).toEqual([]);
    // The settings are the ASL's tunables (contracts.ts): one nobody reads would be a knob that does nothing.
    expect(read).toEqual(Object.keys(workflowSettingsSchema.entries).sort());
  });

  it('finds a settings path the intake does not provide (the check is live)', () => {
    // Prepare
    const text = rawText().replace('$.settings.bakeSeconds', '$.settings.bakeTimeSeconds');

    // Act
    const unknown = unknownSettings(settingsReadBy(text));

    // Assess
    expect(unknown).toEqual(['bakeTimeSeconds']);
  });
});

describe('canary verdict routing', () => {
  it('routes advance, rebake, wait and promote, and sends anything else to a rollback record', () => {
    // Prepare
    const entries = statesOf(parse(rawText()));
    const byName = new Map(entries.map(({ id, state }) => [id, state]));

    // Act
    const routers = entries.filter(({ state }) =>
      (state.Choices ?? []).some((rule) => rule.Variable === VERDICT_DECISION),
    );

    // Assess
    expect(routers.map(({ id }) => id)).toEqual(['RouteVerdict']);
    for (const { state } of routers) {
      const rules = state.Choices ?? [];
      expect(rules.every((rule) => rule.Variable === VERDICT_DECISION && rule.StringEquals !== undefined)).toBe(true);
      expect(Object.fromEntries(rules.map((rule) => [rule.StringEquals, rule.Next]))).toEqual({
        advance: 'ShiftTraffic',
        rebake: 'StartBakeProbes',
        wait: 'WaitForMetrics',
        promote: 'ConfirmPromotion',
      });
      // The one decision left to the Default is the rollback: the five together are the verdict's whole vocabulary.
      expect([...rules.map((rule) => rule.StringEquals), 'rollback'].sort()).toEqual(
        [...verdictDecisionSchema.options].sort(),
      );
      const record = byName.get(state.Default ?? '');
      expect(record).toMatchObject({
        Type: 'Pass',
        ResultPath: '$.trigger',
        Parameters: { 'trigger.$': '$.canary.verdict.trigger', phase: 'CUTOVER' },
      });
      expect(byName.get(record?.Next ?? '')).toMatchObject({
        Type: 'Task',
        Resource: `\${RollbackCoordinatorFunctionArn}`,
        Parameters: { action: 'begin', 'trigger.$': '$.trigger' },
      });
    }
  });
});

describe('waiting for late metrics', () => {
  it('waits as long as the verdict asks, then evaluates the same bake again', () => {
    // Prepare
    const byName = new Map(statesOf(parse(rawText())).map(({ id, state }) => [id, state]));

    // Act
    const wait = byName.get('WaitForMetrics');

    // Assess
    expect(wait).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.canary.verdict.retryAfterSeconds',
      Next: 'EvaluateStep',
    });
  });
});

describe('error handling', () => {
  it("retries Lambda's transient errors on every Lambda task", () => {
    // Prepare
    const lambdaTasks = statesOf(parse(rawText())).filter(({ state }) => isLambdaTask(state));

    // Act
    const missing = lambdaTasks.flatMap(({ id, state }) =>
      LAMBDA_TRANSIENT_ERRORS.filter(
        (error) =>
          !(state.Retry ?? []).some(
            (retrier) =>
              (retrier.ErrorEquals.includes(error) || retrier.ErrorEquals.includes('States.ALL')) &&
              (retrier.MaxAttempts ?? 3) > 0,
          ),
      ).map((error) => `${id}: ${error}`),
    );

    // Assess
    expect(lambdaTasks.map(({ id }) => id)).toEqual(
      expect.arrayContaining([
        'ValidateInput',
        'RequestChairmanApproval',
        'PreDeploymentValidation[0]/CheckProductionHealth',
        'PreDeploymentValidation[1]/CreateDatabaseSnapshot',
        'BuildValidationReport',
        'ProvisionGreen',
        'ShiftTraffic',
        'BakeStep',
        'EvaluateStep',
        'BeginRollback',
        'RollbackTraffic',
        'VerifyTrafficRollback',
        'ConfirmDatabaseRollback',
        'RecordDatabaseRollbackDeclined',
        'PlanDatabaseRestore',
        'AdvanceDatabaseRestore',
        'FinishRollback',
        'EscalateRollback',
      ]),
    );
    expect(missing).toEqual([]);
  });

  it('covers every Task and Parallel with a States.ALL Catch, its own or an enclosing one', () => {
    // Prepare
    const definition = parse(rawText());

    // Act
    const uncaught = uncaughtStates(definition);

    // Assess
    expect(uncaught).toEqual([]);
  });

  it('finds a Task left without a Catch (the coverage check is live)', () => {
    // Prepare
    const definition = JSON.parse(rawText()) as { States: Record<string, { Catch?: unknown }> };
    const lockTask = definition.States.AcquireDeploymentLock;
    if (!lockTask) throw new Error('AcquireDeploymentLock is missing from the definition');
    delete lockTask.Catch;

    // Act
    const uncaught = uncaughtStates(definition as unknown as AslMachine);

    // Assess
    expect(uncaught).toEqual(['AcquireDeploymentLock']);
  });

  it('gives every Choice a Default', () => {
    // Prepare
    const choices = statesOf(parse(rawText())).filter(({ state }) => state.Type === 'Choice');

    // Act
    const withoutDefault = choices.filter(({ state }) => state.Default === undefined).map(({ id }) => id);

    // Assess
    expect(choices.length).toBeGreaterThan(0);
    expect(withoutDefault).toEqual([]);
  });

  it('ends failed runs only with the known error names', () => {
    // Prepare
    const fails = statesOf(parse(rawText())).filter(({ state }) => state.Type === 'Fail');

    // Act
    const unknown = fails
      .filter(({ state }) => state.Error === undefined || !KNOWN_FAIL_ERRORS.includes(state.Error))
      .map(({ id, state }) => `${id}: ${state.Error ?? `ErrorPath ${state.ErrorPath ?? '(none)'}`}`);

    // Assess
    expect(unknown).toEqual([]);
    expect(new Set(fails.map(({ state }) => state.Error))).toEqual(new Set(KNOWN_FAIL_ERRORS));
  });
});

describe('resources', () => {
  it('uses only placeholders and known service integrations as Resource', () => {
    // Prepare
    const definition = parse(rawText());

    // Act
    const unknown = unknownIntegrations(definition);

    // Assess
    expect(unknown).toEqual([]);
  });

  it('catches a misspelt integration suffix that asl-validator lets through', () => {
    // Prepare
    const definition = JSON.parse(rawText()) as { States: Record<string, { Resource?: string }> };
    const lockTask = definition.States.AcquireDeploymentLock;
    if (!lockTask) throw new Error('AcquireDeploymentLock is missing from the definition');
    lockTask.Resource = 'arn:aws:states:::dynamodb:putitem';

    // Act
    const unknown = unknownIntegrations(structuredClone(definition) as unknown as AslMachine);
    const validator = aslValidator(definition, { checkPaths: true, checkArn: true });

    // Assess
    expect(unknown).toEqual(['AcquireDeploymentLock: arn:aws:states:::dynamodb:putitem']);
    expect(validator.isValid).toBe(true);
  });
});

describe('renderDefinition', () => {
  it('fills every placeholder of the file', () => {
    // Prepare
    const text = rawText();

    // Act
    const rendered = renderDefinition(text, FAKE_SUBSTITUTIONS);

    // Assess
    expect(text).toMatch(/\$\{[A-Za-z0-9_]+\}/);
    expect(rendered).not.toMatch(/\$\{[A-Za-z0-9_]+\}/);
    expect(parse(rendered).States.ValidateInput?.Resource).toBe(
      'arn:aws:lambda:eu-west-1:123456789012:function:DeploymentCrew-DeploymentIntake',
    );
  });

  it('throws for a placeholder without a value', () => {
    // Prepare
    const text = `{ "Resource": "\${DeploymentIntakeFunctionArn}", "Table": "\${UnknownTableName}" }`;

    // Act
    const render = () => renderDefinition(text, FAKE_SUBSTITUTIONS);

    // Assess
    expect(render).toThrow(`no substitution for \${UnknownTableName} in the state machine definition`);
  });

  it('throws when a substitution the file uses is left out', () => {
    // Prepare
    const { EventBusName: _left, ...incomplete } = FAKE_SUBSTITUTIONS;

    // Act
    const render = () => renderDefinition(rawText(), incomplete);

    // Assess
    expect(render).toThrow(`no substitution for \${EventBusName}`);
  });
});

describe('shared ASL audit', () => {
  it('reports no errors', (context) => {
    context.skip(
      !existsSync(ASL_AUDIT),
      `${ASL_AUDIT} not found: the shared tools are checked out beside the repository in CI only`,
    );
    // Prepare
    const args = [ASL_AUDIT, 'statemachine/deployment-crew.asl.json', '--json'];

    // Act
    const run = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 10000 });

    // Assess
    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as {
      states: number;
      errors: number;
      findings: { level: string; text: string }[];
    };
    expect(report.findings.filter((finding) => finding.level === 'error')).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.states).toBe(statesOf(parse(rawText())).length);
    expect(run.status).toBe(0);
  });
});
