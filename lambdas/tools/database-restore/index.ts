import type { RDSClient } from '@aws-sdk/client-rds';
import type { BackupMetadata, DatabaseKind } from '../../shared/contracts';
import { ConfigurationError, errorMessage, errorName, InvalidInputError } from '../../shared/errors';
import { isValidRdsIdentifier, preservedIdentifierPrefix, SNAPSHOT_PREFIX } from '../../shared/rds-names';
import type { AllowedRestoreResources } from './allowed-resources';
import { renameCluster, restoringCluster } from './cluster-swap';
import { preservedIdentifierFor, sameIdentifier } from './identifiers';
import { renameInstance, restoringInstance } from './instance-swap';
import { BUSY_RDS_ERRORS, FATAL_RDS_ERRORS } from './rds-errors';
import { type DatabaseRestoreProgress, type Step, SwapContext } from './swap-context';

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

export {
  type AllowedRestoreResources,
  type DiscoveredRestoreResources,
  disallowedResources,
  discoveredFromCluster,
  discoveredFromInstance,
} from './allowed-resources';
export { preservedIdentifierFor, type RestoreTagInput, restoredMemberIdentifier, restoreTags } from './identifiers';
export {
  clusterRestoreInput,
  instanceRestoreInput,
  isAuroraEngine,
  memberInstanceInput,
  orderedMembers,
  type RestoreTarget,
} from './restore-inputs';
export type { DatabaseRestoreProgress } from './swap-context';

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

class RdsDatabaseRestore implements DatabaseRestoreTool {
  private readonly label: string;
  private readonly swap: SwapContext;

  constructor(
    client: RDSClient,
    readonly kind: DatabaseKind,
    private readonly identifier: string,
    options: DatabaseRestoreOptions,
  ) {
    this.label = kind === 'instance' ? 'DB instance' : 'DB cluster';
    if (!isValidRdsIdentifier(identifier.toLowerCase())) {
      throw new ConfigurationError(`'${identifier}' is not a valid RDS ${this.label} identifier`);
    }
    this.swap = new SwapContext(
      client,
      this.label,
      identifier,
      options.clock ?? (() => new Date()),
      options.allowedResources,
    );
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
          ? await renameInstance(this.swap, next, progress.polls, deploymentName)
          : await renameCluster(this.swap, next, progress.polls, deploymentName);
      }
      return this.kind === 'instance'
        ? await restoringInstance(this.swap, next)
        : await restoringCluster(this.swap, next);
    } catch (error) {
      const name = errorName(error);
      if (name !== undefined && BUSY_RDS_ERRORS.has(name)) {
        return {
          ...next,
          reason: `RDS refused the step for now (${name}: ${errorMessage(error)}); retrying next poll`,
        };
      }
      if (name !== undefined && FATAL_RDS_ERRORS.has(name)) {
        return this.swap.failed(next, `${name}: ${errorMessage(error)}`);
      }
      throw error;
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
}
