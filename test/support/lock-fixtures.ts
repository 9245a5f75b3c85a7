import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Side, Sides } from '../../lambdas/shared/cutover-contracts';
import { LOCK_SORT_KEY } from '../../lambdas/shared/state-table';
import { createDeploymentLock, type DeploymentLock } from '../../lambdas/tools/deployment-lock';
import type { ForwardState, TargetHealthSummary, TrafficRouter } from '../../lambdas/tools/traffic-router';
import { STATE_TABLE_NAME } from './dynalite';

/**
 * Fixtures of the tests that run the real deployment lock tool on dynalite (the lock tool itself, the orchestrator,
 * the rollback coordinator and the rollback trigger): the lock item as the state machine puts it, a lock key per test,
 * and a traffic router that refuses every call a test does not expect.
 */

/** Puts the lock item the way AcquireDeploymentLock does: HELD by `holder`; `attributes` adds to or overrides it. */
export async function putHeldLock(
  ddb: DynamoDBDocumentClient,
  lockKey: string,
  holder: string,
  attributes: Record<string, unknown> = {},
): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: STATE_TABLE_NAME,
      Item: { pk: lockKey, sk: LOCK_SORT_KEY, holder, lockState: 'HELD', expiresAt: 1_795_000_000, ...attributes },
    }),
  );
}

export interface FreshLock {
  /** `release-1-4-0-<n>`: the deployment the lock is for. */
  readonly holder: string;
  /** `LOCK#<listener>#<n>`. */
  readonly lockKey: string;
  /** The real lock tool over the key. */
  readonly lock: DeploymentLock;
}

let lockCount = 0;

/**
 * A lock key of its own and a holder numbered alike, so tests share one table without seeing each other's items.
 * Nothing is put: the listener is free until the test puts the item (`putHeldLock`, or `heldLock`).
 */
export function freshLock(ddb: DynamoDBDocumentClient, listenerArn: string): FreshLock {
  lockCount += 1;
  const lockKey = `LOCK#${listenerArn}#${lockCount}`;
  return {
    holder: `release-1-4-0-${lockCount}`,
    lockKey,
    lock: createDeploymentLock(ddb, STATE_TABLE_NAME, lockKey),
  };
}

/** A fresh lock held by its holder, as AcquireDeploymentLock leaves it; `attributes` as for `putHeldLock`. */
export async function heldLock(
  ddb: DynamoDBDocumentClient,
  listenerArn: string,
  attributes: Record<string, unknown> = {},
): Promise<FreshLock> {
  const fresh = freshLock(ddb, listenerArn);
  await putHeldLock(ddb, fresh.lockKey, fresh.holder, attributes);
  return fresh;
}

/** A traffic router on which every call fails the test; a fake overrides the calls its test expects. */
export class UnexpectedRouter implements TrafficRouter {
  constructor(readonly listenerArn: string) {}

  async readForward(): Promise<ForwardState> {
    throw new Error('readForward is not expected here');
  }

  async resolveSides(_pair: readonly Side[]): Promise<Sides> {
    throw new Error('resolveSides is not expected here');
  }

  async setGreenWeight(_sides: Sides, _greenPercent: number): Promise<{ live: number; green: number }> {
    throw new Error('setGreenWeight is not expected here');
  }

  async confirmWeights(_sides: Sides, _greenPercent: number): Promise<{ confirmedAt: string }> {
    throw new Error('confirmWeights is not expected here');
  }

  async restoreLive(_sides: Sides): Promise<{ restoredAt: string; confirmedAt: string }> {
    throw new Error('restoreLive is not expected here');
  }

  async targetHealth(_targetGroupArn: string): Promise<TargetHealthSummary> {
    throw new Error('targetHealth is not expected here');
  }
}
