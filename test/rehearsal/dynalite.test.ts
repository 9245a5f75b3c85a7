import { DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { STATE_TABLE_NAME, startLocalDynamo } from '../../rehearsal/dynalite';

/**
 * rehearsal/dynalite.ts: the state table's emulator. dynalite, like DynamoDB, answers CreateTable while the table is
 * still CREATING and refuses items until it is ACTIVE (ResourceNotFoundException), so the table must be ACTIVE
 * before the emulator is handed out: the first write of a test or a rehearsal would otherwise race its creation.
 */
describe('startLocalDynamo', () => {
  it('hands the table out ACTIVE, writable at once, even when its creation takes a while', async () => {
    // Prepare
    const dynamo = await startLocalDynamo(STATE_TABLE_NAME, { createTableMs: 50 });

    try {
      // Act
      const put = dynamo.client.send(
        new PutItemCommand({ TableName: STATE_TABLE_NAME, Item: { pk: { S: 'LOCK#x' }, sk: { S: 'LOCK' } } }),
      );
      const described = await dynamo.client.send(new DescribeTableCommand({ TableName: STATE_TABLE_NAME }));

      // Assess
      await expect(put).resolves.toBeDefined();
      expect(described.Table?.TableStatus).toBe('ACTIVE');
    } finally {
      await dynamo.close();
    }
  });
});
