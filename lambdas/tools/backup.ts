import { createHash } from 'node:crypto';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { BackupMetadata, DatabaseKind, DeploymentRef, SnapshotRef } from '../shared/contracts';
import { BackupFailedError, DatabaseBusyError, errorMessage, errorName, unlessNotFound } from '../shared/errors';
import {
  MANAGED_BY,
  NAME_HASH_LENGTH,
  SNAPSHOT_IDENTIFIER_MAX_LENGTH,
  SNAPSHOT_PREFIX,
  TAG_DEPLOYMENT,
  TAG_EXECUTION_ARN,
  TAG_MANAGED_BY,
  toTagValue,
} from '../shared/rds-names';

/**
 * backup_tool: a manual RDS snapshot per deployment, created once (the identifier is derived from the execution name,
 * so a retried task finds its own snapshot instead of making a second one), polled by the state machine, and verified
 * against its source before anything changes in production.
 */

/** Tolerated clock difference between Step Functions (execution start) and RDS (snapshot creation time). */
export const CLOCK_SKEW_MS = 5_000;

/**
 * `deploymentcrew-<name as lower-case letters, digits and single hyphens, truncated>-<8 hex of sha256(name)>`:
 * deterministic, at most 63 characters, starts with a letter, no double or trailing hyphen. The hash keeps names that
 * differ only in case, punctuation or beyond the truncation apart.
 */
export function snapshotIdentifierFor(deploymentName: string): string {
  const hash = createHash('sha256').update(deploymentName, 'utf8').digest('hex').slice(0, NAME_HASH_LENGTH);
  const room = SNAPSHOT_IDENTIFIER_MAX_LENGTH - SNAPSHOT_PREFIX.length - NAME_HASH_LENGTH - 1;
  const slug = deploymentName
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, room)
    .replace(/-$/, '');
  return slug === '' ? `${SNAPSHOT_PREFIX}${hash}` : `${SNAPSHOT_PREFIX}${slug}-${hash}`;
}

export function snapshotTags(deployment: DeploymentRef): Tag[] {
  return [
    { Key: TAG_DEPLOYMENT, Value: toTagValue(deployment.name) },
    { Key: TAG_EXECUTION_ARN, Value: toTagValue(deployment.executionArn) },
    { Key: TAG_MANAGED_BY, Value: MANAGED_BY },
  ];
}

export interface DatabaseTarget {
  readonly kind: DatabaseKind;
  /** DB instance identifier or DB cluster identifier. */
  readonly identifier: string;
}

export type CreatedSnapshot = SnapshotRef & { readonly status: string };

export interface BackupTool {
  readonly kind: DatabaseKind;
  /** Starts the deployment's snapshot, or finds the one an earlier attempt of the same task started. */
  create(deployment: DeploymentRef): Promise<CreatedSnapshot>;
  /** Current snapshot status as RDS reports it (`creating`, `available`, `failed`, …). */
  describe(ref: SnapshotRef): Promise<{ status: string }>;
  /** Checks the snapshot against its source; throws BackupFailedError listing every failed check. */
  verify(ref: SnapshotRef, deployment: DeploymentRef): Promise<BackupMetadata>;
}

export interface BackupToolOptions {
  readonly clock?: () => Date;
}

/** Picks the instance or the cluster implementation. */
export function createBackupTool(
  client: RDSClient,
  target: DatabaseTarget,
  options: BackupToolOptions = {},
): BackupTool {
  return target.kind === 'instance'
    ? createInstanceBackupTool(client, target.identifier, options)
    : createClusterBackupTool(client, target.identifier, options);
}

export function createInstanceBackupTool(
  client: RDSClient,
  instanceIdentifier: string,
  options: BackupToolOptions = {},
): BackupTool {
  return new RdsBackupTool(instanceAdapter(client), instanceIdentifier, options.clock ?? (() => new Date()));
}

export function createClusterBackupTool(
  client: RDSClient,
  clusterIdentifier: string,
  options: BackupToolOptions = {},
): BackupTool {
  return new RdsBackupTool(clusterAdapter(client), clusterIdentifier, options.clock ?? (() => new Date()));
}

// ---------------------------------------------------------------------------------------------------------------
// The two RDS APIs seen through one shape.

interface SnapshotView {
  readonly identifier: string;
  readonly arn: string | undefined;
  readonly sourceIdentifier: string | undefined;
  readonly status: string | undefined;
  readonly createdAt: Date | undefined;
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  readonly allocatedStorage: number | undefined;
  readonly encrypted: boolean | undefined;
  readonly kmsKeyId: string | undefined;
  /** Undefined when RDS did not return tags. */
  readonly tags: readonly Tag[] | undefined;
}

interface SourceView {
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  readonly allocatedStorage: number | undefined;
  readonly encrypted: boolean | undefined;
  readonly kmsKeyId: string | undefined;
}

interface RdsAdapter {
  readonly kind: DatabaseKind;
  readonly sourceLabel: string;
  readonly snapshotLabel: string;
  readonly alreadyExistsFault: string;
  createSnapshot(identifier: string, sourceIdentifier: string, tags: Tag[]): Promise<SnapshotView | undefined>;
  describeSnapshot(identifier: string): Promise<SnapshotView | undefined>;
  describeSource(identifier: string): Promise<SourceView | undefined>;
  /** Whether the snapshot's storage size must equal the source's (Aurora's cluster volume grows and shrinks). */
  comparesStorage(source: SourceView): boolean;
}

function instanceAdapter(client: RDSClient): RdsAdapter {
  const view = (snapshot: DBSnapshot, fallbackIdentifier: string): SnapshotView => ({
    identifier: snapshot.DBSnapshotIdentifier ?? fallbackIdentifier,
    arn: snapshot.DBSnapshotArn,
    sourceIdentifier: snapshot.DBInstanceIdentifier,
    status: snapshot.Status,
    createdAt: snapshot.SnapshotCreateTime,
    engine: snapshot.Engine,
    engineVersion: snapshot.EngineVersion,
    allocatedStorage: snapshot.AllocatedStorage,
    encrypted: snapshot.Encrypted,
    kmsKeyId: snapshot.KmsKeyId,
    tags: snapshot.TagList,
  });
  const sourceView = (instance: DBInstance): SourceView => ({
    engine: instance.Engine,
    engineVersion: instance.EngineVersion,
    allocatedStorage: instance.AllocatedStorage,
    encrypted: instance.StorageEncrypted,
    kmsKeyId: instance.KmsKeyId,
  });
  return {
    kind: 'instance',
    sourceLabel: 'DB instance',
    snapshotLabel: 'DB snapshot',
    alreadyExistsFault: 'DBSnapshotAlreadyExistsFault',
    async createSnapshot(identifier, sourceIdentifier, tags) {
      const output = await client.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: identifier,
          DBInstanceIdentifier: sourceIdentifier,
          Tags: tags,
        }),
      );
      return output.DBSnapshot === undefined ? undefined : view(output.DBSnapshot, identifier);
    },
    async describeSnapshot(identifier) {
      const output = await unlessNotFound('DBSnapshotNotFoundFault', () =>
        client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier })),
      );
      const snapshot = output?.DBSnapshots?.[0];
      return snapshot === undefined ? undefined : view(snapshot, identifier);
    },
    async describeSource(identifier) {
      const output = await unlessNotFound('DBInstanceNotFoundFault', () =>
        client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
      );
      const instance = output?.DBInstances?.[0];
      return instance === undefined ? undefined : sourceView(instance);
    },
    comparesStorage: (source) => source.allocatedStorage !== undefined,
  };
}

function clusterAdapter(client: RDSClient): RdsAdapter {
  const view = (snapshot: DBClusterSnapshot, fallbackIdentifier: string): SnapshotView => ({
    identifier: snapshot.DBClusterSnapshotIdentifier ?? fallbackIdentifier,
    arn: snapshot.DBClusterSnapshotArn,
    sourceIdentifier: snapshot.DBClusterIdentifier,
    status: snapshot.Status,
    createdAt: snapshot.SnapshotCreateTime,
    engine: snapshot.Engine,
    engineVersion: snapshot.EngineVersion,
    allocatedStorage: snapshot.AllocatedStorage,
    encrypted: snapshot.StorageEncrypted,
    kmsKeyId: snapshot.KmsKeyId,
    tags: snapshot.TagList,
  });
  const sourceView = (cluster: DBCluster): SourceView => ({
    engine: cluster.Engine,
    engineVersion: cluster.EngineVersion,
    allocatedStorage: cluster.AllocatedStorage,
    encrypted: cluster.StorageEncrypted,
    kmsKeyId: cluster.KmsKeyId,
  });
  return {
    kind: 'cluster',
    sourceLabel: 'DB cluster',
    snapshotLabel: 'DB cluster snapshot',
    alreadyExistsFault: 'DBClusterSnapshotAlreadyExistsFault',
    async createSnapshot(identifier, sourceIdentifier, tags) {
      const output = await client.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterSnapshotIdentifier: identifier,
          DBClusterIdentifier: sourceIdentifier,
          Tags: tags,
        }),
      );
      return output.DBClusterSnapshot === undefined ? undefined : view(output.DBClusterSnapshot, identifier);
    },
    async describeSnapshot(identifier) {
      const output = await unlessNotFound('DBClusterSnapshotNotFoundFault', () =>
        client.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier })),
      );
      const snapshot = output?.DBClusterSnapshots?.[0];
      return snapshot === undefined ? undefined : view(snapshot, identifier);
    },
    async describeSource(identifier) {
      const output = await unlessNotFound('DBClusterNotFoundFault', () =>
        client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })),
      );
      const cluster = output?.DBClusters?.[0];
      return cluster === undefined ? undefined : sourceView(cluster);
    },
    // An Aurora cluster volume has no fixed size (DescribeDBClusters reports 1 or the current, varying size), so only
    // Multi-AZ DB clusters (engine mysql/postgres) have a size to compare.
    comparesStorage: (source) => source.allocatedStorage !== undefined && !(source.engine ?? '').startsWith('aurora'),
  };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * RDS refuses a snapshot while the database is busy (automated backup, modification, maintenance): a later attempt
 * usually succeeds, so these are retried by the state machine with long intervals instead of failing the backup.
 */
const BUSY_RDS_ERRORS = new Set(['InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault']);

/** RDS errors that no retry fixes: they end the backup with BackupFailed. Anything else propagates. */
const FATAL_RDS_ERRORS = new Set([
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'SnapshotQuotaExceededFault',
  'DBSnapshotNotFoundFault',
  'DBClusterSnapshotNotFoundFault',
]);

function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

class RdsBackupTool implements BackupTool {
  readonly kind: DatabaseKind;

  constructor(
    private readonly rds: RdsAdapter,
    private readonly sourceIdentifier: string,
    private readonly clock: () => Date,
  ) {
    this.kind = rds.kind;
  }

  async create(deployment: DeploymentRef): Promise<CreatedSnapshot> {
    const identifier = snapshotIdentifierFor(deployment.name);
    const requestedAt = this.clock().toISOString();
    let snapshot: SnapshotView | undefined;
    try {
      snapshot = await this.rds.createSnapshot(identifier, this.sourceIdentifier, snapshotTags(deployment));
    } catch (error) {
      const name = errorName(error);
      if (name === this.rds.alreadyExistsFault) {
        snapshot = await this.existingSnapshotOf(identifier, deployment);
      } else if (name !== undefined && BUSY_RDS_ERRORS.has(name)) {
        throw new DatabaseBusyError(
          `${this.rds.sourceLabel} '${this.sourceIdentifier}' cannot be snapshotted right now: ${name}: ${errorMessage(error)}`,
        );
      } else if (name !== undefined && FATAL_RDS_ERRORS.has(name)) {
        throw new BackupFailedError(
          `cannot snapshot ${this.rds.sourceLabel} '${this.sourceIdentifier}' as '${identifier}': ${name}: ${errorMessage(error)}`,
        );
      } else {
        throw error;
      }
    }
    if (snapshot?.arn === undefined) {
      throw new BackupFailedError(`RDS returned no ARN for ${this.rds.snapshotLabel} '${identifier}'`);
    }
    return {
      kind: this.kind,
      identifier,
      arn: snapshot.arn,
      sourceIdentifier: this.sourceIdentifier,
      requestedAt,
      status: snapshot.status ?? 'unknown',
    };
  }

  async describe(ref: SnapshotRef): Promise<{ status: string }> {
    this.assertOwnRef(ref);
    const snapshot = await this.describeSnapshotOrFail(ref.identifier);
    return { status: snapshot.status ?? 'unknown' };
  }

  async verify(ref: SnapshotRef, deployment: DeploymentRef): Promise<BackupMetadata> {
    this.assertOwnRef(ref);
    const snapshot = await this.describeSnapshotOrFail(ref.identifier);
    const source = await this.callOrFail(() => this.rds.describeSource(this.sourceIdentifier));
    if (source === undefined) {
      throw new BackupFailedError(
        `${this.rds.sourceLabel} '${this.sourceIdentifier}' not found while verifying '${ref.identifier}'`,
      );
    }

    const failures: string[] = [];
    const expectedIdentifier = snapshotIdentifierFor(deployment.name);
    if (ref.identifier !== expectedIdentifier) {
      failures.push(`identifier '${ref.identifier}' is not this deployment's ('${expectedIdentifier}')`);
    }
    if (snapshot.status !== 'available') failures.push(`status is '${snapshot.status ?? 'unknown'}', not 'available'`);
    if (snapshot.sourceIdentifier !== this.sourceIdentifier) {
      failures.push(`source is '${snapshot.sourceIdentifier ?? 'unknown'}', expected '${this.sourceIdentifier}'`);
    }
    if ((snapshot.encrypted ?? false) !== (source.encrypted ?? false)) {
      failures.push(`encrypted is ${snapshot.encrypted ?? false}, source is ${source.encrypted ?? false}`);
    }
    if ((snapshot.kmsKeyId ?? null) !== (source.kmsKeyId ?? null)) {
      failures.push(`KMS key is '${snapshot.kmsKeyId ?? 'none'}', source uses '${source.kmsKeyId ?? 'none'}'`);
    }
    if (snapshot.engine === undefined || snapshot.engine !== source.engine) {
      failures.push(`engine is '${snapshot.engine ?? 'unknown'}', source is '${source.engine ?? 'unknown'}'`);
    }
    if (snapshot.engineVersion === undefined || snapshot.engineVersion !== source.engineVersion) {
      failures.push(
        `engine version is '${snapshot.engineVersion ?? 'unknown'}', source is '${source.engineVersion ?? 'unknown'}'`,
      );
    }
    if (this.rds.comparesStorage(source) && snapshot.allocatedStorage !== source.allocatedStorage) {
      failures.push(
        `allocated storage is ${snapshot.allocatedStorage ?? 'unknown'} GiB, source has ${source.allocatedStorage} GiB`,
      );
    }
    const createdTooEarly = this.createdBeforeStart(snapshot, deployment);
    if (createdTooEarly !== undefined) failures.push(createdTooEarly);

    if (failures.length > 0) {
      throw new BackupFailedError(
        `${this.rds.snapshotLabel} '${ref.identifier}' failed verification: ${failures.join('; ')}`,
      );
    }

    return {
      kind: this.kind,
      identifier: ref.identifier,
      arn: snapshot.arn ?? ref.arn,
      sourceIdentifier: this.sourceIdentifier,
      // Checked above: createdBeforeStart reports a missing creation time.
      createdAt: snapshot.createdAt?.toISOString() ?? '',
      engine: snapshot.engine ?? '',
      engineVersion: snapshot.engineVersion ?? '',
      allocatedStorageGiB: snapshot.allocatedStorage ?? source.allocatedStorage ?? 0,
      encrypted: snapshot.encrypted ?? false,
      kmsKeyId: snapshot.kmsKeyId ?? null,
      status: 'available',
      verifiedAt: this.clock().toISOString(),
    };
  }

  /** The snapshot an earlier attempt created, if it carries this deployment's tags; BackupFailed otherwise. */
  private async existingSnapshotOf(identifier: string, deployment: DeploymentRef): Promise<SnapshotView> {
    const existing = await this.callOrFail(() => this.rds.describeSnapshot(identifier));
    if (existing === undefined) {
      throw new BackupFailedError(
        `${this.rds.snapshotLabel} '${identifier}' is reported to exist but cannot be described; retry later`,
      );
    }
    const reasons: string[] = [];
    const taggedDeployment = tagValue(existing.tags, TAG_DEPLOYMENT);
    if (taggedDeployment !== toTagValue(deployment.name)) {
      reasons.push(
        `its ${TAG_DEPLOYMENT} tag is ${taggedDeployment === undefined ? 'missing' : `'${taggedDeployment}'`}`,
      );
    }
    const taggedExecution = tagValue(existing.tags, TAG_EXECUTION_ARN);
    if (taggedExecution !== toTagValue(deployment.executionArn)) {
      reasons.push(
        `its ${TAG_EXECUTION_ARN} tag is ${taggedExecution === undefined ? 'missing' : `'${taggedExecution}'`}`,
      );
    }
    if (existing.sourceIdentifier !== this.sourceIdentifier) {
      reasons.push(`its source is '${existing.sourceIdentifier ?? 'unknown'}'`);
    }
    // Execution names can be reused after 90 days: a snapshot older than this execution is a leftover.
    if (existing.createdAt !== undefined) {
      const tooEarly = this.createdBeforeStart(existing, deployment);
      if (tooEarly !== undefined) reasons.push(tooEarly);
    }
    if (reasons.length > 0) {
      throw new BackupFailedError(
        `${this.rds.snapshotLabel} '${identifier}' already exists and is not this deployment's: ${reasons.join('; ')}`,
      );
    }
    return existing;
  }

  private createdBeforeStart(snapshot: SnapshotView, deployment: DeploymentRef): string | undefined {
    if (snapshot.createdAt === undefined) return 'RDS reports no creation time';
    const startedAt = Date.parse(deployment.startedAt);
    if (Number.isNaN(startedAt)) return `deployment start time '${deployment.startedAt}' is not a date`;
    if (snapshot.createdAt.getTime() < startedAt - CLOCK_SKEW_MS) {
      return `created at ${snapshot.createdAt.toISOString()}, before the deployment started (${deployment.startedAt})`;
    }
    return undefined;
  }

  private async describeSnapshotOrFail(identifier: string): Promise<SnapshotView> {
    const snapshot = await this.callOrFail(() => this.rds.describeSnapshot(identifier));
    if (snapshot === undefined) throw new BackupFailedError(`${this.rds.snapshotLabel} '${identifier}' not found`);
    return snapshot;
  }

  /** Turns the fatal RDS faults into BackupFailed and lets everything else (throttling, 5xx) propagate. */
  private async callOrFail<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const name = errorName(error);
      if (name !== undefined && FATAL_RDS_ERRORS.has(name)) {
        throw new BackupFailedError(`${name}: ${errorMessage(error)}`);
      }
      throw error;
    }
  }

  private assertOwnRef(ref: SnapshotRef): void {
    if (ref.kind !== this.kind || ref.sourceIdentifier !== this.sourceIdentifier) {
      throw new BackupFailedError(
        `snapshot '${ref.identifier}' is a ${ref.kind} snapshot of '${ref.sourceIdentifier}', but this stack backs up ` +
          `${this.rds.sourceLabel} '${this.sourceIdentifier}'`,
      );
    }
  }
}
