import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import {
  APPROVAL_SK_PREFIX,
  approvalKey,
  approvalKindSchema,
  deploymentPartitionKey,
  MAX_REFUSED_CALLS,
} from '../shared/approval-item';
import type { ApprovalKind } from '../shared/contracts';
import { errorName } from '../shared/errors';
import type { RefusedCall } from '../shared/function-url';
import { logger } from '../shared/logger';
import { object } from '../shared/validation';

/** What a refused call's body says about where to record it; anything else in it is ignored. */
const refusedBodySchema = object({
  deployment: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(80)),
  kind: v.optional(approvalKindSchema),
});

/** What a direct invocation may claim (recorded as claimed, never verified). */
const claimedApproverSchema = object({ approver: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256)) });

/** What a direct invocation claims to be (recorded as claimed, never verified). */
export function claimedApprover(payload: unknown): string | null {
  const parsed = v.safeParse(claimedApproverSchema, payload);
  return parsed.success ? parsed.output.approver : null;
}

/**
 * Records a refused call on the approvals of the deployment the body names: the kind it names, else every approval
 * of the deployment. Never creates an item, keeps at most MAX_REFUSED_CALLS, and never throws (the refusal must be
 * answered whatever happens here); the call is logged in any case.
 */
export function createRefusalRecorder(ddb: DynamoDBDocumentClient, tableName: string) {
  async function kindsOf(deployment: string, kind: ApprovalKind | undefined): Promise<ApprovalKind[]> {
    if (kind !== undefined) return [kind];
    const result = await ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#kind': 'kind' },
        ExpressionAttributeValues: { ':pk': deploymentPartitionKey(deployment), ':prefix': APPROVAL_SK_PREFIX },
        ProjectionExpression: '#kind',
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).flatMap((item) => {
      const parsed = v.safeParse(approvalKindSchema, item.kind);
      return parsed.success ? [parsed.output] : [];
    });
  }

  return async function recordRefusal(body: unknown, refused: RefusedCall): Promise<void> {
    const target = v.safeParse(refusedBodySchema, body);
    if (!target.success) return;
    const { deployment, kind } = target.output;
    try {
      for (const each of await kindsOf(deployment, kind)) {
        try {
          await ddb.send(
            new UpdateCommand({
              TableName: tableName,
              Key: approvalKey(deployment, each),
              UpdateExpression: 'SET #refused = list_append(if_not_exists(#refused, :empty), :call)',
              ConditionExpression:
                'attribute_exists(#pk) AND (attribute_not_exists(#refused) OR size(#refused) < :max)',
              ExpressionAttributeNames: { '#pk': 'pk', '#refused': 'refusedCalls' },
              ExpressionAttributeValues: { ':empty': [], ':call': [refused], ':max': MAX_REFUSED_CALLS },
            }),
          );
        } catch (error) {
          // No such approval, or enough refusals recorded already: the log line is the record.
          if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
        }
      }
    } catch (error) {
      logger.warn('a refused call could not be recorded on the deployment', {
        deployment,
        errorName: errorName(error) ?? 'UnknownError',
      });
    }
  };
}
