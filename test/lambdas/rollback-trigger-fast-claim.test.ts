import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RollbackRequestInput } from '../../lambdas/rollback-trigger/trigger';
import type { DeploymentLock, LockPhase } from '../../lambdas/tools/deployment-lock';
import { rejection } from '../support/errors';
import { alarm, BAKE_TOKEN, manual, triggerTestbed } from '../support/rollback-trigger-world';

/**
 * Issue 18, figure 1: the alarm listener's first AWS call is the claim. One conditional write marks the rollback on
 * the lock and returns the item, so that the listener moves one call after the event instead of after a read and a
 * claim; a request the write does not let through is judged on the item it returned.
 */

vi.hoisted(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});

const { cloudwatch, world, sentFailures } = triggerTestbed();

afterAll(() => {
  vi.unstubAllEnvs();
});

type LockCall = 'read' | 'claimRollback' | 'claimRollbackIf';

/** A trigger over the real lock that records the lock calls the listener makes, and those made before the restore. */
async function recordingWorld(phase: LockPhase) {
  const calls: LockCall[] = [];
  const recording = (lock: DeploymentLock): DeploymentLock => ({
    ...lock,
    read: () => {
      calls.push('read');
      return lock.read();
    },
    claimRollback: (...args) => {
      calls.push('claimRollback');
      return lock.claimRollback(...args);
    },
    claimRollbackIf: (...args) => {
      calls.push('claimRollbackIf');
      return lock.claimRollbackIf(...args);
    },
  });
  const made = await world({ phase, bakeToken: BAKE_TOKEN, wrapLock: recording });
  const beforeRestore: LockCall[] = [];
  made.router.during = async () => {
    beforeRestore.push(...calls);
  };
  return { ...made, calls, beforeRestore };
}

describe('alarm listener: the claim comes first', () => {
  it.each<[string, (holder: string) => RollbackRequestInput]>([
    ["an alarm on green's target group", () => alarm('shop-green-5xx')],
    ['the database alarm (no target group)', () => alarm('shop-db-connections')],
    ['the Chairman', (holder) => manual(holder)],
  ])('moves the listener for %s after one lock call, the claim, without reading the lock', async (_, input) => {
    // Prepare
    const { holder, lock, beforeRestore, requestRollback } = await recordingWorld('CUTOVER');

    // Act
    const outcome = await requestRollback(input(holder));

    // Assess
    expect(outcome).toMatchObject({ action: 'traffic-restored', bakeInterrupted: true });
    expect(beforeRestore).toEqual(['claimRollbackIf']);
    expect((await lock.read())?.rollback).toBeDefined();
    expect(sentFailures().map((failure) => failure.taskToken)).toEqual([BAKE_TOKEN]);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it('asks CloudWatch before it writes anything for an alarm event in doubt, then claims as read', async () => {
    // Prepare
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'shop-green-5xx', StateValue: 'ALARM' }] });
    const { beforeRestore, requestRollback } = await recordingWorld('CUTOVER');

    // Act
    const outcome = await requestRollback(alarm('shop-green-5xx', '2026-11-24T10:10:00Z'));

    // Assess
    expect(outcome.action).toBe('traffic-restored');
    expect(beforeRestore).toEqual(['read', 'claimRollback']);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it('judges a request its claim did not let through on the item the claim returned, without reading again', async () => {
    // Prepare: the Chairman while green is provisioned: flagged, not acted on.
    const { holder, lock, calls, router, requestRollback } = await recordingWorld('PROVISIONING');

    // Act
    const outcome = await requestRollback(manual(holder));

    // Assess: the fast claim needs a phase the lock has; PROVISIONING has one, so the claim lands and flags.
    expect(outcome.action).toBe('flagged');
    expect(calls).toEqual(['claimRollbackIf']);
    expect(router.restored).toEqual([]);
    expect((await lock.read())?.rollback?.trigger).toBe('MANUAL');
  });

  it('ignores an alarm the claim refused (the live side) after judging the returned item, recording nothing', async () => {
    // Prepare
    const { lock, calls, router, requestRollback } = await recordingWorld('CUTOVER');

    // Act
    const outcome = await requestRollback(alarm('shop-blue-5xx'));

    // Assess
    expect(outcome).toMatchObject({ action: 'ignored', detail: 'shop-blue-5xx watches the live side' });
    expect(calls).toEqual(['claimRollbackIf']);
    expect(router.restored).toEqual([]);
    expect((await lock.read())?.rollback).toBeUndefined();
  });

  it('makes a step-up that lands while the listener moves back fail with RollbackRequested', async () => {
    // Prepare
    const { holder, lock, router, requestRollback } = await recordingWorld('CUTOVER');
    let stepUp: Error | undefined;
    router.during = async () => {
      stepUp = await rejection(lock.enterPhase(holder, 'CUTOVER', { greenWeight: 50 }));
    };

    // Act
    await requestRollback(alarm('shop-green-5xx'));

    // Assess
    expect(stepUp?.name).toBe('RollbackRequested');
    expect((await lock.read())?.greenWeight).toBe(10);
  });
});
