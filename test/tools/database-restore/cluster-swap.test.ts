import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { TAG_PROMOTED, TAG_RESTORED_FROM, TAG_TEMPORARY_MEMBER } from '../../../lambdas/shared/rds-names';
import type { DatabaseRestoreProgress } from '../../../lambdas/tools/database-restore';
import { restoredMemberIdentifier, temporaryIdentifierFor } from '../../../lambdas/tools/database-restore/identifiers';
import { advanceUntil, clusterTool, FakeRds, rds, sentCommandNames } from './fake-rds';
import {
  CLUSTER_PRESERVED_ID,
  CLUSTER_TEMPORARY_ID,
  clusterMember,
  clusterSnapshot,
  DEPLOYMENT,
  FENCE_SG,
  productionCluster,
} from './fixtures';

let fake: FakeRds;

beforeEach(() => {
  rds.reset();
  fake = new FakeRds();
  fake.install(rds);
});

const done = (progress: DatabaseRestoreProgress) => progress.status === 'AVAILABLE' || progress.status === 'FAILED';
const clusterModifies = () => rds.commandCalls(ModifyDBClusterCommand).map((call) => call.args[0].input);

const copyOf = (member: string) => restoredMemberIdentifier('orders', CLUSTER_TEMPORARY_ID, member);
const tagsOf = (identifier: string) =>
  Object.fromEntries((fake.instances.get(identifier)?.TagList ?? []).map((tag) => [tag.Key, tag.Value]));

function seedCluster(): void {
  fake.clusters.set('orders', productionCluster());
  for (const identifier of ['orders-1', 'orders-2', 'orders-3'])
    fake.instances.set(identifier, clusterMember(identifier));
}

/** Production as an earlier rollback (another deployment) left it: its copy's members, marked and promoted. */
function seedAfterEarlierRollback(): string[] {
  const earlierCopy = temporaryIdentifierFor('orders', 'release-1.3.0');
  const members = ['orders-1', 'orders-2', 'orders-3'].map((member) =>
    restoredMemberIdentifier('orders', earlierCopy, member),
  );
  fake.clusters.set(
    'orders',
    productionCluster({
      DBClusterMembers: members.map((identifier, index) => ({
        DBInstanceIdentifier: identifier,
        IsClusterWriter: index === 0,
        PromotionTier: 1,
      })),
    }),
  );
  for (const identifier of members) {
    fake.instances.set(
      identifier,
      clusterMember(identifier, {
        TagList: [
          { Key: 'team', Value: 'orders' },
          { Key: TAG_RESTORED_FROM, Value: 'deploymentcrew-release-1-3-0-00000000' },
          { Key: TAG_TEMPORARY_MEMBER, Value: earlierCopy },
          { Key: TAG_PROMOTED, Value: 'orders' },
        ],
      }),
    );
  }
  return members;
}

describe('database restore: Aurora cluster, restore first and swap last', () => {
  it('restores the cluster and its members beside production, then fences and swaps the names', async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();

    // Act
    const end = await advanceUntil(tool, tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot, fake, done);

    // Assess
    expect(end.status, end.reason).toBe('AVAILABLE');
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0]?.args[0].input.DBClusterIdentifier).toBe(
      CLUSTER_TEMPORARY_ID,
    );
    const created = rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input);
    expect(created.map((input) => [input.DBInstanceIdentifier, input.DBClusterIdentifier])).toEqual([
      [copyOf('orders-1'), CLUSTER_TEMPORARY_ID],
      [copyOf('orders-3'), CLUSTER_TEMPORARY_ID],
      [copyOf('orders-2'), CLUSTER_TEMPORARY_ID],
    ]);
    for (const input of created) {
      expect(input.DBInstanceIdentifier).toMatch(new RegExp(`^${CLUSTER_TEMPORARY_ID}-[0-9a-f]{8}$`));
      expect(input.Tags).toContainEqual({ Key: TAG_TEMPORARY_MEMBER, Value: CLUSTER_TEMPORARY_ID });
    }
    const mutating = sentCommandNames().filter((name) => !name.startsWith('Describe'));
    expect(mutating.indexOf('ModifyDBClusterCommand')).toBeGreaterThan(mutating.lastIndexOf('CreateDBInstanceCommand'));
    expect(clusterModifies()).toEqual([
      { DBClusterIdentifier: 'orders', VpcSecurityGroupIds: [FENCE_SG], ApplyImmediately: true },
      { DBClusterIdentifier: 'orders', NewDBClusterIdentifier: CLUSTER_PRESERVED_ID, ApplyImmediately: true },
      {
        DBClusterIdentifier: CLUSTER_TEMPORARY_ID,
        NewDBClusterIdentifier: 'orders',
        ApplyImmediately: true,
        DeletionProtection: true,
      },
    ]);
    expect(fake.clusters.get('orders')?.DbClusterResourceId).toMatch(/^cluster-RESTORED-/);
    expect(end.fence?.originalSecurityGroupIds).toEqual(['sg-0ccc']);
  });

  it('a member that fails is a failure before the swap: members and cluster deleted, production untouched', async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();
    const restoring = await advanceUntil(tool, tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot, fake, () =>
      fake.instances.has(copyOf('orders-1')),
    );
    fake.setInstanceStatus(copyOf('orders-1'), 'failed');

    // Act
    let end = restoring;
    for (let i = 0; i < 10 && !done(end); i += 1) {
      end = await tool.advance(end, clusterSnapshot, DEPLOYMENT);
    }

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain(`DB instance '${copyOf('orders-1')}' is 'failed'`);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: copyOf('orders-1') },
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand).map((call) => call.args[0].input)).toEqual([
      { DBClusterIdentifier: CLUSTER_TEMPORARY_ID, SkipFinalSnapshot: true },
    ]);
    expect(clusterModifies()).toEqual([]);
    expect([...fake.clusters.keys()]).toEqual(['orders']);
  });

  it("marks the copy's members as production before the copy takes the name: their deletion is no longer granted", async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();

    // Act
    const end = await advanceUntil(tool, tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot, fake, done);

    // Assess
    expect(end.status, end.reason).toBe('AVAILABLE');
    const members = ['orders-1', 'orders-3', 'orders-2'].map(copyOf);
    expect(rds.commandCalls(AddTagsToResourceCommand).map((call) => call.args[0].input)).toEqual(
      members.map((identifier) => ({
        ResourceName: `arn:aws:rds:eu-west-1:123456789012:db:${identifier}`,
        Tags: [{ Key: TAG_PROMOTED, Value: 'orders' }],
      })),
    );
    const mutating = sentCommandNames().filter((name) => !name.startsWith('Describe'));
    const finalRename = mutating.lastIndexOf('ModifyDBClusterCommand');
    expect(mutating.slice(finalRename - 3, finalRename)).toEqual(Array(3).fill('AddTagsToResourceCommand'));
    expect(clusterModifies().at(-1)?.DBClusterIdentifier).toBe(CLUSTER_TEMPORARY_ID);
    for (const identifier of members) {
      expect(fake.instances.get(identifier)?.DBClusterIdentifier).toBe('orders');
      expect(tagsOf(identifier)).toMatchObject({
        [TAG_TEMPORARY_MEMBER]: CLUSTER_TEMPORARY_ID,
        [TAG_PROMOTED]: 'orders',
      });
    }
  });

  it("copies an earlier rollback's members without its marks, and a failure deletes only this copy's", async () => {
    // Prepare
    const production = seedAfterEarlierRollback();
    const tool = clusterTool();
    const restoring = await advanceUntil(tool, tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot, fake, () =>
      fake.instances.has(restoredMemberIdentifier('orders', CLUSTER_TEMPORARY_ID, production[0] ?? '')),
    );
    const writerCopy = restoredMemberIdentifier('orders', CLUSTER_TEMPORARY_ID, production[0] ?? '');
    fake.setInstanceStatus(writerCopy, 'failed');

    // Act
    let end = restoring;
    for (let i = 0; i < 10 && !done(end); i += 1) {
      end = await tool.advance(end, clusterSnapshot, DEPLOYMENT);
    }

    // Assess
    expect(end.status).toBe('FAILED');
    const created = rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input);
    expect(created.map((input) => input.DBInstanceIdentifier)).toEqual([writerCopy]);
    expect(Object.fromEntries((created[0]?.Tags ?? []).map((tag) => [tag.Key, tag.Value]))).toMatchObject({
      team: 'orders',
      [TAG_TEMPORARY_MEMBER]: CLUSTER_TEMPORARY_ID,
      [TAG_RESTORED_FROM]: clusterSnapshot.identifier,
    });
    expect(created[0]?.Tags?.map((tag) => tag.Key)).not.toContain(TAG_PROMOTED);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: writerCopy },
    ]);
    expect(rds.commandCalls(AddTagsToResourceCommand)).toEqual([]);
    for (const identifier of production) {
      expect(fake.instances.get(identifier)?.DBClusterIdentifier).toBe('orders');
      expect(tagsOf(identifier)[TAG_PROMOTED]).toBe('orders');
    }
  });
});
