import type {
  CreateDBInstanceMessage,
  DBCluster,
  DBClusterMember,
  DBInstance,
  RestoreDBClusterFromSnapshotMessage,
  RestoreDBInstanceFromDBSnapshotMessage,
  Tag,
} from '@aws-sdk/client-rds';
import { restoredMemberIdentifier } from './identifiers';

/**
 * The requests of a restore, built from the preserved database's settings: pure functions, no AWS call, so that what
 * is sent can be checked field by field.
 */

/** Drops undefined and empty-array fields, so the request carries exactly what was decided. */
export function compact<T extends object>(input: T): T {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)),
  ) as T;
}

/** gp3 baselines that RDS sets itself (and refuses to be given below its storage threshold). */
const GP3_BASELINE_IOPS = new Set([3000, 12000]);
const GP3_BASELINE_THROUGHPUT = new Set([125, 500]);

/**
 * Provisioned storage performance to send: io1/io2 need their IOPS; gp3 only when it differs from the baseline RDS
 * picks itself (RDS rejects IOPS/throughput for gp3 below 400 GiB on MySQL, MariaDB and PostgreSQL, where it reports
 * the baseline); other types none.
 */
function storagePerformance(
  storageType: string | undefined,
  iops: number | undefined,
  throughput: number | undefined,
): { Iops?: number; StorageThroughput?: number } {
  if (storageType === 'io1' || storageType === 'io2') return { Iops: iops };
  if (storageType !== 'gp3') return {};
  const customIops = iops !== undefined && !GP3_BASELINE_IOPS.has(iops);
  const customThroughput = throughput !== undefined && !GP3_BASELINE_THROUGHPUT.has(throughput);
  return customIops || customThroughput ? { Iops: iops, StorageThroughput: throughput } : {};
}

export function securityGroupIds(
  groups: readonly { VpcSecurityGroupId?: string; Status?: string }[] | undefined,
): string[] {
  return (groups ?? [])
    .filter((group) => group.Status !== 'removing' && group.Status !== 'inactive')
    .map((group) => group.VpcSecurityGroupId)
    .filter((id): id is string => id !== undefined);
}

export interface RestoreTarget {
  /** The production identifier the restored database takes over. */
  readonly originalIdentifier: string;
  readonly snapshotIdentifier: string;
  readonly tags: Tag[];
}

/**
 * RestoreDBInstanceFromDBSnapshot input that recreates the preserved instance's setup: without them a restore gets
 * the default security group, the default parameter and option groups, and a single AZ.
 */
export function instanceRestoreInput(
  preserved: DBInstance,
  target: RestoreTarget,
): RestoreDBInstanceFromDBSnapshotMessage {
  return compact<RestoreDBInstanceFromDBSnapshotMessage>({
    DBInstanceIdentifier: target.originalIdentifier,
    DBSnapshotIdentifier: target.snapshotIdentifier,
    DBInstanceClass: preserved.DBInstanceClass,
    DBSubnetGroupName: preserved.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: securityGroupIds(preserved.VpcSecurityGroups),
    DBParameterGroupName: preserved.DBParameterGroups?.[0]?.DBParameterGroupName,
    OptionGroupName: preserved.OptionGroupMemberships?.[0]?.OptionGroupName,
    MultiAZ: preserved.MultiAZ,
    Port: preserved.Endpoint?.Port,
    StorageType: preserved.StorageType,
    // At least the snapshot's size (storage never shrinks), and what production had grown to since.
    AllocatedStorage: preserved.AllocatedStorage,
    ...storagePerformance(preserved.StorageType, preserved.Iops, preserved.StorageThroughput),
    PubliclyAccessible: preserved.PubliclyAccessible,
    DeletionProtection: preserved.DeletionProtection,
    CopyTagsToSnapshot: preserved.CopyTagsToSnapshot,
    EnableIAMDatabaseAuthentication: preserved.IAMDatabaseAuthenticationEnabled,
    BackupRetentionPeriod: preserved.BackupRetentionPeriod,
    EnableCloudwatchLogsExports: preserved.EnabledCloudwatchLogsExports,
    Tags: target.tags,
  });
}

/** Aurora clusters need instances created after the restore; Multi-AZ DB clusters (mysql/postgres) come with theirs. */
export function isAuroraEngine(engine: string | undefined): boolean {
  return (engine ?? '').startsWith('aurora');
}

/** RestoreDBClusterFromSnapshot input that recreates the preserved cluster's setup (not its instances). */
export function clusterRestoreInput(preserved: DBCluster, target: RestoreTarget): RestoreDBClusterFromSnapshotMessage {
  const scaling = preserved.ServerlessV2ScalingConfiguration;
  const aurora = isAuroraEngine(preserved.Engine);
  return compact<RestoreDBClusterFromSnapshotMessage>({
    DBClusterIdentifier: target.originalIdentifier,
    SnapshotIdentifier: target.snapshotIdentifier,
    Engine: preserved.Engine,
    EngineVersion: preserved.EngineVersion,
    EngineMode: preserved.EngineMode === 'provisioned' ? undefined : preserved.EngineMode,
    DBSubnetGroupName: preserved.DBSubnetGroup,
    VpcSecurityGroupIds: securityGroupIds(preserved.VpcSecurityGroups),
    DBClusterParameterGroupName: preserved.DBClusterParameterGroup,
    Port: preserved.Port,
    DeletionProtection: preserved.DeletionProtection,
    KmsKeyId: preserved.KmsKeyId,
    EnableIAMDatabaseAuthentication: preserved.IAMDatabaseAuthenticationEnabled,
    CopyTagsToSnapshot: preserved.CopyTagsToSnapshot,
    BackupRetentionPeriod: preserved.BackupRetentionPeriod,
    EnableCloudwatchLogsExports: preserved.EnabledCloudwatchLogsExports,
    ServerlessV2ScalingConfiguration:
      scaling === undefined
        ? undefined
        : compact({
            MinCapacity: scaling.MinCapacity,
            MaxCapacity: scaling.MaxCapacity,
            SecondsUntilAutoPause: scaling.SecondsUntilAutoPause,
          }),
    // Multi-AZ DB clusters carry instance class and storage on the cluster; Aurora does not accept them here.
    ...(aurora
      ? {}
      : {
          DBClusterInstanceClass: preserved.DBClusterInstanceClass,
          StorageType: preserved.StorageType,
          Iops: preserved.Iops,
          PubliclyAccessible: preserved.PubliclyAccessible,
        }),
    Tags: target.tags,
  });
}

/** The preserved cluster's members, the writer first, then readers by failover priority and name. */
export function orderedMembers(cluster: DBCluster): DBClusterMember[] {
  return [...(cluster.DBClusterMembers ?? [])]
    .filter((member) => member.DBInstanceIdentifier !== undefined)
    .sort((a, b) => {
      if (a.IsClusterWriter !== b.IsClusterWriter) return a.IsClusterWriter === true ? -1 : 1;
      const tier = (a.PromotionTier ?? 15) - (b.PromotionTier ?? 15);
      if (tier !== 0) return tier;
      return (a.DBInstanceIdentifier ?? '').localeCompare(b.DBInstanceIdentifier ?? '');
    });
}

/** CreateDBInstance input for the restored cluster's copy of one preserved Aurora member. */
export function memberInstanceInput(
  member: DBInstance,
  target: { readonly clusterIdentifier: string; readonly tags: Tag[] },
): CreateDBInstanceMessage {
  return compact<CreateDBInstanceMessage>({
    DBInstanceIdentifier: restoredMemberIdentifier(member.DBInstanceIdentifier ?? ''),
    DBClusterIdentifier: target.clusterIdentifier,
    DBInstanceClass: member.DBInstanceClass,
    Engine: member.Engine,
    DBParameterGroupName: member.DBParameterGroups?.[0]?.DBParameterGroupName,
    PromotionTier: member.PromotionTier,
    PubliclyAccessible: member.PubliclyAccessible,
    Tags: target.tags,
  });
}
