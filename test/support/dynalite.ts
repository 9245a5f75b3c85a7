import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type LocalDynamo, STATE_TABLE_NAME, startLocalDynamo } from '../../rehearsal/dynalite';

/** dynalite, the state table's emulator, is part of the rehearsal; the tests use it through these hooks. */
export { type LocalDynamo, STATE_TABLE_NAME, startLocalDynamo };

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
