import {
  CreateDBInstanceCommand,
  type CreateDBInstanceMessage,
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  type ModifyDBClusterMessage,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceMessage,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  type RestoreDBClusterFromSnapshotMessage,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotMessage,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createDatabaseRestore } from '../../../lambdas/tools/database-restore';
import { fault } from '../../support/errors';
import { allowed, clock } from './fixtures';

/**
 * The mocked RDS client of the swap tests and the tools under test. Each test file keeps its own `fake` and resets
 * the mock in its `beforeEach`.
 */

/**
 * An in-memory RDS: just enough behaviour for the swap. A rename leaves the database under its old name with status
 * `renaming` until the test completes it, as RDS does; restores and creations start as `creating`.
 */
export class FakeRds {
  readonly instances = new Map<string, DBInstance>();
  readonly clusters = new Map<string, DBCluster>();
  private readonly renames = new Map<string, string>();
  private nextResourceId = 1;

  install(mock: ReturnType<typeof mockClient>): void {
    mock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
      const instance = this.instances.get((input.DBInstanceIdentifier ?? '').toLowerCase());
      if (instance === undefined) throw fault(DBInstanceNotFoundFault);
      return { DBInstances: [structuredClone(instance)] };
    });
    mock.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
      const cluster = this.clusters.get((input.DBClusterIdentifier ?? '').toLowerCase());
      if (cluster === undefined) throw fault(DBClusterNotFoundFault);
      return { DBClusters: [structuredClone(cluster)] };
    });
    mock.on(ModifyDBInstanceCommand).callsFake((input: ModifyDBInstanceMessage) => {
      const instance = this.requireInstance(input.DBInstanceIdentifier ?? '');
      if (input.NewDBInstanceIdentifier !== undefined) {
        instance.DBInstanceStatus = 'renaming';
        this.renames.set(instance.DBInstanceIdentifier ?? '', input.NewDBInstanceIdentifier);
      }
      return { DBInstance: structuredClone(instance) };
    });
    mock.on(ModifyDBClusterCommand).callsFake((input: ModifyDBClusterMessage) => {
      const cluster = this.clusters.get((input.DBClusterIdentifier ?? '').toLowerCase());
      if (cluster === undefined) throw fault(DBClusterNotFoundFault);
      if (input.NewDBClusterIdentifier !== undefined) {
        cluster.Status = 'renaming';
        this.renames.set(cluster.DBClusterIdentifier ?? '', input.NewDBClusterIdentifier);
      }
      return { DBCluster: structuredClone(cluster) };
    });
    mock.on(RestoreDBInstanceFromDBSnapshotCommand).callsFake((input: RestoreDBInstanceFromDBSnapshotMessage) => {
      const identifier = input.DBInstanceIdentifier ?? '';
      if (this.instances.has(identifier)) throw fault(DBInstanceAlreadyExistsFault);
      const instance: DBInstance = {
        DBInstanceIdentifier: identifier,
        DBInstanceStatus: 'creating',
        DbiResourceId: `db-RESTORED-${this.nextResourceId++}`,
        TagList: input.Tags,
      };
      this.instances.set(identifier, instance);
      return { DBInstance: structuredClone(instance) };
    });
    mock.on(RestoreDBClusterFromSnapshotCommand).callsFake((input: RestoreDBClusterFromSnapshotMessage) => {
      const identifier = input.DBClusterIdentifier ?? '';
      const cluster: DBCluster = {
        DBClusterIdentifier: identifier,
        Status: 'creating',
        Engine: input.Engine,
        DbClusterResourceId: `cluster-RESTORED-${this.nextResourceId++}`,
        DBClusterMembers: [],
        TagList: input.Tags,
      };
      this.clusters.set(identifier, cluster);
      return { DBCluster: structuredClone(cluster) };
    });
    mock.on(CreateDBInstanceCommand).callsFake((input: CreateDBInstanceMessage) => {
      const identifier = input.DBInstanceIdentifier ?? '';
      if (this.instances.has(identifier)) throw fault(DBInstanceAlreadyExistsFault);
      const instance: DBInstance = {
        DBInstanceIdentifier: identifier,
        DBInstanceStatus: 'creating',
        DBClusterIdentifier: input.DBClusterIdentifier,
        TagList: input.Tags,
      };
      this.instances.set(identifier, instance);
      return { DBInstance: structuredClone(instance) };
    });
  }

  completeRenames(): void {
    for (const [from, to] of this.renames) {
      for (const store of [this.instances, this.clusters] as Map<string, DBInstance | DBCluster>[]) {
        const item = store.get(from);
        if (item === undefined) continue;
        store.delete(from);
        if ('DBInstanceStatus' in item || 'DbiResourceId' in item) {
          const instance = item as DBInstance;
          instance.DBInstanceIdentifier = to;
          instance.DBInstanceStatus = 'available';
        } else {
          const cluster = item as DBCluster;
          cluster.DBClusterIdentifier = to;
          cluster.Status = 'available';
          // Member instances keep their names and follow the cluster.
          for (const instance of this.instances.values()) {
            if (instance.DBClusterIdentifier === from) instance.DBClusterIdentifier = to;
          }
        }
        store.set(to, item);
      }
    }
    this.renames.clear();
  }

  setInstanceStatus(identifier: string, status: string): void {
    this.requireInstance(identifier).DBInstanceStatus = status;
  }

  setClusterStatus(identifier: string, status: string): void {
    const cluster = this.clusters.get(identifier);
    if (cluster === undefined) throw new Error(`no cluster ${identifier}`);
    cluster.Status = status;
  }

  private requireInstance(identifier: string): DBInstance {
    const instance = this.instances.get(identifier.toLowerCase());
    if (instance === undefined) throw fault(DBInstanceNotFoundFault);
    return instance;
  }
}

export const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });

export function sentCommandNames(): string[] {
  return rds.calls().map((call) => (call.args[0] as object).constructor.name);
}

export function instanceTool() {
  return createDatabaseRestore(
    client,
    { kind: 'instance', identifier: 'app-db' },
    { clock, allowedResources: allowed },
  );
}

export function clusterTool() {
  return createDatabaseRestore(client, { kind: 'cluster', identifier: 'orders' }, { clock, allowedResources: allowed });
}
