import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApprovalItem } from '../../lambdas/shared/approval-item';
import { APPROVAL_RESPONSE_MAX_SDK_CALLS } from '../../lambdas/shared/config/approval-response';
import {
  ACCOUNT_ID,
  CHAIRMAN_ARN,
  CHAIRMAN_ROLE_ARN,
  fakeLambdaContext,
  functionUrlEvent,
  NOW,
  seedItem,
} from './approval-support';

/**
 * The approval function's longest path, through the real handler (index.ts), counted: the number its timeout is
 * checked against at synth (lib/agents/approval-response.ts) must be the most calls an answer can make.
 */

vi.hoisted(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
type Handler = (event: unknown, context: ReturnType<typeof fakeLambdaContext>) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('TABLE_NAME', 'deployment-crew-state');
  vi.stubEnv('APPROVERS', JSON.stringify([CHAIRMAN_ROLE_ARN]));
  vi.stubEnv('ACCOUNT_ID', ACCOUNT_ID);
  ({ handler } = await import('../../lambdas/approval-response/index'));
});

afterAll(() => {
  ddb.restore();
  sfn.restore();
  vi.unstubAllEnvs();
});

describe('approval function: bounded in time', () => {
  it(`makes at most ${APPROVAL_RESPONSE_MAX_SDK_CALLS} AWS calls on its longest path`, async () => {
    // Prepare: two claims lost to renewed requests, a third to the same approver's own answer (delivered again).
    const pending = (token: string): ApprovalItem => seedItem('release-1-4-0', token);
    const ownAnswer: ApprovalItem = {
      ...pending('token-c'),
      status: 'APPROVED',
      approver: CHAIRMAN_ARN,
      approverVerified: true,
      answeredAt: NOW.toISOString(),
    };
    const lost = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: pending('token-a') })
      .resolvesOnce({ Item: pending('token-b') })
      .resolvesOnce({ Item: pending('token-b') })
      .resolvesOnce({ Item: pending('token-c') })
      .resolvesOnce({ Item: pending('token-c') })
      .resolves({ Item: ownAnswer });
    ddb.on(UpdateCommand).rejectsOnce(lost).rejectsOnce(lost).rejectsOnce(lost).resolves({});
    sfn.on(SendTaskSuccessCommand).resolves({});
    const event = functionUrlEvent({ deployment: 'release-1-4-0', decision: 'approve', kind: 'START' });

    // Act
    const response = await handler(event, fakeLambdaContext('ApprovalResponse'));

    // Assess
    expect(response).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ delivery: 'repeated' });
    expect(ddb.calls().length + sfn.calls().length).toBe(APPROVAL_RESPONSE_MAX_SDK_CALLS);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken)).toEqual(['token-c']);
  });
});
