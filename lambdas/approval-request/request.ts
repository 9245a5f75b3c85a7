import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import {
  APPROVAL_ITEM_RETENTION_SECONDS,
  type ApprovalItem,
  approvalKey,
  approvalKindSchema,
} from '../shared/approval-item';
import type { ApprovalRequestConfig } from '../shared/config/approval-request';
import { deploymentRefSchema } from '../shared/contracts';
import { releaseSchema } from '../shared/deployment-request';
import { logger } from '../shared/logger';
import { crossChecked, strictObject } from '../shared/validation';
import { type ApprovalContext, approvalDeadline, buildApprovalNotification } from './message';

/** Step Functions caps task timeouts (and executions) at one year. */
const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

export const approvalContextSchema = strictObject({
  /** Why the approval is asked for, e.g. the alarm that triggered a rollback. */
  reason: v.optional(v.pipe(v.string(), v.maxLength(2000))),
  snapshotIdentifier: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))),
  /** ISO-8601 creation time of the snapshot. */
  snapshotCreatedAt: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
}) satisfies v.GenericSchema<ApprovalContext>;

/**
 * The payload of the `.waitForTaskToken` task (`Payload` with `"taskToken.$": "$$.Task.Token"`). A DATABASE_ROLLBACK
 * request must name the snapshot and its time: the Chairman cannot weigh a restore without knowing what it loses.
 */
export const approvalRequestSchema = crossChecked(
  strictObject({
    taskToken: v.pipe(v.string(), v.minLength(1), v.maxLength(2048)),
    kind: approvalKindSchema,
    deployment: deploymentRefSchema,
    release: releaseSchema,
    requestedBy: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256)),
    timeoutSeconds: v.pipe(v.number(), v.safeInteger(), v.gtValue(0), v.maxValue(MAX_TIMEOUT_SECONDS)),
    context: v.optional(approvalContextSchema),
  }),
  (request) =>
    request.kind !== 'DATABASE_ROLLBACK'
      ? []
      : (['snapshotIdentifier', 'snapshotCreatedAt'] as const)
          .filter((field) => request.context?.[field] === undefined)
          .map((field) => ({ path: ['context', field], message: 'required for a DATABASE_ROLLBACK approval' })),
);
export type ApprovalRequest = v.InferOutput<typeof approvalRequestSchema>;

export interface ApprovalRequestResult {
  readonly notified: true;
  readonly messageId: string;
}

export interface ApprovalRequestDependencies {
  readonly ddb: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly config: ApprovalRequestConfig;
  readonly clock: () => Date;
}

/**
 * Stores the task token under the deployment's name and tells the Chairman what is about to happen and how to answer.
 * The item is overwritten on purpose: a retried task carries a new token, and only the newest one can be answered.
 */
export function createApprovalRequester(dependencies: ApprovalRequestDependencies) {
  const { ddb, sns, config, clock } = dependencies;

  return async function requestApproval(request: ApprovalRequest): Promise<ApprovalRequestResult> {
    const now = clock();
    const requestedAt = now.toISOString();
    const deadline = approvalDeadline(requestedAt, request.timeoutSeconds);
    const item: ApprovalItem = {
      ...approvalKey(request.deployment.name, request.kind),
      taskToken: request.taskToken,
      status: 'PENDING',
      kind: request.kind,
      deploymentName: request.deployment.name,
      executionArn: request.deployment.executionArn,
      requestedAt,
      deadline,
      timeoutSeconds: request.timeoutSeconds,
      expiresAt: Math.floor(now.getTime() / 1000) + request.timeoutSeconds + APPROVAL_ITEM_RETENTION_SECONDS,
      releaseVersion: request.release.version,
      requestedBy: request.requestedBy,
    };
    await ddb.send(new PutCommand({ TableName: config.tableName, Item: item }));

    const notification = buildApprovalNotification({
      kind: request.kind,
      deployment: request.deployment,
      release: request.release,
      requestedBy: request.requestedBy,
      requestedAt,
      timeoutSeconds: request.timeoutSeconds,
      context: request.context,
      targets: config.targets,
      answer: { region: config.region, approvalUrl: config.approvalUrl, functionName: config.approvalFunctionName },
    });
    const published = await sns.send(
      new PublishCommand({
        TopicArn: config.topicArn,
        Subject: notification.subject,
        Message: notification.message,
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: request.kind },
          deployment: { DataType: 'String', StringValue: request.deployment.name },
        },
      }),
    );
    const messageId = published.MessageId ?? '';

    logger.info('approval requested', {
      deployment: request.deployment.name,
      kind: request.kind,
      releaseVersion: request.release.version,
      deadline,
      messageId,
    });
    return { notified: true, messageId };
  };
}
