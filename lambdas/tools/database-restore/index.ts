import type { RDSClient } from '@aws-sdk/client-rds';
import type { SwapBreak } from '../../shared/config/rollback-coordinator';
import type { BackupMetadata, DatabaseKind } from '../../shared/contracts';
import { ConfigurationError, errorMessage, errorName, InvalidInputError } from '../../shared/errors';
import {
  isValidRdsIdentifier,
  preservedIdentifierPrefix,
  SNAPSHOT_PREFIX,
  temporaryIdentifierPrefix,
} from '../../shared/rds-names';
import type { AllowedRestoreResources } from './allowed-resources';
import { ClusterSwap } from './cluster-swap';
import { preservedIdentifierFor, sameIdentifier, temporaryIdentifierFor } from './identifiers';
import { InstanceSwap } from './instance-swap';
import type { GroupFacts, KeyManager } from './prechecks';
import { BUSY_RDS_ERRORS, FATAL_RDS_ERRORS } from './rds-errors';
import { type DatabaseRestoreProgress, RdsReads, type Step, type SwapSettings, type SwapTarget } from './swap-context';
import {
  checking,
  cleaningUp,
  fencing,
  onFatal,
  recovering,
  renaming,
  restoring,
  type StepContext,
} from './swap-steps';

/**
 * database_restore_tool: puts the pre-deployment snapshot back under the production database's identifier, so the
 * endpoint (DNS name) the application connects to stays the same. RDS cannot restore in place: the snapshot is
 * restored beside production first, and only a verified copy is swapped in (see swap-steps for the phases). Until
 * the swap, a failure leaves production untouched; during it, a failure is undone (production renamed back and
 * unfenced). The preserved database keeps every write made after the snapshot and is never deleted by this tool.
 *
 * Nothing is carried between calls but the progress object: settings are re-read from the databases each time.
 */

export {
  type AllowedRestoreResources,
  type DiscoveredRestoreResources,
  disallowedResources,
  discoveredFromCluster,
  discoveredFromInstance,
} from './allowed-resources';
export { ec2SecurityGroups } from './ec2-groups';
export {
  preservedIdentifierFor,
  type RestoreTagInput,
  restoredMemberIdentifier,
  restoreTags,
  temporaryIdentifierFor,
} from './identifiers';
export { kmsKeyManager } from './kms-keys';
export { type CheckResult, type Dependents, type KeyManager, precheck, type SourceFacts } from './prechecks';
export {
  clusterRestoreInput,
  instanceFollowUpModify,
  instanceRestoreInput,
  isAuroraEngine,
  memberInstanceInput,
  orderedMembers,
  type RestoreTarget,
} from './restore-inputs';
export { clusterSettingsMismatches, instanceSettingsMismatches } from './settings';
export { type DatabaseRestoreProgress, NOT_FOUND_RETRY_DELAYS_MS } from './swap-context';

export interface DatabaseRestoreTool {
  readonly kind: DatabaseKind;
  /** The initial progress (CHECKING) of a restore of `snapshot`; no AWS call. ConfigurationError for a foreign snapshot. */
  plan(snapshot: BackupMetadata, deploymentName: string): DatabaseRestoreProgress;
  /**
   * One step (at most one mutating call), `polls` + 1. AVAILABLE and FAILED are returned unchanged. `reason`
   * describes the step (the failure when FAILED; `refused` when no AWS resource was touched). Transient AWS errors
   * propagate for the caller to retry; InvalidInput when `progress` does not belong to this target and snapshot.
   */
  advance(
    progress: DatabaseRestoreProgress,
    snapshot: BackupMetadata,
    deploymentName?: string,
  ): Promise<DatabaseRestoreProgress>;
}

export interface DatabaseRestoreOptions {
  readonly clock?: () => Date;
  /** Waits between the NotFound retries right after a create call. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly allowedResources?: AllowedRestoreResources;
  /** A security group with no ingress, put on production before the renames. Without it every restore is refused. */
  readonly fenceSecurityGroupId?: string;
  /** Breaks of the swap accepted (then listed as follow-ups); any other is refused. @default none */
  readonly acknowledgedBreaks?: readonly SwapBreak[];
  /** Keep a restored copy that failed before the swap. @default false (it is deleted) */
  readonly keepTemporaryCopyOnFailure?: boolean;
  /**
   * The last step (`polls`) at which production may still be fenced: the steps after it are kept for the fence, the
   * renames and, should they fail, putting production back. A copy ready later fails before the swap.
   * @default no limit (the caller bounds the steps some other way)
   */
  readonly lastFencePoll?: number;
  /** The key an encrypted snapshot must use when it is customer managed. @default none */
  readonly kmsKeyArn?: string;
  /**
   * Who manages a key (kmsKeyManager): a snapshot under the AWS managed aws/rds key needs no `kmsKeyArn`.
   * @default - unknown: every encrypted snapshot needs `kmsKeyArn`
   */
  readonly keyManagerOf?: (keyId: string) => Promise<KeyManager>;
  /**
   * Reads security groups (ec2SecurityGroups): the fence must exist, be in the database's VPC and let nothing in.
   * @default - not read: only the configured fence and the database's own groups are compared
   */
  readonly securityGroupsOf?: (groupIds: readonly string[]) => Promise<ReadonlyMap<string, GroupFacts>>;
  /** The Enhanced Monitoring role the copy may be given. @default none: a database with Enhanced Monitoring is refused */
  readonly monitoringRoleArn?: string;
  /** Only snapshots whose identifier starts with this are restored. @default SNAPSHOT_PREFIX */
  readonly snapshotPrefix?: string;
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
  private readonly target: SwapTarget;
  private readonly settings: SwapSettings;
  private readonly clock: () => Date;
  private readonly snapshotPrefix: string;
  private readonly keyManagerOf: (keyId: string) => Promise<KeyManager>;
  private readonly securityGroupsOf:
    | ((groupIds: readonly string[]) => Promise<ReadonlyMap<string, GroupFacts>>)
    | undefined;

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
    this.clock = options.clock ?? (() => new Date());
    const reads = new RdsReads(client, options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))));
    this.target = kind === 'instance' ? new InstanceSwap(reads) : new ClusterSwap(reads, this.clock);
    this.snapshotPrefix = options.snapshotPrefix ?? SNAPSHOT_PREFIX;
    this.keyManagerOf = options.keyManagerOf ?? (async () => undefined);
    this.securityGroupsOf = options.securityGroupsOf;
    this.settings = {
      fenceSecurityGroupId: options.fenceSecurityGroupId,
      acknowledgedBreaks: options.acknowledgedBreaks ?? [],
      kmsKeyArn: options.kmsKeyArn,
      monitoringRoleArn: options.monitoringRoleArn,
      allowedResources: options.allowedResources,
      keepTemporaryCopyOnFailure: options.keepTemporaryCopyOnFailure ?? false,
      lastFencePoll: options.lastFencePoll,
    };
  }

  plan(snapshot: BackupMetadata, deploymentName: string): DatabaseRestoreProgress {
    this.assertOwnSnapshot(snapshot);
    return {
      status: 'CHECKING',
      polls: 0,
      originalIdentifier: this.identifier,
      preservedIdentifier: preservedIdentifierFor(this.identifier, deploymentName),
      temporaryIdentifier: temporaryIdentifierFor(this.identifier, deploymentName),
      snapshotIdentifier: snapshot.identifier,
    };
  }

  async advance(progress: Step, snapshot: BackupMetadata, deploymentName?: string): Promise<Step> {
    this.assertOwnSnapshot(snapshot);
    this.assertOwnProgress(progress, snapshot, deploymentName);
    if (progress.status === 'AVAILABLE' || progress.status === 'FAILED') return progress;

    const next: Step = { ...progress, polls: progress.polls + 1 };
    const context: StepContext = {
      target: this.target,
      settings: this.settings,
      clock: this.clock,
      snapshot,
      deploymentName,
      keyManagerOf: this.keyManagerOf,
      securityGroupsOf: this.securityGroupsOf,
    };
    try {
      switch (next.status) {
        case 'CHECKING':
          return await checking(context, next);
        case 'RESTORING':
          return await restoring(context, next);
        case 'FENCING':
          return await fencing(context, next);
        case 'RENAMING':
          return await renaming(context, next);
        case 'RECOVERING':
          return await recovering(context, next);
        default:
          return await cleaningUp(context, next);
      }
    } catch (error) {
      const name = errorName(error);
      if (name !== undefined && BUSY_RDS_ERRORS.has(name)) {
        return {
          ...next,
          reason: `RDS refused the step for now (${name}: ${errorMessage(error)}); retrying next poll`,
        };
      }
      if (name !== undefined && FATAL_RDS_ERRORS.has(name)) return onFatal(next, `${name}: ${errorMessage(error)}`);
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
    if (!snapshot.identifier.startsWith(this.snapshotPrefix)) {
      throw new ConfigurationError(
        `snapshot '${snapshot.identifier}' was not made by this stack's DeploymentCrew (no '${this.snapshotPrefix}' ` +
          'prefix); the tool only restores its own snapshots',
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
    const names: [string, string, string, (id: string, name: string) => string][] = [
      ['preserved', progress.preservedIdentifier, preservedIdentifierPrefix(this.identifier), preservedIdentifierFor],
      ['temporary', progress.temporaryIdentifier, temporaryIdentifierPrefix(this.identifier), temporaryIdentifierFor],
    ];
    for (const [what, value, prefix, derive] of names) {
      if (
        !isValidRdsIdentifier(value) ||
        !value.startsWith(prefix) ||
        !/^[0-9a-f]{8}$/.test(value.slice(prefix.length))
      ) {
        problems.push(`${what} identifier '${value}' is not of the form '${prefix}<8 hex>'`);
      } else if (deploymentName !== undefined && value !== derive(this.identifier, deploymentName)) {
        problems.push(`${what} identifier '${value}' does not belong to deployment '${deploymentName}'`);
      }
    }
    if (problems.length > 0) {
      throw new InvalidInputError(`database restore progress does not match this restore: ${problems.join('; ')}`);
    }
  }
}
