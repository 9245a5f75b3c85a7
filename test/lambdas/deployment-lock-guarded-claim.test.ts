import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sides } from '../../lambdas/shared/cutover-contracts';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import {
  type ClaimGuard,
  createDeploymentLock,
  type DeploymentLock,
  type LockPhase,
  type RollbackRequest,
} from '../../lambdas/tools/deployment-lock';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';
import { freshLock, putHeldLock } from '../support/lock-fixtures';

/**
 * The claim the alarm listener makes without reading the lock first (claimRollbackIf): one conditional write that
 * lands only where the listener's own judgement would have let the request act, and otherwise returns the item for
 * that judgement. Real writes on dynalite, and the exact call against a mocked client for what dynalite leaves out
 * (the item DynamoDB returns with a failed condition).
 */

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
const ACQUIRED_AT = '2026-11-24T10:00:01.500Z';

const SIDES: Sides = {
  live: { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' },
  green: { targetGroupArn: GREEN_TG, serviceName: 'shop-green' },
  stickiness: null,
  resolvedAt: '2026-11-24T10:01:00.000Z',
};

const REQUEST: RollbackRequest = {
  trigger: 'ERROR_RATE',
  reason: 'alarm shop-green-5xx entered ALARM',
  requestedAt: '2026-11-24T10:20:00.000Z',
  requestedBy: 'cloudwatch',
  alarmName: 'shop-green-5xx',
};

const TRAFFIC: readonly LockPhase[] = ['CUTOVER', 'PROMOTED', 'ROLLING_BACK'];

let dynamo: LocalDocumentDynamo;

beforeAll(async () => {
  dynamo = await startLocalDocumentDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

/** A lock held in the cutover at 10 % with a bake waiting, as the orchestrator leaves it; `item` overrides. */
async function cutoverLock(item: Record<string, unknown> = {}): Promise<{ lock: DeploymentLock; holder: string }> {
  const { lock, lockKey, holder } = freshLock(dynamo.ddb, LISTENER);
  const attributes = { acquiredAt: ACQUIRED_AT, phase: 'CUTOVER', sides: SIDES, greenWeight: 10, ...item };
  // An override of undefined leaves the attribute out, as a lock written before it existed.
  const present = Object.entries({ bakeToken: 'token-step-0', ...attributes }).filter(
    ([, value]) => value !== undefined,
  );
  await putHeldLock(dynamo.ddb, lockKey, holder, Object.fromEntries(present));
  return { lock, holder };
}

describe('deployment lock: claimRollbackIf on dynalite', () => {
  it('claims in one write and returns the item after it, with the bake token of that moment', async () => {
    // Prepare
    const { lock, holder } = await cutoverLock();

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, {
      phases: TRAFFIC,
      watchedTargetGroupArn: GREEN_TG,
      acquiredBefore: '2026-11-24T10:19:59.000Z',
    });

    // Assess
    expect(claim.claimed).toBe(true);
    expect(claim.item).toMatchObject({ holder, rollback: REQUEST, bakeToken: 'token-step-0', sides: SIDES });
    expect((await lock.read())?.rollback).toEqual(REQUEST);
  });

  it('claims for the deployment it names and for the green it names', async () => {
    // Prepare
    const { lock, holder } = await cutoverLock();

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, { phases: TRAFFIC, holder, greenTargetGroupArn: GREEN_TG });

    // Assess
    expect(claim.claimed).toBe(true);
  });

  it('claims a lock without acquiredAt when the guard asks for an earlier lock (nothing to compare)', async () => {
    // Prepare
    const { lock } = await cutoverLock({ acquiredAt: undefined });

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, { phases: TRAFFIC, acquiredBefore: '2026-11-24T10:00:00.000Z' });

    // Assess
    expect(claim.claimed).toBe(true);
  });

  it.each<[string, Record<string, unknown>, Partial<ClaimGuard>]>([
    ['the phase is not one of the guard', { phase: 'RETIRING' }, {}],
    ['the lock has no phase yet', { phase: undefined }, {}],
    ['a rollback is already recorded', { rollback: { ...REQUEST, trigger: 'MANUAL' } }, {}],
    ['the lock is ESCALATED', { lockState: 'ESCALATED' }, {}],
    ['another deployment holds the lock', {}, { holder: 'release-9-9-9' }],
    ['green is another target group', {}, { greenTargetGroupArn: BLUE_TG }],
    ['the watched target group is the live side', {}, { watchedTargetGroupArn: BLUE_TG }],
    ['the sides are not resolved', { sides: undefined }, { watchedTargetGroupArn: GREEN_TG }],
    ['green carries no traffic yet', { greenWeight: 0 }, { watchedTargetGroupArn: GREEN_TG }],
    ['the lock was taken in or after the second the event names', {}, { acquiredBefore: '2026-11-24T10:00:01.000Z' }],
    // Strings compare as instants only in UTC (Z): the judgement reads any other form (here 10:00:02Z, after the bound).
    [
      'the lock time has an offset (judged instead)',
      { acquiredAt: '2026-11-24T08:00:02-02:00' },
      { acquiredBefore: '2026-11-24T10:00:01.000Z' },
    ],
    [
      'the lock time is UTC written as +00:00 (judged instead)',
      { acquiredAt: '2026-11-24T10:00:00+00:00' },
      { acquiredBefore: '2026-11-24T10:00:01.000Z' },
    ],
  ])('does not claim when %s, and returns the item as it is', async (_, item, guard) => {
    // Prepare
    const { lock } = await cutoverLock(item);
    const before = await lock.read();

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, { phases: TRAFFIC, ...guard });

    // Assess
    expect(claim).toEqual({ claimed: false, item: before });
    expect(await lock.read()).toEqual(before);
  });

  it('does not claim when no deployment holds the lock, and returns no item', async () => {
    // Prepare
    const { lock } = freshLock(dynamo.ddb, LISTENER);

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, { phases: TRAFFIC });

    // Assess
    expect(claim).toEqual({ claimed: false, item: undefined });
    expect(await lock.read()).toBeUndefined();
  });
});

describe('deployment lock: claimRollbackIf, the exact call', () => {
  // Class-wide: made in beforeAll, so that the dynalite tests above reach dynalite.
  let ddb: AwsClientStub<DynamoDBDocumentClient>;
  const lock = createDeploymentLock(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    STATE_TABLE_NAME,
    `LOCK#${LISTENER}`,
  );

  beforeAll(() => {
    ddb = mockClient(DynamoDBDocumentClient);
  });

  afterEach(() => {
    ddb.reset();
  });

  afterAll(() => {
    ddb.restore();
  });

  it('sends one UpdateItem with the whole guard as its condition, returning the new item or the old one', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: { holder: 'release-1-4-0', lockState: 'HELD', rollback: REQUEST } });

    // Act
    await lock.claimRollbackIf(REQUEST, {
      phases: ['CUTOVER', 'PROMOTED'],
      holder: 'release-1-4-0',
      greenTargetGroupArn: GREEN_TG,
      watchedTargetGroupArn: GREEN_TG,
      acquiredBefore: '2026-11-24T10:19:59.000Z',
    });

    // Assess
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    const [call] = ddb.commandCalls(UpdateCommand);
    expect(call?.args[0].input).toEqual({
      TableName: STATE_TABLE_NAME,
      Key: { pk: `LOCK#${LISTENER}`, sk: LOCK_SORT_KEY },
      UpdateExpression: 'SET #rollback = :request',
      ConditionExpression:
        '#lockState = :held AND attribute_not_exists(#rollback) AND #phase IN (:phase0, :phase1)' +
        ' AND #holder = :holder AND #sides.#green.#tg = :green' +
        ' AND attribute_exists(#sides.#live.#tg) AND #sides.#live.#tg <> :watched' +
        ' AND (attribute_not_exists(#greenWeight) OR #greenWeight <> :noWeight)' +
        ' AND (attribute_not_exists(#acquiredAt) OR (#acquiredAt < :acquiredBefore AND contains(#acquiredAt, :utc)))',
      ExpressionAttributeNames: {
        '#rollback': 'rollback',
        '#lockState': 'lockState',
        '#phase': 'phase',
        '#holder': 'holder',
        '#sides': 'sides',
        '#green': 'green',
        '#live': 'live',
        '#tg': 'targetGroupArn',
        '#greenWeight': 'greenWeight',
        '#acquiredAt': 'acquiredAt',
      },
      ExpressionAttributeValues: {
        ':request': REQUEST,
        ':held': 'HELD',
        ':phase0': 'CUTOVER',
        ':phase1': 'PROMOTED',
        ':holder': 'release-1-4-0',
        ':green': GREEN_TG,
        ':watched': GREEN_TG,
        ':noWeight': 0,
        ':acquiredBefore': '2026-11-24T10:19:59.000Z',
        ':utc': 'Z',
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('takes the item DynamoDB returns with a failed condition, without reading it again', async () => {
    // Prepare
    const held = { pk: `LOCK#${LISTENER}`, sk: LOCK_SORT_KEY, holder: 'release-1-4-0', lockState: 'HELD' };
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({ ...held, phase: 'RETIRING', greenWeight: 100 }),
      }),
    );

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, { phases: ['CUTOVER'] });

    // Assess
    expect(claim).toEqual({
      claimed: false,
      item: { holder: 'release-1-4-0', lockState: 'HELD', phase: 'RETIRING', greenWeight: 100 },
    });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('reads the lock when the item with a failed condition is not in the wire form it unmarshalls', async () => {
    // Prepare: an SDK that unmarshalled the error's item already (aws-sdk-js-v3 #6723 asks for it).
    const held = { holder: 'release-1-4-0', lockState: 'HELD', phase: 'RETIRING' };
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: held as unknown as Record<string, never>,
      }),
    );
    ddb.on(GetCommand).resolves({ Item: held });

    // Act
    const claim = await lock.claimRollbackIf(REQUEST, { phases: ['CUTOVER'] });

    // Assess
    expect(claim).toEqual({ claimed: false, item: held });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });

  it('claimRollback explains a lost lock from the item its failed condition returned, reading nothing', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({ holder: 'release-2-0-0', lockState: 'HELD' }),
      }),
    );

    // Act
    const error = await lock.claimRollback('release-1-4-0', REQUEST, null).catch((caught: Error) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'LockLost', message: 'the lock is held by release-2-0-0, not release-1-4-0' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('recordListenerRestored keeps a later restore it finds in the returned item, reading nothing', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({ holder: 'release-1-4-0', lockState: 'HELD', listenerRestoredAt: '2026-11-24T10:21:00.000Z' }),
      }),
    );

    // Act
    await lock.recordListenerRestored('release-1-4-0', '2026-11-24T10:20:01.500Z');

    // Assess
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });
});
