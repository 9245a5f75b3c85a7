import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createProbeLedger, probeLedgerKey } from '../../../lambdas/tools/prober';
import { STATE_TABLE_NAME, useLocalDocumentDynamo } from '../../support/dynalite';

const dynamo = useLocalDocumentDynamo();
let counter = 0;
const nextDeployment = () => `rel-ledger-${++counter}`;

describe('probe ledger (dynalite)', () => {
  it('reads null before any prober recorded a run', async () => {
    // Prepare
    const ledger = createProbeLedger(dynamo().ddb, STATE_TABLE_NAME);

    // Act
    const summary = await ledger.read(nextDeployment());

    // Assess
    expect(summary).toBeNull();
  });

  it('adds the runs up and keeps the first green-down instant and its failures', async () => {
    // Prepare
    const ledger = createProbeLedger(dynamo().ddb, STATE_TABLE_NAME);
    const deployment = nextDeployment();

    // Act
    await ledger.record(deployment, { rounds: 12, failedRounds: 1, publishFailures: 2 });
    await ledger.record(deployment, {
      rounds: 4,
      failedRounds: 3,
      greenDownSince: '2026-12-03T10:00:05.000Z',
      failures: ['products: status 503, expected 200'],
    });
    await ledger.record(deployment, {
      rounds: 3,
      failedRounds: 3,
      greenDownSince: '2026-12-03T10:09:00.000Z',
      failures: ['later'],
    });

    // Assess
    expect(await ledger.read(deployment)).toEqual({
      runs: 3,
      rounds: 19,
      failedRounds: 7,
      publishFailures: 2,
      greenDownSince: '2026-12-03T10:00:05.000Z',
      failures: ['products: status 503, expected 200'],
    });
  });

  it("keeps the item in its own partition, never in the lock's, and with an expiry", async () => {
    // Prepare
    const ledger = createProbeLedger(dynamo().ddb, STATE_TABLE_NAME, () => new Date('2026-12-03T10:00:00Z'));
    const deployment = nextDeployment();

    // Act
    await ledger.record(deployment, { rounds: 1, failedRounds: 0 });

    // Assess
    const { Item } = await dynamo().ddb.send(
      new GetCommand({ TableName: STATE_TABLE_NAME, Key: { pk: probeLedgerKey(deployment), sk: 'PROBES' } }),
    );
    expect(Item).toMatchObject({ pk: `PROBES#${deployment}`, expiresAt: 1796292000 + 7 * 24 * 3600 });
    expect(() => probeLedgerKey(' ')).toThrow(/deployment name/);
  });
});
