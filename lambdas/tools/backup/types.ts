import type { BackupMetadata, DatabaseKind, DeploymentRef, SnapshotRef } from '../../shared/contracts';

/** The backup tool's interface: what callers pass and get back. */

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
  /** The stack's snapshot prefix (snapshotPrefixFor). @default SNAPSHOT_PREFIX alone */
  readonly snapshotPrefix?: string;
}
