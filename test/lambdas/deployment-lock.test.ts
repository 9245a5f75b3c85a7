import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sides } from '../../lambdas/shared/cutover-contracts';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import type { DeploymentLock, RollbackRequest } from '../../lambdas/tools/deployment-lock';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';
import { rejection } from '../support/errors';
import { freshLock, putHeldLock } from '../support/lock-fixtures';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
const HOLDER = 'release-1-4-0';
const OTHER_HOLDER = 'release-1-5-0';

const SIDES: Sides = {
  live: { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' },
  green: { targetGroupArn: GREEN_TG, serviceName: 'shop-green' },
  stickiness: { enabled: true, durationSeconds: 300 },
  resolvedAt: '2026-11-24T10:05:00.000Z',
};

const ALARM_REQUEST: RollbackRequest = {
  trigger: 'ALARM',
  reason: 'alarm shop-green-5xx entered ALARM',
  requestedAt: '2026-11-24T10:20:00.000Z',
  requestedBy: 'cloudwatch',
  alarmName: 'shop-green-5xx',
};

const MANUAL_REQUEST: RollbackRequest = {
  trigger: 'MANUAL',
  reason: 'the Chairman saw checkout errors',
  requestedAt: '2026-11-24T10:21:00.000Z',
  requestedBy: 'arn:aws:iam::123456789012:user/chairman',
};

let dynamo: LocalDocumentDynamo;

beforeAll(async () => {
  dynamo = await startLocalDocumentDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

/** A lock of its own with no item: no deployment holds the listener. */
function freeLock(): DeploymentLock {
  return freshLock(dynamo.ddb, LISTENER).lock;
}

/** Puts the lock item the way AcquireDeploymentLock does, and returns the lock tool over it. */
async function acquiredLock(
  item: Record<string, unknown> = {},
): Promise<{ lock: DeploymentLock; lockKey: string; raw: () => Promise<Record<string, unknown> | undefined> }> {
  const { lock, lockKey } = freshLock(dynamo.ddb, LISTENER);
  await putHeldLock(dynamo.ddb, lockKey, HOLDER, {
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${HOLDER}`,
    releaseVersion: '1.4.0',
    acquiredAt: '2026-11-24T10:00:00.000Z',
    ...item,
  });
  const raw = async () => {
    const { Item } = await dynamo.ddb.send(
      new GetCommand({ TableName: STATE_TABLE_NAME, Key: { pk: lockKey, sk: LOCK_SORT_KEY }, ConsistentRead: true }),
    );
    return Item;
  };
  return { lock, lockKey, raw };
}

describe('deployment lock: read', () => {
  it('returns undefined when no deployment holds the listener', async () => {
    // Prepare
    const lock = freeLock();

    // Act
    const item = await lock.read();

    // Assess
    expect(item).toBeUndefined();
  });

  it('reads the item the state machine put, without the attributes it does not model', async () => {
    // Prepare
    const { lock } = await acquiredLock();

    // Act
    const item = await lock.read();

    // Assess
    expect(item).toEqual({
      holder: HOLDER,
      lockState: 'HELD',
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${HOLDER}`,
      acquiredAt: '2026-11-24T10:00:00.000Z',
    });
  });

  it('fails with InvalidLockItem on an item it cannot parse', async () => {
    // Prepare
    const { lock } = await acquiredLock({ lockState: 'RELEASED' });

    // Act
    const error = await rejection(lock.read());

    // Assess
    expect(error.name).toBe('InvalidLockItem');
    expect(error.message).toContain('lockState');
  });
});

describe('deployment lock: enterPhase', () => {
  it('records the phase, the sides and green weight', async () => {
    // Prepare
    const { lock } = await acquiredLock();

    // Act
    await lock.enterPhase(HOLDER, 'PROVISIONING', { sides: SIDES, greenWeight: 0 });
    await lock.enterPhase(HOLDER, 'CUTOVER', { greenWeight: 10 });

    // Assess
    expect(await lock.read()).toMatchObject({ phase: 'CUTOVER', sides: SIDES, greenWeight: 10, lockState: 'HELD' });
  });

  it('records migrationStarted', async () => {
    // Prepare
    const { lock } = await acquiredLock();

    // Act
    await lock.enterPhase(HOLDER, 'MIGRATION', { migrationStarted: true });

    // Assess
    expect(await lock.read()).toMatchObject({ phase: 'MIGRATION', migrationStarted: true });
  });

  it('refuses with RollbackRequested once a rollback was requested, leaving the phase as it was', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.enterPhase(HOLDER, 'CUTOVER', { greenWeight: 10 });
    await lock.requestRollback(HOLDER, ALARM_REQUEST);

    // Act
    const error = await rejection(lock.enterPhase(HOLDER, 'CUTOVER', { greenWeight: 50 }));

    // Assess
    expect(error.name).toBe('RollbackRequested');
    expect(error.message).toContain('ALARM');
    expect(error.message).toContain('cloudwatch');
    expect(await lock.read()).toMatchObject({ phase: 'CUTOVER', greenWeight: 10 });
  });

  it('refuses with LockLost when another deployment holds the lock', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ holder: OTHER_HOLDER });

    // Act
    const error = await rejection(lock.enterPhase(HOLDER, 'PROVISIONING', { sides: SIDES }));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(error.message).toContain(OTHER_HOLDER);
    expect(await raw()).not.toHaveProperty('phase');
  });

  it('refuses with LockLost when the lock is ESCALATED', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ lockState: 'ESCALATED' });

    // Act
    const error = await rejection(lock.enterPhase(HOLDER, 'PROVISIONING'));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(error.message).toContain('ESCALATED');
    expect(await raw()).not.toHaveProperty('phase');
  });

  it('refuses with LockLost when the lock item is gone, without creating one', async () => {
    // Prepare
    const lock = freeLock();

    // Act
    const error = await rejection(lock.enterPhase(HOLDER, 'PROVISIONING'));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await lock.read()).toBeUndefined();
  });
});

describe('deployment lock: requestRollback', () => {
  it('records the first request and keeps it over a later one', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.enterPhase(HOLDER, 'CUTOVER', { sides: SIDES, greenWeight: 10 });

    // Act
    const first = await lock.requestRollback(HOLDER, ALARM_REQUEST);
    const second = await lock.requestRollback(HOLDER, MANUAL_REQUEST);

    // Assess
    expect(first.first).toBe(true);
    expect(first.item.rollback).toEqual(ALARM_REQUEST);
    expect(first.item).toMatchObject({ phase: 'CUTOVER', sides: SIDES, greenWeight: 10 });
    expect(second.first).toBe(false);
    expect(second.item.rollback).toEqual(ALARM_REQUEST);
    expect((await lock.read())?.rollback).toEqual(ALARM_REQUEST);
  });

  it('refuses with LockLost for another holder', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ holder: OTHER_HOLDER });

    // Act
    const error = await rejection(lock.requestRollback(HOLDER, MANUAL_REQUEST));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await raw()).not.toHaveProperty('rollback');
  });

  it('refuses with LockLost for an ESCALATED lock', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ lockState: 'ESCALATED' });

    // Act
    const error = await rejection(lock.requestRollback(HOLDER, MANUAL_REQUEST));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await raw()).not.toHaveProperty('rollback');
  });
});

describe('deployment lock: claimRollback', () => {
  it('claims with the bake token it saw, in one write that returns the item', async () => {
    // Prepare
    const { lock } = await acquiredLock({ phase: 'CUTOVER', sides: SIDES, bakeToken: 'token-step-0' });

    // Act
    const claim = await lock.claimRollback(HOLDER, ALARM_REQUEST, 'token-step-0');

    // Assess
    expect(claim.claimed).toBe(true);
    expect(claim.item).toMatchObject({ rollback: ALARM_REQUEST, bakeToken: 'token-step-0', sides: SIDES });
    expect((await lock.read())?.rollback).toEqual(ALARM_REQUEST);
  });

  it.each([
    ['PROMOTED', true],
    ['RETIRING', false],
  ] as const)('claims only in the phase it saw (PROMOTED seen, now %s: claimed %s)', async (now, claimed) => {
    // Prepare
    const { lock } = await acquiredLock({ phase: 'PROMOTED', sides: SIDES, bakeToken: 'token-watch' });
    if (now !== 'PROMOTED') await lock.enterPhase(HOLDER, now);

    // Act
    const claim = await lock.claimRollback(HOLDER, ALARM_REQUEST, 'token-watch', 'PROMOTED');

    // Assess
    expect(claim.claimed).toBe(claimed);
    expect((await lock.read())?.rollback).toEqual(claimed ? ALARM_REQUEST : undefined);
  });

  it('claims between bakes when it saw no token and none was stored since', async () => {
    // Prepare
    const { lock } = await acquiredLock({ phase: 'CUTOVER' });

    // Act
    const claim = await lock.claimRollback(HOLDER, ALARM_REQUEST, null);

    // Assess
    expect(claim.claimed).toBe(true);
    expect(claim.item.rollback).toEqual(ALARM_REQUEST);
  });

  it('does not claim when another request claimed first, and returns the first one', async () => {
    // Prepare
    const { lock } = await acquiredLock({ bakeToken: 'token-step-0' });
    await lock.claimRollback(HOLDER, MANUAL_REQUEST, 'token-step-0');

    // Act
    const claim = await lock.claimRollback(HOLDER, ALARM_REQUEST, 'token-step-0');

    // Assess
    expect(claim.claimed).toBe(false);
    expect(claim.item.rollback).toEqual(MANUAL_REQUEST);
    expect((await lock.read())?.rollback).toEqual(MANUAL_REQUEST);
  });

  it.each<[string, string | null, Record<string, unknown>]>([
    ['a new bake started since the read', null, { bakeToken: 'token-step-1' }],
    ['the bake it saw ended since the read', 'token-step-0', {}],
    ['the next bake replaced the token it saw', 'token-step-0', { bakeToken: 'token-step-1' }],
  ])('does not claim when %s, and returns the item as it is now', async (_, seen, item) => {
    // Prepare
    const { lock } = await acquiredLock(item);

    // Act
    const claim = await lock.claimRollback(HOLDER, ALARM_REQUEST, seen);

    // Assess
    expect(claim.claimed).toBe(false);
    expect(claim.item).not.toHaveProperty('rollback');
    expect(claim.item.bakeToken).toBe(item.bakeToken);
    expect(await lock.read()).not.toHaveProperty('rollback');
  });

  it.each<[string, Record<string, unknown>]>([
    ['another holder', { holder: OTHER_HOLDER }],
    ['an ESCALATED lock', { lockState: 'ESCALATED' }],
  ])('refuses with LockLost for %s', async (_, item) => {
    // Prepare
    const { lock, raw } = await acquiredLock(item);

    // Act
    const error = await rejection(lock.claimRollback(HOLDER, ALARM_REQUEST, null));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await raw()).not.toHaveProperty('rollback');
  });
});

describe('deployment lock: bake token', () => {
  it('stores the token and the bake start', async () => {
    // Prepare
    const { lock } = await acquiredLock();

    // Act
    await lock.storeBakeToken(HOLDER, 'token-step-0', '2026-11-24T10:10:00.000Z');

    // Assess
    expect(await lock.read()).toMatchObject({ bakeToken: 'token-step-0', bakeStartedAt: '2026-11-24T10:10:00.000Z' });
  });

  it('refuses to store a token after a rollback request (request first: the bake never starts)', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.requestRollback(HOLDER, ALARM_REQUEST);

    // Act
    const error = await rejection(lock.storeBakeToken(HOLDER, 'token-step-0', '2026-11-24T10:10:00.000Z'));

    // Assess
    expect(error.name).toBe('RollbackRequested');
    const item = await lock.read();
    expect(item).not.toHaveProperty('bakeToken');
    expect(item).not.toHaveProperty('bakeStartedAt');
  });

  it('lets a request after the token through and returns the token with it (store first: the bake is interrupted)', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.storeBakeToken(HOLDER, 'token-step-0', '2026-11-24T10:10:00.000Z');

    // Act
    const { first, item } = await lock.requestRollback(HOLDER, ALARM_REQUEST);

    // Assess
    expect(first).toBe(true);
    expect(item.bakeToken).toBe('token-step-0');
    expect(item.rollback).toEqual(ALARM_REQUEST);
  });

  it('clears the token and keeps the bake start, even after a rollback request', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.storeBakeToken(HOLDER, 'token-step-0', '2026-11-24T10:10:00.000Z');
    await lock.requestRollback(HOLDER, ALARM_REQUEST);

    // Act
    await lock.clearBakeToken(HOLDER);

    // Assess
    const item = await lock.read();
    expect(item).not.toHaveProperty('bakeToken');
    expect(item).toMatchObject({ bakeStartedAt: '2026-11-24T10:10:00.000Z', rollback: ALARM_REQUEST });
  });

  it('clears a closed token only while the lock still holds that same token', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.storeBakeToken(HOLDER, 'token-step-0', '2026-11-24T10:10:00.000Z');

    // Act
    const cleared = await lock.clearBakeTokenIf(HOLDER, 'token-step-0');

    // Assess
    expect(cleared).toBe(true);
    expect(await lock.read()).not.toHaveProperty('bakeToken');
  });

  it('leaves a newer token alone when clearing one that was closed', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.storeBakeToken(HOLDER, 'token-step-1', '2026-11-24T10:30:00.000Z');

    // Act
    const cleared = await lock.clearBakeTokenIf(HOLDER, 'token-step-0');

    // Assess
    expect(cleared).toBe(false);
    expect(await lock.read()).toMatchObject({ bakeToken: 'token-step-1' });
  });

  it('leaves the lock of another holder alone when clearing a token', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ holder: OTHER_HOLDER, bakeToken: 'token-step-0' });

    // Act
    const cleared = await lock.clearBakeTokenIf(HOLDER, 'token-step-0');

    // Assess
    expect(cleared).toBe(false);
    expect(await raw()).toHaveProperty('bakeToken', 'token-step-0');
  });

  it('refuses to clear the token of another holder', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ holder: OTHER_HOLDER, bakeToken: 'their-token' });

    // Act
    const error = await rejection(lock.clearBakeToken(HOLDER));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await raw()).toHaveProperty('bakeToken', 'their-token');
  });
});

describe('deployment lock: rollback bookkeeping', () => {
  it('records the listener restore after a rollback request', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.requestRollback(HOLDER, ALARM_REQUEST);

    // Act
    await lock.recordListenerRestored(HOLDER, '2026-11-24T10:20:02.000Z');

    // Assess
    expect(await lock.read()).toMatchObject({
      listenerRestoredAt: '2026-11-24T10:20:02.000Z',
      rollback: ALARM_REQUEST,
    });
  });

  it('keeps the latest listener restore: a late record of an earlier one does not replace it', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.requestRollback(HOLDER, ALARM_REQUEST);
    await lock.recordListenerRestored(HOLDER, '2026-11-24T10:20:09.000Z');

    // Act
    await lock.recordListenerRestored(HOLDER, '2026-11-24T10:20:02.000Z');

    // Assess
    expect((await lock.read())?.listenerRestoredAt).toBe('2026-11-24T10:20:09.000Z');
  });

  it('records a phase even after a rollback request', async () => {
    // Prepare
    const { lock } = await acquiredLock();
    await lock.enterPhase(HOLDER, 'CUTOVER', { greenWeight: 10 });
    await lock.requestRollback(HOLDER, ALARM_REQUEST);

    // Act
    await lock.recordPhase(HOLDER, 'ROLLING_BACK');

    // Assess
    expect(await lock.read()).toMatchObject({ phase: 'ROLLING_BACK', greenWeight: 10, rollback: ALARM_REQUEST });
  });

  it('refuses to record a phase on an ESCALATED lock', async () => {
    // Prepare
    const { lock, raw } = await acquiredLock({ lockState: 'ESCALATED', phase: 'ROLLING_BACK' });

    // Act
    const error = await rejection(lock.recordPhase(HOLDER, 'PROMOTED'));

    // Assess
    expect(error.name).toBe('LockLost');
    expect(await raw()).toHaveProperty('phase', 'ROLLING_BACK');
  });
});
