import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_SWAP_RESERVE_POLLS } from '../../lambdas/shared/config/rollback-coordinator';
import { LOCAL_SUBSTITUTIONS } from '../../rehearsal/local-workflow';
import { SIM_DB_SECURITY_GROUP } from '../../rehearsal/simulated-aws/constants';
import { SIM_FENCE_SECURITY_GROUP } from '../../rehearsal/simulated-aws/rds';
import { SIM } from '../../rehearsal/simulated-production';
import { createWorld, VALID_INPUT, type WorldOptions } from '../../rehearsal/workflow-world';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite';

/**
 * The database rollback through the state machine's Plan/Wait/Advance loop, on the simulated RDS: restore beside
 * production, fence, rename swap; and what a failure before and during the swap leaves behind.
 */

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
afterEach(async () => {
  await dynamo.client.send(
    new DeleteItemCommand({
      TableName: LOCAL_SUBSTITUTIONS.CrewTableName,
      Key: { pk: { S: LOCAL_SUBSTITUTIONS.LockKey }, sk: { S: 'LOCK' } },
    }),
  );
});

const MIGRATION_FAILS: WorldOptions = {
  input: { ...VALID_INPUT, release: { ...VALID_INPUT.release, schemaChange: true } },
  cutover: { migrationExitCode: 1 },
  databaseRollbackApproval: 'approve',
};

async function play(options: WorldOptions) {
  const world = createWorld(dynamo, options);
  const result = await world.run();
  const mutations = world.production.rdsCalls.filter((call) => !call.startsWith('Describe'));
  return { ...world, result, mutations };
}

const groupsOf = (instance: { VpcSecurityGroups?: { VpcSecurityGroupId?: string }[] } | undefined) =>
  instance?.VpcSecurityGroups?.map((group) => group.VpcSecurityGroupId);

describe('database rollback through the workflow', () => {
  it('restores beside production, fences it, then swaps the names: production is never without a database until the renames', async () => {
    // Act
    const { result, production, mutations } = await play(MIGRATION_FAILS);

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    const restore = mutations.findIndex((call) => call.startsWith('RestoreDBInstanceFromDBSnapshot'));
    const firstProductionChange = mutations.findIndex((call) =>
      call.startsWith(`ModifyDBInstance ${SIM.databaseIdentifier} `),
    );
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(firstProductionChange).toBeGreaterThan(restore);
    expect(
      mutations.filter((call) => call.startsWith('ModifyDBInstance')).map((call) => call.split(' ').slice(1).join(' ')),
    ).toEqual([
      `${SIM.databaseIdentifier} rename=(none)`,
      expect.stringMatching(
        new RegExp(`^${SIM.databaseIdentifier} rename=${SIM.databaseIdentifier}-pre-rb-[0-9a-f]{8}$`),
      ),
      expect.stringMatching(
        new RegExp(`^${SIM.databaseIdentifier}-rb-new-[0-9a-f]{8} rename=${SIM.databaseIdentifier}$`),
      ),
    ]);
    const preserved = production.databaseInstances().find((id) => id.includes('-pre-rb-'));
    expect(groupsOf(production.databaseInstance(preserved ?? ''))).toEqual([SIM_FENCE_SECURITY_GROUP]);
    expect(production.databaseInstance(SIM.databaseIdentifier)?.DbiResourceId).toMatch(/^db-RESTORED/);
    expect(groupsOf(production.databaseInstance(SIM.databaseIdentifier))).toEqual([SIM_DB_SECURITY_GROUP]);
  });

  it('a copy that fails to restore: escalated, production untouched and unfenced, the copy deleted', async () => {
    // Act
    const { result, production, mutations } = await play({
      ...MIGRATION_FAILS,
      cutover: { ...MIGRATION_FAILS.cutover, restore: { restoredStatus: 'incompatible-parameters' } },
    });

    // Assess
    expect(result.error).toBe('RollbackFailed');
    expect(production.databaseInstances()).toEqual([SIM.databaseIdentifier]);
    expect(production.databaseInstance(SIM.databaseIdentifier)?.DbiResourceId).toBe('db-PRODUCTION0000000000000001');
    expect(mutations.some((call) => call.startsWith(`ModifyDBInstance ${SIM.databaseIdentifier} `))).toBe(false);
    expect(mutations.some((call) => call.startsWith('DeleteDBInstance'))).toBe(true);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'a restore that uses up its %i steps never starts the fence: production as it was, the copy deleted',
    async (restoreSteps) => {
      // Act: the loop keeps RESTORE_SWAP_RESERVE_POLLS steps beyond the restore's own for the swap and the recovery.
      const { result, production, mutations } = await play({
        ...MIGRATION_FAILS,
        settings: { restoreMaxPolls: restoreSteps + RESTORE_SWAP_RESERVE_POLLS },
      });

      // Assess: either the swap completed, or production was never touched (never fenced, never renamed).
      const prod = production.databaseInstance(SIM.databaseIdentifier);
      expect(prod).toBeDefined();
      expect(groupsOf(prod)).not.toEqual([SIM_FENCE_SECURITY_GROUP]);
      if (result.error === 'RollbackFailed') {
        expect(production.databaseInstances()).toEqual([SIM.databaseIdentifier]);
        expect(mutations.some((call) => call.startsWith(`ModifyDBInstance ${SIM.databaseIdentifier} `))).toBe(false);
      } else {
        expect(result.error).toBe('DeploymentRolledBack');
      }
    },
  );

  it('a rename of the copy that RDS refuses mid-swap: production renamed back and unfenced before escalating', async () => {
    // Act
    const { result, production } = await play({
      ...MIGRATION_FAILS,
      cutover: {
        ...MIGRATION_FAILS.cutover,
        restore: { renameFailsFor: { identifierPrefix: `${SIM.databaseIdentifier}-rb-new-`, error: 'AccessDenied' } },
      },
    });

    // Assess
    expect(result.error).toBe('RollbackFailed');
    expect(production.databaseInstances()).toEqual([SIM.databaseIdentifier]);
    expect(production.databaseInstance(SIM.databaseIdentifier)?.DbiResourceId).toBe('db-PRODUCTION0000000000000001');
    expect(groupsOf(production.databaseInstance(SIM.databaseIdentifier))).toEqual([SIM_DB_SECURITY_GROUP]);
  });
});
