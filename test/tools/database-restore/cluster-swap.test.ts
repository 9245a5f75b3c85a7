import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseRestoreProgress } from '../../../lambdas/tools/database-restore';
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

function seedCluster(): void {
  fake.clusters.set('orders', productionCluster());
  for (const identifier of ['orders-1', 'orders-2', 'orders-3'])
    fake.instances.set(identifier, clusterMember(identifier));
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
      ['orders-1-rb', CLUSTER_TEMPORARY_ID],
      ['orders-3-rb', CLUSTER_TEMPORARY_ID],
      ['orders-2-rb', CLUSTER_TEMPORARY_ID],
    ]);
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
      fake.instances.has('orders-1-rb'),
    );
    fake.setInstanceStatus('orders-1-rb', 'failed');

    // Act
    let end = restoring;
    for (let i = 0; i < 10 && !done(end); i += 1) {
      end = await tool.advance(end, clusterSnapshot, DEPLOYMENT);
    }

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain("DB instance 'orders-1-rb' is 'failed'");
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'orders-1-rb' },
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand).map((call) => call.args[0].input)).toEqual([
      { DBClusterIdentifier: CLUSTER_TEMPORARY_ID, SkipFinalSnapshot: true },
    ]);
    expect(clusterModifies()).toEqual([]);
    expect([...fake.clusters.keys()]).toEqual(['orders']);
  });
});
