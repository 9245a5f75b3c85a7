import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { errorName } from '../../shared/errors';
import { TAG_PROMOTED } from '../../shared/rds-names';
import { discoveredFromCluster } from './allowed-resources';
import { isPromoted, restoredMemberIdentifier, restoreTags, sameIdentifier } from './identifiers';
import { FAILED_STATUSES } from './rds-errors';
import { clusterRestoreInput, compact, isAuroraEngine, memberInstanceInput, orderedMembers } from './restore-inputs';
import { clusterSettingsMismatches, memberSettingsMismatches } from './settings';
import {
  activeGroups,
  type DatabaseView,
  type InspectedSource,
  type Preparation,
  type RdsReads,
  type Step,
  type SwapTarget,
} from './swap-context';

/**
 * The swap's calls for a DB cluster. Aurora restores the cluster without instances: one instance per source member is
 * created in the copy (the writer's first), one per call, named after the copy and tagged TAG_TEMPORARY_MEMBER.
 * A cluster rename keeps its members' names, so the copy's members become production's under those names: before the
 * copy takes production's name they are tagged TAG_PROMOTED, which the role can never remove and which ends its
 * right to delete them (or to tag them again), in this rollback and every later one.
 */

function view(cluster: DBCluster): DatabaseView {
  const groups = activeGroups(cluster.VpcSecurityGroups);
  return {
    identifier: cluster.DBClusterIdentifier ?? '',
    status: cluster.Status ?? 'unknown',
    resourceId: cluster.DbClusterResourceId,
    securityGroupIds: groups.ids,
    securityGroupsChanging: groups.changing,
    deletionProtection: cluster.DeletionProtection ?? false,
    tags: cluster.TagList ?? [],
  };
}

export class ClusterSwap implements SwapTarget {
  readonly label = 'DB cluster';

  constructor(
    private readonly reads: RdsReads,
    private readonly clock: () => Date,
  ) {}

  async describe(identifier: string): Promise<DatabaseView | undefined> {
    const cluster = await this.reads.cluster(identifier);
    return cluster === undefined ? undefined : view(cluster);
  }

  async inspect(identifier: string): Promise<InspectedSource | undefined> {
    const source = await this.reads.cluster(identifier);
    if (source === undefined) return undefined;
    const members = await this.reads.members(source);
    const roles = [source, ...members]
      .filter((item) => (item.MonitoringInterval ?? 0) > 0 && item.MonitoringRoleArn !== undefined)
      .map((item) => item.MonitoringRoleArn ?? '');
    const client = this.reads.client;
    return {
      view: view(source),
      facts: {
        engine: source.Engine,
        engineVersion: source.EngineVersion,
        allocatedStorageGiB: undefined,
        masterUserSecretArn: source.MasterUserSecret?.SecretArn,
        iamDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled === true,
        readReplicas: source.ReadReplicaIdentifiers ?? [],
        monitoringRoleArns: [...new Set(roles)],
        securityGroupIds: activeGroups(source.VpcSecurityGroups).ids,
        discovered: discoveredFromCluster(source, members),
      },
      async restore(step: Step, tags) {
        const input = clusterRestoreInput(source, {
          identifier: step.temporaryIdentifier,
          snapshotIdentifier: step.snapshotIdentifier,
          tags,
        });
        try {
          await client.send(new RestoreDBClusterFromSnapshotCommand(input));
        } catch (error) {
          if (errorName(error) !== 'DBClusterAlreadyExistsFault') throw error;
        }
      },
    };
  }

  async dependents(identifier: string) {
    return {
      proxies: await this.reads.proxiesTargeting(identifier, 'TRACKED_CLUSTER'),
      customEndpoints: await this.reads.customEndpoints(identifier),
    };
  }

  async prepare(step: Step): Promise<Preparation> {
    const copy = await this.reads.created(() => this.reads.cluster(step.temporaryIdentifier));
    if (copy === undefined) {
      return {
        state: 'failed',
        reason: `the restored copy '${step.temporaryIdentifier}' is not found after its restore`,
      };
    }
    const status = copy.Status ?? 'unknown';
    if (FAILED_STATUSES.has(status)) return { state: 'failed', reason: `the restored copy is '${status}'` };
    if (status !== 'available')
      return { state: 'waiting', reason: `the restored copy '${step.temporaryIdentifier}' is '${status}'` };
    const source = await this.reads.cluster(step.originalIdentifier);
    if (source === undefined) return { state: 'failed', reason: `'${step.originalIdentifier}' not found to compare` };
    const mismatches = clusterSettingsMismatches(source, copy);
    if (mismatches.length > 0) {
      return { state: 'failed', reason: `the restored copy differs from the source: ${mismatches.join('; ')}` };
    }
    if (isAuroraEngine(copy.Engine)) {
      const members = await this.members(step, source);
      if (members.state !== 'ready') return members;
    }
    return {
      state: 'ready',
      resourceId: copy.DbClusterResourceId ?? '',
      securityGroupIds: activeGroups(copy.VpcSecurityGroups).ids,
    };
  }

  /** Aurora: the writer's copy first (the first instance of a cluster becomes its writer), then each reader. */
  private async members(step: Step, source: DBCluster): Promise<Preparation> {
    const members = orderedMembers(source);
    if (members.length === 0)
      return { state: 'failed', reason: `'${step.originalIdentifier}' has no instances to copy` };
    const names = members.map((member) =>
      restoredMemberIdentifier(step.originalIdentifier, step.temporaryIdentifier, member.DBInstanceIdentifier ?? ''),
    );
    if (new Set(names).size !== names.length) {
      return { state: 'failed', reason: `two members of '${step.originalIdentifier}' hash to one copy name` };
    }
    const pending: string[] = [];
    const mismatches: string[] = [];
    let writerReady = false;
    for (const [index, member] of members.entries()) {
      const memberIdentifier = member.DBInstanceIdentifier ?? '';
      const newIdentifier = names[index] ?? '';
      const created = await this.reads.instance(newIdentifier);
      if (created === undefined) {
        if (index > 0 && !writerReady) {
          return { state: 'waiting', reason: `waiting for the writer ${pending.join(', ')} before '${newIdentifier}'` };
        }
        const sourceMember = await this.reads.instance(memberIdentifier);
        if (sourceMember === undefined) return { state: 'failed', reason: `member '${memberIdentifier}' not found` };
        try {
          await this.reads.client.send(
            new CreateDBInstanceCommand(
              memberInstanceInput(sourceMember, {
                identifier: newIdentifier,
                clusterIdentifier: step.temporaryIdentifier,
                tags: restoreTags(sourceMember.TagList, {
                  snapshotIdentifier: step.snapshotIdentifier,
                  preservedIdentifier: step.preservedIdentifier,
                  restoredAt: this.clock(),
                  temporaryClusterIdentifier: step.temporaryIdentifier,
                }),
              }),
            ),
          );
        } catch (error) {
          if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throw error;
        }
        return {
          state: 'waiting',
          reason: `creating ${index === 0 ? 'writer' : 'reader'} '${newIdentifier}' (copy of '${memberIdentifier}') in '${step.temporaryIdentifier}'`,
        };
      }
      if (!sameIdentifier(created.DBClusterIdentifier, step.temporaryIdentifier)) {
        return {
          state: 'failed',
          reason: `DB instance '${newIdentifier}' exists but belongs to '${created.DBClusterIdentifier ?? 'no cluster'}'`,
        };
      }
      const status = created.DBInstanceStatus ?? 'unknown';
      if (FAILED_STATUSES.has(status))
        return { state: 'failed', reason: `DB instance '${newIdentifier}' is '${status}'` };
      if (index === 0) writerReady = status === 'available';
      if (status !== 'available') {
        pending.push(`'${newIdentifier}' (${status})`);
        continue;
      }
      const sourceMember = await this.reads.instance(memberIdentifier);
      if (sourceMember !== undefined) mismatches.push(...memberSettingsMismatches(sourceMember, created));
    }
    if (pending.length > 0) return { state: 'waiting', reason: `waiting for ${pending.join(', ')}` };
    if (mismatches.length > 0) {
      return { state: 'failed', reason: `the restored members differ from the source: ${mismatches.join('; ')}` };
    }
    return { state: 'ready', resourceId: '', securityGroupIds: [] };
  }

  async setSecurityGroups(identifier: string, groupIds: readonly string[]): Promise<void> {
    await this.reads.client.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: identifier,
        VpcSecurityGroupIds: [...groupIds],
        ApplyImmediately: true,
      }),
    );
  }

  async rename(from: string, to: string, deletionProtection?: boolean): Promise<void> {
    await this.reads.client.send(
      new ModifyDBClusterCommand(
        compact({
          DBClusterIdentifier: from,
          NewDBClusterIdentifier: to,
          ApplyImmediately: true,
          DeletionProtection: deletionProtection,
        }),
      ),
    );
  }

  /**
   * Just before the copy takes production's name: TAG_PROMOTED on each of its members (idempotent, so a retried step
   * tags only the rest). Before, not after, the rename: no moment exists where production's members may be deleted.
   * Should the rename then fail, the copy stays for the operator (its members can no longer be deleted by the crew).
   */
  async promote(step: Step): Promise<void> {
    const copy = await this.reads.cluster(step.temporaryIdentifier);
    for (const member of copy?.DBClusterMembers ?? []) {
      const identifier = member.DBInstanceIdentifier ?? '';
      const instance = await this.reads.instance(identifier);
      if (instance === undefined || isPromoted(instance.TagList)) continue;
      if (instance.DBInstanceArn === undefined) throw new Error(`RDS returned no ARN for member '${identifier}'`);
      await this.reads.client.send(
        new AddTagsToResourceCommand({
          ResourceName: instance.DBInstanceArn,
          Tags: [{ Key: TAG_PROMOTED, Value: step.originalIdentifier }],
        }),
      );
    }
  }

  /** Members first (a cluster with instances cannot be deleted), then the cluster: one call per step. */
  async removeTemporary(step: Step): Promise<string | undefined> {
    const copy = await this.reads.cluster(step.temporaryIdentifier);
    if (copy === undefined) return undefined;
    if (copy.Status === 'deleting') return `'${step.temporaryIdentifier}' is deleting`;
    for (const member of copy.DBClusterMembers ?? []) {
      const identifier = member.DBInstanceIdentifier ?? '';
      const instance = await this.reads.instance(identifier);
      if (instance === undefined) continue;
      if (instance.DBInstanceStatus === 'deleting') return `member '${identifier}' is deleting`;
      await this.reads.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: identifier }));
      return `deleting member '${identifier}'`;
    }
    await this.reads.client.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: step.temporaryIdentifier, SkipFinalSnapshot: true }),
    );
    return `deleting '${step.temporaryIdentifier}'`;
  }
}
