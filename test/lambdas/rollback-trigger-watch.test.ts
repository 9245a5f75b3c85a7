import {
  type Action,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { probeToRequest } from '../../lambdas/rollback-trigger/probe';
import type { TriggerOutcome } from '../../lambdas/rollback-trigger/trigger';
import { PROBE_FAILURE_SOURCE, type ProbeFailureReport } from '../../lambdas/shared/probe-failure';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';
import { rejection } from '../support/errors';
import { putHeldLock } from '../support/lock-fixtures';
import {
  ALARM_ROUTES,
  alarm,
  BAKE_TOKEN,
  BLUE_TG,
  causeOf,
  GREEN_TG,
  LISTENER,
  manual,
  NOW,
  RESTORED_AT,
  SIDES,
  sentFailures as sentFailuresOf,
  type World,
  type WorldSetup,
  world as worldOf,
} from '../support/rollback-trigger-world';
import { fakeLambdaContext } from './approval-support';

/**
 * The alarm listener after promotion (the post-promotion watch, whose token is stored as the bake's) and on the
 * prober's reports that green stopped answering (issue 15).
 */

vi.hoisted(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

const WATCH_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAwatch-token';
const FIRST_FAILED_AT = '2026-11-24T10:19:41.250Z';

let dynamo: LocalDocumentDynamo;
/** Class-wide: the trigger's client in the world and the one index.ts creates. */
const sfn = mockClient(SFNClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

beforeAll(async () => {
  dynamo = await startLocalDocumentDynamo();
});

afterAll(async () => {
  sfn.restore();
  elb.restore();
  vi.unstubAllEnvs();
  await dynamo.close();
});

beforeEach(() => {
  sfn.reset();
  elb.reset();
});

const world = (setup: WorldSetup = {}) => worldOf({ ddb: dynamo.ddb, sfn }, setup);
const sentFailures = () => sentFailuresOf(sfn);

function report(deployment: string, overrides: Partial<ProbeFailureReport> = {}): ProbeFailureReport {
  return {
    source: PROBE_FAILURE_SOURCE,
    deployment,
    greenTargetGroupArn: GREEN_TG,
    firstFailedAt: FIRST_FAILED_AT,
    failures: ['GET /health: connection refused', 'GET /checkout: timed out after 2000 ms'],
    reason: '3 consecutive probe rounds failed within 15 s',
    ...overrides,
  };
}

describe('alarm listener: the post-promotion watch', () => {
  it('puts the listener back to live at once on an alarm in PROMOTED, and fails the watch token', async () => {
    // Prepare
    const { holder, lock, router, order, requestRollback } = await world({ phase: 'PROMOTED', bakeToken: WATCH_TOKEN });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toEqual({
      action: 'traffic-restored',
      deployment: holder,
      detail: expect.stringContaining('shop-green-5xx'),
      listenerRestoredAt: RESTORED_AT,
      bakeInterrupted: true,
    });
    expect(router.restored).toEqual([SIDES]);
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    expect(sentFailures()).toEqual([expect.objectContaining({ taskToken: WATCH_TOKEN, error: 'AlarmTriggered' })]);
    const item = await lock.read();
    expect(item).toMatchObject({
      rollback: { trigger: 'ERROR_RATE', alarmName: 'shop-green-5xx' },
      listenerRestoredAt: RESTORED_AT,
    });
    expect(item).not.toHaveProperty('bakeToken');
  });

  it('counts a shared (database) alarm in PROMOTED', async () => {
    // Prepare
    const { lock, order, requestRollback } = await world({ phase: 'PROMOTED', bakeToken: WATCH_TOKEN });

    // Act
    const outcome = await requestRollback(alarm('shop-db-connections'));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    expect(await lock.read()).toMatchObject({ rollback: { trigger: 'DB_CONNECTIONS' } });
  });

  it("lets the Chairman's override put the listener back in PROMOTED, failing the watch as RollbackRequested", async () => {
    // Prepare
    const { holder, router, requestRollback } = await world({ phase: 'PROMOTED', bakeToken: WATCH_TOKEN });

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', listenerRestoredAt: RESTORED_AT });
    expect(router.restored).toEqual([SIDES]);
    expect(sentFailures()).toEqual([expect.objectContaining({ taskToken: WATCH_TOKEN, error: 'RollbackRequested' })]);
  });

  it("ignores an alarm on the old (live) side's target group in PROMOTED", async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'PROMOTED', bakeToken: WATCH_TOKEN });

    // Act
    const outcome = await requestRollback(alarm('shop-blue-5xx'));

    // Assess
    expect(outcome).toEqual({
      action: 'ignored',
      deployment: holder,
      detail: 'shop-blue-5xx watches the live side',
    });
    expect(order).toEqual([]);
    const item = await lock.read();
    expect(item).not.toHaveProperty('rollback');
    expect(item).toMatchObject({ bakeToken: WATCH_TOKEN });
  });

  it.each(['shop-green-5xx', 'shop-db-connections'])('ignores %s in RETIRING (after the watch)', async (name) => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'RETIRING' });

    // Act
    const outcome = await requestRollback(alarm(name));

    // Assess
    expect(outcome).toEqual({ action: 'ignored', deployment: holder, detail: 'deployment is in phase RETIRING' });
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });
});

/** The request was dropped because the old side is being retired: nothing recorded, the listener left alone. */
async function expectDroppedForRetiring(
  outcome: TriggerOutcome,
  world: Pick<World, 'lock' | 'router' | 'order'>,
): Promise<void> {
  expect(outcome).toMatchObject({ action: 'ignored', detail: expect.stringContaining('RETIRING') });
  expect((await world.lock.read())?.rollback).toBeUndefined();
  expect(world.router.restored).toEqual([]);
  expect(world.order).toEqual([]);
}

describe('alarm listener: the end of the watch', () => {
  it.each([
    ['an alarm', () => alarm('shop-green-5xx')],
    ['the Chairman', (holder: string) => manual(holder)],
  ])('drops %s when the old side is being retired just before its claim, recording nothing', async (_who, input) => {
    // Prepare: the watch ends (RetireOldSide enters RETIRING) just before the listener's claim lands.
    const { holder, lock, router, order, requestRollback } = await worldOf(
      { ddb: dynamo.ddb, sfn },
      {
        phase: 'PROMOTED',
        bakeToken: WATCH_TOKEN,
        wrapLock: (real, holderName) => ({
          ...real,
          claimRollbackIf: async (request, guard) => {
            await real.enterPhase(holderName, 'RETIRING');
            return real.claimRollbackIf(request, guard);
          },
        }),
      },
    );

    // Act
    const outcome = await requestRollback(input(holder));

    // Assess: nothing claimed, so nothing pretends a rollback is under way while the old side is scaled down.
    await expectDroppedForRetiring(outcome, { lock, router, order });
  });

  it('drops a request judged on a read in PROMOTED when the old side is being retired before its claim', async () => {
    // Prepare: the claim did not land (as for a guard it misses), so the request is judged on a read; the watch ends
    // (RetireOldSide enters RETIRING) between that read and the claim made as read.
    const { holder, lock, router, order, requestRollback } = await worldOf(
      { ddb: dynamo.ddb, sfn },
      {
        phase: 'PROMOTED',
        bakeToken: WATCH_TOKEN,
        wrapLock: (real, holderName) => ({
          ...real,
          claimRollbackIf: async () => ({ claimed: false, item: await real.read() }),
          claimRollback: async (...args) => {
            await real.enterPhase(holderName, 'RETIRING');
            return real.claimRollback(...args);
          },
        }),
      },
    );

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess
    await expectDroppedForRetiring(outcome, { lock, router, order });
  });
});

describe('alarm listener: probe failure reports', () => {
  it('restores live and fails the bake token with GREEN_PROBE_FAILED, detected at the first failed probe', async () => {
    // Prepare
    const { holder, lock, router, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(probeToRequest(report(holder)));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', deployment: holder, bakeInterrupted: true });
    expect(router.restored).toEqual([SIDES]);
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    const [failure] = sentFailures();
    expect(failure).toMatchObject({ taskToken: BAKE_TOKEN, error: 'AlarmTriggered' });
    expect(causeOf(failure)).toMatchObject({ trigger: 'GREEN_PROBE_FAILED', alarmName: null });
    expect(await lock.read()).toMatchObject({
      rollback: {
        trigger: 'GREEN_PROBE_FAILED',
        requestedBy: 'prober',
        requestedAt: NOW.toISOString(),
        detectedAt: FIRST_FAILED_AT,
        reason: expect.stringContaining('3 consecutive probe rounds failed within 15 s'),
      },
      listenerRestoredAt: RESTORED_AT,
    });
  });

  it('acts on a probe report in PROMOTED (the watch)', async () => {
    // Prepare
    const { holder, requestRollback } = await world({ phase: 'PROMOTED', bakeToken: WATCH_TOKEN });

    // Act
    const outcome = await requestRollback(probeToRequest(report(holder)));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(sentFailures()).toEqual([expect.objectContaining({ taskToken: WATCH_TOKEN, error: 'AlarmTriggered' })]);
  });

  it('ignores a report about another target group than green, saying which', async () => {
    // Prepare
    const { holder, lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(probeToRequest(report(holder, { greenTargetGroupArn: BLUE_TG })));

    // Assess
    expect(outcome).toEqual({
      action: 'ignored',
      deployment: holder,
      detail: `the probe report is about ${BLUE_TG}, which is not green (${GREEN_TG})`,
    });
    expect(order).toEqual([]);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it.each(['VALIDATION', 'PROVISIONING', 'MIGRATION', 'RETIRING'] as const)(
    'ignores a probe report in %s (only traffic phases count)',
    async (phase) => {
      // Prepare
      const { holder, lock, order, requestRollback } = await world({ phase });

      // Act
      const outcome = await requestRollback(probeToRequest(report(holder)));

      // Assess
      expect(outcome).toEqual({ action: 'ignored', deployment: holder, detail: `deployment is in phase ${phase}` });
      expect(order).toEqual([]);
      expect(await lock.read()).not.toHaveProperty('rollback');
    },
  );

  it('answers already-requested to a probe report after an alarm claimed the rollback, keeping the first', async () => {
    // Prepare: during the watch, the green alarm first.
    const { holder, lock, router, requestRollback } = await world({ phase: 'PROMOTED', bakeToken: WATCH_TOKEN });
    await requestRollback(alarm('shop-green-5xx'));

    // Act
    const outcome = await requestRollback(probeToRequest(report(holder)));

    // Assess
    expect(outcome).toMatchObject({
      action: 'already-requested',
      deployment: holder,
      detail: expect.stringContaining('ERROR_RATE by cloudwatch'),
      bakeInterrupted: false,
    });
    expect(router.restored).toHaveLength(1);
    expect(sentFailures()).toHaveLength(1);
    expect(await lock.read()).toMatchObject({ rollback: { trigger: 'ERROR_RATE', alarmName: 'shop-green-5xx' } });
  });
});

describe('alarm listener handler (index.ts): probe failure reports', () => {
  const LOCK_KEY = `LOCK#${LISTENER}#probe-handler`;
  const HOLDER = 'release-1-4-0';
  const context = fakeLambdaContext('DeploymentCrew-RollbackTrigger');
  type Handler = (event: unknown, ctx: typeof context) => Promise<unknown>;
  let handler: Handler;

  const listener = (blue: number, green: number) => {
    const forward: Action = {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: BLUE_TG, Weight: blue },
          { TargetGroupArn: GREEN_TG, Weight: green },
        ],
      },
    };
    return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward] }] };
  };

  async function lockItem(): Promise<Record<string, unknown>> {
    const { Item } = await dynamo.ddb.send(
      new GetCommand({ TableName: STATE_TABLE_NAME, Key: { pk: LOCK_KEY, sk: LOCK_SORT_KEY }, ConsistentRead: true }),
    );
    return Item ?? {};
  }

  beforeAll(async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'fake');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake');
    vi.stubEnv('TABLE_NAME', STATE_TABLE_NAME);
    vi.stubEnv('LOCK_KEY', LOCK_KEY);
    vi.stubEnv('LISTENER_ARN', LISTENER);
    vi.stubEnv('ALARM_ROUTES', JSON.stringify(ALARM_ROUTES));
    vi.stubEnv('APPROVERS', JSON.stringify(['arn:aws:iam::123456789012:role/Chairman']));
    vi.stubEnv('ACCOUNT_ID', '123456789012');
    ({ handler } = await import('../../lambdas/rollback-trigger/index'));
  });

  it('takes a direct report on the alarm path: listener back to live, bake failed, GREEN_PROBE_FAILED recorded', async () => {
    // Prepare
    await putHeldLock(dynamo.ddb, LOCK_KEY, HOLDER, {
      phase: 'CUTOVER',
      sides: SIDES,
      greenWeight: 10,
      bakeToken: BAKE_TOKEN,
    });
    elb.on(ModifyListenerCommand).resolves({});
    elb.on(DescribeListenersCommand).resolves(listener(100, 0));
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    const result = await handler(report(HOLDER), context);

    // Assess
    expect(result).toMatchObject({ action: 'traffic-restored', deployment: HOLDER, bakeInterrupted: true });
    const [modify] = elb.commandCalls(ModifyListenerCommand);
    expect(modify?.args[0].input.DefaultActions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: BLUE_TG, Weight: 100 },
      { TargetGroupArn: GREEN_TG, Weight: 0 },
    ]);
    expect(sentFailures()).toEqual([expect.objectContaining({ taskToken: BAKE_TOKEN, error: 'AlarmTriggered' })]);
    expect((await lockItem()).rollback).toMatchObject({
      trigger: 'GREEN_PROBE_FAILED',
      requestedBy: 'prober',
      detectedAt: FIRST_FAILED_AT,
    });
  });

  it('refuses a report for a deployment that does not hold the lock, recording nothing', async () => {
    // Prepare
    await putHeldLock(dynamo.ddb, LOCK_KEY, HOLDER, { phase: 'CUTOVER', sides: SIDES, greenWeight: 10 });

    // Act
    const error = await rejection(handler(report('release-0-9-0'), context));

    // Assess
    expect(error.name).toBe('NotTheDeploymentInProgress');
    expect(await lockItem()).not.toHaveProperty('rollback');
    expect(elb.calls()).toHaveLength(0);
  });

  it('ignores a report while green is provisioned', async () => {
    // Prepare
    await putHeldLock(dynamo.ddb, LOCK_KEY, HOLDER, { phase: 'PROVISIONING', sides: SIDES, greenWeight: 0 });

    // Act
    const result = await handler(report(HOLDER), context);

    // Assess
    expect(result).toEqual({ action: 'ignored', deployment: HOLDER, detail: 'deployment is in phase PROVISIONING' });
    expect(await lockItem()).not.toHaveProperty('rollback');
  });

  it('refuses a malformed report as invalid input, not as an override (nothing recorded on the lock)', async () => {
    // Prepare
    await putHeldLock(dynamo.ddb, LOCK_KEY, HOLDER, { phase: 'CUTOVER', sides: SIDES, greenWeight: 10 });

    // Act
    const error = await rejection(handler({ ...report(HOLDER), firstFailedAt: 'yesterday' }, context));

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain('invalid probe failure report');
    expect(error.message).toContain('firstFailedAt');
    const item = await lockItem();
    expect(item).not.toHaveProperty('rollback');
    expect(item).not.toHaveProperty('refusedOverrides');
  });
});
