import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../crew/errors';
import { HTTP_STATUS_BY_ERROR } from '../../lambdas/approval-response/errors';
import type { ApprovalAnswerResult } from '../../lambdas/approval-response/respond';
import {
  APPROVAL_URL,
  CHAIRMAN,
  callsOf,
  crewWorld,
  DEPLOYMENT,
  onlyJsonDocument,
  STACK_NAME,
  STATE_MACHINE_ARN,
} from './support';

/**
 * `crew approve` / `crew reject`: the answer goes to the approval URL (signed, so the approver is whoever signed) only
 * when the deployment exists and is running; each refusal of the URL has its own exit code and message.
 */

const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${DEPLOYMENT}`;
const ANSWERED_AT = '2026-11-17T09:30:06.000Z';

function approved(overrides: Partial<ApprovalAnswerResult> = {}): ApprovalAnswerResult {
  return {
    deployment: DEPLOYMENT,
    kind: 'START',
    decision: 'approve',
    approver: { identity: CHAIRMAN, verified: true },
    answeredAt: ANSWERED_AT,
    ...overrides,
  };
}

/** A world whose deployment is in `status` and whose approval URL answers `reply`. */
function answerWorld(status = 'RUNNING', reply: { status: number; body: unknown } = { status: 200, body: approved() }) {
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

describe('crew approve', () => {
  it('checks the deployment runs, then posts the answer to the approval URL', async () => {
    // Prepare
    const world = answerWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['approve', DEPLOYMENT, '--reason', 'smoke tests are green']);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(callsOf(world.cloudFormation)).toEqual([['DescribeStacksCommand', { StackName: STACK_NAME }]]);
    expect(callsOf(world.sfn)).toEqual([['DescribeExecutionCommand', { executionArn: EXECUTION_ARN }]]);
    expect(world.dynamo.calls()).toEqual([]);
    expect(world.urlCalls).toEqual([
      { url: APPROVAL_URL, body: { deployment: DEPLOYMENT, decision: 'approve', reason: 'smoke tests are green' } },
    ]);
    expect(stdout).toMatchInlineSnapshot(`
      "Approved START of rel-1-4-0-20261117-093005-beef as arn:aws:sts::123456789012:assumed-role/Chairman/jane at 2026-11-17T09:30:06.000Z
        follow it: crew status rel-1-4-0-20261117-093005-beef --watch
      "
    `);
  });

  it('prints what the approval URL answered as the one JSON document with --json', async () => {
    // Prepare
    const world = answerWorld('RUNNING', { status: 200, body: approved({ delivery: 'repeated' }) });

    // Act
    const { code, stdout, stderr } = await world.run(['approve', DEPLOYMENT, '--json']);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(world.urlCalls.map((call) => call.body)).toEqual([{ deployment: DEPLOYMENT, decision: 'approve' }]);
    expect(onlyJsonDocument(stdout)).toEqual(approved({ delivery: 'repeated' }));
    expect(stdout).toMatchInlineSnapshot(`
      "{
        "deployment": "rel-1-4-0-20261117-093005-beef",
        "kind": "START",
        "decision": "approve",
        "approver": {
          "identity": "arn:aws:sts::123456789012:assumed-role/Chairman/jane",
          "verified": true
        },
        "answeredAt": "2026-11-17T09:30:06.000Z",
        "delivery": "repeated"
      }
      "
    `);
  });

  it('says how the answer was delivered when it was not simply taken at once', async () => {
    // Prepare
    const world = answerWorld('RUNNING', { status: 200, body: approved({ delivery: 'delivered-before' }) });

    // Act
    const { stdout } = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(stdout.split('\n')[1]).toBe('  delivery: delivered-before');
  });
});

describe('crew reject', () => {
  it('sends the reason and the kind, and says what was rejected', async () => {
    // Prepare
    const rejected = approved({ kind: 'DATABASE_ROLLBACK', decision: 'reject' });
    const world = answerWorld('RUNNING', { status: 200, body: rejected });

    // Act
    const { code, stdout } = await world.run([
      'reject',
      DEPLOYMENT,
      '--reason',
      'restore loses the orders of the last hour',
      '--kind',
      'DATABASE_ROLLBACK',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(world.urlCalls).toEqual([
      {
        url: APPROVAL_URL,
        body: {
          deployment: DEPLOYMENT,
          decision: 'reject',
          reason: 'restore loses the orders of the last hour',
          kind: 'DATABASE_ROLLBACK',
        },
      },
    ]);
    expect(stdout).toMatchInlineSnapshot(`
      "Rejected DATABASE_ROLLBACK of rel-1-4-0-20261117-093005-beef as arn:aws:sts::123456789012:assumed-role/Chairman/jane at 2026-11-17T09:30:06.000Z
        follow it: crew status rel-1-4-0-20261117-093005-beef --watch
      "
    `);
  });

  it('requires a reason, and sends nothing without one', async () => {
    // Prepare
    const world = answerWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['reject', DEPLOYMENT]);

    // Assess
    expect(code).toBe(EXIT_CODES.USAGE);
    expect(stdout).toBe('');
    expect(stderr).toContain("error: required option '--reason <text>' not specified");
    expect([world.cloudFormation.calls(), world.sfn.calls(), world.urlCalls]).toEqual([[], [], []]);
  });
});

describe('crew approve / reject refuse, and say why', () => {
  it('accepts only the two kinds of approval', async () => {
    // Prepare
    const world = answerWorld();

    // Act
    const { code, stderr } = await world.run(['approve', DEPLOYMENT, '--kind', 'CUTOVER']);

    // Assess
    expect(code).toBe(EXIT_CODES.USAGE);
    expect(stderr).toContain("error: option '--kind <kind>' argument 'CUTOVER' is invalid");
    expect(world.urlCalls).toEqual([]);
  });

  it('sends nothing for a blank deployment name: USAGE', async () => {
    // Prepare
    const world = answerWorld();

    // Act
    const { code, stderr } = await world.run(['approve', '  ']);

    // Assess
    expect(code).toBe(EXIT_CODES.USAGE);
    expect(stderr).toMatch(/^crew: deployment: .*\n {2}nothing was sent\n$/);
    expect([world.sfn.calls(), world.urlCalls]).toEqual([[], []]);
  });

  it('for a deployment the state machine never ran: UNKNOWN_DEPLOYMENT', async () => {
    // Prepare
    const world = answerWorld();
    world.sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${EXECUTION_ARN}'`, $metadata: {} }));

    // Act
    const human = await world.run(['approve', DEPLOYMENT]);
    const json = await world.run(['approve', DEPLOYMENT, '--json']);

    // Assess
    expect(human.code).toBe(EXIT_CODES.UNKNOWN_DEPLOYMENT);
    expect(human.stderr).toBe(
      `crew: no deployment named '${DEPLOYMENT}' in stack DeploymentCrew\n  crew history lists the deployments\n`,
    );
    expect(json.code).toBe(EXIT_CODES.UNKNOWN_DEPLOYMENT);
    expect(onlyJsonDocument(json.stdout)).toEqual({
      error: {
        code: 'UNKNOWN_DEPLOYMENT',
        message: `no deployment named '${DEPLOYMENT}' in stack DeploymentCrew`,
        hint: 'crew history lists the deployments',
      },
    });
    expect(world.urlCalls).toEqual([]);
  });

  it('for a deployment that has ended: NOTHING_WAITING, without calling the URL', async () => {
    // Prepare
    const world = answerWorld('SUCCEEDED');

    // Act
    const human = await world.run(['approve', DEPLOYMENT]);
    const json = await world.run(['--json', 'approve', DEPLOYMENT]);

    // Assess
    expect(human.code).toBe(EXIT_CODES.NOTHING_WAITING);
    expect(human.stderr).toBe(`crew: deployment ${DEPLOYMENT} is SUCCEEDED: nothing waits for an answer\n`);
    expect(onlyJsonDocument(json.stdout)).toEqual({
      error: {
        code: 'NOTHING_WAITING',
        message: `deployment ${DEPLOYMENT} is SUCCEEDED: nothing waits for an answer`,
        hint: null,
      },
    });
    expect(world.urlCalls).toEqual([]);
  });

  it("when the URL's IAM check denies the caller before the function runs: NOT_AN_APPROVER", async () => {
    // Prepare
    const world = answerWorld('RUNNING', { status: 403, body: { Message: 'Forbidden' } });

    // Act
    const { code, stderr } = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(code).toBe(EXIT_CODES.NOT_AN_APPROVER);
    expect(stderr).toBe(
      'crew: your IAM identity may not call the approval URL (lambda:InvokeFunctionUrl denied)\n' +
        "  the stack's approvers (prop approvers) may do this; check `aws sts get-caller-identity`\n",
    );
  });

  // Every refusal the approval function answers with (lambdas/approval-response/errors.ts), and what crew makes of it.
  const REFUSALS: Record<string, { code: keyof typeof EXIT_CODES; message: string; hint: string | null }> = {
    InvalidInput: { code: 'USAGE', message: 'InvalidInput: decision: invalid', hint: null },
    ApprovalKindRequired: {
      code: 'USAGE',
      message: 'the refusal',
      hint: 'say which with --kind START or --kind DATABASE_ROLLBACK',
    },
    Unauthenticated: {
      code: 'NOT_AN_APPROVER',
      message: 'refused: the refusal',
      hint: "the stack's approvers (prop approvers) may do this; check `aws sts get-caller-identity`",
    },
    CallerNotAllowed: {
      code: 'NOT_AN_APPROVER',
      message: 'the refusal',
      hint: "the stack's approvers (prop approvers) may answer",
    },
    NothingToApprove: {
      code: 'NOTHING_WAITING',
      message: `nothing waits for an answer on ${DEPLOYMENT}: the refusal`,
      hint: null,
    },
    AlreadyAnswered: { code: 'REFUSED', message: 'AlreadyAnswered: the refusal', hint: null },
    ApprovalConflict: {
      code: 'REFUSED',
      message: 'ApprovalConflict: the refusal',
      hint: 'another answer was being recorded: try again',
    },
    ApprovalExpired: {
      code: 'TOKEN_EXPIRED',
      message: `the approval of ${DEPLOYMENT} has expired: the refusal`,
      hint: null,
    },
    TransientAwsError: {
      code: 'AWS_ERROR',
      message: 'the approval function failed (TransientAwsError): the refusal',
      hint: 'try again',
    },
  };

  it('has a meaning for every refusal the approval function can answer', () => {
    // Assess
    expect(Object.keys(REFUSALS).sort()).toEqual(Object.keys(HTTP_STATUS_BY_ERROR).sort());
  });

  it.each(Object.entries(HTTP_STATUS_BY_ERROR))(
    'maps %s (HTTP %i) to its exit code and message',
    async (error, status) => {
      // Prepare
      const expected = REFUSALS[error];
      const message = error === 'InvalidInput' ? 'decision: invalid' : 'the refusal';
      const world = answerWorld('RUNNING', { status, body: { error, message } });

      // Act
      const human = await world.run(['approve', DEPLOYMENT]);
      const json = await world.run(['approve', DEPLOYMENT, '--json']);

      // Assess
      expect(expected).toBeDefined();
      if (expected === undefined) return;
      expect(human.code).toBe(EXIT_CODES[expected.code]);
      expect(human.stdout).toBe('');
      expect(human.stderr).toBe(`crew: ${expected.message}\n${expected.hint === null ? '' : `  ${expected.hint}\n`}`);
      expect(json.code).toBe(EXIT_CODES[expected.code]);
      expect(json.stderr).toBe('');
      expect(onlyJsonDocument(json.stdout)).toEqual({ error: expected });
    },
  );

  it('names the caller the function refused (caller not an approver)', async () => {
    // Prepare
    const refusal = `arn:aws:sts::123456789012:assumed-role/Developer/bob is not one of the configured approvers: nothing was done`;
    const world = answerWorld('RUNNING', { status: 403, body: { error: 'CallerNotAllowed', message: refusal } });

    // Act
    const { code, stderr } = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(code).toBe(EXIT_CODES.NOT_AN_APPROVER);
    expect(stderr).toBe(`crew: ${refusal}\n  the stack's approvers (prop approvers) may answer\n`);
  });

  it('reports an internal failure of the function as an AWS error, to try again', async () => {
    // Prepare
    const world = answerWorld('RUNNING', {
      status: 500,
      body: { error: 'InternalError', message: 'internal error: nothing was recorded' },
    });

    // Act
    const { code, stderr } = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(code).toBe(EXIT_CODES.AWS_ERROR);
    expect(stderr).toBe(
      'crew: the approval function failed (InternalError): internal error: nothing was recorded\n  try again\n',
    );
  });
});
