import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  CHAIRMAN_ARN,
  DEPUTY_ARN,
  fakeTaskToken,
  functionUrlEvent,
  NOW,
  readApproval,
  seedApproval,
  uniqueDeploymentName,
  useApprovalResponder,
} from './approval-support';

/**
 * Review 14: an answer whose response was lost. The SDK retries a SendTask* call that timed out on our side; when the
 * first attempt had landed, the retry finds the token closed. Before the deadline that is not an expiry.
 */

const { sfnMock, table, responder } = useApprovalResponder();
const ANSWERED_AT = NOW.toISOString();
/** The seeded approvals' deadline is NOW + 3600 s. */
const AFTER_DEADLINE = new Date(NOW.getTime() + 3_601_000);

/** What the SDK throws after `attempts` attempts; no `attempts` is what a mocked client gives (the count unknown). */
function sfnError(
  ErrorClass: new (options: { message: string; $metadata: object }) => Error,
  token: string,
  attempts?: number,
) {
  return new ErrorClass({
    message: `Provided task token is no longer valid: ${token}`,
    $metadata: attempts === undefined ? {} : { attempts },
  });
}

function timeoutError() {
  return Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: { attempts: 2 } });
}

describe('review: a delivery whose response was lost inside the SDK', () => {
  it('a SendTaskSuccess retried by the SDK after its first attempt went through is not recorded as EXPIRED', async () => {
    // Prepare: attempt 1 timed out on our side after Step Functions took it, attempt 2 found the token closed.
    const name = uniqueDeploymentName('lost-response');
    const token = fakeTaskToken('lost');
    await seedApproval(table().ddb, { name, token });
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(sfnError(TaskTimedOut, token));

    // Act
    const response = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess: well before the deadline, the answer stands; the record and the reply say what is known.
    const item = await readApproval(table().ddb, name);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      decision: 'approve',
      answeredAt: ANSWERED_AT,
      delivery: 'closed-before-deadline',
    });
    expect(JSON.stringify(response)).not.toContain('SECRET-TOKEN');
    expect(item).toMatchObject({
      status: 'APPROVED',
      approver: CHAIRMAN_ARN,
      closedAt: ANSWERED_AT,
      closedReason: 'TaskTimedOut',
    });
    expect(item).not.toHaveProperty('expiredAt');
    expect(item).not.toHaveProperty('deliveredAt');
  });

  it('a transient error after Step Functions took the answer: the repeated answer is not reported as expired', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-response-2');
    const token = fakeTaskToken('lost2');
    await seedApproval(table().ddb, { name, token });
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }))
      .rejectsOnce(sfnError(TaskTimedOut, token));

    // Act
    const first = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));
    const afterFirst = await readApproval(table().ddb, name);
    const second = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess: the claim was kept, and the same answer sent again is the one that counts.
    expect(first.statusCode).toBe(503);
    expect(JSON.parse(first.body).message).toContain('send the same answer again');
    expect(afterFirst).toMatchObject({ status: 'APPROVED', approver: CHAIRMAN_ARN, answeredAt: ANSWERED_AT });
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toMatchObject({ delivery: 'closed-before-deadline', answeredAt: ANSWERED_AT });
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', closedReason: 'TaskTimedOut' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
  });

  it('keeps another approver from answering differently while the delivery is unconfirmed', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-other');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('lost-other') });
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(timeoutError());
    await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Act
    const other = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'reject', reason: 'not now', kind: 'START' }, DEPUTY_ARN),
    );

    // Assess
    expect(other.statusCode).toBe(409);
    expect(JSON.parse(other.body)).toMatchObject({ error: 'AlreadyAnswered' });
    expect(JSON.parse(other.body).message).toContain(CHAIRMAN_ARN);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', approver: CHAIRMAN_ARN });
  });

  it.each([
    ['TaskDoesNotExist', TaskDoesNotExist],
    ['InvalidToken', InvalidToken],
  ] as const)('treats %s after a retried attempt before the deadline the same way', async (errorName, ErrorClass) => {
    // Prepare
    const name = uniqueDeploymentName(`lost-${errorName}`);
    const token = fakeTaskToken(errorName);
    await seedApproval(table().ddb, { name, token });
    sfnMock.on(SendTaskFailureCommand).rejects(sfnError(ErrorClass, token, 2));

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'reject', reason: 'no' }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ decision: 'reject', delivery: 'closed-before-deadline' });
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'REJECTED', closedReason: errorName });
  });

  it('after the deadline records EXPIRED but does not claim that nothing was approved', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-late');
    const token = fakeTaskToken('lost-late');
    await seedApproval(table().ddb, { name, token });
    sfnMock.on(SendTaskSuccessCommand).rejects(sfnError(TaskTimedOut, token, 2));

    // Act
    const response = await responder(() => new Date(AFTER_DEADLINE)).handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve' }),
    );

    // Assess
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(410);
    expect(body.message).toContain('may have landed');
    expect(body.message).not.toContain('nothing was');
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'EXPIRED', expiryReason: 'TaskTimedOut' });
  });

  it('keeps the claim on a refusal after a retried attempt, and the same answer again re-delivers', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-refused');
    const token = fakeTaskToken('lost-refused');
    await seedApproval(table().ddb, { name, token });
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { attempts: 2 } }));

    // Act
    const first = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));
    const afterFirst = await readApproval(table().ddb, name);
    const second = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess
    expect(JSON.parse(first.body)).toMatchObject({ error: 'ApprovalDeliveryFailed' });
    expect(afterFirst).toMatchObject({ status: 'APPROVED', approver: CHAIRMAN_ARN });
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toMatchObject({ delivery: 'repeated' });
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', deliveredAt: ANSWERED_AT });
  });

  it('reports a repeat that finds the token closed after the deadline as already-closed, recording nothing new', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-repeat-late');
    const token = fakeTaskToken('lost-repeat-late');
    await seedApproval(table().ddb, { name, token });
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(timeoutError()).rejects(sfnError(TaskTimedOut, token));
    await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Act
    const late = await responder(() => new Date(AFTER_DEADLINE)).handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve' }),
    );

    // Assess
    expect(late.statusCode).toBe(200);
    expect(JSON.parse(late.body)).toMatchObject({ delivery: 'already-closed' });
    expect(await readApproval(table().ddb, name)).not.toHaveProperty('closedAt');
  });
});
