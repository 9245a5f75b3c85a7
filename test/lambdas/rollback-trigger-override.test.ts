import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';
import { rejection } from '../support/errors';
import { putHeldLock } from '../support/lock-fixtures';
import { ALARM_ROUTES, LISTENER } from '../support/rollback-trigger-world';
import { fakeLambdaContext } from './approval-support';

/**
 * The Chairman's override through the real handler (index.ts) on dynalite: only a configured approver, signed through
 * the function URL, may ask for a rollback; anything else is refused, logged and recorded on the lock.
 */

vi.hoisted(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

const ACCOUNT = '123456789012';
/** The approver is a role with a path; its sessions carry only its name. */
const APPROVER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops/Chairman`;
const CHAIRMAN_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/Chairman/jane`;
const LOCK_KEY = `LOCK#${LISTENER}#override`;
const HOLDER = 'release-1-4-0';
const context = fakeLambdaContext('DeploymentCrew-RollbackTrigger');

type Handler = (event: unknown, ctx: typeof context) => Promise<unknown>;
let dynamo: LocalDocumentDynamo;
let handler: Handler;
const sfn = mockClient(SFNClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

function urlEvent(body: unknown, userArn: string, callerAccount = ACCOUNT) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: callerAccount,
      apiId: 'rollbackurlid',
      domainName: 'rollbackurlid.lambda-url.eu-west-1.on.aws',
      requestId: 'request-1',
      timeEpoch: Date.now(),
      http: { method: 'POST', path: '/', sourceIp: '203.0.113.7' },
      authorizer: { iam: { accessKey: 'ASIA', accountId: callerAccount, userArn, userId: 'AROA:jane' } },
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

async function lockItem(): Promise<Record<string, unknown>> {
  const { Item } = await dynamo.ddb.send(
    new GetCommand({ TableName: STATE_TABLE_NAME, Key: { pk: LOCK_KEY, sk: LOCK_SORT_KEY }, ConsistentRead: true }),
  );
  return Item ?? {};
}

beforeAll(async () => {
  dynamo = await startLocalDocumentDynamo();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'fake');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake');
  vi.stubEnv('TABLE_NAME', STATE_TABLE_NAME);
  vi.stubEnv('LOCK_KEY', LOCK_KEY);
  vi.stubEnv('LISTENER_ARN', LISTENER);
  vi.stubEnv('ALARM_ROUTES', JSON.stringify(ALARM_ROUTES));
  vi.stubEnv('APPROVERS', JSON.stringify([APPROVER_ROLE]));
  vi.stubEnv('ACCOUNT_ID', ACCOUNT);
  ({ handler } = await import('../../lambdas/rollback-trigger/index'));
});

afterAll(async () => {
  sfn.restore();
  elb.restore();
  vi.unstubAllEnvs();
  await dynamo.close();
});

beforeEach(async () => {
  sfn.reset();
  elb.reset();
  await putHeldLock(dynamo.ddb, LOCK_KEY, HOLDER, { phase: 'VALIDATION' });
});

describe('the override: who may ask', () => {
  it('lets an approved role’s session override through the URL, recording its verified ARN', async () => {
    // Act
    const response = await handler(
      urlEvent({ deployment: HOLDER, reason: 'checkout complaints' }, CHAIRMAN_SESSION),
      context,
    );

    // Assess
    expect(response).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ action: 'flagged', deployment: HOLDER });
    expect((await lockItem()).rollback).toMatchObject({ trigger: 'MANUAL', requestedBy: CHAIRMAN_SESSION });
  });

  it('refuses a direct invocation shaped like a URL event (the identity in it is only claimed)', async () => {
    // Prepare: what `aws lambda invoke` can send, naming the Chairman.
    const forged = {
      requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: CHAIRMAN_SESSION } } },
      body: JSON.stringify({ deployment: HOLDER, reason: 'forged' }),
      isBase64Encoded: false,
    };

    // Act
    const response = await handler(forged, context);

    // Assess
    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse((response as { body: string }).body).message).toContain('not a function URL request');
    expect((await lockItem()).rollback).toBeUndefined();
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['a signed caller who is not an approver', `arn:aws:iam::${ACCOUNT}:user/intern`, ACCOUNT],
    [
      'a role of the same name in another account',
      'arn:aws:sts::210987654321:assumed-role/Chairman/eve',
      '210987654321',
    ],
  ])('answers 403 to %s and records the refusal on the lock', async (_, userArn, callerAccount) => {
    // Act
    const response = await handler(urlEvent({ deployment: HOLDER, reason: 'let me' }, userArn, callerAccount), context);

    // Assess
    expect(response).toMatchObject({ statusCode: 403 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ error: 'CallerNotAllowed' });
    const item = await lockItem();
    expect(item.rollback).toBeUndefined();
    expect(item.refusedOverrides).toEqual([
      { at: expect.any(String), caller: userArn, via: 'function-url', why: expect.stringContaining(userArn) },
    ]);
  });

  it('refuses a direct override naming someone, recording the name as claimed', async () => {
    // Act
    const error = await rejection(
      handler({ deployment: HOLDER, reason: 'checkout complaints', requestedBy: 'chairman@shop.example.com' }, context),
    );

    // Assess
    expect(error.name).toBe('CallerNotAllowed');
    const item = await lockItem();
    expect(item.rollback).toBeUndefined();
    expect(item.refusedOverrides).toEqual([
      {
        at: expect.any(String),
        caller: 'chairman@shop.example.com',
        via: 'direct-invocation',
        why: expect.stringContaining('function URL'),
      },
    ]);
  });

  it('records nothing on a lock held by another deployment than the one a refused call names', async () => {
    // Act
    const response = await handler(
      urlEvent({ deployment: 'release-9-9-9', reason: 'x' }, `arn:aws:iam::${ACCOUNT}:user/intern`),
      context,
    );

    // Assess
    expect(response).toMatchObject({ statusCode: 403 });
    expect((await lockItem()).refusedOverrides).toBeUndefined();
  });
});
