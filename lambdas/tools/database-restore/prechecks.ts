import type { SwapBreak } from '../../shared/config/rollback-coordinator';
import type { BackupMetadata } from '../../shared/contracts';
import {
  type AllowedRestoreResources,
  type DiscoveredRestoreResources,
  disallowedResources,
} from './allowed-resources';

/**
 * The checks that run before anything is created or changed: each one is a refusal in words, or a break of the swap
 * that the configuration acknowledged (then a follow-up to redo by hand). Pure: the facts are read beforehand.
 */

/** What the source database looks like, as far as the checks need it. */
export interface SourceFacts {
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  /** Instances only: what the restore will allocate. */
  readonly allocatedStorageGiB: number | undefined;
  /** An RDS-managed master password (ManageMasterUserPassword): its secret stays with the preserved copy. */
  readonly masterUserSecretArn: string | undefined;
  readonly iamDatabaseAuthentication: boolean;
  readonly readReplicas: readonly string[];
  /** Enhanced Monitoring roles in use (the instance's, the cluster's or its members'). */
  readonly monitoringRoleArns: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly discovered: DiscoveredRestoreResources;
}

/** What points at the source from outside it, looked up before anything changes. */
export interface Dependents {
  readonly proxies: readonly string[];
  readonly customEndpoints: readonly string[];
}

export interface CheckSettings {
  readonly fenceSecurityGroupId: string | undefined;
  readonly acknowledgedBreaks: readonly SwapBreak[];
  readonly kmsKeyArn: string | undefined;
  readonly monitoringRoleArn: string | undefined;
  readonly allowedResources: AllowedRestoreResources | undefined;
}

export interface CheckResult {
  readonly refusals: string[];
  /** Acknowledged breaks: what must be redone by hand after the swap. */
  readonly followUps: string[];
}

/** `key/<id>` of a key ARN (or the id itself), lower case: ARNs and bare ids of one key compare equal. */
function keyId(key: string): string {
  const match = /:key\/(.+)$/.exec(key);
  return (match?.[1] ?? key).toLowerCase();
}

/** The major version RDS restores and parameter groups are bound to: `16` of 16.4, `8.0` of 8.0.35 (MySQL). */
export function majorVersion(engine: string | undefined, version: string | undefined): string {
  const parts = (version ?? '').split('.');
  return (engine ?? '').includes('postgres') ? (parts[0] ?? '') : parts.slice(0, 2).join('.');
}

function breaks(facts: SourceFacts, dependents: Dependents, label: string): Map<SwapBreak, string> {
  const found = new Map<SwapBreak, string>();
  if (facts.readReplicas.length > 0) {
    found.set(
      'READ_REPLICAS',
      `read replicas ${facts.readReplicas.join(', ')} stay replicas of the preserved copy, not of the restored ` +
        `${label}: recreate them from the restored one`,
    );
  }
  if (dependents.proxies.length > 0) {
    found.set(
      'RDS_PROXY',
      `RDS Proxy ${dependents.proxies.join(', ')} keeps targeting the preserved copy: deregister it and register ` +
        `the restored ${label}`,
    );
  }
  if (dependents.customEndpoints.length > 0) {
    found.set(
      'CUSTOM_ENDPOINTS',
      `custom endpoints ${dependents.customEndpoints.join(', ')} stay on the preserved cluster: recreate them on the ` +
        'restored one',
    );
  }
  if (facts.iamDatabaseAuthentication) {
    found.set(
      'IAM_DB_AUTH',
      `IAM database authentication: the restored ${label} has a new resource id, so rds-db:connect policies naming ` +
        "the old one stop matching: update them to the restored database's DbiResourceId",
    );
  }
  return found;
}

/** Who manages the snapshot's KMS key (KMS DescribeKey `KeyManager`); undefined when it could not be read. */
export type KeyManager = 'AWS' | 'CUSTOMER' | undefined;

/** A security group as the fence check needs it (EC2 DescribeSecurityGroups). */
export interface GroupFacts {
  readonly vpcId: string;
  readonly ingressRules: number;
}

/** Security group id → its facts, for the fence and the database's own groups; undefined: not read. */
export type SecurityGroupFacts = ReadonlyMap<string, GroupFacts> | undefined;

export function precheck(
  facts: SourceFacts,
  dependents: Dependents,
  snapshot: BackupMetadata,
  settings: CheckSettings,
  label: string,
  snapshotKeyManager: KeyManager = undefined,
  groups: SecurityGroupFacts = undefined,
): CheckResult {
  const refusals: string[] = [];
  const fence = settings.fenceSecurityGroupId;
  if (fence === undefined) {
    refusals.push(
      'no fence security group is configured (databaseRestore.fenceSecurityGroupId): without it clients keep ' +
        'writing to the renamed database during the swap',
    );
  } else if (facts.securityGroupIds.includes(fence)) {
    refusals.push(`the fence security group '${fence}' is one of the database's own groups: it would fence nothing`);
  } else if (groups !== undefined) {
    refusals.push(...fenceProblems(fence, facts.securityGroupIds, groups));
  }
  if (facts.masterUserSecretArn !== undefined) {
    refusals.push(
      `the master password is managed by RDS in Secrets Manager ('${facts.masterUserSecretArn}'): that secret stays ` +
        `with the preserved copy and the restored ${label} would get a different one; DeploymentCrew does not ` +
        'restore such databases, restore by hand',
    );
  }
  // The AWS managed aws/rds key lets every principal of the account that may use RDS restore with it (its key
  // policy, through RDS); a customer managed key needs kms:CreateGrant/kms:DescribeKey, granted on the configured key.
  if (snapshot.encrypted && snapshotKeyManager !== 'AWS') {
    const configured = settings.kmsKeyArn;
    if (configured === undefined) {
      refusals.push(
        `snapshot '${snapshot.identifier}' is encrypted with '${snapshot.kmsKeyId ?? 'an unknown key'}', ` +
          (snapshotKeyManager === 'CUSTOMER' ? 'a customer managed key, ' : 'a key whose manager could not be read, ') +
          'and no databaseRestore.kmsKeyArn is configured: the role has no kms:CreateGrant/kms:DescribeKey on it',
      );
    } else if (snapshot.kmsKeyId === null || keyId(snapshot.kmsKeyId) !== keyId(configured)) {
      refusals.push(
        `snapshot '${snapshot.identifier}' is encrypted with '${snapshot.kmsKeyId ?? 'an unknown key'}', not with ` +
          `the configured databaseRestore.kmsKeyArn '${configured}' the role may use`,
      );
    }
  }
  if (facts.allocatedStorageGiB !== undefined && snapshot.allocatedStorageGiB > facts.allocatedStorageGiB) {
    refusals.push(
      `snapshot '${snapshot.identifier}' holds ${snapshot.allocatedStorageGiB} GiB, more than the ` +
        `${facts.allocatedStorageGiB} GiB the restore allocates (the source's): RDS refuses a restore below the ` +
        "snapshot's size",
    );
  }
  if (snapshot.engine !== facts.engine) {
    refusals.push(`snapshot engine '${snapshot.engine}' is not the database's '${facts.engine ?? 'unknown'}'`);
  } else if (
    majorVersion(snapshot.engine, snapshot.engineVersion) !== majorVersion(facts.engine, facts.engineVersion)
  ) {
    refusals.push(
      `snapshot engine version ${snapshot.engineVersion} and the database's ${facts.engineVersion ?? 'unknown'} ` +
        "differ in major version: the database's parameter groups do not fit the restored engine",
    );
  }
  for (const role of facts.monitoringRoleArns) {
    if (role !== settings.monitoringRoleArn) {
      refusals.push(
        `Enhanced Monitoring uses role '${role}', which is not databaseRestore.monitoringRoleArn (the only role ` +
          'the restore may pass)',
      );
    }
  }
  refusals.push(...disallowedResources(facts.discovered, settings.allowedResources));

  const followUps: string[] = [];
  for (const [name, consequence] of breaks(facts, dependents, label)) {
    if (settings.acknowledgedBreaks.includes(name)) followUps.push(consequence);
    else refusals.push(`${consequence} (acknowledge it with databaseRestore.acknowledgedBreaks: ['${name}'])`);
  }
  return { refusals, followUps };
}

/** A fence that fails only at ModifyDBInstance, hours into the restore, or that fences nothing, is refused now. */
function fenceProblems(fence: string, ownGroups: readonly string[], groups: ReadonlyMap<string, GroupFacts>): string[] {
  const fenceGroup = groups.get(fence);
  if (fenceGroup === undefined) return [`the fence security group '${fence}' does not exist`];
  const problems: string[] = [];
  const vpcs = [...new Set(ownGroups.flatMap((id) => groups.get(id)?.vpcId ?? []))];
  if (vpcs.length > 0 && !vpcs.includes(fenceGroup.vpcId)) {
    problems.push(
      `the fence security group '${fence}' is in ${fenceGroup.vpcId}, not in the database's ${vpcs.join(', ')}: ` +
        'RDS would refuse it only after the restore',
    );
  }
  if (fenceGroup.ingressRules > 0) {
    problems.push(
      `the fence security group '${fence}' has ${fenceGroup.ingressRules} ingress rule(s): it would fence nothing`,
    );
  }
  return problems;
}
