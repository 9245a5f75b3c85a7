import { createHash } from 'node:crypto';
import {
  CreateDBInstanceCommand,
  type CreateDBInstanceMessage,
  type DBCluster,
  type DBClusterMember,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  type RestoreDBClusterFromSnapshotMessage,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotMessage,
  type Tag,
} from '@aws-sdk/client-rds';
import type { BackupMetadata, DatabaseKind } from '../shared/contracts';
import type { RollbackState } from '../shared/cutover-contracts';
import { ConfigurationError, errorMessage, errorName, InvalidInputError, unlessNotFound } from '../shared/errors';
import {
  isValidRdsIdentifier,
  MANAGED_BY,
  NAME_HASH_LENGTH,
  normalizedStem,
  preservedIdentifierPrefix,
  RDS_IDENTIFIER_MAX_LENGTH,
  RESTORED_MEMBER_SUFFIX,
  SNAPSHOT_PREFIX,
  TAG_DEPLOYMENT,
  TAG_MANAGED_BY,
  TAG_PRESERVED_AS,
  TAG_RESTORED_AT,
  TAG_RESTORED_FROM,
  toTagValue,
  withSuffix,
} from '../shared/rds-names';

/**
 * database_restore_tool: puts the pre-deployment snapshot back under the production database's identifier, so the
 * endpoint (DNS name) the application connects to stays the same. RDS cannot restore in place, so this is a rename
 * swap:
 *
 *   RENAMING   the production database is renamed to `<id>-pre-rb-<hash>` (the "preserved" database: it keeps every
 *              write made after the snapshot and is never modified again nor deleted by this tool);
 *   RESTORING  the snapshot is restored under the original identifier, with the preserved database's settings
 *              (Aurora: the cluster, then one instance per preserved member, the writer first);
 *   AVAILABLE  the restored database (and every new Aurora instance) is `available`;
 *   FAILED     an RDS error that no retry fixes, or a state this tool will not guess its way out of.
 *
 * Every `advance` makes at most one mutating call and returns at once; the state machine's Wait loop calls it again.
 * Nothing is carried between calls but the progress object: the settings are re-read from the preserved database,
 * which still exists. Every step first looks at what exists, so a retried or repeated call never repeats a mutation.
 */

export type DatabaseRestoreProgress = NonNullable<RollbackState['database']>;

/** RDS allows 50 tags per resource. */
const MAX_TAGS = 50;

/** Statuses after which a restored database will not become available by waiting. */
const FAILED_STATUSES = new Set([
  'failed',
  'restore-error',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-credentials',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'deleting',
  'deleted',
]);

/** RDS errors that no retry fixes: they end the restore as FAILED with the error in `reason`. */
const FATAL_RDS_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationNotFoundFault',
  'BackupPolicyNotFoundFault',
  'CertificateNotFoundFault',
  'DBClusterAlreadyExistsFault',
  'DBClusterNotFoundFault',
  'DBClusterParameterGroupNotFoundFault',
  'DBClusterQuotaExceededFault',
  'DBClusterRoleQuotaExceededFault',
  'DBClusterSnapshotNotFoundFault',
  'DBInstanceAlreadyExistsFault',
  'DBInstanceNotFoundFault',
  'DBParameterGroupNotFoundFault',
  'DBSecurityGroupNotFoundFault',
  'DBSnapshotNotFoundFault',
  'DBSubnetGroupDoesNotCoverEnoughAZs',
  'DBSubnetGroupNotFoundFault',
  'DBUpgradeDependencyFailureFault',
  'DomainNotFoundFault',
  'InstanceQuotaExceededFault',
  'InsufficientDBClusterCapacityFault',
  'InsufficientDBInstanceCapacityFault',
  'InsufficientStorageClusterCapacityFault',
  'InvalidDBClusterSnapshotStateFault',
  'InvalidDBSnapshotStateFault',
  'InvalidGlobalClusterStateFault',
  'InvalidParameterCombination',
  'InvalidParameterValue',
  'InvalidRestoreFault',
  'InvalidSubnet',
  'InvalidVPCNetworkStateFault',
  'KMSKeyNotAccessibleFault',
  'MissingParameter',
  'NetworkTypeNotSupported',
  'OptionGroupNotFoundFault',
  'ProvisionedIopsNotAvailableInAZFault',
  'StorageQuotaExceededFault',
  'StorageTypeNotSupportedFault',
  'TenantDatabaseQuotaExceededFault',
  'UnauthorizedOperation',
  'VpcEncryptionControlViolationException',
]);

/** The database refuses the operation for now (a backup or modification is running): the next poll tries again. */
const BUSY_RDS_ERRORS = new Set([
  'InvalidDBInstanceStateFault',
  'InvalidDBClusterStateFault',
  'DBInstanceNotReadyFault',
]);

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers.

function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, NAME_HASH_LENGTH);
}

/**
 * `<id>-pre-rb-<8 hex of sha256(deployment name)>`, at most 63 characters: deterministic per deployment, so a
 * retried step finds the database it renamed, and distinct from the preserved copy of another deployment.
 */
export function preservedIdentifierFor(identifier: string, deploymentName: string): string {
  return `${preservedIdentifierPrefix(identifier)}${shortHash(deploymentName)}`;
}

/**
 * The new Aurora instance that replaces preserved member `<member>`: `<member>-rb`; a member name too long for the
 * suffix is trimmed and gets a hash of the full name, so two long members cannot collide.
 */
export function restoredMemberIdentifier(memberIdentifier: string): string {
  const simple = `${normalizedStem(memberIdentifier)}${RESTORED_MEMBER_SUFFIX}`;
  if (simple.length <= RDS_IDENTIFIER_MAX_LENGTH && isValidRdsIdentifier(simple)) return simple;
  return withSuffix(memberIdentifier, `-${shortHash(memberIdentifier.toLowerCase())}${RESTORED_MEMBER_SUFFIX}`);
}

function sameIdentifier(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Drops undefined and empty-array fields, so the request carries exactly what was decided. */
function compact<T extends object>(input: T): T {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)),
  ) as T;
}

export interface RestoreTagInput {
  readonly snapshotIdentifier: string;
  readonly preservedIdentifier: string;
  readonly deploymentName?: string;
  readonly restoredAt: Date;
}

/**
 * Tags of the restored database: the preserved database's own tags (cost allocation, ownership), without `aws:` and
 * earlier `deployment-crew:` keys, plus this rollback's. Within RDS's 50-tag limit, ours win.
 */
export function restoreTags(preservedTags: readonly Tag[] | undefined, input: RestoreTagInput): Tag[] {
  const ours: Tag[] = [
    { Key: TAG_RESTORED_FROM, Value: input.snapshotIdentifier },
    { Key: TAG_PRESERVED_AS, Value: input.preservedIdentifier },
    { Key: TAG_RESTORED_AT, Value: input.restoredAt.toISOString() },
    { Key: TAG_MANAGED_BY, Value: MANAGED_BY },
  ];
  if (input.deploymentName !== undefined) ours.push({ Key: TAG_DEPLOYMENT, Value: toTagValue(input.deploymentName) });
  const theirs = (preservedTags ?? []).filter(
    (tag) =>
      tag.Key !== undefined &&
      !tag.Key.toLowerCase().startsWith('aws:') &&
      !tag.Key.startsWith('deployment-crew:') &&
      tag.Value !== undefined,
  );
  return [...theirs.slice(0, MAX_TAGS - ours.length), ...ours];
}

function isOurRestore(tags: readonly Tag[] | undefined, snapshotIdentifier: string): boolean {
  return tags?.some((tag) => tag.Key === TAG_RESTORED_FROM && tag.Value === snapshotIdentifier) ?? false;
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

function securityGroupIds(groups: readonly { VpcSecurityGroupId?: string; Status?: string }[] | undefined): string[] {
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

// ---------------------------------------------------------------------------------------------------------------
// Which groups a restore would use, checked against the configured ones before anything changes.

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
    optionGroups: [],
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

// ---------------------------------------------------------------------------------------------------------------
// The tool.

export interface DatabaseRestoreTool {
  readonly kind: DatabaseKind;
  /** The initial progress of a restore of `snapshot`; no AWS call. Throws ConfigurationError for a foreign snapshot. */
  plan(snapshot: BackupMetadata, deploymentName: string): DatabaseRestoreProgress;
  /**
   * One step of the swap (at most one mutating call), `polls` + 1. AVAILABLE and FAILED are returned unchanged.
   * `reason` describes the step (the failure when FAILED). Transient AWS errors propagate for the caller to retry;
   * InvalidInput when `progress` does not belong to this target and snapshot; ConfigurationError when the database
   * uses a group that `allowedResources` does not list (thrown before any mutating call).
   */
  advance(
    progress: DatabaseRestoreProgress,
    snapshot: BackupMetadata,
    deploymentName?: string,
  ): Promise<DatabaseRestoreProgress>;
}

export interface DatabaseRestoreOptions {
  readonly clock?: () => Date;
  readonly allowedResources?: AllowedRestoreResources;
}

export function createDatabaseRestore(
  client: RDSClient,
  target: { readonly kind: DatabaseKind; readonly identifier: string },
  options: DatabaseRestoreOptions = {},
): DatabaseRestoreTool {
  return new RdsDatabaseRestore(client, target.kind, target.identifier, options);
}

type Step = DatabaseRestoreProgress;

class RdsDatabaseRestore implements DatabaseRestoreTool {
  private readonly clock: () => Date;
  private readonly allowed: AllowedRestoreResources | undefined;
  private readonly label: string;

  constructor(
    private readonly client: RDSClient,
    readonly kind: DatabaseKind,
    private readonly identifier: string,
    options: DatabaseRestoreOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.allowed = options.allowedResources;
    this.label = kind === 'instance' ? 'DB instance' : 'DB cluster';
    if (!isValidRdsIdentifier(identifier.toLowerCase())) {
      throw new ConfigurationError(`'${identifier}' is not a valid RDS ${this.label} identifier`);
    }
  }

  plan(snapshot: BackupMetadata, deploymentName: string): DatabaseRestoreProgress {
    this.assertOwnSnapshot(snapshot);
    return {
      status: 'RENAMING',
      polls: 0,
      originalIdentifier: this.identifier,
      preservedIdentifier: preservedIdentifierFor(this.identifier, deploymentName),
      snapshotIdentifier: snapshot.identifier,
    };
  }

  async advance(progress: Step, snapshot: BackupMetadata, deploymentName?: string): Promise<Step> {
    this.assertOwnSnapshot(snapshot);
    this.assertOwnProgress(progress, snapshot, deploymentName);
    if (progress.status === 'AVAILABLE' || progress.status === 'FAILED') return progress;

    const next: Step = { ...progress, polls: progress.polls + 1 };
    try {
      if (progress.status === 'RENAMING') {
        return this.kind === 'instance'
          ? await this.renameInstance(next, progress.polls, deploymentName)
          : await this.renameCluster(next, progress.polls, deploymentName);
      }
      return this.kind === 'instance' ? await this.restoringInstance(next) : await this.restoringCluster(next);
    } catch (error) {
      const name = errorName(error);
      if (name !== undefined && BUSY_RDS_ERRORS.has(name)) {
        return {
          ...next,
          reason: `RDS refused the step for now (${name}: ${errorMessage(error)}); retrying next poll`,
        };
      }
      if (name !== undefined && FATAL_RDS_ERRORS.has(name)) {
        return this.failed(next, `${name}: ${errorMessage(error)}`);
      }
      throw error;
    }
  }

  // ----- instance -----

  private async renameInstance(next: Step, pollsBefore: number, deploymentName: string | undefined): Promise<Step> {
    const preserved = await this.describeInstance(next.preservedIdentifier);
    const original = await this.describeInstance(next.originalIdentifier);

    if (preserved === undefined) {
      if (original === undefined) return this.neitherFound(next, pollsBefore);
      if (original.DBClusterIdentifier !== undefined) {
        throw new ConfigurationError(
          `DB instance '${next.originalIdentifier}' belongs to DB cluster '${original.DBClusterIdentifier}': ` +
            'configure the database as a cluster',
        );
      }
      if (original.DBInstanceStatus !== 'available') {
        return this.waiting(next, this.notAvailableYet(next, original.DBInstanceStatus));
      }
      this.assertAllowed(discoveredFromInstance(original));
      // ApplyImmediately (needed for a rename) also applies modifications queued for the maintenance window.
      const pendingChanges = Object.entries(original.PendingModifiedValues ?? {})
        .filter(([, value]) => value !== undefined)
        .map(([key]) => key);
      await this.client.send(
        new ModifyDBInstanceCommand(
          compact({
            DBInstanceIdentifier: next.originalIdentifier,
            NewDBInstanceIdentifier: next.preservedIdentifier,
            ApplyImmediately: true,
            DeletionProtection: original.DeletionProtection,
          }),
        ),
      );
      return this.waiting(
        next,
        `renaming DB instance '${next.originalIdentifier}' to '${next.preservedIdentifier}'` +
          (pendingChanges.length > 0 ? ` (pending modifications applied with it: ${pendingChanges.join(', ')})` : ''),
      );
    }

    if (original !== undefined) {
      return this.bothExist(next, {
        sameResource: original.DbiResourceId !== undefined && original.DbiResourceId === preserved.DbiResourceId,
        ours: isOurRestore(original.TagList, next.snapshotIdentifier),
      });
    }
    if (preserved.DBInstanceStatus !== 'available') {
      return this.waiting(
        next,
        `preserved DB instance '${next.preservedIdentifier}' is '${preserved.DBInstanceStatus ?? 'unknown'}'; the ` +
          "restore waits for 'available'",
      );
    }
    // Settings are read from the preserved instance now, not carried over from the rename.
    this.assertAllowed(discoveredFromInstance(preserved));
    const input = instanceRestoreInput(preserved, this.restoreTarget(next, preserved.TagList, deploymentName));
    try {
      await this.client.send(new RestoreDBInstanceFromDBSnapshotCommand(input));
    } catch (error) {
      // An earlier attempt's restore went through: RESTORING checks that it is ours.
      if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throw error;
    }
    return {
      ...next,
      status: 'RESTORING',
      reason: `restoring DB instance '${next.originalIdentifier}' from snapshot '${next.snapshotIdentifier}'`,
    };
  }

  private async restoringInstance(next: Step): Promise<Step> {
    const restored = await this.describeInstance(next.originalIdentifier);
    const problem = this.restoredProblem(next, restored?.TagList, restored !== undefined);
    if (problem !== undefined) return this.failed(next, problem);
    const status = restored?.DBInstanceStatus ?? 'unknown';
    if (status === 'available') {
      return {
        ...next,
        status: 'AVAILABLE',
        reason: `DB instance '${next.originalIdentifier}' restored from '${next.snapshotIdentifier}' and available`,
      };
    }
    if (FAILED_STATUSES.has(status)) {
      return this.failed(next, `restored DB instance '${next.originalIdentifier}' is '${status}'`);
    }
    return this.waiting(next, `restored DB instance '${next.originalIdentifier}' is '${status}'`);
  }

  // ----- cluster -----

  private async renameCluster(next: Step, pollsBefore: number, deploymentName: string | undefined): Promise<Step> {
    const preserved = await this.describeCluster(next.preservedIdentifier);
    const original = await this.describeCluster(next.originalIdentifier);

    if (preserved === undefined) {
      if (original === undefined) return this.neitherFound(next, pollsBefore);
      if (original.Status !== 'available') return this.waiting(next, this.notAvailableYet(next, original.Status));
      const members = await this.describeMembers(original);
      this.assertAllowed(discoveredFromCluster(original, members));
      await this.client.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: next.originalIdentifier,
          NewDBClusterIdentifier: next.preservedIdentifier,
          ApplyImmediately: true,
        }),
      );
      return this.waiting(next, `renaming DB cluster '${next.originalIdentifier}' to '${next.preservedIdentifier}'`);
    }

    if (original !== undefined) {
      return this.bothExist(next, {
        sameResource:
          original.DbClusterResourceId !== undefined && original.DbClusterResourceId === preserved.DbClusterResourceId,
        ours: isOurRestore(original.TagList, next.snapshotIdentifier),
      });
    }
    if (preserved.Status !== 'available') {
      return this.waiting(
        next,
        `preserved DB cluster '${next.preservedIdentifier}' is '${preserved.Status ?? 'unknown'}'; the restore waits ` +
          "for 'available'",
      );
    }
    const members = await this.describeMembers(preserved);
    this.assertAllowed(discoveredFromCluster(preserved, members));
    const input = clusterRestoreInput(preserved, this.restoreTarget(next, preserved.TagList, deploymentName));
    try {
      await this.client.send(new RestoreDBClusterFromSnapshotCommand(input));
    } catch (error) {
      if (errorName(error) !== 'DBClusterAlreadyExistsFault') throw error;
    }
    return {
      ...next,
      status: 'RESTORING',
      reason: `restoring DB cluster '${next.originalIdentifier}' from snapshot '${next.snapshotIdentifier}'`,
    };
  }

  private async restoringCluster(next: Step): Promise<Step> {
    const restored = await this.describeCluster(next.originalIdentifier);
    const problem = this.restoredProblem(next, restored?.TagList, restored !== undefined);
    if (problem !== undefined) return this.failed(next, problem);
    const status = restored?.Status ?? 'unknown';
    if (FAILED_STATUSES.has(status)) {
      return this.failed(next, `restored DB cluster '${next.originalIdentifier}' is '${status}'`);
    }
    if (status !== 'available') {
      return this.waiting(next, `restored DB cluster '${next.originalIdentifier}' is '${status}'`);
    }
    // A Multi-AZ DB cluster (mysql/postgres) restores with its instances.
    if (!isAuroraEngine(restored?.Engine)) {
      return { ...next, status: 'AVAILABLE', reason: `DB cluster '${next.originalIdentifier}' restored and available` };
    }
    return this.createMembers(next);
  }

  /**
   * Aurora: one instance per preserved member. The writer's copy first (the first instance of a cluster becomes its
   * writer); the readers, one per call, once the writer is available.
   */
  private async createMembers(next: Step): Promise<Step> {
    const preserved = await this.describeCluster(next.preservedIdentifier);
    if (preserved === undefined) {
      return this.failed(
        next,
        `preserved DB cluster '${next.preservedIdentifier}' not found: cannot tell which instances to create`,
      );
    }
    const members = orderedMembers(preserved);
    if (members.length === 0) {
      return this.failed(next, `preserved DB cluster '${next.preservedIdentifier}' has no instances to copy`);
    }
    const pending: string[] = [];
    let writerReady = false;
    for (const [index, member] of members.entries()) {
      const memberIdentifier = member.DBInstanceIdentifier ?? '';
      const newIdentifier = restoredMemberIdentifier(memberIdentifier);
      const created = await this.describeInstance(newIdentifier);
      if (created === undefined) {
        if (index > 0 && !writerReady) {
          return this.waiting(next, `waiting for the writer ${pending.join(', ')} before creating '${newIdentifier}'`);
        }
        const source = await this.describeInstance(memberIdentifier);
        if (source === undefined) {
          return this.failed(next, `member '${memberIdentifier}' of '${next.preservedIdentifier}' not found`);
        }
        this.assertAllowed(discoveredFromCluster({}, [source]));
        const target = this.restoreTarget(next, source.TagList, undefined);
        try {
          await this.client.send(
            new CreateDBInstanceCommand(
              memberInstanceInput(source, { clusterIdentifier: next.originalIdentifier, tags: target.tags }),
            ),
          );
        } catch (error) {
          // An earlier attempt's call went through; the next poll sees the instance.
          if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throw error;
        }
        return this.waiting(
          next,
          `creating ${index === 0 ? 'writer' : 'reader'} '${newIdentifier}' (copy of '${memberIdentifier}') in DB ` +
            `cluster '${next.originalIdentifier}'`,
        );
      }
      if (!sameIdentifier(created.DBClusterIdentifier, next.originalIdentifier)) {
        return this.failed(
          next,
          `DB instance '${newIdentifier}' exists but belongs to '${created.DBClusterIdentifier ?? 'no cluster'}', ` +
            `not to '${next.originalIdentifier}'`,
        );
      }
      const status = created.DBInstanceStatus ?? 'unknown';
      if (FAILED_STATUSES.has(status)) return this.failed(next, `DB instance '${newIdentifier}' is '${status}'`);
      if (index === 0) writerReady = status === 'available';
      if (status !== 'available') pending.push(`'${newIdentifier}' (${status})`);
    }
    if (pending.length > 0) return this.waiting(next, `waiting for ${pending.join(', ')}`);
    return {
      ...next,
      status: 'AVAILABLE',
      reason:
        `DB cluster '${next.originalIdentifier}' restored from '${next.snapshotIdentifier}' with ` +
        `${members.length} instance(s), all available`,
    };
  }

  // ----- shared -----

  private restoreTarget(
    next: Step,
    preservedTags: Tag[] | undefined,
    deploymentName: string | undefined,
  ): RestoreTarget {
    return {
      originalIdentifier: next.originalIdentifier,
      snapshotIdentifier: next.snapshotIdentifier,
      tags: restoreTags(preservedTags, {
        snapshotIdentifier: next.snapshotIdentifier,
        preservedIdentifier: next.preservedIdentifier,
        deploymentName,
        restoredAt: this.clock(),
      }),
    };
  }

  private notAvailableYet(next: Step, status: string | undefined): string {
    if (status === 'renaming') {
      return `the rename of '${next.originalIdentifier}' to '${next.preservedIdentifier}' is in progress`;
    }
    return (
      `${this.label} '${next.originalIdentifier}' is '${status ?? 'unknown'}'; the rename to ` +
      `'${next.preservedIdentifier}' waits for 'available'`
    );
  }

  private bothExist(next: Step, facts: { sameResource: boolean; ours: boolean }): Step {
    if (facts.sameResource) {
      return this.waiting(
        next,
        `the rename of '${next.originalIdentifier}' to '${next.preservedIdentifier}' is in progress`,
      );
    }
    if (facts.ours) {
      return {
        ...next,
        status: 'RESTORING',
        reason: `the restore of '${next.originalIdentifier}' from '${next.snapshotIdentifier}' was already started`,
      };
    }
    return this.failed(
      next,
      `both '${next.originalIdentifier}' and '${next.preservedIdentifier}' exist and are different databases ` +
        `(a leftover '${next.preservedIdentifier}' from an earlier rollback, or a database created under the original ` +
        'name): nothing was changed by this step',
    );
  }

  /** At the first poll nothing was renamed yet: the database is simply missing. Later, a rename may hide both names. */
  private neitherFound(next: Step, pollsBefore: number): Step {
    if (pollsBefore === 0) {
      return this.failed(
        next,
        `${this.label} '${next.originalIdentifier}' not found (nor '${next.preservedIdentifier}'): nothing to roll back`,
      );
    }
    return this.waiting(
      next,
      `neither '${next.originalIdentifier}' nor '${next.preservedIdentifier}' is visible; a rename in flight can ` +
        'hide both names briefly',
    );
  }

  private restoredProblem(next: Step, tags: Tag[] | undefined, exists: boolean): string | undefined {
    if (!exists) {
      return (
        `restored ${this.label} '${next.originalIdentifier}' not found after the restore was started; the preserved ` +
        `database '${next.preservedIdentifier}' is untouched`
      );
    }
    if (!isOurRestore(tags, next.snapshotIdentifier)) {
      return (
        `${this.label} '${next.originalIdentifier}' was not restored by this rollback (no ${TAG_RESTORED_FROM}=` +
        `${next.snapshotIdentifier} tag)`
      );
    }
    return undefined;
  }

  private waiting(next: Step, reason: string): Step {
    return { ...next, reason };
  }

  private failed(next: Step, reason: string): Step {
    return {
      ...next,
      status: 'FAILED',
      reason: `${reason}. The preserved database '${next.preservedIdentifier}' (if it exists) holds the pre-rollback data`,
    };
  }

  private assertAllowed(discovered: DiscoveredRestoreResources): void {
    const problems = disallowedResources(discovered, this.allowed);
    if (problems.length > 0) {
      throw new ConfigurationError(
        `restoring ${this.label} '${this.identifier}' would use resources the stack does not allow (and its IAM ` +
          `policy does not cover): ${problems.join('; ')}. Add them to the configuration, or restore by hand`,
      );
    }
  }

  private assertOwnSnapshot(snapshot: BackupMetadata): void {
    if (snapshot.kind !== this.kind || !sameIdentifier(snapshot.sourceIdentifier, this.identifier)) {
      throw new ConfigurationError(
        `snapshot '${snapshot.identifier}' is a ${snapshot.kind} snapshot of '${snapshot.sourceIdentifier}', but this ` +
          `stack restores ${this.label} '${this.identifier}'`,
      );
    }
    if (!snapshot.identifier.startsWith(SNAPSHOT_PREFIX)) {
      throw new ConfigurationError(
        `snapshot '${snapshot.identifier}' was not made by DeploymentCrew (no '${SNAPSHOT_PREFIX}' prefix); the tool ` +
          'only restores its own snapshots',
      );
    }
  }

  private assertOwnProgress(progress: Step, snapshot: BackupMetadata, deploymentName: string | undefined): void {
    const problems: string[] = [];
    if (!sameIdentifier(progress.originalIdentifier, this.identifier)) {
      problems.push(`original '${progress.originalIdentifier}' is not '${this.identifier}'`);
    }
    if (progress.snapshotIdentifier !== snapshot.identifier) {
      problems.push(`snapshot '${progress.snapshotIdentifier}' is not '${snapshot.identifier}'`);
    }
    const prefix = preservedIdentifierPrefix(this.identifier);
    const preserved = progress.preservedIdentifier;
    if (
      !isValidRdsIdentifier(preserved) ||
      !preserved.startsWith(prefix) ||
      !/^[0-9a-f]{8}$/.test(preserved.slice(prefix.length))
    ) {
      problems.push(`preserved identifier '${preserved}' is not of the form '${prefix}<8 hex>'`);
    } else if (deploymentName !== undefined && preserved !== preservedIdentifierFor(this.identifier, deploymentName)) {
      problems.push(`preserved identifier '${preserved}' does not belong to deployment '${deploymentName}'`);
    }
    if (problems.length > 0) {
      throw new InvalidInputError(`database restore progress does not match this restore: ${problems.join('; ')}`);
    }
  }

  private async describeInstance(identifier: string): Promise<DBInstance | undefined> {
    const output = await unlessNotFound('DBInstanceNotFoundFault', () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
    );
    return output?.DBInstances?.[0];
  }

  private async describeCluster(identifier: string): Promise<DBCluster | undefined> {
    const output = await unlessNotFound('DBClusterNotFoundFault', () =>
      this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })),
    );
    return output?.DBClusters?.[0];
  }

  /** The cluster's member instances, one Describe each (scoped ARNs; no account-wide listing). */
  private async describeMembers(cluster: DBCluster): Promise<DBInstance[]> {
    const members: DBInstance[] = [];
    for (const member of orderedMembers(cluster)) {
      const instance = await this.describeInstance(member.DBInstanceIdentifier ?? '');
      if (instance !== undefined) members.push(instance);
    }
    return members;
  }
}
