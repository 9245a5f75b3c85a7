import { describe, expect, it } from 'vitest';
import {
  clusterRestoreInput,
  instanceRestoreInput,
  memberInstanceInput,
  orderedMembers,
} from '../../../lambdas/tools/database-restore/restore-inputs';
import {
  CLUSTER_PRESERVED_ID,
  clusterMember,
  KMS_KEY,
  PRESERVED_ID,
  productionCluster,
  productionInstance,
  SNAPSHOT_ID,
} from './fixtures';

describe('restore input builders', () => {
  const target = {
    originalIdentifier: 'app-db',
    snapshotIdentifier: SNAPSHOT_ID,
    tags: [{ Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID }],
  };

  it('copies the preserved instance settings and leaves gp3 baseline performance to RDS', () => {
    // Prepare
    const preserved = productionInstance({ DBInstanceIdentifier: PRESERVED_ID });

    // Act
    const input = instanceRestoreInput(preserved, target);

    // Assess
    expect(input).toStrictEqual({
      DBInstanceIdentifier: 'app-db',
      DBSnapshotIdentifier: SNAPSHOT_ID,
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: 'app-subnets',
      VpcSecurityGroupIds: ['sg-0aaa', 'sg-0bbb'],
      DBParameterGroupName: 'app-pg16',
      OptionGroupName: 'default:postgres-16',
      MultiAZ: true,
      Port: 5432,
      StorageType: 'gp3',
      AllocatedStorage: 200,
      PubliclyAccessible: false,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 7,
      EnableCloudwatchLogsExports: ['postgresql'],
      Tags: target.tags,
    });
  });

  it('sends provisioned IOPS for io1 and custom gp3 performance, and drops removed security groups', () => {
    // Prepare
    const io1 = productionInstance({ StorageType: 'io1', Iops: 8000, StorageThroughput: undefined });
    const gp3 = productionInstance({ AllocatedStorage: 500, Iops: 15000, StorageThroughput: 750 });
    const removing = productionInstance({
      VpcSecurityGroups: [
        { VpcSecurityGroupId: 'sg-0aaa', Status: 'active' },
        { VpcSecurityGroupId: 'sg-0old', Status: 'removing' },
      ],
    });

    // Act
    const io1Input = instanceRestoreInput(io1, target);
    const gp3Input = instanceRestoreInput(gp3, target);
    const removingInput = instanceRestoreInput(removing, target);

    // Assess
    expect(io1Input).toMatchObject({ StorageType: 'io1', Iops: 8000 });
    expect(io1Input).not.toHaveProperty('StorageThroughput');
    expect(gp3Input).toMatchObject({ StorageType: 'gp3', Iops: 15000, StorageThroughput: 750 });
    expect(removingInput.VpcSecurityGroupIds).toEqual(['sg-0aaa']);
  });

  it('copies the preserved Aurora cluster settings, Serverless v2 scaling included', () => {
    // Prepare
    const preserved = productionCluster({ DBClusterIdentifier: CLUSTER_PRESERVED_ID });

    // Act
    const input = clusterRestoreInput(preserved, { ...target, originalIdentifier: 'orders' });

    // Assess
    expect(input).toStrictEqual({
      DBClusterIdentifier: 'orders',
      SnapshotIdentifier: SNAPSHOT_ID,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBSubnetGroupName: 'app-subnets',
      VpcSecurityGroupIds: ['sg-0ccc'],
      DBClusterParameterGroupName: 'orders-cluster-pg',
      Port: 5432,
      DeletionProtection: true,
      KmsKeyId: KMS_KEY,
      EnableIAMDatabaseAuthentication: false,
      CopyTagsToSnapshot: true,
      BackupRetentionPeriod: 14,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      Tags: target.tags,
    });
  });

  it('orders members writer first, then by promotion tier', () => {
    // Prepare
    const cluster = productionCluster();

    // Act
    const order = orderedMembers(cluster).map((member) => member.DBInstanceIdentifier);

    // Assess
    expect(order).toEqual(['orders-1', 'orders-3', 'orders-2']);
  });

  it('builds the member copy from the preserved member', () => {
    // Prepare
    const member = clusterMember('orders-1', { DBClusterIdentifier: CLUSTER_PRESERVED_ID });

    // Act
    const input = memberInstanceInput(member, { clusterIdentifier: 'orders', tags: target.tags });

    // Assess
    expect(input).toStrictEqual({
      DBInstanceIdentifier: 'orders-1-rb',
      DBClusterIdentifier: 'orders',
      DBInstanceClass: 'db.serverless',
      Engine: 'aurora-postgresql',
      DBParameterGroupName: 'orders-instance-pg',
      PromotionTier: 1,
      PubliclyAccessible: false,
      Tags: target.tags,
    });
  });
});
