import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DeploymentCrewError } from '../../lambdas/shared/errors';
import { rejection } from '../support/errors';
import {
  ACQUIRED_AT,
  alarm,
  BAKE_TOKEN,
  causeOf,
  manual,
  SIDES,
  triggerTestbed,
} from '../support/rollback-trigger-world';

/**
 * What the alarm listener guarantees beyond the happy path: the bake is ended whatever happened to the listener,
 * stale alarm events do not roll back the current deployment, routes decide what counts and how it is recorded, and
 * one claim on the lock keeps two concurrent requests from both acting.
 */

vi.hoisted(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

const { cloudwatch, world, sentFailures } = triggerTestbed();

afterAll(() => {
  vi.unstubAllEnvs();
});

function alarmStateIs(value: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA') {
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'shop-green-5xx', StateValue: value }] });
}

describe('alarm listener: the bake is ended in a finally', () => {
  it('fails the bake token with the listener error in the cause when the restore throws, then rethrows it', async () => {
    // Prepare
    const { lock, router, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    router.failure = new DeploymentCrewError('TrafficShiftNotConfirmed', 'listener still shows green 10 %');

    // Act
    const error = await rejection(requestRollback(alarm('shop-green-5xx')));

    // Assess
    expect(error.name).toBe('TrafficShiftNotConfirmed');
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    const [failure] = sentFailures();
    expect(failure).toMatchObject({ taskToken: BAKE_TOKEN, error: 'AlarmTriggered' });
    expect(causeOf(failure)).toMatchObject({
      trigger: 'ERROR_RATE',
      alarmName: 'shop-green-5xx',
      listenerRestoredAt: null,
      listenerError: 'TrafficShiftNotConfirmed: listener still shows green 10 %',
    });
    const item = await lock.read();
    expect(item).not.toHaveProperty('bakeToken');
    expect(item).not.toHaveProperty('listenerRestoredAt');
    expect(item?.rollback).toMatchObject({ trigger: 'ERROR_RATE' });
  });

  it('fails the bake token even when the restore throws something that is not an Error', async () => {
    // Prepare
    const { holder, router, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    router.during = async () => {
      throw 'socket hang up';
    };

    // Act
    const thrown = await requestRollback(manual(holder)).then(
      () => 'resolved',
      (value: unknown) => value,
    );

    // Assess
    expect(thrown).toBe('socket hang up');
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    expect(sentFailures()[0]?.error).toBe('RollbackRequested');
    expect(causeOf(sentFailures()[0])).toMatchObject({ listenerError: 'Error: socket hang up' });
  });

  it('records the restore failure but still fails the bake when recording the restore is refused', async () => {
    // Prepare
    const { router, order, requestRollback } = await world({
      phase: 'CUTOVER',
      bakeToken: BAKE_TOKEN,
      wrapLock: (lock) => ({
        ...lock,
        recordListenerRestored: async () => {
          throw new DeploymentCrewError('LockLost', 'the lock is held by release-2-0-0');
        },
      }),
    });

    // Act
    const error = await rejection(requestRollback(alarm('shop-green-5xx')));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(router.restored).toEqual([SIDES]);
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    expect(causeOf(sentFailures()[0])).toMatchObject({
      listenerRestoredAt: '2026-11-24T10:20:01.500Z',
      listenerError: 'LockLost: the lock is held by release-2-0-0',
    });
  });
});

describe('alarm listener: stale and doubtful alarm events', () => {
  it('ignores an event from before the deployment took the lock, without asking CloudWatch', async () => {
    // Prepare
    const { lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx', '2026-11-24T09:58:00Z'));

    // Assess
    expect(outcome).toMatchObject({
      action: 'ignored',
      detail: expect.stringContaining(`took the lock (${ACQUIRED_AT})`),
    });
    expect(order).toEqual([]);
    expect(cloudwatch.calls()).toHaveLength(0);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it('compares as instants: an event in the second the lock was taken counts (events carry whole seconds)', async () => {
    // Prepare
    const { order, requestRollback } = await world({ phase: 'CUTOVER', acquiredAt: '2026-11-24T10:19:58.700Z' });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx', '2026-11-24T10:19:58Z'));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(order).toEqual(['restoreLive']);
  });

  it('compares as instants across offsets: 11:19:58+01:00 is after a lock taken at 10:19:00Z', async () => {
    // Prepare
    const { requestRollback } = await world({ phase: 'CUTOVER', acquiredAt: '2026-11-24T10:19:00.000Z' });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx', '2026-11-24T11:19:58+01:00'));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it.each<[string, string]>([
    ['older than 5 minutes', '2026-11-24T10:14:59Z'],
    ['unreadable', 'yesterday'],
  ])('re-reads the alarm for an event whose time is %s, and acts while it is still in ALARM', async (_, time) => {
    // Prepare
    const { order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    alarmStateIs('ALARM');

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx', time));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(order).toEqual(['restoreLive', 'SendTaskFailure']);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmNames: ['shop-green-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
  });

  it.each<['OK' | 'INSUFFICIENT_DATA']>([['OK'], ['INSUFFICIENT_DATA']])(
    'ignores a late event when the alarm is now %s',
    async (state) => {
      // Prepare
      const { lock, order, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
      alarmStateIs(state);

      // Act
      const outcome = await requestRollback(alarm('shop-green-5xx', '2026-11-24T10:10:00Z'));

      // Assess
      expect(outcome).toMatchObject({
        action: 'ignored',
        detail: expect.stringContaining(`the alarm is now ${state}`),
      });
      expect(order).toEqual([]);
      expect(await lock.read()).not.toHaveProperty('rollback');
    },
  );

  it('ignores a late event of an alarm that no longer exists, and reads composite alarms too', async () => {
    // Prepare
    const gone = await world({ phase: 'CUTOVER' });
    const composite = await world({ phase: 'CUTOVER' });
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [], CompositeAlarms: [] })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'shop-checkout', StateValue: 'ALARM' }] });

    // Act
    const first = await gone.requestRollback(alarm('shop-green-5xx', '2026-11-24T10:10:00Z'));
    const second = await composite.requestRollback(alarm('shop-checkout', '2026-11-24T10:10:00Z'));

    // Assess
    expect(first).toMatchObject({ action: 'ignored', detail: expect.stringContaining('the alarm is now gone') });
    expect(second.action).toBe('traffic-restored');
  });

  it('never second-guesses the Chairman: a manual request is not checked against CloudWatch', async () => {
    // Prepare
    const { holder, requestRollback } = await world({ phase: 'CUTOVER', acquiredAt: '2026-11-24T10:30:00.000Z' });

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(cloudwatch.calls()).toHaveLength(0);
  });
});

describe('alarm listener: routes', () => {
  it.each<[string, string]>([
    ['shop-db-connections', 'DB_CONNECTIONS'],
    ['shop-green-p95', 'LATENCY'],
    ['shop-checkout-errors', 'ALARM'],
  ])('records %s as %s', async (alarmName, trigger) => {
    // Prepare
    const { lock, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcome = await requestRollback(alarm(alarmName));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect((await lock.read())?.rollback).toMatchObject({ trigger, alarmName });
    expect(causeOf(sentFailures()[0])).toMatchObject({ trigger, alarmName });
  });

  it('counts the database alarm whichever side is live: it watches no target group', async () => {
    // Prepare
    const { lock, requestRollback } = await world({ phase: 'PROVISIONING' });

    // Act
    const outcome = await requestRollback(alarm('shop-db-connections'));

    // Assess
    expect(outcome.action).toBe('flagged');
    expect((await lock.read())?.rollback?.trigger).toBe('DB_CONNECTIONS');
  });
});

describe('alarm listener: one claim, one actor', () => {
  it('lets only one of two concurrent alarms move the listener', async () => {
    // Prepare
    const { lock, router, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });

    // Act
    const outcomes = await Promise.all([
      requestRollback(alarm('shop-green-5xx')),
      requestRollback(alarm('shop-green-p95')),
    ]);

    // Assess
    expect(outcomes.map((outcome) => outcome.action).sort()).toEqual(['already-requested', 'traffic-restored']);
    expect(router.restored).toHaveLength(1);
    const winner =
      outcomes.findIndex((outcome) => outcome.action === 'traffic-restored') === 0 ? 'ERROR_RATE' : 'LATENCY';
    expect((await lock.read())?.rollback?.trigger).toBe(winner);
    expect(new Set(sentFailures().map((failure) => failure.taskToken))).toEqual(new Set([BAKE_TOKEN]));
  });

  it('claims against the new token when a bake started between its read and its claim, and ends that bake', async () => {
    // Prepare: a late event is judged on a read first (CloudWatch says it is still in ALARM); a bake starts after it.
    alarmStateIs('ALARM');
    const { router, requestRollback } = await world({
      phase: 'CUTOVER',
      wrapLock: (lock, holder) => ({
        ...lock,
        read: async () => {
          const item = await lock.read();
          await lock.storeBakeToken(holder, 'token-step-1', '2026-11-24T10:19:59.000Z');
          return item;
        },
      }),
    });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx', '2026-11-24T10:10:00Z'));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', bakeInterrupted: true });
    expect(router.restored).toHaveLength(1);
    expect(sentFailures().map((failure) => failure.taskToken)).toEqual(['token-step-1']);
  });

  it('ends the bake that started just before its claim: the claim returns the token of that instant', async () => {
    // Prepare: the listener claims without reading the lock first; a bake's token is stored just before the claim.
    const { router, requestRollback } = await world({
      phase: 'CUTOVER',
      wrapLock: (lock, holder) => ({
        ...lock,
        claimRollbackIf: async (request, guard) => {
          await lock.storeBakeToken(holder, 'token-step-1', '2026-11-24T10:19:59.000Z');
          return lock.claimRollbackIf(request, guard);
        },
      }),
    });

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', bakeInterrupted: true });
    expect(router.restored).toHaveLength(1);
    expect(sentFailures().map((failure) => failure.taskToken)).toEqual(['token-step-1']);
  });

  it("ends a bake a claimer left open (it crashed before its finally), with the first request's cause", async () => {
    // Prepare
    const { holder, lock, router, requestRollback } = await world({ phase: 'CUTOVER', bakeToken: BAKE_TOKEN });
    await lock.claimRollback(
      holder,
      {
        trigger: 'MANUAL',
        reason: 'checkout errors',
        requestedAt: '2026-11-24T10:19:00.000Z',
        requestedBy: 'chairman',
      },
      BAKE_TOKEN,
    );

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(outcome).toMatchObject({ action: 'already-requested', bakeInterrupted: true });
    expect(router.restored).toEqual([]);
    const [failure] = sentFailures();
    expect(failure).toMatchObject({ taskToken: BAKE_TOKEN, error: 'RollbackRequested' });
    expect(causeOf(failure)).toEqual({
      trigger: 'MANUAL',
      reason: 'checkout errors',
      alarmName: null,
      requestedAt: '2026-11-24T10:19:00.000Z',
      listenerRestoredAt: null,
      listenerError: null,
    });
    expect(await lock.read()).not.toHaveProperty('bakeToken');
  });
});
