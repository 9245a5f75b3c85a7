import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ApprovalRequest,
  approvalRequestSchema,
  createApprovalRequester,
} from '../../lambdas/approval-request/request';
import { APPROVAL_ITEM_RETENTION_SECONDS } from '../../lambdas/shared/approval-item';
import { logger } from '../../lambdas/shared/logger';
import {
  deploymentRef,
  fakeTaskToken,
  fixedClock,
  type LocalTable,
  NOW,
  REQUEST_CONFIG,
  readApproval,
  startLocalTable,
  startRequest,
  TARGETS,
  uniqueDeploymentName,
} from './approval-support';

const snsMock = mockClient(SNSClient);
let table: LocalTable;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  table = await startLocalTable();
});

afterAll(async () => {
  await table.close();
  snsMock.restore();
});

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

function requester() {
  return createApprovalRequester({ ddb: table.ddb, sns: new SNSClient({}), config: REQUEST_CONFIG, clock: fixedClock });
}

describe('approval request', () => {
  it('stores the token under the deployment name, PENDING, with a TTL safety net', async () => {
    // Prepare
    const name = uniqueDeploymentName('store');
    const token = fakeTaskToken('store');

    // Act
    const result = await requester()(startRequest(name, token));

    // Assess
    expect(result).toEqual({ notified: true, messageId: 'message-1' });
    const item = await readApproval(table.ddb, name);
    expect(item).toEqual({
      pk: `DEPLOYMENT#${name}`,
      sk: 'APPROVAL#START',
      taskToken: token,
      status: 'PENDING',
      kind: 'START',
      deploymentName: name,
      executionArn: deploymentRef(name).executionArn,
      requestedAt: NOW.toISOString(),
      deadline: '2026-11-24T11:00:00Z',
      timeoutSeconds: 3600,
      expiresAt: NOW.getTime() / 1000 + 3600 + APPROVAL_ITEM_RETENTION_SECONDS,
      releaseVersion: '1.4.0',
      requestedBy: 'release-pipeline',
    });
  });

  it('publishes what is about to happen and how to answer, without the token', async () => {
    // Prepare
    const name = uniqueDeploymentName('publish');
    const token = fakeTaskToken('publish');

    // Act
    await requester()(startRequest(name, token));

    // Assess
    const calls = snsMock.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe(REQUEST_CONFIG.topicArn);
    expect(input?.Subject).toBe(`Approve deployment 1.4.0 (${name})?`);
    expect(input?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'START' },
      deployment: { DataType: 'String', StringValue: name },
    });
    const message = input?.Message ?? '';
    expect(message).toContain(name);
    expect(message).toContain('1.4.0');
    expect(message).toContain(TARGETS.listenerArn);
    for (const arn of TARGETS.targetGroupArns) expect(message).toContain(arn);
    expect(message).toContain('shop-prod-db');
    expect(message).toContain(`-d '{"deployment":"${name}","decision":"approve"}' ${REQUEST_CONFIG.approvalUrl}`);
    expect(message).not.toContain(token);
    expect(message).not.toContain('SECRET-TOKEN');
    expect(JSON.stringify(input)).not.toContain('SECRET-TOKEN');
  });

  it('overwrites an earlier request of the same kind: a retried task brings a new token', async () => {
    // Prepare
    const name = uniqueDeploymentName('retry');
    await requester()(startRequest(name, fakeTaskToken('first')));

    // Act
    await requester()(startRequest(name, fakeTaskToken('second')));

    // Assess
    const item = await readApproval(table.ddb, name);
    expect(item?.taskToken).toBe(fakeTaskToken('second'));
    expect(item?.status).toBe('PENDING');
  });

  it('stores the item before publishing, so an SNS failure leaves a retry-able state', async () => {
    // Prepare
    const name = uniqueDeploymentName('sns-fails');
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    // Act
    const outcome = requester()(startRequest(name, fakeTaskToken('sns')));

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'Throttling' });
    expect((await readApproval(table.ddb, name))?.status).toBe('PENDING');
  });

  it('publishes the DATABASE_ROLLBACK request with the lost-writes warning', async () => {
    // Prepare
    const name = uniqueDeploymentName('rollback');
    const request: ApprovalRequest = {
      ...startRequest(name, fakeTaskToken('rollback')),
      kind: 'DATABASE_ROLLBACK',
      context: { snapshotIdentifier: 'snap-1', snapshotCreatedAt: '2026-11-24T09:58:00Z', reason: 'canary failed' },
    };

    // Act
    await requester()(request);

    // Assess
    expect((await readApproval(table.ddb, name, 'DATABASE_ROLLBACK'))?.sk).toBe('APPROVAL#DATABASE_ROLLBACK');
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.Subject).toContain('writes will be lost');
    expect(input?.Message).toContain('LOSES EVERY WRITE');
    expect(input?.Message).toContain('snap-1');
  });
});

describe('approval request payload', () => {
  it('accepts what the state machine sends', () => {
    // Prepare
    const payload = { ...startRequest('shop-1', 'token') };

    // Act
    const parsed = v.safeParse(approvalRequestSchema, payload);

    // Assess
    expect(parsed.success).toBe(true);
  });

  it('refuses a DATABASE_ROLLBACK request that does not name the snapshot and its time', () => {
    // Prepare
    const payload = { ...startRequest('shop-1', 'token'), kind: 'DATABASE_ROLLBACK', context: { reason: 'x' } };

    // Act
    const parsed = v.safeParse(approvalRequestSchema, payload);

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.issues?.map((issue) => v.getDotPath(issue))).toEqual([
      'context.snapshotIdentifier',
      'context.snapshotCreatedAt',
    ]);
  });

  it('refuses unknown fields and a non-positive timeout', () => {
    // Prepare
    const payloads = [
      { ...startRequest('shop-1', 'token'), extra: true },
      { ...startRequest('shop-1', 'token'), timeoutSeconds: 0 },
      { ...startRequest('shop-1', 'token'), kind: 'DEPLOY' },
    ];

    // Act
    const results = payloads.map((payload) => v.safeParse(approvalRequestSchema, payload).success);

    // Assess
    expect(results).toEqual([false, false, false]);
  });
});
