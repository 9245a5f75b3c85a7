import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambdas/shared/errors';
import type { DatabaseRestoreProgress } from '../../../lambdas/tools/database-restore';
import { rejection } from '../../support/errors';
import { clusterTool, FakeRds, rds, sentCommandNames } from './fake-rds';
import {
  CLUSTER_PRESERVED_ID,
  clusterMember,
  clusterSnapshot,
  DEPLOYMENT,
  productionCluster,
  SNAPSHOT_ID,
} from './fixtures';

let fake: FakeRds;

beforeEach(() => {
  rds.reset();
  fake = new FakeRds();
  fake.install(rds);
});

describe('database restore: Aurora cluster', () => {
  function seedCluster(): void {
    fake.clusters.set('orders', productionCluster());
    for (const identifier of ['orders-1', 'orders-2', 'orders-3']) {
      fake.instances.set(identifier, clusterMember(identifier));
    }
  }

  it('renames the cluster with the exact ModifyDBCluster input', async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();

    // Act
    const next = await tool.advance(tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot);

    // Assess
    expect(next).toMatchObject({ status: 'RENAMING', polls: 1, preservedIdentifier: CLUSTER_PRESERVED_ID });
    const renames = rds.commandCalls(ModifyDBClusterCommand);
    expect(renames.map((call) => call.args[0].input)).toStrictEqual([
      { DBClusterIdentifier: 'orders', NewDBClusterIdentifier: CLUSTER_PRESERVED_ID, ApplyImmediately: true },
    ]);
  });

  it('restores the cluster, then creates the writer copy first and the readers once it is available', async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();
    let progress = await tool.advance(tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot, DEPLOYMENT);
    fake.completeRenames();

    // Act
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const restoring = progress;
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const clusterCreating = progress;
    fake.setClusterStatus('orders', 'available');
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const afterWriterCreate = progress;
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const waitingForWriter = progress;
    fake.setInstanceStatus('orders-1-rb', 'available');
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const readersCreating = progress;
    fake.setInstanceStatus('orders-3-rb', 'available');
    fake.setInstanceStatus('orders-2-rb', 'available');
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);

    // Assess
    expect(restoring.status).toBe('RESTORING');
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0]?.args[0].input).toMatchObject({
      DBClusterIdentifier: 'orders',
      SnapshotIdentifier: SNAPSHOT_ID,
      Engine: 'aurora-postgresql',
      DBSubnetGroupName: 'app-subnets',
      DBClusterParameterGroupName: 'orders-cluster-pg',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    });
    expect(clusterCreating).toMatchObject({ status: 'RESTORING' });
    expect(clusterCreating.reason).toContain("DB cluster 'orders' is 'creating'");
    expect(afterWriterCreate.reason).toContain("creating writer 'orders-1-rb'");
    expect(waitingForWriter.reason).toContain('waiting for the writer');
    expect(readersCreating).toMatchObject({ status: 'RESTORING' });
    expect(progress).toMatchObject({ status: 'AVAILABLE' });
    const creates = rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input);
    expect(creates.map((input) => input.DBInstanceIdentifier)).toEqual(['orders-1-rb', 'orders-3-rb', 'orders-2-rb']);
    expect(creates[0]).toMatchObject({
      DBClusterIdentifier: 'orders',
      DBInstanceClass: 'db.serverless',
      Engine: 'aurora-postgresql',
      DBParameterGroupName: 'orders-instance-pg',
    });
    expect(sentCommandNames().some((name) => name.startsWith('Delete'))).toBe(false);
    expect(fake.clusters.get(CLUSTER_PRESERVED_ID)?.DbClusterResourceId).toBe('cluster-PRODUCTION');
  });

  it('refuses before renaming when a member uses a parameter group that is not allowed', async () => {
    // Prepare
    seedCluster();
    fake.instances.set(
      'orders-2',
      clusterMember('orders-2', { DBParameterGroups: [{ DBParameterGroupName: 'tuned-by-hand' }] }),
    );
    const tool = clusterTool();

    // Act
    const error = await rejection(tool.advance(tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'tuned-by-hand'");
    expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  });

  it('fails when the restored cluster does not carry this rollback tag', async () => {
    // Prepare
    fake.clusters.set(CLUSTER_PRESERVED_ID, productionCluster({ DBClusterIdentifier: CLUSTER_PRESERVED_ID }));
    fake.clusters.set('orders', { DBClusterIdentifier: 'orders', Status: 'available', Engine: 'aurora-postgresql' });
    const tool = clusterTool();
    const restoring: DatabaseRestoreProgress = { ...tool.plan(clusterSnapshot, DEPLOYMENT), status: 'RESTORING' };

    // Act
    const next = await tool.advance(restoring, clusterSnapshot);

    // Assess
    expect(next.status).toBe('FAILED');
    expect(next.reason).toContain('was not restored by this rollback');
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });
});
