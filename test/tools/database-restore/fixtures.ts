import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import type { BackupMetadata } from '../../../lambdas/shared/contracts';
import type { AllowedRestoreResources } from '../../../lambdas/tools/database-restore';

/** The databases, snapshots and names the database-restore tests share: pure data, no AWS mock. */

export const NOW = new Date('2026-11-24T11:00:00.000Z');
export const clock = () => NOW;
export const DEPLOYMENT = 'release-1.4.0';
export const SNAPSHOT_ID = 'deploymentcrew-release-1-4-0-9d7c36ba';
/** Pinned on purpose: a changed derivation would lose track of a database renamed by an earlier attempt. */
export const PRESERVED_ID = 'app-db-pre-rb-9d7c36ba';
export const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';
export const TEMPORARY_ID = 'app-db-rb-new-9d7c36ba';
export const CLUSTER_TEMPORARY_ID = 'orders-rb-new-9d7c36ba';
/** The security group with no ingress that fences production during the swap. */
export const FENCE_SG = 'sg-0fence';

export const instanceSnapshot: BackupMetadata = {
  kind: 'instance',
  identifier: SNAPSHOT_ID,
  arn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${SNAPSHOT_ID}`,
  sourceIdentifier: 'app-db',
  createdAt: '2026-11-24T10:00:30.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: KMS_KEY,
  status: 'available',
  verifiedAt: '2026-11-24T10:05:00.000Z',
};

export const clusterSnapshot: BackupMetadata = {
  ...instanceSnapshot,
  kind: 'cluster',
  arn: `arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:${SNAPSHOT_ID}`,
  sourceIdentifier: 'orders',
  engine: 'aurora-postgresql',
  allocatedStorageGiB: 1,
};
export const CLUSTER_PRESERVED_ID = 'orders-pre-rb-9d7c36ba';

export const allowed: AllowedRestoreResources = {
  subnetGroups: ['app-subnets'],
  parameterGroups: ['app-pg16', 'orders-instance-pg'],
  optionGroups: ['default:postgres-16'],
  clusterParameterGroups: ['orders-cluster-pg'],
};

export function productionInstance(overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: 'app-db',
    DBInstanceStatus: 'available',
    DbiResourceId: 'db-PRODUCTION',
    DBInstanceClass: 'db.r6g.large',
    Engine: 'postgres',
    EngineVersion: '16.4',
    DBSubnetGroup: { DBSubnetGroupName: 'app-subnets' },
    VpcSecurityGroups: [
      { VpcSecurityGroupId: 'sg-0aaa', Status: 'active' },
      { VpcSecurityGroupId: 'sg-0bbb', Status: 'active' },
    ],
    DBParameterGroups: [{ DBParameterGroupName: 'app-pg16', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16', Status: 'in-sync' }],
    // Not RDS's default: a copy restored without it would differ.
    CACertificateIdentifier: 'rds-ca-ecc384-g1',
    MultiAZ: true,
    Endpoint: { Address: 'app-db.abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
    StorageType: 'gp3',
    AllocatedStorage: 200,
    Iops: 3000,
    StorageThroughput: 125,
    PubliclyAccessible: false,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    IAMDatabaseAuthenticationEnabled: false,
    BackupRetentionPeriod: 7,
    EnabledCloudwatchLogsExports: ['postgresql'],
    StorageEncrypted: true,
    KmsKeyId: KMS_KEY,
    TagList: [
      { Key: 'team', Value: 'orders' },
      { Key: 'aws:cloudformation:stack-name', Value: 'app' },
    ],
    ...overrides,
  };
}

export function productionCluster(overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: 'orders',
    Status: 'available',
    DbClusterResourceId: 'cluster-PRODUCTION',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    EngineMode: 'provisioned',
    DBSubnetGroup: 'app-subnets',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0ccc', Status: 'active' }],
    DBClusterParameterGroup: 'orders-cluster-pg',
    Port: 5432,
    DeletionProtection: true,
    StorageEncrypted: true,
    KmsKeyId: KMS_KEY,
    IAMDatabaseAuthenticationEnabled: false,
    CopyTagsToSnapshot: true,
    BackupRetentionPeriod: 14,
    ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    // Deliberately out of order: the writer is not listed first.
    DBClusterMembers: [
      { DBInstanceIdentifier: 'orders-2', IsClusterWriter: false, PromotionTier: 1 },
      { DBInstanceIdentifier: 'orders-1', IsClusterWriter: true, PromotionTier: 1 },
      { DBInstanceIdentifier: 'orders-3', IsClusterWriter: false, PromotionTier: 0 },
    ],
    TagList: [{ Key: 'team', Value: 'orders' }],
    ...overrides,
  };
}

export function clusterMember(identifier: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: identifier,
    DBInstanceStatus: 'available',
    DBClusterIdentifier: 'orders',
    DBInstanceClass: 'db.serverless',
    Engine: 'aurora-postgresql',
    DBParameterGroups: [{ DBParameterGroupName: 'orders-instance-pg' }],
    PromotionTier: 1,
    PubliclyAccessible: false,
    TagList: [{ Key: 'team', Value: 'orders' }],
    ...overrides,
  };
}
