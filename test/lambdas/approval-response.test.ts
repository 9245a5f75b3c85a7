import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { createApprovalResponder } from '../../lambdas/approval-response/respond';
import { approvalDecisionSchema } from '../../lambdas/shared/contracts';
import {
  ACCESS,
  CHAIRMAN_ARN,
  DEPUTY_ARN,
  fakeTaskToken,
  fixedClock,
  functionUrlEvent,
  NOW,
  readApproval,
  readParsedApproval,
  seedApproval,
  TABLE_NAME,
  uniqueDeploymentName,
  useApprovalResponder,
} from './approval-support';

const { sfnMock, table, responder } = useApprovalResponder();
const ANSWERED_AT = NOW.toISOString();

/** Answers as `identity` through the function URL: the answer, or the refusal thrown as an error of its name. */
async function answerAs(identity: string, body: Record<string, unknown>, answering = responder()) {
  const response = await answering.handleEvent(functionUrlEvent(body, identity));
  const parsed = JSON.parse(response.body);
  if (response.statusCode === 200) return parsed;
  throw Object.assign(new Error(parsed.message), { name: parsed.error, statusCode: response.statusCode });
}

/** As the SDK throws it after a single attempt: nothing of ours reached Step Functions before (see deliver.ts). */
function sfnError(ErrorClass: new (options: { message: string; $metadata: object }) => Error, token: string) {
  return new ErrorClass({ message: `Provided task token is no longer valid: ${token}`, $metadata: { attempts: 1 } });
}

describe('approve', () => {
  it('sends the decision to Step Functions and records the verified approver', async () => {
    // Prepare
    const name = uniqueDeploymentName('approve');
    const token = fakeTaskToken('approve');
    await seedApproval(table().ddb, { name, token });

    // Act
    const result = await answerAs(CHAIRMAN_ARN, {
      deployment: name,
      decision: 'approve',
    });

    // Assess
    expect(result).toEqual({
      deployment: name,
      kind: 'START',
      decision: 'approve',
      approver: { identity: CHAIRMAN_ARN, verified: true },
      answeredAt: ANSWERED_AT,
    });
    const calls = sfnMock.commandCalls(SendTaskSuccessCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      taskToken: token,
      output: `{"approved":true,"kind":"START","approver":{"identity":"${CHAIRMAN_ARN}","verified":true},"answeredAt":"${ANSWERED_AT}"}`,
    });
    expect(v.safeParse(approvalDecisionSchema, JSON.parse(calls[0]?.args[0].input.output ?? '')).success).toBe(true);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    const item = await readParsedApproval(table().ddb, name);
    expect(item).toMatchObject({
      status: 'APPROVED',
      approver: CHAIRMAN_ARN,
      approverVerified: true,
      answeredAt: ANSWERED_AT,
      deliveredAt: ANSWERED_AT,
    });
    expect(item.reason).toBeUndefined();
  });

  it('passes an optional approval reason on', async () => {
    // Prepare
    const name = uniqueDeploymentName('approve-reason');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('approve-reason') });

    // Act
    await answerAs(CHAIRMAN_ARN, {
      deployment: name,
      decision: 'approve',
      reason: 'release window',
    });

    // Assess
    const output = JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output.reason).toBe('release window');
    expect((await readApproval(table().ddb, name))?.reason).toBe('release window');
  });

  it('refuses unknown fields and a token pasted into the answer', async () => {
    // Prepare
    const name = uniqueDeploymentName('strict');

    // Act
    const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve', taskToken: 'x' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'InvalidInput' });
  });
});

describe('reject', () => {
  it('requires a reason', async () => {
    // Prepare
    const name = uniqueDeploymentName('reject-no-reason');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('reject-no-reason') });

    // Act
    const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'reject' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('reason') });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect((await readApproval(table().ddb, name))?.status).toBe('PENDING');
  });

  it('fails the task with ApprovalRejected and records who and why', async () => {
    // Prepare
    const name = uniqueDeploymentName('reject');
    const token = fakeTaskToken('reject');
    await seedApproval(table().ddb, { name, token });

    // Act
    const result = await answerAs(CHAIRMAN_ARN, {
      deployment: name,
      decision: 'reject',
      reason: 'not during the sale',
    });

    // Assess
    expect(result).toMatchObject({ decision: 'reject', kind: 'START' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      {
        taskToken: token,
        error: 'ApprovalRejected',
        cause: `Rejected by ${CHAIRMAN_ARN} at ${ANSWERED_AT}: not during the sale`,
      },
    ]);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(await readApproval(table().ddb, name)).toMatchObject({
      status: 'REJECTED',
      approver: CHAIRMAN_ARN,
      approverVerified: true,
      answeredAt: ANSWERED_AT,
      reason: 'not during the sale',
    });
  });

  it('declines a database rollback with DatabaseRollbackDeclined', async () => {
    // Prepare
    const name = uniqueDeploymentName('decline');
    await seedApproval(table().ddb, { name, kind: 'DATABASE_ROLLBACK', token: fakeTaskToken('decline') });

    // Act
    await answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'reject', reason: 'keep the orders' });

    // Assess
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input.error).toBe('DatabaseRollbackDeclined');
    expect((await readApproval(table().ddb, name, 'DATABASE_ROLLBACK'))?.status).toBe('REJECTED');
  });
});

describe('finding the approval', () => {
  it('answers NothingToApprove when no approval exists', async () => {
    // Prepare
    const name = uniqueDeploymentName('nothing');

    // Act
    const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve' });

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'NothingToApprove',
      message: `no approval is waiting for deployment ${name}`,
    });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('answers NothingToApprove, saying what happened, when the only approval was answered', async () => {
    // Prepare
    const name = uniqueDeploymentName('answered');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('answered') });
    await answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve' });
    sfnMock.resetHistory();

    // Act
    const outcome = answerAs(DEPUTY_ARN, { deployment: name, decision: 'approve' });

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'NothingToApprove',
      message: expect.stringContaining(`START approved by ${CHAIRMAN_ARN} at ${ANSWERED_AT}`),
    });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('answers AlreadyAnswered, naming who answered and when, to a second answer of the same kind', async () => {
    // Prepare
    const name = uniqueDeploymentName('second');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('second') });
    await answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve', kind: 'START' });
    sfnMock.resetHistory();

    // Act
    const outcome = answerAs(DEPUTY_ARN, {
      deployment: name,
      decision: 'reject',
      reason: 'changed my mind',
      kind: 'START',
    });

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'AlreadyAnswered',
      message: expect.stringContaining(`approved by ${CHAIRMAN_ARN} at ${ANSWERED_AT}`),
    });
    expect(sfnMock.calls()).toHaveLength(0);
    expect((await readApproval(table().ddb, name))?.status).toBe('APPROVED');
  });

  it('lets exactly one of two simultaneous answers win', async () => {
    // Prepare
    const name = uniqueDeploymentName('race');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('race') });
    const answer = (approver: string) => answerAs(approver, { deployment: name, decision: 'approve', kind: 'START' });

    // Act
    const outcomes = await Promise.allSettled([answer(CHAIRMAN_ARN), answer(DEPUTY_ARN)]);

    // Assess
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toMatchObject({ name: 'AlreadyAnswered' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('asks for the kind when two approvals wait', async () => {
    // Prepare
    const name = uniqueDeploymentName('two');
    await seedApproval(table().ddb, { name, kind: 'START', token: fakeTaskToken('two-a') });
    await seedApproval(table().ddb, { name, kind: 'DATABASE_ROLLBACK', token: fakeTaskToken('two-b') });

    // Act
    const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'reject', reason: 'no' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ApprovalKindRequired' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('confirms a database restore only when the answer names the kind', async () => {
    // Prepare
    const name = uniqueDeploymentName('restore');
    const token = fakeTaskToken('restore');
    await seedApproval(table().ddb, { name, kind: 'DATABASE_ROLLBACK', token });

    // Act
    const withoutKind = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve' });
    await expect(withoutKind).rejects.toMatchObject({ name: 'ApprovalKindRequired' });
    const withKind = await answerAs(CHAIRMAN_ARN, {
      deployment: name,
      decision: 'approve',
      kind: 'DATABASE_ROLLBACK',
    });

    // Assess
    expect(withKind).toMatchObject({ kind: 'DATABASE_ROLLBACK', decision: 'approve' });
    const calls = sfnMock.commandCalls(SendTaskSuccessCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.taskToken).toBe(token);
    expect(JSON.parse(calls[0]?.args[0].input.output ?? '{}').kind).toBe('DATABASE_ROLLBACK');
  });

  it('answers the renewed request when a retried task replaced the token meanwhile', async () => {
    // Prepare
    const name = uniqueDeploymentName('renewed');
    const oldItem = await seedApproval(table().ddb, { name, token: fakeTaskToken('old') });
    const newToken = fakeTaskToken('new');
    const { ddb } = table();
    const realSend = ddb.send.bind(ddb);
    let renewed = false;
    const racingDdb = Object.create(ddb) as typeof ddb;
    racingDdb.send = (async (command: Parameters<typeof realSend>[0]) => {
      if (!renewed && command.constructor.name === 'UpdateCommand') {
        renewed = true;
        await realSend(new PutCommand({ TableName: TABLE_NAME, Item: { ...oldItem, taskToken: newToken } }));
      }
      return realSend(command);
    }) as typeof realSend;
    const racing = createApprovalResponder({
      ddb: racingDdb,
      sfn: new SFNClient({}),
      tableName: TABLE_NAME,
      clock: fixedClock,
      access: ACCESS,
    });

    // Act
    await answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve' }, racing);

    // Assess
    expect(renewed).toBe(true);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken)).toEqual([
      newToken,
    ]);
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', taskToken: newToken });
  });
});

describe('when Step Functions does not take the answer', () => {
  it.each([
    ['TaskTimedOut', TaskTimedOut],
    ['TaskDoesNotExist', TaskDoesNotExist],
    ['InvalidToken', InvalidToken],
  ] as const)(
    'marks the approval EXPIRED on %s at the only attempt and answers ApprovalExpired',
    async (errorName, ErrorClass) => {
      // Prepare
      const name = uniqueDeploymentName(`expired-${errorName}`);
      const token = fakeTaskToken(errorName);
      await seedApproval(table().ddb, { name, token });
      sfnMock.on(SendTaskSuccessCommand).rejects(sfnError(ErrorClass, token));

      // Act
      const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve' });

      // Assess
      const error = await outcome.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toMatchObject({ name: 'ApprovalExpired' });
      expect(String((error as Error).message)).toContain('nothing was approved');
      expect(String((error as Error).message)).not.toContain(token);
      expect(await readApproval(table().ddb, name)).toMatchObject({
        status: 'EXPIRED',
        expiryReason: errorName,
        expiredAt: ANSWERED_AT,
      });
    },
  );

  it('answers ApprovalExpired to a later answer naming the kind', async () => {
    // Prepare
    const name = uniqueDeploymentName('expired-later');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('expired-later'), status: 'EXPIRED' });

    // Act
    const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve', kind: 'START' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ApprovalExpired' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('keeps the claim on a transient error (an attempt may have landed), so that the same answer re-delivers', async () => {
    // Prepare
    const name = uniqueDeploymentName('throttled');
    const token = fakeTaskToken('throttled');
    await seedApproval(table().ddb, { name, token });
    sfnMock
      .on(SendTaskFailureCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));

    // Act
    const first = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'reject', reason: 'no' });
    await expect(first).rejects.toMatchObject({ name: 'TransientAwsError' });
    const afterFailure = await readApproval(table().ddb, name);
    const second = await answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'reject', reason: 'no' });

    // Assess
    expect(afterFailure).toMatchObject({
      status: 'REJECTED',
      approver: CHAIRMAN_ARN,
      answeredAt: ANSWERED_AT,
      reason: 'no',
      taskToken: token,
    });
    expect(second).toMatchObject({ decision: 'reject', delivery: 'repeated' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(2);
  });

  it('puts the approval back to PENDING on a refusal at the only attempt, naming it ApprovalDeliveryFailed', async () => {
    // Prepare
    const name = uniqueDeploymentName('denied');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('denied') });
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(
        Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { attempts: 1 } }),
      );

    // Act
    const outcome = answerAs(CHAIRMAN_ARN, { deployment: name, decision: 'approve' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ApprovalDeliveryFailed' });
    expect((await readApproval(table().ddb, name))?.status).toBe('PENDING');
  });
});

describe('answer through the function URL', () => {
  it('uses the IAM user ARN as the verified identity and answers 200', async () => {
    // Prepare
    const name = uniqueDeploymentName('url');
    const token = fakeTaskToken('url');
    await seedApproval(table().ddb, { name, token });

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve', approver: 'someone-else@example.com' }),
    );

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        deployment: name,
        kind: 'START',
        decision: 'approve',
        approver: { identity: CHAIRMAN_ARN, verified: true },
        answeredAt: ANSWERED_AT,
      }),
    });
    expect(JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}').approver).toEqual({
      identity: CHAIRMAN_ARN,
      verified: true,
    });
    expect(await readApproval(table().ddb, name)).toMatchObject({ approver: CHAIRMAN_ARN, approverVerified: true });
  });

  it('reads a base64-encoded body', async () => {
    // Prepare
    const name = uniqueDeploymentName('url-b64');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('url-b64') });

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'reject', reason: 'wait for Monday' }, CHAIRMAN_ARN, {
        base64: true,
      }),
    );

    // Assess
    expect(response).toMatchObject({ statusCode: 200 });
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'REJECTED', reason: 'wait for Monday' });
  });

  it('answers each refusal with its HTTP status and error name', async () => {
    // Prepare
    const answered = uniqueDeploymentName('url-answered');
    await seedApproval(table().ddb, { name: answered, token: fakeTaskToken('url-answered') });
    await answerAs(CHAIRMAN_ARN, { deployment: answered, decision: 'approve' });
    const expired = uniqueDeploymentName('url-expired');
    await seedApproval(table().ddb, { name: expired, token: fakeTaskToken('url-expired'), status: 'EXPIRED' });
    const cases = [
      [
        functionUrlEvent({ deployment: uniqueDeploymentName('url-none'), decision: 'approve' }),
        404,
        'NothingToApprove',
      ],
      [
        functionUrlEvent({ deployment: answered, decision: 'approve', kind: 'START' }, DEPUTY_ARN),
        409,
        'AlreadyAnswered',
      ],
      [functionUrlEvent({ deployment: expired, decision: 'approve', kind: 'START' }), 410, 'ApprovalExpired'],
      [functionUrlEvent({ deployment: answered, decision: 'reject' }), 400, 'InvalidInput'],
      [{ ...functionUrlEvent({}), body: '{not json' }, 400, 'InvalidInput'],
      [functionUrlEvent({ deployment: answered, decision: 'approve' }, null), 401, 'Unauthenticated'],
      [
        functionUrlEvent({ deployment: answered, decision: 'approve' }, CHAIRMAN_ARN, { method: 'GET' }),
        405,
        'MethodNotAllowed',
      ],
      [
        functionUrlEvent({ deployment: answered, decision: 'approve' }, 'arn:aws:iam::123456789012:user/intern'),
        403,
        'CallerNotAllowed',
      ],
    ] as const;

    // Act
    const responses = [];
    for (const [event] of cases) responses.push(await responder().handleEvent(event));

    // Assess
    expect(
      responses.map((response) => {
        const http = response as { statusCode: number; headers: Record<string, string>; body: string };
        return [http.statusCode, JSON.parse(http.body).error, http.headers['content-type']];
      }),
    ).toEqual(cases.map(([, status, name]) => [status, name, 'application/json']));
  });

  it("answers 503 on a transient Step Functions error and keeps the answer recorded as the caller's", async () => {
    // Prepare
    const name = uniqueDeploymentName('url-503');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('url-503') });
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: {} }));

    // Act
    const response = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess
    expect(response).toMatchObject({ statusCode: 503 });
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', approver: CHAIRMAN_ARN });
  });

  it('answers 410 and marks EXPIRED when the task timed out, without echoing the token', async () => {
    // Prepare
    const name = uniqueDeploymentName('url-410');
    const token = fakeTaskToken('url-410');
    await seedApproval(table().ddb, { name, token });
    sfnMock.on(SendTaskSuccessCommand).rejects(sfnError(TaskTimedOut, token));

    // Act
    const response = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess
    expect(response).toMatchObject({ statusCode: 410 });
    expect(JSON.stringify(response)).not.toContain('SECRET-TOKEN');
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'EXPIRED' });
  });
});
