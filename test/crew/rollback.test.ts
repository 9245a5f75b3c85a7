import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../crew/errors';
import {
  callsOf,
  crewWorld,
  DEPLOYMENT,
  onlyJsonDocument,
  ROLLBACK_URL,
  STACK_NAME,
  STATE_MACHINE_ARN,
} from './support';

/**
 * `crew rollback`: the Chairman's override goes to the rollback URL (signed) only for a running deployment; the
 * rollback trigger's refusals (lambdas/rollback-trigger/index.ts) each have an exit code and a message.
 */

const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${DEPLOYMENT}`;
const RESTORED_AT = '2026-11-17T09:30:06.250Z';
const REASON = 'checkout conversions dropped 30 %';

function rollbackWorld(status = 'RUNNING', reply: { status: number; body: unknown } = { status: 200, body: {} }) {
  const world = crewWorld();
  world.sfn.on(DescribeExecutionCommand).resolves({
    executionArn: EXECUTION_ARN,
    stateMachineArn: STATE_MACHINE_ARN,
    name: DEPLOYMENT,
    status: status as 'RUNNING',
    startDate: new Date('2026-11-17T09:30:05Z'),
  });
  world.answerUrl = () => reply;
  return world;
}

const TRAFFIC_RESTORED = {
  action: 'traffic-restored',
  deployment: DEPLOYMENT,
  detail: `rollback requested: ${REASON}`,
  listenerRestoredAt: RESTORED_AT,
  bakeInterrupted: true,
};

describe('crew rollback', () => {
  it('checks the deployment runs, then posts the deployment and the reason to the rollback URL', async () => {
    // Prepare
    const world = rollbackWorld('RUNNING', { status: 200, body: TRAFFIC_RESTORED });

    // Act
    const { code, stdout, stderr } = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(callsOf(world.cloudFormation)).toEqual([['DescribeStacksCommand', { StackName: STACK_NAME }]]);
    expect(callsOf(world.sfn)).toEqual([['DescribeExecutionCommand', { executionArn: EXECUTION_ARN }]]);
    expect(world.dynamo.calls()).toEqual([]);
    expect(world.urlCalls).toEqual([{ url: ROLLBACK_URL, body: { deployment: DEPLOYMENT, reason: REASON } }]);
    expect(stdout).toMatchInlineSnapshot(`
      "Rollback of rel-1-4-0-20261117-093005-beef: traffic-restored
        rollback requested: checkout conversions dropped 30 %
        traffic back on the live side at 2026-11-17T09:30:06.250Z
        follow it: crew status rel-1-4-0-20261117-093005-beef --watch
      "
    `);
  });

  it('prints what the rollback URL answered as the one JSON document with --json', async () => {
    // Prepare
    const world = rollbackWorld('RUNNING', { status: 200, body: TRAFFIC_RESTORED });

    // Act
    const { code, stdout, stderr } = await world.run(['--json', 'rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(onlyJsonDocument(stdout)).toEqual(TRAFFIC_RESTORED);
    expect(stdout).toMatchInlineSnapshot(`
      "{
        "action": "traffic-restored",
        "deployment": "rel-1-4-0-20261117-093005-beef",
        "detail": "rollback requested: checkout conversions dropped 30 %",
        "listenerRestoredAt": "2026-11-17T09:30:06.250Z",
        "bakeInterrupted": true
      }
      "
    `);
  });

  it('says when the rollback was only flagged (traffic was not on green)', async () => {
    // Prepare
    const flagged = { action: 'flagged', deployment: DEPLOYMENT, detail: `rollback requested: ${REASON}` };
    const world = rollbackWorld('RUNNING', { status: 200, body: flagged });

    // Act
    const { stdout } = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect(stdout).toBe(
      `Rollback of ${DEPLOYMENT}: flagged\n  rollback requested: ${REASON}\n  follow it: crew status ${DEPLOYMENT} --watch\n`,
    );
  });
});

describe('crew rollback refuses, and says why', () => {
  it('requires a reason, and sends nothing without one', async () => {
    // Prepare
    const world = rollbackWorld();

    // Act
    const missing = await world.run(['rollback', DEPLOYMENT]);
    const blank = await world.run(['rollback', DEPLOYMENT, '--reason', '   ']);

    // Assess
    expect(missing.code).toBe(EXIT_CODES.USAGE);
    expect(missing.stderr).toContain("error: required option '--reason <text>' not specified");
    expect(blank.code).toBe(EXIT_CODES.USAGE);
    expect(blank.stderr).toMatch(/^crew: reason: .*\n {2}nothing was sent\n$/);
    expect([world.sfn.calls(), world.urlCalls]).toEqual([[], []]);
  });

  it('for a deployment the state machine never ran: UNKNOWN_DEPLOYMENT', async () => {
    // Prepare
    const world = rollbackWorld();
    world.sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const { code, stdout } = await world.run(['rollback', 'rel-0-9-0', '--reason', REASON, '--json']);

    // Assess
    expect(code).toBe(EXIT_CODES.UNKNOWN_DEPLOYMENT);
    expect(onlyJsonDocument(stdout)).toEqual({
      error: {
        code: 'UNKNOWN_DEPLOYMENT',
        message: "no deployment named 'rel-0-9-0' in stack DeploymentCrew",
        hint: 'crew history lists the deployments',
      },
    });
    expect(callsOf(world.sfn)).toEqual([
      ['DescribeExecutionCommand', { executionArn: EXECUTION_ARN.replace(DEPLOYMENT, 'rel-0-9-0') }],
    ]);
    expect(world.urlCalls).toEqual([]);
  });

  it('for a deployment that has ended: REFUSED, nothing to roll back', async () => {
    // Prepare: it ended and released the lock
    const world = rollbackWorld('FAILED');
    world.dynamo.on(GetCommand).resolves({});

    // Act
    const { code, stderr } = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect(code).toBe(EXIT_CODES.REFUSED);
    expect(stderr).toBe(`crew: deployment ${DEPLOYMENT} is FAILED: there is nothing to roll back\n`);
    expect(world.urlCalls).toEqual([]);
  });

  it('for a deployment stopped mid-cutover that still holds the lock: posts the override (traffic goes back)', async () => {
    // Prepare: the execution was stopped; its lock says green took traffic and nothing put it back
    const world = rollbackWorld('ABORTED', { status: 200, body: TRAFFIC_RESTORED });
    world.dynamo
      .on(GetCommand)
      .resolves({ Item: { holder: DEPLOYMENT, lockState: 'HELD', phase: 'CUTOVER', greenWeight: 50 } });

    // Act
    const { code, stdout } = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect(code).toBe(0);
    expect(world.urlCalls).toEqual([{ url: ROLLBACK_URL, body: { deployment: DEPLOYMENT, reason: REASON } }]);
    expect(stdout).toContain(`traffic back on the live side at ${RESTORED_AT}`);
  });

  it("when the URL's IAM check denies the caller: NOT_AN_APPROVER, naming the rollback URL", async () => {
    // Prepare
    const world = rollbackWorld('RUNNING', { status: 403, body: { Message: 'Forbidden' } });

    // Act
    const { code, stderr } = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect(code).toBe(EXIT_CODES.NOT_AN_APPROVER);
    expect(stderr).toBe(
      'crew: your IAM identity may not call the rollback URL (lambda:InvokeFunctionUrl denied)\n' +
        "  the stack's approvers (prop approvers) may do this; check `aws sts get-caller-identity`\n",
    );
  });

  const APPROVER_HINT = "the stack's approvers (prop approvers) may do this; check `aws sts get-caller-identity`";
  const STATUS_HINT = 'crew status <deployment> shows what is in progress';
  /** The trigger's own refusals (its STATUS_BY_ERROR) and serveFunctionUrl's, with what crew makes of each. */
  const REFUSALS: [string, number, keyof typeof EXIT_CODES, string, string | null][] = [
    ['NoDeploymentInProgress', 404, 'REFUSED', 'the refusal', STATUS_HINT],
    ['NotTheDeploymentInProgress', 409, 'REFUSED', 'the refusal', STATUS_HINT],
    ['LockLost', 409, 'REFUSED', 'LockLost: the refusal', null],
    ['InvalidInput', 400, 'USAGE', 'InvalidInput: the refusal', null],
    ['Unauthenticated', 401, 'NOT_AN_APPROVER', 'refused: the refusal', APPROVER_HINT],
    ['CallerNotAllowed', 403, 'NOT_AN_APPROVER', 'refused: the refusal', APPROVER_HINT],
    [
      'TransientAwsError',
      503,
      'AWS_ERROR',
      'the rollback function failed (TransientAwsError): the refusal',
      'try again',
    ],
  ];

  it("covers every status the rollback trigger's STATUS_BY_ERROR answers with", () => {
    // Prepare: the map is not exported; read it from the source so that a new refusal shows here.
    const source = readFileSync(new URL('../../lambdas/rollback-trigger/index.ts', import.meta.url), 'utf8');
    const literal = /const STATUS_BY_ERROR = (\{[^}]*\});/.exec(source)?.[1] ?? '{}';

    // Act
    const statusByError = JSON.parse(literal.replace(/(\w+):/g, '"$1":')) as Record<string, number>;

    // Assess
    expect(Object.keys(statusByError)).toHaveLength(3);
    for (const [error, status] of Object.entries(statusByError)) {
      expect(REFUSALS.find(([name]) => name === error)?.[1]).toBe(status);
    }
  });

  it.each(REFUSALS)('maps %s (HTTP %i) to %s', async (error, status, code, message, hint) => {
    // Prepare
    const world = rollbackWorld('RUNNING', { status, body: { error, message: 'the refusal' } });

    // Act
    const human = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);
    const json = await world.run(['rollback', DEPLOYMENT, '--reason', REASON, '--json']);

    // Assess
    expect(human.code).toBe(EXIT_CODES[code]);
    expect([human.stdout, human.stderr]).toEqual(['', `crew: ${message}\n${hint === null ? '' : `  ${hint}\n`}`]);
    expect(json.code).toBe(EXIT_CODES[code]);
    expect([json.stderr, onlyJsonDocument(json.stdout)]).toEqual(['', { error: { code, message, hint } }]);
  });

  it('names the deployment in progress when another one holds the lock', async () => {
    // Prepare
    const message = `deployment rel-1-3-9-20261110-080000-abcd is in progress, not ${DEPLOYMENT}: nothing was done`;
    const world = rollbackWorld('RUNNING', { status: 409, body: { error: 'NotTheDeploymentInProgress', message } });

    // Act
    const { code, stderr } = await world.run(['rollback', DEPLOYMENT, '--reason', REASON]);

    // Assess
    expect(code).toBe(EXIT_CODES.REFUSED);
    expect(stderr).toBe(`crew: ${message}\n  ${STATUS_HINT}\n`);
    expect(world.urlCalls.map((call) => call.body)).toEqual([{ deployment: DEPLOYMENT, reason: REASON }]);
  });
});
