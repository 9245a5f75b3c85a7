import {
  CreateDBSnapshotCommand,
  type CreateDBSnapshotCommandInput,
  type DBInstance,
  DeleteDBInstanceCommand,
  type DeleteDBInstanceCommandInput,
  DescribeDBInstancesCommand,
  type DescribeDBInstancesCommandInput,
  DescribeDBProxiesCommand,
  DescribeDBSnapshotsCommand,
  type DescribeDBSnapshotsCommandInput,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceCommandInput,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
} from '@aws-sdk/client-rds';
import type { BackupMetadata } from '../../lambdas/shared/contracts';
import type { CallLog } from './call-log';
import type { VirtualClock } from './clock';
import { RdsInstances } from './rds-instances';
import type { RestoreBehaviour, SnapshotBehaviour } from './rds-shapes';
import { RdsSnapshots } from './rds-snapshots';
import { simulateClient, simulatedClientConfig } from './sdk-stub';

/**
 * RDS of the simulated production: the instance `shop-prod-db` (PostgreSQL 16.4, Multi-AZ, gp3, encrypted), its
 * manual snapshots (the backup tool's), and the database restore: a restore creates an instance (`creating` for two
 * Describes) from an available snapshot, a security group change shows `modifying` for one Describe, a rename moves
 * the instance to its new identifier at once (`renaming` for one Describe), a deletion removes it at once. No RDS
 * Proxy exists.
 * This module holds the client and the inspectors; the snapshots are in rds-snapshots.ts, the instances (restore,
 * rename, fence, deletion) in rds-instances.ts, the pure shapes and behaviours in rds-shapes.ts.
 */

export {
  type RestoreBehaviour,
  SIM_DB_KMS_KEY,
  SIM_FENCE_SECURITY_GROUP,
  type SnapshotBehaviour,
} from './rds-shapes';

export class SimulatedRds {
  /** Calls in the foundation's format (`CreateDBSnapshot <id>`, `DescribeDBSnapshots <id>`, …). */
  readonly rdsCalls: string[] = [];
  private readonly snapshotStore: RdsSnapshots;
  private readonly instanceStore: RdsInstances;
  private client: RDSClient | undefined;

  constructor(
    clock: VirtualClock,
    private readonly log: CallLog,
    snapshot: SnapshotBehaviour,
    restore: RestoreBehaviour,
  ) {
    this.snapshotStore = new RdsSnapshots(clock, snapshot, (identifier) => this.instanceStore.has(identifier));
    this.instanceStore = new RdsInstances(clock, restore, this.snapshotStore);
  }

  /** Identifiers of the instances that exist now, sorted. */
  databaseInstances(): string[] {
    return this.instanceStore.identifiers();
  }

  /** A copy of an instance as RDS would describe it now (without counting as a Describe), or undefined. */
  instance(identifier: string): DBInstance | undefined {
    return this.instanceStore.copy(identifier);
  }

  /**
   * An `available` snapshot of the database as the backup tool would have made it for `deploymentName`, for
   * scenarios that start after the backup; returns the verified metadata the restore tool takes.
   */
  seedSnapshot(deploymentName: string): BackupMetadata {
    return this.snapshotStore.seed(deploymentName);
  }

  rdsClient(): RDSClient {
    if (this.client !== undefined) return this.client;
    const client = new RDSClient(simulatedClientConfig());
    const mock = simulateClient(client, 'RDS', this.log);
    const run = <T>(entry: string, handler: () => T) => {
      this.rdsCalls.push(entry);
      return this.log.run(`RDS:${entry}`, handler);
    };
    mock
      .on(CreateDBSnapshotCommand)
      .callsFake((input: CreateDBSnapshotCommandInput) =>
        run(`CreateDBSnapshot ${input.DBSnapshotIdentifier ?? ''}`, () => this.snapshotStore.create(input)),
      );
    mock
      .on(DescribeDBSnapshotsCommand)
      .callsFake((input: DescribeDBSnapshotsCommandInput) =>
        run(`DescribeDBSnapshots ${input.DBSnapshotIdentifier ?? ''}`, () => this.snapshotStore.describe(input)),
      );
    mock
      .on(DescribeDBInstancesCommand)
      .callsFake((input: DescribeDBInstancesCommandInput) =>
        run(`DescribeDBInstances ${input.DBInstanceIdentifier ?? ''}`, () =>
          this.instanceStore.describeInstances(input),
        ),
      );
    mock
      .on(ModifyDBInstanceCommand)
      .callsFake((input: ModifyDBInstanceCommandInput) =>
        run(
          `ModifyDBInstance ${input.DBInstanceIdentifier ?? ''} rename=${input.NewDBInstanceIdentifier ?? '(none)'}`,
          () => this.instanceStore.modifyInstance(input),
        ),
      );
    mock
      .on(DeleteDBInstanceCommand)
      .callsFake((input: DeleteDBInstanceCommandInput) =>
        run(`DeleteDBInstance ${input.DBInstanceIdentifier ?? ''}`, () => this.instanceStore.deleteInstance(input)),
      );
    mock.on(DescribeDBProxiesCommand).callsFake(() => run('DescribeDBProxies', () => ({ DBProxies: [] })));
    mock
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .callsFake((input: RestoreDBInstanceFromDBSnapshotCommandInput) =>
        run(
          `RestoreDBInstanceFromDBSnapshot ${input.DBInstanceIdentifier ?? ''} from=${input.DBSnapshotIdentifier ?? ''}`,
          () => this.instanceStore.restoreInstance(input),
        ),
      );
    this.client = client;
    return client;
  }
}
