import {
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { toWorkflowError } from '../lambdas/shared/errors';
import { workflowError } from './local-workflow';

/**
 * Local stand-ins for the state machine's direct service integrations. DynamoDB tasks run the processed Parameters
 * as the real API call against dynalite (so the lock's condition expressions are exercised, not assumed), and
 * errors come back named the way Step Functions names them (`DynamoDB.ConditionalCheckFailedException`).
 */

type DynamoAction = 'putItem' | 'deleteItem' | 'updateItem' | 'getItem';

export function dynamoTask(client: DynamoDBClient, action: DynamoAction) {
  return async (parameters: unknown): Promise<unknown> => {
    try {
      switch (action) {
        case 'putItem':
          return await client.send(new PutItemCommand(parameters as PutItemCommandInput));
        case 'deleteItem':
          return await client.send(new DeleteItemCommand(parameters as DeleteItemCommandInput));
        case 'updateItem':
          return await client.send(new UpdateItemCommand(parameters as UpdateItemCommandInput));
        case 'getItem':
          return await client.send(new GetItemCommand(parameters as GetItemCommandInput));
      }
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      throw workflowError(`DynamoDB.${name}`, error instanceof Error ? error.message : String(error));
    }
  };
}

/** Records what the state machine published or emitted, in order. */
export class IntegrationRecorder {
  readonly notifications: { Subject?: string; Message?: string; TopicArn?: string }[] = [];
  readonly events: { DetailType: string; Detail: Record<string, unknown> }[] = [];

  readonly publish = (parameters: unknown) => {
    this.notifications.push(parameters as { Subject?: string; Message?: string; TopicArn?: string });
    return { MessageId: `msg-${this.notifications.length}` };
  };

  readonly putEvents = (parameters: unknown) => {
    const entries = (parameters as { Entries: { DetailType: string; Detail: Record<string, unknown> }[] }).Entries;
    this.events.push(...entries);
    return { FailedEntryCount: 0, Entries: entries.map((_, index) => ({ EventId: `event-${index}` })) };
  };

  /** OpsCenter OpsItems the state machine opened (ssm:createOpsItem), with CreateOpsItem's own limits checked. */
  readonly opsItems: {
    Title: string;
    Description: string;
    Severity: string;
    OperationalData: Record<string, unknown>;
  }[] = [];

  readonly createOpsItem = (parameters: unknown) => {
    const item = parameters as (typeof this.opsItems)[number];
    if (item.Title.length > 1024 || item.Description.length > 2048) {
      const error = new Error('Title is at most 1024 characters and Description at most 2048');
      error.name = 'Ssm.ValidationException';
      throw error;
    }
    this.opsItems.push(item);
    return { OpsItemId: `oi-${String(this.opsItems.length).padStart(12, '0')}` };
  };
}

/**
 * Runs agent code the way the Lambda wrapper does: errors are renamed for Retry/Catch exactly as
 * lambdas/shared/handler.ts renames them (a throttled AWS call becomes TransientAwsError).
 */
export function asLambda<Input, Output>(run: (input: Input) => Promise<Output>) {
  return async (input: unknown): Promise<Output> => {
    try {
      return await run(input as Input);
    } catch (error) {
      throw toWorkflowError(error);
    }
  };
}
