import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { clusterOptionGroup, securityGroupIds } from './restore-inputs';

/** Which groups a restore would use, checked against the configured ones before anything changes. */

/**
 * Names the restore may use. The stack knows them (and scopes the IAM policy to them); the tool discovers the real
 * ones from the database at run time, and refuses with a ConfigurationError, before any mutating call, when a
 * discovered name is not listed: the alternative is an AccessDenied half-way through the swap.
 */
export interface AllowedRestoreResources {
  readonly subnetGroups: readonly string[];
  /** DB parameter groups: the instance's, or each Aurora member's. */
  readonly parameterGroups: readonly string[];
  readonly optionGroups: readonly string[];
  readonly clusterParameterGroups: readonly string[];
  /** VPC security group ids; not checked when omitted (RDS evaluates no IAM resource for them). */
  readonly securityGroupIds?: readonly string[];
}

export interface DiscoveredRestoreResources {
  readonly subnetGroups: readonly string[];
  readonly parameterGroups: readonly string[];
  readonly optionGroups: readonly string[];
  readonly clusterParameterGroups: readonly string[];
  readonly securityGroupIds: readonly string[];
}

function present(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))];
}

export function discoveredFromInstance(instance: DBInstance): DiscoveredRestoreResources {
  return {
    subnetGroups: present([instance.DBSubnetGroup?.DBSubnetGroupName]),
    parameterGroups: present([instance.DBParameterGroups?.[0]?.DBParameterGroupName]),
    optionGroups: present([instance.OptionGroupMemberships?.[0]?.OptionGroupName]),
    clusterParameterGroups: [],
    securityGroupIds: securityGroupIds(instance.VpcSecurityGroups),
  };
}

export function discoveredFromCluster(cluster: DBCluster, members: readonly DBInstance[]): DiscoveredRestoreResources {
  return {
    subnetGroups: present([cluster.DBSubnetGroup]),
    parameterGroups: present(members.map((member) => member.DBParameterGroups?.[0]?.DBParameterGroupName)),
    optionGroups: present([clusterOptionGroup(cluster)]),
    clusterParameterGroups: present([cluster.DBClusterParameterGroup]),
    securityGroupIds: securityGroupIds(cluster.VpcSecurityGroups),
  };
}

/** Every discovered name that is not allowed, in words; empty when all are (or when nothing is configured). */
export function disallowedResources(
  discovered: DiscoveredRestoreResources,
  allowed: AllowedRestoreResources | undefined,
): string[] {
  if (allowed === undefined) return [];
  const problems: string[] = [];
  const check = (label: string, names: readonly string[], permitted: readonly string[] | undefined) => {
    if (permitted === undefined) return;
    const lower = new Set(permitted.map((name) => name.toLowerCase()));
    for (const name of names) {
      if (!lower.has(name.toLowerCase())) problems.push(`${label} '${name}' is not in allowedResources.${label}`);
    }
  };
  check('subnetGroups', discovered.subnetGroups, allowed.subnetGroups);
  check('parameterGroups', discovered.parameterGroups, allowed.parameterGroups);
  check('optionGroups', discovered.optionGroups, allowed.optionGroups);
  check('clusterParameterGroups', discovered.clusterParameterGroups, allowed.clusterParameterGroups);
  check('securityGroupIds', discovered.securityGroupIds, allowed.securityGroupIds);
  return problems;
}
