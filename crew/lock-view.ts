import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCK_SORT_KEY } from '../lambdas/shared/state-table';
import type { CrewContext } from './context';
import { fromAwsError } from './errors';

/**
 * The deployment lock as the CLI shows it. The item also holds the bake's task token (`bakeToken`): the read projects
 * only the attributes below, so the token never reaches this process, and the view is built field by field, so an
 * attribute the projection did not exclude (a mock, a future field) is never passed on either.
 */

export interface LockRollbackRequest {
  readonly trigger: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly requestedBy: string;
}

export interface LockView {
  readonly holder: string;
  readonly lockState: 'HELD' | 'ESCALATED' | string;
  readonly executionArn: string | null;
  readonly releaseVersion: string | null;
  readonly acquiredAt: string | null;
  readonly escalatedAt: string | null;
  /** Epoch seconds (the TTL); null on an escalated lock, which never expires. */
  readonly expiresAt: number | null;
  readonly phase: string | null;
  readonly phaseBeforeRollback: string | null;
  readonly liveService: string | null;
  readonly greenService: string | null;
  readonly greenWeight: number | null;
  readonly bakeStartedAt: string | null;
  readonly rollback: LockRollbackRequest | null;
  readonly listenerRestoredAt: string | null;
}

/** Every attribute the view reads; `bakeToken` is deliberately not one of them. */
export const LOCK_VIEW_ATTRIBUTES = [
  'holder',
  'lockState',
  'executionArn',
  'releaseVersion',
  'acquiredAt',
  'escalatedAt',
  'expiresAt',
  'phase',
  'phaseBeforeRollback',
  'sides',
  'greenWeight',
  'bakeStartedAt',
  'rollback',
  'listenerRestoredAt',
] as const;

/** `#a0, #a1, …` and their names: several attribute names (e.g. `phase`) are DynamoDB reserved words. */
export function projectionOf(attributes: readonly string[]): {
  ProjectionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
} {
  return {
    ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name])),
  };
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const number = (value: unknown): number | null => {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : null;
};
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

export function lockViewOf(item: Record<string, unknown>): LockView {
  const rollback = item.rollback;
  return {
    holder: text(item.holder) ?? '(unknown)',
    lockState: text(item.lockState) ?? '(unknown)',
    executionArn: text(item.executionArn),
    releaseVersion: text(item.releaseVersion),
    acquiredAt: text(item.acquiredAt),
    escalatedAt: text(item.escalatedAt),
    expiresAt: number(item.expiresAt),
    phase: text(item.phase),
    phaseBeforeRollback: text(item.phaseBeforeRollback),
    liveService: text(field(field(item.sides, 'live'), 'serviceName')),
    greenService: text(field(field(item.sides, 'green'), 'serviceName')),
    greenWeight: number(item.greenWeight),
    bakeStartedAt: text(item.bakeStartedAt),
    rollback:
      typeof rollback === 'object' && rollback !== null
        ? {
            trigger: text(field(rollback, 'trigger')) ?? '?',
            reason: text(field(rollback, 'reason')) ?? '',
            requestedAt: text(field(rollback, 'requestedAt')) ?? '?',
            requestedBy: text(field(rollback, 'requestedBy')) ?? '?',
          }
        : null,
    listenerRestoredAt: text(item.listenerRestoredAt),
  };
}

/** The lock item (strongly consistent), or undefined when no deployment holds the listener. */
export async function readLock(context: CrewContext): Promise<LockView | undefined> {
  const { stateTableName, lockKey } = await context.stack();
  try {
    const { Item } = await context.clients.dynamo.send(
      new GetCommand({
        TableName: stateTableName,
        Key: { pk: lockKey, sk: LOCK_SORT_KEY },
        ConsistentRead: true,
        ...projectionOf(LOCK_VIEW_ATTRIBUTES),
      }),
    );
    return Item === undefined ? undefined : lockViewOf(Item);
  } catch (error) {
    throw fromAwsError(error, context.region);
  }
}

/** Phases in which green may carry traffic (the alarm listener's own list). */
const TRAFFIC_PHASES = new Set(['CUTOVER', 'PROMOTED', 'ROLLING_BACK']);

/** Green may carry traffic under this lock, and no rollback confirmed the listener back on the live side. */
export function mayCarryTraffic(lock: LockView): boolean {
  if (lock.listenerRestoredAt !== null) return false;
  return TRAFFIC_PHASES.has(lock.phase ?? '') || (lock.greenWeight ?? 0) > 0;
}
