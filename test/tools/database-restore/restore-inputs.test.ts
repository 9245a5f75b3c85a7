import { describe, expect, it } from 'vitest';
import {
  clusterRestoreInput,
  instanceFollowUpModify,
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
    identifier: 'app-db-rb-new-9d7c36ba',
    snapshotIdentifier: SNAPSHOT_ID,
    tags: [{ Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID }],
  };

  it('copies the source instance settings field by field into the restore and the follow-up modify', () => {
    // Prepare
    const source = productionInstance({
      IAMDatabaseAuthenticationEnabled: true,
      MonitoringInterval: 30,
      MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring',
      PerformanceInsightsEnabled: true,
      PerformanceInsightsKMSKeyId: KMS_KEY,
      PerformanceInsightsRetentionPeriod: 7,
    });

    // Act
    const input = instanceRestoreInput(source, target);
    const modify = instanceFollowUpModify(source, target.identifier);

    // Assess: each described field of the source, and where it goes
    const sent = { ...input, ...modify };
    expect(sent.DBInstanceClass).toBe(source.DBInstanceClass);
    expect(sent.DBParameterGroupName).toBe(source.DBParameterGroups?.[0]?.DBParameterGroupName);
    expect(sent.OptionGroupName).toBe(source.OptionGroupMemberships?.[0]?.OptionGroupName);
    expect(sent.DBSubnetGroupName).toBe(source.DBSubnetGroup?.DBSubnetGroupName);
    expect(sent.VpcSecurityGroupIds).toEqual(source.VpcSecurityGroups?.map((group) => group.VpcSecurityGroupId));
    expect(sent.MultiAZ).toBe(source.MultiAZ);
    expect(sent.StorageType).toBe(source.StorageType);
    expect(sent.AllocatedStorage).toBe(source.AllocatedStorage);
    expect(sent.BackupRetentionPeriod).toBe(source.BackupRetentionPeriod);
    expect(sent.EnableCloudwatchLogsExports).toEqual(source.EnabledCloudwatchLogsExports);
    expect(sent.EnableIAMDatabaseAuthentication).toBe(source.IAMDatabaseAuthenticationEnabled);
    expect(sent.MonitoringInterval).toBe(source.MonitoringInterval);
    expect(sent.MonitoringRoleArn).toBe(source.MonitoringRoleArn);
    expect(sent.EnablePerformanceInsights).toBe(source.PerformanceInsightsEnabled);
    expect(sent.PerformanceInsightsKMSKeyId).toBe(source.PerformanceInsightsKMSKeyId);
    expect(sent.PerformanceInsightsRetentionPeriod).toBe(source.PerformanceInsightsRetentionPeriod);
    expect(sent.Tags).toEqual(target.tags);
    // Deletion protection comes with the rename into the original name (the copy must stay deletable until then).
    expect(input.DeletionProtection).toBe(false);
    expect(modify).toMatchObject({ DBInstanceIdentifier: target.identifier, ApplyImmediately: true });
  });

  it('sends no follow-up modify for a source without monitoring or Performance Insights', () => {
    // Prepare
    const source = productionInstance();

    // Act
    const modify = instanceFollowUpModify(source, target.identifier);

    // Assess
    expect(modify).toBeUndefined();
  });

  it('leaves gp3 baseline performance to RDS', () => {
    // Prepare
    const preserved = productionInstance({ DBInstanceIdentifier: PRESERVED_ID });

    // Act
    const input = instanceRestoreInput(preserved, target);

    // Assess
    expect(input).toStrictEqual({
      DBInstanceIdentifier: 'app-db-rb-new-9d7c36ba',
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
      DeletionProtection: false,
      CopyTagsToSnapshot: true,
      EnableIAMDatabaseAuthentication: false,
      BackupRetentionPeriod: 7,
      EnableCloudwatchLogsExports: ['postgresql'],
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
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
    const input = clusterRestoreInput(preserved, { ...target, identifier: 'orders-rb-new-9d7c36ba' });

    // Assess
    expect(input).toStrictEqual({
      DBClusterIdentifier: 'orders-rb-new-9d7c36ba',
      SnapshotIdentifier: SNAPSHOT_ID,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBSubnetGroupName: 'app-subnets',
      VpcSecurityGroupIds: ['sg-0ccc'],
      DBClusterParameterGroupName: 'orders-cluster-pg',
      Port: 5432,
      DeletionProtection: false,
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
    const input = memberInstanceInput(member, {
      identifier: 'orders-rb-new-9d7c36ba-0a1b2c3d',
      clusterIdentifier: 'orders',
      tags: target.tags,
    });

    // Assess
    expect(input).toStrictEqual({
      DBInstanceIdentifier: 'orders-rb-new-9d7c36ba-0a1b2c3d',
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
