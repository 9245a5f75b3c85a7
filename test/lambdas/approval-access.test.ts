import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { approvalKey, MAX_REFUSED_CALLS } from '../../lambdas/shared/approval-item';
import { matchApprover } from '../../lambdas/shared/approvers';
import {
  ACCOUNT_ID,
  CHAIRMAN_ARN,
  FUNCTION_URL_ID,
  fakeTaskToken,
  functionUrlEvent,
  NOW,
  readApproval,
  seedApproval,
  TABLE_NAME,
  uniqueDeploymentName,
  useApprovalResponder,
} from './approval-support';

/**
 * Who may answer an approval (only a configured approver, signed through the function URL, in the stack's account),
 * what happens to everyone else (403, logged, recorded on the approval), and an answer sent again after its response
 * was lost (delivered again, never left undelivered).
 */

const APPROVERS = [`arn:aws:iam::${ACCOUNT_ID}:role/ops/Chairman`, `arn:aws:iam::${ACCOUNT_ID}:user/deputy`];
const INTERN = `arn:aws:iam::${ACCOUNT_ID}:user/intern`;
const ANSWERED_AT = NOW.toISOString();

const { sfnMock, table, responder } = useApprovalResponder({
  access: { approvers: APPROVERS, accountId: ACCOUNT_ID, region: 'eu-west-1' },
});

function bodyOf(response: { body: string }): Record<string, unknown> {
  return JSON.parse(response.body);
}

describe('forged identities', () => {
  it('refuses a direct invocation shaped like a URL event: nothing answered, nothing recorded as verified', async () => {
    // Prepare: what `aws lambda invoke` can send, claiming to be the Chairman.
    const name = uniqueDeploymentName('forged');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('forged') });
    const forged = {
      requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: CHAIRMAN_ARN } } },
      body: JSON.stringify({ deployment: name, decision: 'approve' }),
      isBase64Encoded: false,
    };

    // Act
    const response = await responder().handleEvent(forged);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).message).toContain('not a function URL request');
    expect(sfnMock.calls()).toHaveLength(0);
    const item = await readApproval(table().ddb, name);
    expect(item).toMatchObject({ status: 'PENDING' });
    expect(item).not.toHaveProperty('approverVerified');
  });

  it('refuses a URL-shaped payload whose domain is not a function URL of this region', async () => {
    // Prepare
    const name = uniqueDeploymentName('domain');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('domain') });
    const event = functionUrlEvent({ deployment: name, decision: 'approve' }, CHAIRMAN_ARN);
    event.requestContext.domainName = `${FUNCTION_URL_ID}.lambda-url.us-east-1.on.aws`;

    // Act
    const response = await responder().handleEvent(event);

    // Assess
    expect(response.statusCode).toBe(400);
    expect((await readApproval(table().ddb, name))?.status).toBe('PENDING');
  });

  it('refuses a direct invocation naming an approver, and records the name as claimed only', async () => {
    // Prepare
    const name = uniqueDeploymentName('direct');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('direct') });

    // Act
    const outcome = responder().handleEvent({ deployment: name, decision: 'approve', approver: CHAIRMAN_ARN });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'CallerNotAllowed' });
    expect(sfnMock.calls()).toHaveLength(0);
    const item = await readApproval(table().ddb, name);
    expect(item).toMatchObject({ status: 'PENDING' });
    expect(item).not.toHaveProperty('approver');
    expect(item?.refusedCalls).toEqual([
      { at: ANSWERED_AT, caller: CHAIRMAN_ARN, via: 'direct-invocation', why: expect.stringContaining('function URL') },
    ]);
  });
});

describe('the allow-list', () => {
  it.each([
    ['a signed caller who is not an approver', INTERN, ACCOUNT_ID],
    [
      'a session of a role of the same name in another account',
      'arn:aws:sts::210987654321:assumed-role/Chairman/eve',
      '210987654321',
    ],
    ['the account root', `arn:aws:iam::${ACCOUNT_ID}:root`, ACCOUNT_ID],
  ])('answers 403 to %s, logs it and records it on the approval', async (_, userArn, callerAccount) => {
    // Prepare
    const name = uniqueDeploymentName('not-approver');
    await seedApproval(table().ddb, { name, token: fakeTaskToken('not-approver') });

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve' }, userArn, { callerAccount }),
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response)).toMatchObject({ error: 'CallerNotAllowed' });
    expect(sfnMock.calls()).toHaveLength(0);
    const item = await readApproval(table().ddb, name);
    expect(item).toMatchObject({ status: 'PENDING' });
    expect(item?.refusedCalls).toEqual([
      { at: ANSWERED_AT, caller: userArn, via: 'function-url', why: expect.stringContaining(userArn) },
    ]);
  });

  it('records refusals on every approval of the deployment when no kind is named, and at most the cap', async () => {
    // Prepare
    const name = uniqueDeploymentName('cap');
    await seedApproval(table().ddb, { name, kind: 'START', token: fakeTaskToken('cap-a') });
    await seedApproval(table().ddb, { name, kind: 'DATABASE_ROLLBACK', token: fakeTaskToken('cap-b') });

    // Act
    for (let call = 0; call < MAX_REFUSED_CALLS + 2; call += 1) {
      await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }, INTERN));
    }

    // Assess
    expect((await readApproval(table().ddb, name, 'START'))?.refusedCalls).toHaveLength(MAX_REFUSED_CALLS);
    expect((await readApproval(table().ddb, name, 'DATABASE_ROLLBACK'))?.refusedCalls).toHaveLength(MAX_REFUSED_CALLS);
  });

  it('creates no item for a refused call naming a deployment that has none', async () => {
    // Prepare
    const name = uniqueDeploymentName('no-item');

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve', kind: 'START' }, INTERN),
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(await readApproval(table().ddb, name)).toBeUndefined();
  });

  it('matches sessions to their role (whatever its path) and users to themselves, in the account only', () => {
    // Assess
    expect(matchApprover(CHAIRMAN_ARN, APPROVERS, ACCOUNT_ID)?.arn).toBe(APPROVERS[0]);
    expect(matchApprover(`arn:aws:iam::${ACCOUNT_ID}:user/deputy`, APPROVERS, ACCOUNT_ID)?.arn).toBe(APPROVERS[1]);
    expect(matchApprover(`arn:aws:iam::${ACCOUNT_ID}:user/team/deputy`, APPROVERS, ACCOUNT_ID)?.arn).toBe(APPROVERS[1]);
    expect(matchApprover(`arn:aws:sts::${ACCOUNT_ID}:assumed-role/deputy/x`, APPROVERS, ACCOUNT_ID)).toBeUndefined();
    expect(matchApprover(`arn:aws:sts::${ACCOUNT_ID}:federated-user/Chairman`, APPROVERS, ACCOUNT_ID)).toBeUndefined();
    expect(
      matchApprover(`arn:aws-cn:sts::${ACCOUNT_ID}:assumed-role/Chairman/jane`, APPROVERS, ACCOUNT_ID),
    ).toBeUndefined();
    expect(matchApprover(CHAIRMAN_ARN, APPROVERS, '210987654321')).toBeUndefined();
  });
});

describe('an answer sent again after its response was lost', () => {
  /** The first call claimed the approval and ended before Step Functions heard of it. */
  async function claimedButNotDelivered(name: string, token: string, decided: 'APPROVED' | 'REJECTED' = 'APPROVED') {
    await seedApproval(table().ddb, { name, token });
    await table().ddb.send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: approvalKey(name, 'START'),
        UpdateExpression: 'SET #status = :s, approver = :a, approverVerified = :v, answeredAt = :t, reason = :r',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':s': decided, ':a': CHAIRMAN_ARN, ':v': true, ':t': ANSWERED_AT, ':r': 'sale' },
      }),
    );
  }

  it('delivers the recorded approval to Step Functions instead of answering AlreadyAnswered', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost');
    const token = fakeTaskToken('lost');
    await claimedButNotDelivered(name, token);

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve' }, CHAIRMAN_ARN),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ decision: 'approve', answeredAt: ANSWERED_AT, delivery: 'repeated' });
    const sent = sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input);
    expect(sent).toEqual([{ taskToken: token, output: expect.stringContaining(`"identity":"${CHAIRMAN_ARN}"`) }]);
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', deliveredAt: ANSWERED_AT });
  });

  it('delivers a recorded rejection again with its recorded reason', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-reject');
    const token = fakeTaskToken('lost-reject');
    await claimedButNotDelivered(name, token, 'REJECTED');

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'reject', reason: 'again', kind: 'START' }, CHAIRMAN_ARN),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(sfnMock.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: token, error: 'ApprovalRejected', cause: `Rejected by ${CHAIRMAN_ARN} at ${ANSWERED_AT}: sale` },
    ]);
  });

  it('answers 200 when the token was closed by the first delivery (TaskTimedOut on the repeat)', async () => {
    // Prepare
    const name = uniqueDeploymentName('delivered');
    const token = fakeTaskToken('delivered');
    await seedApproval(table().ddb, { name, token });
    await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }, CHAIRMAN_ARN));
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: `closed ${token}`, $metadata: {} }));

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve' }, CHAIRMAN_ARN),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ decision: 'approve', delivery: 'delivered-before' });
    expect(JSON.stringify(response)).not.toContain('SECRET-TOKEN');
    expect((await readApproval(table().ddb, name))?.status).toBe('APPROVED');
  });

  it('answers 503 on a transient error of the repeat, keeping the answer recorded for the next one', async () => {
    // Prepare
    const name = uniqueDeploymentName('lost-throttled');
    await claimedButNotDelivered(name, fakeTaskToken('lost-throttled'));
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision: 'approve' }, CHAIRMAN_ARN),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(await readApproval(table().ddb, name)).toMatchObject({ status: 'APPROVED', approver: CHAIRMAN_ARN });
  });

  it.each([
    ['another approver', `arn:aws:iam::${ACCOUNT_ID}:user/deputy`, 'approve'],
    ['the same approver with the other decision', CHAIRMAN_ARN, 'reject'],
  ] as const)('answers AlreadyAnswered to %s, without calling Step Functions', async (_, userArn, decision) => {
    // Prepare
    const name = uniqueDeploymentName('other');
    await claimedButNotDelivered(name, fakeTaskToken('other'));

    // Act
    const response = await responder().handleEvent(
      functionUrlEvent({ deployment: name, decision, reason: 'no', kind: 'START' }, userArn),
    );

    // Assess
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toMatchObject({ error: 'AlreadyAnswered' });
    expect(sfnMock.calls()).toHaveLength(0);
  });
});
