import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { MAX_REFUSED_CALLS } from '../shared/approval-item';
import { errorName } from '../shared/errors';
import type { RefusedCall } from '../shared/function-url';
import { logger } from '../shared/logger';
import { LOCK_SORT_KEY } from '../shared/state-table';
import { object } from '../shared/validation';

/**
 * Refused overrides are recorded where the override's history is: on the lock item, as `refusedOverrides`, only while
 * the deployment the call names holds it (never creating or re-taking a lock), at most MAX_REFUSED_CALLS of them.
 * The deployment lock tool does not read the attribute: it is for the Chairman and the runbook. Never throws.
 */

const refusedBodySchema = object({ deployment: v.pipe(v.string(), v.minLength(1), v.maxLength(80)) });

/** What a direct invocation may claim (recorded as claimed, never verified). */
const claimedRequestedBySchema = object({
  requestedBy: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256)),
});

/** What a direct invocation claims to be (recorded as claimed, never verified). */
export function claimedRequester(payload: unknown): string | null {
  const parsed = v.safeParse(claimedRequestedBySchema, payload);
  return parsed.success ? parsed.output.requestedBy : null;
}

export function createOverrideRefusals(ddb: DynamoDBDocumentClient, tableName: string, lockKey: string) {
  return async function recordRefusedOverride(body: unknown, refused: RefusedCall): Promise<void> {
    const target = v.safeParse(refusedBodySchema, body);
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
            ':holder': target.output.deployment,
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
        deployment: target.output.deployment,
        errorName: errorName(error) ?? 'UnknownError',
      });
    }
  };
}
