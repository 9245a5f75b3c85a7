import {
  type DBInstance,
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { errorName } from '../../shared/errors';
import { discoveredFromInstance } from './allowed-resources';
import { FAILED_STATUSES } from './rds-errors';
import { compact, instanceFollowUpModify, instanceRestoreInput } from './restore-inputs';
import { instanceSettingsMismatches } from './settings';
import {
  activeGroups,
  type DatabaseView,
  type InspectedSource,
  type Preparation,
  type RdsReads,
  type Step,
  type SwapTarget,
} from './swap-context';

/** The swap's calls for a DB instance. */

function view(instance: DBInstance): DatabaseView {
  const groups = activeGroups(instance.VpcSecurityGroups);
  return {
    identifier: instance.DBInstanceIdentifier ?? '',
    status: instance.DBInstanceStatus ?? 'unknown',
    resourceId: instance.DbiResourceId,
    securityGroupIds: groups.ids,
    securityGroupsChanging: groups.changing,
    deletionProtection: instance.DeletionProtection ?? false,
    tags: instance.TagList ?? [],
  };
}

export class InstanceSwap implements SwapTarget {
  readonly label = 'DB instance';

  constructor(private readonly reads: RdsReads) {}

  async describe(identifier: string): Promise<DatabaseView | undefined> {
    const instance = await this.reads.instance(identifier);
    return instance === undefined ? undefined : view(instance);
  }

  async inspect(identifier: string): Promise<InspectedSource | undefined> {
    const source = await this.reads.instance(identifier);
    if (source === undefined) return undefined;
    const client = this.reads.client;
    return {
      view: view(source),
      unsupported:
        source.DBClusterIdentifier === undefined
          ? undefined
          : `DB instance '${identifier}' belongs to DB cluster '${source.DBClusterIdentifier}': configure the database as a cluster`,
      facts: {
        engine: source.Engine,
        engineVersion: source.EngineVersion,
        allocatedStorageGiB: source.AllocatedStorage,
        masterUserSecretArn: source.MasterUserSecret?.SecretArn,
        iamDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled === true,
        readReplicas: [
          ...(source.ReadReplicaDBInstanceIdentifiers ?? []),
          ...(source.ReadReplicaDBClusterIdentifiers ?? []),
        ],
        monitoringRoleArns:
          (source.MonitoringInterval ?? 0) > 0 && source.MonitoringRoleArn !== undefined
            ? [source.MonitoringRoleArn]
            : [],
        securityGroupIds: activeGroups(source.VpcSecurityGroups).ids,
        discovered: discoveredFromInstance(source),
      },
      async restore(step: Step, tags) {
        const input = instanceRestoreInput(source, {
          identifier: step.temporaryIdentifier,
          snapshotIdentifier: step.snapshotIdentifier,
          tags,
        });
        try {
          await client.send(new RestoreDBInstanceFromDBSnapshotCommand(input));
        } catch (error) {
          // An earlier attempt's call went through; RESTORING checks that the copy is ours.
          if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throw error;
        }
      },
    };
  }

  async dependents(identifier: string) {
    return { proxies: await this.reads.proxiesTargeting(identifier, 'RDS_INSTANCE'), customEndpoints: [] };
  }

  async prepare(step: Step): Promise<Preparation> {
    const copy = await this.reads.created(() => this.reads.instance(step.temporaryIdentifier));
    if (copy === undefined) {
      return {
        state: 'failed',
        reason: `the restored copy '${step.temporaryIdentifier}' is not found after its restore`,
      };
    }
    const status = copy.DBInstanceStatus ?? 'unknown';
    if (FAILED_STATUSES.has(status)) return { state: 'failed', reason: `the restored copy is '${status}'` };
    if (status !== 'available')
      return { state: 'waiting', reason: `the restored copy '${step.temporaryIdentifier}' is '${status}'` };
    const source = await this.reads.instance(step.originalIdentifier);
    if (source === undefined) return { state: 'failed', reason: `'${step.originalIdentifier}' not found to compare` };
    const modify = instanceFollowUpModify(source, step.temporaryIdentifier);
    if (modify !== undefined && step.restoreModified !== true) {
      await this.reads.client.send(new ModifyDBInstanceCommand(modify));
      return {
        state: 'waiting',
        modified: true,
        reason: `setting monitoring / Performance Insights / storage autoscaling on '${step.temporaryIdentifier}' (a restore cannot)`,
      };
    }
    const pending = Object.entries(copy.PendingModifiedValues ?? {}).filter(([, value]) => value !== undefined);
    if (pending.length > 0) {
      return {
        state: 'waiting',
        reason: `'${step.temporaryIdentifier}' has pending changes: ${pending.map(([key]) => key).join(', ')}`,
      };
    }
    const mismatches = instanceSettingsMismatches(source, copy);
    if (mismatches.length > 0) {
      return { state: 'failed', reason: `the restored copy differs from the source: ${mismatches.join('; ')}` };
    }
    return {
      state: 'ready',
      resourceId: copy.DbiResourceId ?? '',
      securityGroupIds: activeGroups(copy.VpcSecurityGroups).ids,
    };
  }

  async setSecurityGroups(identifier: string, groupIds: readonly string[]): Promise<void> {
    await this.reads.client.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: identifier,
        VpcSecurityGroupIds: [...groupIds],
        ApplyImmediately: true,
      }),
    );
  }

  async rename(from: string, to: string, deletionProtection?: boolean): Promise<void> {
    await this.reads.client.send(
      new ModifyDBInstanceCommand(
        compact({
          DBInstanceIdentifier: from,
          NewDBInstanceIdentifier: to,
          ApplyImmediately: true,
          DeletionProtection: deletionProtection,
        }),
      ),
    );
  }

  async removeTemporary(step: Step): Promise<string | undefined> {
    const copy = await this.reads.instance(step.temporaryIdentifier);
    if (copy === undefined) return undefined;
    if (copy.DBInstanceStatus === 'deleting') return `'${step.temporaryIdentifier}' is deleting`;
    try {
      await this.reads.client.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: step.temporaryIdentifier,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
    } catch (error) {
      if (errorName(error) === 'DBInstanceNotFoundFault') return undefined;
      throw error;
    }
    return `deleting '${step.temporaryIdentifier}'`;
  }
}
