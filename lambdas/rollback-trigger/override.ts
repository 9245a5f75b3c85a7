import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { MAX_REFUSED_CALLS } from '../shared/approval-item';
import { errorName } from '../shared/errors';
import type { RefusedCall } from '../shared/function-url';
import { logger } from '../shared/logger';
import { LOCK_SORT_KEY } from '../shared/state-table';
import { deferred } from '../shared/validation';

/**
 * Refused overrides are recorded where the override's history is: on the lock item, as `refusedOverrides`, only while
 * the deployment the call names holds it (never creating or re-taking a lock), at most MAX_REFUSED_CALLS of them.
 * The deployment lock tool does not read the attribute: it is for the Chairman and the runbook. Never throws.
 */

const refusedBodySchema = deferred(() => z.object({ deployment: z.string().check(z.minLength(1), z.maxLength(80)) }));

/** What a direct invocation claims to be (recorded as claimed, never verified). */
export function claimedRequester(payload: unknown): string | null {
  const parsed = z
    .object({ requestedBy: z.string().check(z.trim(), z.minLength(1), z.maxLength(256)) })
    .safeParse(payload);
  return parsed.success ? parsed.data.requestedBy : null;
}

export function createOverrideRefusals(ddb: DynamoDBDocumentClient, tableName: string, lockKey: string) {
  return async function recordRefusedOverride(body: unknown, refused: RefusedCall): Promise<void> {
    const target = refusedBodySchema.safeParse(body);
    if (!target.success) return;
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: lockKey, sk: LOCK_SORT_KEY },
          UpdateExpression: 'SET #refused = list_append(if_not_exists(#refused, :empty), :call)',
          ConditionExpression: '#holder = :holder AND (attribute_not_exists(#refused) OR size(#refused) < :max)',
          ExpressionAttributeNames: { '#holder': 'holder', '#refused': 'refusedOverrides' },
          ExpressionAttributeValues: {
            ':holder': target.data.deployment,
            ':empty': [],
            ':call': [refused],
            ':max': MAX_REFUSED_CALLS,
          },
        }),
      );
    } catch (error) {
      // Not the deployment holding the lock, or enough refusals recorded: the log line is the record.
      if (errorName(error) === 'ConditionalCheckFailedException') return;
      logger.warn('a refused override could not be recorded on the lock', {
        deployment: target.data.deployment,
        errorName: errorName(error) ?? 'UnknownError',
      });
    }
  };
}
