import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { clusterOptionGroup, securityGroupIds, storageAutoscalingLimit, storagePerformance } from './restore-inputs';

/**
 * The check of a restored copy before anything in production changes: every setting the source has, described on
 * the copy. A difference is a failed restore (the copy is deleted or kept, production is untouched), never a swap
 * onto a database that behaves differently.
 */

type Value = string | number | boolean | readonly string[] | undefined;
type Field = [string, Value, Value];

function same(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = [...((a as readonly string[] | undefined) ?? [])].sort();
    const right = [...((b as readonly string[] | undefined) ?? [])].sort();
    return left.length === right.length && left.every((value, index) => value === right[index]);
  }
  return a === b;
}

function differences(fields: readonly [string, Value, Value][]): string[] {
  return fields
    .filter(([, source, restored]) => !same(source, restored))
    .map(
      ([name, source, restored]) => `${name} is ${JSON.stringify(restored)}, the source's ${JSON.stringify(source)}`,
    );
}

/** Settings of the restored instance that differ from the source's; empty when it matches. */
export function instanceSettingsMismatches(source: DBInstance, restored: DBInstance): string[] {
  const performance = storagePerformance(source.StorageType, source.Iops, source.StorageThroughput);
  const mismatches = differences([
    ['DBInstanceClass', source.DBInstanceClass, restored.DBInstanceClass],
    ['MultiAZ', source.MultiAZ ?? false, restored.MultiAZ ?? false],
    ['DBSubnetGroup', source.DBSubnetGroup?.DBSubnetGroupName, restored.DBSubnetGroup?.DBSubnetGroupName],
    ['VpcSecurityGroups', securityGroupIds(source.VpcSecurityGroups), securityGroupIds(restored.VpcSecurityGroups)],
    [
      'DBParameterGroup',
      source.DBParameterGroups?.[0]?.DBParameterGroupName,
      restored.DBParameterGroups?.[0]?.DBParameterGroupName,
    ],
    [
      'OptionGroup',
      source.OptionGroupMemberships?.[0]?.OptionGroupName,
      restored.OptionGroupMemberships?.[0]?.OptionGroupName,
    ],
    ['StorageType', source.StorageType, restored.StorageType],
    // What the follow-up modify set (none when the source has no limit left above its storage).
    ['MaxAllocatedStorage', storageAutoscalingLimit(source), restored.MaxAllocatedStorage],
    ['Port', source.Endpoint?.Port, restored.Endpoint?.Port],
    ['PubliclyAccessible', source.PubliclyAccessible ?? false, restored.PubliclyAccessible ?? false],
    ['CopyTagsToSnapshot', source.CopyTagsToSnapshot ?? false, restored.CopyTagsToSnapshot ?? false],
    [
      'IAMDatabaseAuthenticationEnabled',
      source.IAMDatabaseAuthenticationEnabled ?? false,
      restored.IAMDatabaseAuthenticationEnabled ?? false,
    ],
    ['BackupRetentionPeriod', source.BackupRetentionPeriod, restored.BackupRetentionPeriod],
    ['EnabledCloudwatchLogsExports', source.EnabledCloudwatchLogsExports, restored.EnabledCloudwatchLogsExports],
    ['MonitoringInterval', source.MonitoringInterval ?? 0, restored.MonitoringInterval ?? 0],
    [
      'PerformanceInsightsEnabled',
      source.PerformanceInsightsEnabled ?? false,
      restored.PerformanceInsightsEnabled ?? false,
    ],
    // Only what was sent (a restore without it gets the region's default CA); gp3 baselines are RDS's own choice.
    ...(source.CACertificateIdentifier === undefined
      ? []
      : [['CACertificateIdentifier', source.CACertificateIdentifier, restored.CACertificateIdentifier] as Field]),
    ...(performance.Iops === undefined ? [] : [['Iops', source.Iops, restored.Iops] as Field]),
    ...(performance.StorageThroughput === undefined
      ? []
      : [['StorageThroughput', source.StorageThroughput, restored.StorageThroughput] as Field]),
  ]);
  if ((restored.AllocatedStorage ?? 0) < (source.AllocatedStorage ?? 0)) {
    mismatches.push(`AllocatedStorage is ${restored.AllocatedStorage}, below the source's ${source.AllocatedStorage}`);
  }
  return mismatches;
}

/** Settings of the restored cluster that differ from the source's (Aurora members are checked one by one). */
export function clusterSettingsMismatches(source: DBCluster, restored: DBCluster): string[] {
  return differences([
    ['Engine', source.Engine, restored.Engine],
    ['DBSubnetGroup', source.DBSubnetGroup, restored.DBSubnetGroup],
    ['VpcSecurityGroups', securityGroupIds(source.VpcSecurityGroups), securityGroupIds(restored.VpcSecurityGroups)],
    ['DBClusterParameterGroup', source.DBClusterParameterGroup, restored.DBClusterParameterGroup],
    // Only what was sent: a cluster without one may still be described with the engine's default.
    ...(clusterOptionGroup(source) === undefined
      ? []
      : [['DBClusterOptionGroup', clusterOptionGroup(source), clusterOptionGroup(restored)] as Field]),
    ['Port', source.Port, restored.Port],
    [
      'IAMDatabaseAuthenticationEnabled',
      source.IAMDatabaseAuthenticationEnabled ?? false,
      restored.IAMDatabaseAuthenticationEnabled ?? false,
    ],
    ['BackupRetentionPeriod', source.BackupRetentionPeriod, restored.BackupRetentionPeriod],
    ['EnabledCloudwatchLogsExports', source.EnabledCloudwatchLogsExports, restored.EnabledCloudwatchLogsExports],
    ['DBClusterInstanceClass', source.DBClusterInstanceClass, restored.DBClusterInstanceClass],
  ]);
}

/** One Aurora member's copy against its source member. */
export function memberSettingsMismatches(source: DBInstance, restored: DBInstance): string[] {
  return differences([
    ['DBInstanceClass', source.DBInstanceClass, restored.DBInstanceClass],
    [
      'DBParameterGroup',
      source.DBParameterGroups?.[0]?.DBParameterGroupName,
      restored.DBParameterGroups?.[0]?.DBParameterGroupName,
    ],
    ['MonitoringInterval', source.MonitoringInterval ?? 0, restored.MonitoringInterval ?? 0],
    [
      'PerformanceInsightsEnabled',
      source.PerformanceInsightsEnabled ?? false,
      restored.PerformanceInsightsEnabled ?? false,
    ],
  ]).map((difference) => `${restored.DBInstanceIdentifier ?? 'member'}: ${difference}`);
}
