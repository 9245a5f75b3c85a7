import type { Tag } from '@aws-sdk/client-rds';
import type { BackupMetadata, DatabaseKind, DeploymentRef, SnapshotRef } from '../../shared/contracts';
import { BackupFailedError, DatabaseBusyError, errorMessage, errorName } from '../../shared/errors';
import { SNAPSHOT_PREFIX, TAG_DEPLOYMENT, TAG_EXECUTION_ARN, toTagValue } from '../../shared/rds-names';
import type { RdsAdapter, SnapshotView } from './rds-adapters';
import { CLOCK_SKEW_MS, snapshotIdentifierFor, snapshotTags } from './snapshot-names';
import type { BackupTool, CreatedSnapshot } from './types';

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

/** The backup tool for either kind: `rds` is the instance or the cluster API. */
export class RdsBackupTool implements BackupTool {
  readonly kind: DatabaseKind;

  constructor(
    private readonly rds: RdsAdapter,
    private readonly sourceIdentifier: string,
    private readonly clock: () => Date,
    /** The stack's snapshot prefix (snapshotPrefixFor): the restore and its IAM accept only these. */
    private readonly snapshotPrefix: string = SNAPSHOT_PREFIX,
  ) {
    this.kind = rds.kind;
  }

  async create(deployment: DeploymentRef): Promise<CreatedSnapshot> {
    const identifier = snapshotIdentifierFor(deployment.name, this.snapshotPrefix);
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
    const expectedIdentifier = snapshotIdentifierFor(deployment.name, this.snapshotPrefix);
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
