import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { RollbackState } from '../../shared/cutover-contracts';
import { ConfigurationError, unlessNotFound } from '../../shared/errors';
import { TAG_RESTORED_FROM } from '../../shared/rds-names';
import {
  type AllowedRestoreResources,
  type DiscoveredRestoreResources,
  disallowedResources,
} from './allowed-resources';
import { isOurRestore, restoreTags } from './identifiers';
import { orderedMembers, type RestoreTarget } from './restore-inputs';

/**
 * What the instance and the cluster steps share: the RDS client, the target's label and identifier, the reads
 * (`describe…`), the checks before a mutating call, and the shapes of the returned progress (waiting, failed).
 */

export type DatabaseRestoreProgress = NonNullable<RollbackState['database']>;

/** The progress a step takes in (with `polls` already counted) and returns. */
export type Step = DatabaseRestoreProgress;

export class SwapContext {
  constructor(
    readonly client: RDSClient,
    /** `DB instance` or `DB cluster`, for messages. */
    readonly label: string,
    private readonly identifier: string,
    private readonly clock: () => Date,
    private readonly allowed: AllowedRestoreResources | undefined,
  ) {}

  restoreTarget(next: Step, preservedTags: Tag[] | undefined, deploymentName: string | undefined): RestoreTarget {
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

  notAvailableYet(next: Step, status: string | undefined): string {
    if (status === 'renaming') {
      return `the rename of '${next.originalIdentifier}' to '${next.preservedIdentifier}' is in progress`;
    }
    return (
      `${this.label} '${next.originalIdentifier}' is '${status ?? 'unknown'}'; the rename to ` +
      `'${next.preservedIdentifier}' waits for 'available'`
    );
  }

  bothExist(next: Step, facts: { sameResource: boolean; ours: boolean }): Step {
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
  neitherFound(next: Step, pollsBefore: number): Step {
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

  restoredProblem(next: Step, tags: Tag[] | undefined, exists: boolean): string | undefined {
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

  waiting(next: Step, reason: string): Step {
    return { ...next, reason };
  }

  failed(next: Step, reason: string): Step {
    return {
      ...next,
      status: 'FAILED',
      reason: `${reason}. The preserved database '${next.preservedIdentifier}' (if it exists) holds the pre-rollback data`,
    };
  }

  assertAllowed(discovered: DiscoveredRestoreResources): void {
    const problems = disallowedResources(discovered, this.allowed);
    if (problems.length > 0) {
      throw new ConfigurationError(
        `restoring ${this.label} '${this.identifier}' would use resources the stack does not allow (and its IAM ` +
          `policy does not cover): ${problems.join('; ')}. Add them to the configuration, or restore by hand`,
      );
    }
  }

  async describeInstance(identifier: string): Promise<DBInstance | undefined> {
    const output = await unlessNotFound('DBInstanceNotFoundFault', () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
    );
    return output?.DBInstances?.[0];
  }

  async describeCluster(identifier: string): Promise<DBCluster | undefined> {
    const output = await unlessNotFound('DBClusterNotFoundFault', () =>
      this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })),
    );
    return output?.DBClusters?.[0];
  }

  /** The cluster's member instances, one Describe each (scoped ARNs; no account-wide listing). */
  async describeMembers(cluster: DBCluster): Promise<DBInstance[]> {
    const members: DBInstance[] = [];
    for (const member of orderedMembers(cluster)) {
      const instance = await this.describeInstance(member.DBInstanceIdentifier ?? '');
      if (instance !== undefined) members.push(instance);
    }
    return members;
  }
}
