import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll } from 'vitest';

/** The crew's state table as the stack defines it (lib/crew-state-table.ts): pk/sk strings. */
export const STATE_TABLE_NAME = 'deployment-crew-state';

export interface LocalDynamo {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on a loopback port with the state table created; a real DynamoDB wire protocol, in memory. */
export async function startLocalDynamo(tableName: string = STATE_TABLE_NAME): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    client,
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export interface LocalDocumentDynamo extends LocalDynamo {
  /** A document client over `client`, as the Lambdas build theirs. */
  readonly ddb: DynamoDBDocumentClient;
}

/** `startLocalDynamo` with a document client over the table (`translateConfig` as the Lambda under test uses it). */
export async function startLocalDocumentDynamo(translateConfig?: TranslateConfig): Promise<LocalDocumentDynamo> {
  const dynamo = await startLocalDynamo();
  return { ...dynamo, ddb: DynamoDBDocumentClient.from(dynamo.client, translateConfig) };
}

/**
 * Starts dynalite for the calling test file (beforeAll) and stops it after its last test (afterAll); the getter
 * fails loudly when called outside those hooks' reach.
 */
export function useLocalDocumentDynamo(): () => LocalDocumentDynamo {
  let dynamo: LocalDocumentDynamo | undefined;
  beforeAll(async () => {
    dynamo = await startLocalDocumentDynamo();
  });
  afterAll(async () => {
    await dynamo?.close();
    dynamo = undefined;
  });
  return () => {
    if (dynamo === undefined) throw new Error('dynalite is not running: call useLocalDynamo() in the test file');
    return dynamo;
  };
}
