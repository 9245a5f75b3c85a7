import type {
  CreateDBInstanceMessage,
  DBCluster,
  DBClusterMember,
  DBInstance,
  ModifyDBInstanceMessage,
  RestoreDBClusterFromSnapshotMessage,
  RestoreDBInstanceFromDBSnapshotMessage,
  Tag,
} from '@aws-sdk/client-rds';

/**
 * The requests of a restore, built from the source database's settings: pure functions, no AWS call, so that what
 * is sent can be checked field by field. Deletion protection is left off the restored copy until it takes the
 * original's name (the final rename sets it), so that a copy that fails before the swap can be deleted.
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
export function storagePerformance(
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

/**
 * The source's storage autoscaling limit, to set on the copy: a restore cannot take it, and RDS refuses a limit that
 * is not above the allocated storage (the copy gets the source's), so a limit autoscaling has reached is not carried.
 */
export function storageAutoscalingLimit(source: DBInstance): number | undefined {
  const limit = source.MaxAllocatedStorage;
  return limit !== undefined && limit > (source.AllocatedStorage ?? 0) ? limit : undefined;
}

/** The option group of a cluster (Aurora MySQL has one; Aurora PostgreSQL none). */
export function clusterOptionGroup(cluster: DBCluster): string | undefined {
  return cluster.DBClusterOptionGroupMemberships?.[0]?.DBClusterOptionGroupName;
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
  /** The temporary identifier the snapshot is restored under. */
  readonly identifier: string;
  readonly snapshotIdentifier: string;
  readonly tags: Tag[];
}

/**
 * RestoreDBInstanceFromDBSnapshot input that recreates the source instance's setup: without them a restore gets
 * the default security group, the default parameter and option groups, and a single AZ.
 */
export function instanceRestoreInput(
  source: DBInstance,
  target: RestoreTarget,
): RestoreDBInstanceFromDBSnapshotMessage {
  return compact<RestoreDBInstanceFromDBSnapshotMessage>({
    DBInstanceIdentifier: target.identifier,
    DBSnapshotIdentifier: target.snapshotIdentifier,
    DBInstanceClass: source.DBInstanceClass,
    DBSubnetGroupName: source.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: securityGroupIds(source.VpcSecurityGroups),
    DBParameterGroupName: source.DBParameterGroups?.[0]?.DBParameterGroupName,
    OptionGroupName: source.OptionGroupMemberships?.[0]?.OptionGroupName,
    MultiAZ: source.MultiAZ,
    Port: source.Endpoint?.Port,
    StorageType: source.StorageType,
    // At least the snapshot's size (storage never shrinks), and what production had grown to since.
    AllocatedStorage: source.AllocatedStorage,
    ...storagePerformance(source.StorageType, source.Iops, source.StorageThroughput),
    PubliclyAccessible: source.PubliclyAccessible,
    DeletionProtection: false,
    CopyTagsToSnapshot: source.CopyTagsToSnapshot,
    EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled,
    BackupRetentionPeriod: source.BackupRetentionPeriod,
    EnableCloudwatchLogsExports: source.EnabledCloudwatchLogsExports,
    // Without it the copy gets the region's default CA, and clients that pin the source's CA fail TLS.
    CACertificateIdentifier: source.CACertificateIdentifier,
    Tags: target.tags,
  });
}

/**
 * What a RestoreDBInstanceFromDBSnapshot cannot take (Enhanced Monitoring, Performance Insights, storage
 * autoscaling): one ModifyDBInstance on the restored copy, before the swap; undefined when the source uses none.
 */
export function instanceFollowUpModify(source: DBInstance, identifier: string): ModifyDBInstanceMessage | undefined {
  const monitoring = (source.MonitoringInterval ?? 0) > 0;
  const insights = source.PerformanceInsightsEnabled === true;
  const autoscaling = storageAutoscalingLimit(source);
  if (!monitoring && !insights && autoscaling === undefined) return undefined;
  return compact<ModifyDBInstanceMessage>({
    DBInstanceIdentifier: identifier,
    ApplyImmediately: true,
    MaxAllocatedStorage: autoscaling,
    ...(monitoring
      ? { MonitoringInterval: source.MonitoringInterval, MonitoringRoleArn: source.MonitoringRoleArn }
      : {}),
    ...(insights
      ? {
          EnablePerformanceInsights: true,
          PerformanceInsightsKMSKeyId: source.PerformanceInsightsKMSKeyId,
          PerformanceInsightsRetentionPeriod: source.PerformanceInsightsRetentionPeriod,
        }
      : {}),
  });
}

/** Aurora clusters need instances created after the restore; Multi-AZ DB clusters (mysql/postgres) come with theirs. */
export function isAuroraEngine(engine: string | undefined): boolean {
  return (engine ?? '').startsWith('aurora');
}

/** RestoreDBClusterFromSnapshot input that recreates the source cluster's setup (not its Aurora instances). */
export function clusterRestoreInput(source: DBCluster, target: RestoreTarget): RestoreDBClusterFromSnapshotMessage {
  const scaling = source.ServerlessV2ScalingConfiguration;
  const aurora = isAuroraEngine(source.Engine);
  const monitoring = (source.MonitoringInterval ?? 0) > 0;
  return compact<RestoreDBClusterFromSnapshotMessage>({
    DBClusterIdentifier: target.identifier,
    SnapshotIdentifier: target.snapshotIdentifier,
    Engine: source.Engine,
    EngineVersion: source.EngineVersion,
    EngineMode: source.EngineMode === 'provisioned' ? undefined : source.EngineMode,
    DBSubnetGroupName: source.DBSubnetGroup,
    VpcSecurityGroupIds: securityGroupIds(source.VpcSecurityGroups),
    DBClusterParameterGroupName: source.DBClusterParameterGroup,
    // Without it the copy gets the engine's default option group.
    OptionGroupName: clusterOptionGroup(source),
    Port: source.Port,
    DeletionProtection: false,
    KmsKeyId: source.KmsKeyId,
    EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled,
    CopyTagsToSnapshot: source.CopyTagsToSnapshot,
    BackupRetentionPeriod: source.BackupRetentionPeriod,
    EnableCloudwatchLogsExports: source.EnabledCloudwatchLogsExports,
    ServerlessV2ScalingConfiguration:
      scaling === undefined
        ? undefined
        : compact({
            MinCapacity: scaling.MinCapacity,
            MaxCapacity: scaling.MaxCapacity,
            SecondsUntilAutoPause: scaling.SecondsUntilAutoPause,
          }),
    // Multi-AZ DB clusters carry instance class, storage, monitoring and insights on the cluster; Aurora on members.
    ...(aurora
      ? {}
      : {
          DBClusterInstanceClass: source.DBClusterInstanceClass,
          StorageType: source.StorageType,
          Iops: source.Iops,
          PubliclyAccessible: source.PubliclyAccessible,
          ...(monitoring
            ? { MonitoringInterval: source.MonitoringInterval, MonitoringRoleArn: source.MonitoringRoleArn }
            : {}),
          ...(source.PerformanceInsightsEnabled === true
            ? {
                EnablePerformanceInsights: true,
                PerformanceInsightsKMSKeyId: source.PerformanceInsightsKMSKeyId,
                PerformanceInsightsRetentionPeriod: source.PerformanceInsightsRetentionPeriod,
              }
            : {}),
        }),
    Tags: target.tags,
  });
}

/** The source cluster's members, the writer first, then readers by failover priority and name. */
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

/** CreateDBInstance input for the restored cluster's copy of one source Aurora member. */
export function memberInstanceInput(
  member: DBInstance,
  target: { readonly identifier: string; readonly clusterIdentifier: string; readonly tags: Tag[] },
): CreateDBInstanceMessage {
  const monitoring = (member.MonitoringInterval ?? 0) > 0;
  return compact<CreateDBInstanceMessage>({
    DBInstanceIdentifier: target.identifier,
    DBClusterIdentifier: target.clusterIdentifier,
    DBInstanceClass: member.DBInstanceClass,
    Engine: member.Engine,
    DBParameterGroupName: member.DBParameterGroups?.[0]?.DBParameterGroupName,
    PromotionTier: member.PromotionTier,
    PubliclyAccessible: member.PubliclyAccessible,
    ...(monitoring
      ? { MonitoringInterval: member.MonitoringInterval, MonitoringRoleArn: member.MonitoringRoleArn }
      : {}),
    ...(member.PerformanceInsightsEnabled === true
      ? {
          EnablePerformanceInsights: true,
          PerformanceInsightsKMSKeyId: member.PerformanceInsightsKMSKeyId,
          PerformanceInsightsRetentionPeriod: member.PerformanceInsightsRetentionPeriod,
        }
      : {}),
    Tags: target.tags,
  });
}
