import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** The crew's state table as the stack defines it (lib/crew-state-table.ts): pk/sk strings. */
export const STATE_TABLE_NAME = 'deployment-crew-state';

export interface LocalDynamo {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  /**
   * How long dynalite keeps a new table CREATING, in ms.
   * @default 0
   */
  readonly createTableMs?: number;
}

/** Starts dynalite on a loopback port with the state table created; a real DynamoDB wire protocol, in memory. */
export async function startLocalDynamo(
  tableName: string = STATE_TABLE_NAME,
  options: LocalDynamoOptions = {},
): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: options.createTableMs ?? 0, deleteTableMs: 0, updateTableMs: 0 });
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
  // CreateTable answers while the table is still CREATING, and dynalite (as DynamoDB) refuses items until it is ACTIVE:
  // dynalite commits ACTIVE on its own schedule, even with createTableMs at 0. The SDK's waiter reads it until then.
  await waitUntilTableExists({ client, maxWaitTime: 5, minDelay: 0.005, maxDelay: 0.05 }, { TableName: tableName });
  return {
    client,
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
