import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalResponder } from '../../lambdas/approval-response/respond';
import { awsClientConfig } from '../../lambdas/shared/aws-clients';
import { APPROVAL_RESPONSE_SDK_LIMITS } from '../../lambdas/shared/config/approval-response';
import { logger } from '../../lambdas/shared/logger';
import {
  ACCOUNT_ID,
  CHAIRMAN_ROLE_ARN,
  fakeTaskToken,
  fixedClock,
  functionUrlEvent,
  type LocalTable,
  readApproval,
  seedApproval,
  startLocalTable,
  TABLE_NAME,
  uniqueDeploymentName,
} from './approval-support';

/**
 * The lost response with the function's real Step Functions client (its limits: 2 attempts, 2 s request timeout)
 * against a local server speaking the Step Functions protocol: the SDK itself retries the call that timed out, and
 * says how many attempts it made.
 */

const ACCESS = { approvers: [CHAIRMAN_ROLE_ARN], accountId: ACCOUNT_ID, region: 'eu-west-1' };

type Reply = 'hang' | 'task-timed-out';
let replies: Reply[] = [];
let targets: string[] = [];
let server: Server;
let endpoint: string;
let table: LocalTable;

function taskTimedOut(response: ServerResponse) {
  response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(
    JSON.stringify({ __type: 'com.amazonaws.swf.service.v2.model#TaskTimedOut', message: 'Task Timed Out' }),
  );
}

function serve(request: IncomingMessage, response: ServerResponse) {
  targets.push(String(request.headers['x-amz-target']));
  request.resume();
  // A request left hanging is the one whose response was lost: the client gives up on it after its request timeout.
  if (replies.shift() === 'task-timed-out') request.on('end', () => taskTimedOut(response));
}

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  table = await startLocalTable();
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await table.close();
});

function responder() {
  const sfn = new SFNClient({
    ...awsClientConfig(APPROVAL_RESPONSE_SDK_LIMITS),
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  return createApprovalResponder({ ddb: table.ddb, sfn, tableName: TABLE_NAME, clock: fixedClock, access: ACCESS });
}

describe('a lost SendTaskSuccess response, through the real SDK client', () => {
  it('answers closed-before-deadline when the SDK retried a timed-out attempt and found the token closed', async () => {
    // Prepare
    const name = uniqueDeploymentName('sdk-lost');
    await seedApproval(table.ddb, { name, token: fakeTaskToken('sdk-lost') });
    replies = ['hang', 'task-timed-out'];
    targets = [];

    // Act
    const response = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess
    expect(targets).toEqual(['AWSStepFunctions.SendTaskSuccess', 'AWSStepFunctions.SendTaskSuccess']);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ delivery: 'closed-before-deadline' });
    expect(await readApproval(table.ddb, name)).toMatchObject({ status: 'APPROVED', closedReason: 'TaskTimedOut' });
  }, 15_000);

  it('still answers 410 "nothing was approved" when the token was closed at the only attempt', async () => {
    // Prepare
    const name = uniqueDeploymentName('sdk-closed');
    await seedApproval(table.ddb, { name, token: fakeTaskToken('sdk-closed') });
    replies = ['task-timed-out'];
    targets = [];

    // Act
    const response = await responder().handleEvent(functionUrlEvent({ deployment: name, decision: 'approve' }));

    // Assess
    expect(targets).toHaveLength(1);
    expect(response.statusCode).toBe(410);
    expect(JSON.parse(response.body).message).toContain('nothing was approved');
    expect(await readApproval(table.ddb, name)).toMatchObject({ status: 'EXPIRED', expiryReason: 'TaskTimedOut' });
  });
});
