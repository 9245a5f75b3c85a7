import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type Action,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SendTaskFailureCommand, SFNClient, SFNServiceException, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { alarmToRequest } from '../../lambdas/rollback-trigger/trigger';
import { ALARM_LISTENER_MAX_SDK_CALLS } from '../../lambdas/shared/config/rollback-trigger';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';
import { rejection, serviceThrottling } from '../support/errors';
import {
  ALARM_ROUTES,
  alarm,
  alarmEvent,
  BAKE_TOKEN,
  BLUE_TG,
  CHAIRMAN,
  causeOf,
  GREEN_TG,
  LISTENER,
  manual,
  NOW,
  RESTORED_AT,
  SIDES,
  sentFailures as sentFailuresOf,
  type WorldSetup,
  world as worldOf,
} from '../support/rollback-trigger-world';

// Before any import: the Powertools logger reads its level once, and resets to it on every handler invocation.
vi.hoisted(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

let dynamo: LocalDocumentDynamo;
/** Class-wide: the trigger's client here and the one index.ts creates below. */
const sfn = mockClient(SFNClient);

beforeAll(async () => {
  dynamo = await startLocalDocumentDynamo();
});

afterAll(async () => {
  sfn.restore();
  vi.unstubAllEnvs();
  await dynamo.close();
});

beforeEach(() => {
  sfn.reset();
});

const world = (setup: WorldSetup = {}) => worldOf({ ddb: dynamo.ddb, sfn }, setup);
const sentFailures = () => sentFailuresOf(sfn);

describe('rollback trigger: alarms', () => {
  it('records the request with its route trigger, restores live, then fails the bake and clears its token', async () => {
    // Prepare
    const { holder, lock, router, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toEqual({
      action: 'traffic-restored',
      deployment: holder,
      detail: expect.stringContaining('rollback requested: alarm shop-green-5xx entered ALARM'),
      listenerRestoredAt: RESTORED_AT,
      bakeInterrupted: true,
    });
    const item = await lock.read();
    expect(item).toMatchObject({
      rollback: {
        trigger: 'ERROR_RATE',
        alarmName: 'shop-green-5xx',
        requestedBy: 'cloudwatch',
        requestedAt: NOW.toISOString(),
      },
      listenerRestoredAt: RESTORED_AT,
    });
    expect(item).not.toHaveProperty('bakeToken');
    expect(router.restored).toEqual([SIDES]);
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    const [failure] = sentFailures();
    expect(failure).toMatchObject({ taskToken: BAKE_TOKEN, error: 'AlarmTriggered' });
    expect(causeOf(failure)).toEqual({
      trigger: 'ERROR_RATE',
      reason: expect.stringContaining('shop-green-5xx'),
      alarmName: 'shop-green-5xx',
      requestedAt: NOW.toISOString(),
      listenerRestoredAt: RESTORED_AT,
      listenerError: null,
    });
  });

  it('restores live between two steps, when no bake is waiting', async () => {
    // Prepare
    const { order, requestRollback } = await world({ phase: 'CUTOVER' });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', bakeInterrupted: false });
    expect(order).toEqual(['restoreLive']);
  });

  it('ignores an alarm when no deployment holds the lock', async () => {
    // Prepare
    const { order, requestRollback } = await world();

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toEqual({ action: 'ignored', deployment: null, detail: 'no deployment holds the lock' });
    expect(order).toEqual([]);
  });

  it('ignores an alarm while the lock is ESCALATED', async () => {
    // Prepare
    const { lock, order, requestRollback } = await world({ phase: 'ROLLING_BACK', lockState: 'ESCALATED' });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome.action).toBe('ignored');
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it('records a database alarm while green is still being provisioned (EventBridge sends it once), without touching traffic', async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'PROVISIONING' });

    // Act
    const outcome = await requestRollback(alarm('shop-db-connections'));

    // Assess
    expect(outcome).toMatchObject({ action: 'flagged', deployment: holder });
    expect(order).toEqual([]);
    expect((await lock.read())?.rollback).toMatchObject({
      trigger: 'DB_CONNECTIONS',
      alarmName: 'shop-db-connections',
    });
  });

  it.each<['PROVISIONING' | 'MIGRATION']>([['PROVISIONING'], ['MIGRATION']])(
    "ignores green's own alarm during %s: green carries no traffic yet",
    async (phase) => {
      // Prepare
      const { holder, lock, order, requestRollback } = await world({ phase });

      // Act
      const outcome = await requestRollback(alarm('shop-green-5xx'));

      // Assess
      expect(outcome).toEqual({
        action: 'ignored',
        deployment: holder,
        detail: 'shop-green-5xx watches green, which carries no traffic yet',
      });
      expect(order).toEqual([]);
      expect(await lock.read()).not.toHaveProperty('rollback');
    },
  );

  it.each([false, true])(
    'records a database alarm while the deployment is approved or validated (phase recorded: %s): sent once',
    async (phaseRecorded) => {
      // Prepare
      const { holder, lock, order, requestRollback } = await world({ phase: 'VALIDATION' });
      if (phaseRecorded) await lock.recordPhase(holder, 'VALIDATION');

      // Act
      const outcome = await requestRollback(alarm('shop-db-connections'));

      // Assess
      expect(outcome).toMatchObject({ action: 'flagged', deployment: holder });
      expect(order).toEqual([]);
      expect((await lock.read())?.rollback).toMatchObject({ trigger: 'DB_CONNECTIONS' });
    },
  );

  it('ignores a target-group alarm before the sides are resolved: no side carries this deployment yet', async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'VALIDATION' });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toEqual({
      action: 'ignored',
      deployment: holder,
      detail: 'shop-green-5xx watches a target group, and this deployment has moved no traffic yet',
    });
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it("ignores an alarm on the live side's target group", async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(alarm('shop-blue-5xx'));

    // Assess
    expect(outcome).toEqual({ action: 'ignored', deployment: holder, detail: 'shop-blue-5xx watches the live side' });
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it('still restores traffic when the bake already ended (TaskTimedOut), and clears the closed token', async () => {
    // Prepare
    const { lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    sfn
      .on(SendTaskFailureCommand)
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } }));

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toMatchObject({
      action: 'traffic-restored',
      listenerRestoredAt: RESTORED_AT,
      bakeInterrupted: false,
    });
    expect(order).toEqual(['restoreLive']);
    expect(sentFailures()).toHaveLength(1);
    const item = await lock.read();
    expect(item).toMatchObject({ rollback: { trigger: 'ERROR_RATE' }, listenerRestoredAt: RESTORED_AT });
    expect(item).not.toHaveProperty('bakeToken');
  });

  it('propagates any other SendTaskFailure error after traffic is restored, leaving the token for the retry', async () => {
    // Prepare
    const { lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    sfn.on(SendTaskFailureCommand).rejects(serviceThrottling(SFNServiceException, 'ThrottlingException'));

    // Act
    const error = await rejection(requestRollback(alarm('shop-green-5xx')));

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect(order).toEqual(['restoreLive']);
    expect(await lock.read()).toMatchObject({ bakeToken: BAKE_TOKEN, rollback: { trigger: 'ERROR_RATE' } });
  });

  it('ends the bake on the retry of an invocation whose SendTaskFailure failed, without moving the listener again', async () => {
    // Prepare
    const { lock, router, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    sfn.on(SendTaskFailureCommand).rejectsOnce(serviceThrottling(SFNServiceException, 'ThrottlingException'));
    await rejection(requestRollback(alarm('shop-green-5xx')));

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toMatchObject({ action: 'already-requested', bakeInterrupted: true });
    expect(router.restored).toHaveLength(1);
    expect(sentFailures().map((failure) => failure.taskToken)).toEqual([BAKE_TOKEN, BAKE_TOKEN]);
    expect(await lock.read()).not.toHaveProperty('bakeToken');
  });

  it('keeps the first trigger when a second alarm arrives, and neither moves the listener nor fails the closed token', async () => {
    // Prepare
    const { holder, lock, router, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    await requestRollback(manual(holder));

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toEqual({
      action: 'already-requested',
      deployment: holder,
      detail: `a rollback was already requested (MANUAL by ${CHAIRMAN} at ${NOW.toISOString()})`,
      bakeInterrupted: false,
    });
    expect((await lock.read())?.rollback).toEqual({
      trigger: 'MANUAL',
      reason: 'support reports failed checkouts',
      requestedAt: NOW.toISOString(),
      requestedBy: CHAIRMAN,
    });
    expect(router.restored).toHaveLength(1);
    expect(sentFailures()).toHaveLength(1);
  });
});

describe('rollback trigger: manual requests', () => {
  it('restores live and fails the bake with RollbackRequested during the cutover', async () => {
    // Prepare
    const { holder, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', deployment: holder, bakeInterrupted: true });
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    const [failure] = sentFailures();
    expect(failure?.error).toBe('RollbackRequested');
    expect(causeOf(failure)).toMatchObject({
      trigger: 'MANUAL',
      alarmName: null,
      listenerRestoredAt: RESTORED_AT,
      listenerError: null,
    });
  });

  it('flags the request without touching the listener while green is provisioned', async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'PROVISIONING' });

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess
    expect(outcome).toEqual({
      action: 'flagged',
      deployment: holder,
      detail: 'rollback requested: support reports failed checkouts',
      bakeInterrupted: false,
    });
    expect(order).toEqual([]);
    expect(await lock.read()).toMatchObject({ rollback: { trigger: 'MANUAL', requestedBy: CHAIRMAN } });
    expect(await lock.read()).not.toHaveProperty('listenerRestoredAt');
  });

  it('refuses with NotTheDeploymentInProgress when naming another deployment', async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const error = await rejection(requestRollback(manual('release-0-9-0')));

    // Assess
    expect(error.name).toBe('NotTheDeploymentInProgress');
    expect(error.message).toContain(holder);
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it('refuses with NoDeploymentInProgress when no deployment holds the lock', async () => {
    // Prepare
    const { requestRollback } = await world();

    // Act
    const error = await rejection(requestRollback(manual('release-1-4-0')));

    // Assess
    expect(error.name).toBe('NoDeploymentInProgress');
  });

  it('ignores a manual request once the post-promotion watch is over (RETIRING)', async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'RETIRING' });

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess
    expect(outcome).toMatchObject({ action: 'ignored', detail: 'deployment is in phase RETIRING' });
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });
});

describe('alarmToRequest', () => {
  it('turns an ALARM state change into an ALARM request', () => {
    // Act
    const request = alarmToRequest(alarmEvent('shop-green-5xx'));

    // Assess
    expect(request).toEqual({
      trigger: 'ALARM',
      alarmName: 'shop-green-5xx',
      eventTime: '2026-11-24T10:19:58Z',
      // The alarm's own state change, in ISO 8601 UTC (CloudWatch writes +0000).
      detectedAt: '2026-11-24T10:19:57.123Z',
      reason:
        'alarm shop-green-5xx entered ALARM at 2026-11-24T10:19:57.123+0000: Threshold Crossed: 2 datapoints were ' +
        'greater than the threshold (5.0)',
      requestedBy: 'cloudwatch',
    });
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('ignores the %s state', (value) => {
    // Act
    const request = alarmToRequest(alarmEvent('shop-green-5xx', value));

    // Assess
    expect(request).toBeUndefined();
  });
});

describe('rollback trigger handler (index.ts)', () => {
  type Handler = (event: unknown, context: Context) => Promise<unknown>;
  /** Class-wide mocks of the other clients index.ts creates. Made in beforeAll: the dynalite tests above are untouched. */
  const classMocks = () => ({
    ddb: mockClient(DynamoDBDocumentClient),
    elb: mockClient(ElasticLoadBalancingV2Client),
    cw: mockClient(CloudWatchClient),
  });
  let mocks: ReturnType<typeof classMocks>;
  let handler: Handler;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'DeploymentCrew-RollbackTrigger',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:DeploymentCrew-RollbackTrigger',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/DeploymentCrew-RollbackTrigger',
    logStreamName: '2026/11/24/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 20_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };

  function urlEvent(body: unknown, userArn?: string) {
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      headers: { 'content-type': 'application/json' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'rollbackurlid',
        domainName: 'rollbackurlid.lambda-url.eu-west-1.on.aws',
        requestId: 'request-1',
        timeEpoch: NOW.getTime(),
        http: { method: 'POST', path: '/', sourceIp: '203.0.113.7' },
        ...(userArn === undefined ? {} : { authorizer: { iam: { userArn, accountId: '123456789012' } } }),
      },
      body: JSON.stringify(body),
      isBase64Encoded: false,
    };
  }

  beforeAll(async () => {
    mocks = classMocks();
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('TABLE_NAME', STATE_TABLE_NAME);
    vi.stubEnv('LOCK_KEY', `LOCK#${LISTENER}`);
    vi.stubEnv('LISTENER_ARN', LISTENER);
    vi.stubEnv('ALARM_ROUTES', JSON.stringify(ALARM_ROUTES));
    vi.stubEnv('APPROVERS', JSON.stringify([CHAIRMAN]));
    vi.stubEnv('ACCOUNT_ID', '123456789012');
    ({ handler } = await import('../../lambdas/rollback-trigger/index'));
  });

  afterEach(() => {
    mocks.ddb.reset();
    mocks.elb.reset();
    mocks.cw.reset();
  });

  afterAll(() => {
    mocks.ddb.restore();
    mocks.elb.restore();
    mocks.cw.restore();
    vi.unstubAllEnvs();
  });

  it('answers 401 to an unsigned function URL call, without reading the lock', async () => {
    // Act
    const response = await handler(urlEvent({ deployment: 'release-1-4-0', reason: 'errors' }), context);

    // Assess
    expect(response).toMatchObject({ statusCode: 401 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ error: 'Unauthenticated' });
    expect(mocks.ddb.calls()).toHaveLength(0);
    expect(mocks.elb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 404 when no deployment is in progress', async () => {
    // Prepare: with no lock item, DynamoDB fails the claim's condition and returns no item.
    mocks.ddb
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    mocks.ddb.on(GetCommand).resolves({});

    // Act
    const response = await handler(urlEvent({ deployment: 'release-1-4-0', reason: 'errors' }, CHAIRMAN), context);

    // Assess
    expect(response).toMatchObject({ statusCode: 404 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ error: 'NoDeploymentInProgress' });
    const lockKey = { TableName: STATE_TABLE_NAME, Key: { pk: `LOCK#${LISTENER}`, sk: LOCK_SORT_KEY } };
    expect(mocks.ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject(lockKey);
    expect(mocks.ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject(lockKey);
    expect(mocks.elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(mocks.elb.commandCalls(DescribeListenersCommand)).toHaveLength(0);
  });

  it('ignores an alarm leaving ALARM without reading the lock', async () => {
    // Act
    const result = await handler(alarmEvent('shop-green-5xx', 'OK'), context);

    // Assess
    expect(result).toEqual({ action: 'ignored', deployment: null, detail: 'state OK' });
    expect(mocks.ddb.calls()).toHaveLength(0);
  });

  it(`makes at most ${ALARM_LISTENER_MAX_SDK_CALLS} AWS calls on its longest path (the budget of its timeout), and ends the bake`, async () => {
    // Prepare: an event 10 minutes old (CloudWatch asked), a bake that changed under the claim and then the phase,
    // a second judgement whose claim again meets a new token, stale confirming reads, and the restore refused because
    // the lock item is gone. DynamoDB returns the item with each failed condition (ReturnValuesOnConditionCheckFailure)
    // while there is one; without one the lock is read to tell why.
    const now = Date.now();
    const forward = (blue: number, green: number): Action[] => [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE_TG, Weight: blue },
            { TargetGroupArn: GREEN_TG, Weight: green },
          ],
        },
      },
    ];
    const held = {
      pk: `LOCK#${LISTENER}`,
      sk: LOCK_SORT_KEY,
      holder: 'release-1-4-0',
      lockState: 'HELD',
      acquiredAt: new Date(now - 3_600_000).toISOString(),
      phase: 'CUTOVER',
      sides: SIDES,
      greenWeight: 10,
      bakeToken: 'token-step-0',
    };
    const nextBake = { ...held, bakeToken: 'token-step-1' };
    const promoted = { ...held, phase: 'PROMOTED', greenWeight: 100, bakeToken: 'token-watch' };
    const watchRetried = { ...promoted, bakeToken: 'token-watch-2' };
    const rollback = {
      trigger: 'ERROR_RATE',
      reason: 'alarm',
      requestedAt: new Date(now).toISOString(),
      requestedBy: 'cloudwatch',
    };
    const conditionFailed = (item?: Record<string, unknown>) =>
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(item === undefined ? {} : { Item: marshall(item) }),
      });
    mocks.ddb.on(GetCommand).resolvesOnce({ Item: held }).resolves({});
    mocks.ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed(nextBake))
      .rejectsOnce(conditionFailed(promoted))
      .rejectsOnce(conditionFailed(watchRetried))
      .resolvesOnce({ Attributes: { ...watchRetried, rollback } })
      .rejectsOnce(conditionFailed())
      .resolves({});
    mocks.cw
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'shop-green-5xx', StateValue: 'ALARM' }] });
    mocks.elb.on(ModifyListenerCommand).resolves({});
    const listener = (blue: number, green: number) => ({
      Listeners: [{ ListenerArn: LISTENER, DefaultActions: forward(blue, green) }],
    });
    mocks.elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener(90, 10))
      .resolvesOnce(listener(90, 10))
      .resolvesOnce(listener(90, 10))
      .resolvesOnce(listener(90, 10))
      .resolves(listener(100, 0));
    sfn.on(SendTaskFailureCommand).resolves({});
    const event = alarmEvent(
      'shop-green-5xx',
      'ALARM',
      new Date(now - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    );

    // Act
    const error = await rejection(handler(event, context));

    // Assess
    expect(error.name).toBe('LockLost');
    const calls = [mocks.ddb, mocks.elb, mocks.cw, sfn].reduce((sum, mock) => sum + mock.calls().length, 0);
    expect(calls).toBe(ALARM_LISTENER_MAX_SDK_CALLS);
    expect(mocks.ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(mocks.ddb.commandCalls(UpdateCommand)).toHaveLength(6);
    expect(mocks.cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
    expect(mocks.elb.commandCalls(DescribeListenersCommand)).toHaveLength(5);
    expect(sentFailures()).toEqual([expect.objectContaining({ taskToken: 'token-watch-2', error: 'AlarmTriggered' })]);
    expect(causeOf(sentFailures()[0])).toMatchObject({ listenerError: expect.stringContaining('LockLost') });
  }, 15_000);
});
