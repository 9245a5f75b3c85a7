import {
  AddTagsToResourceCommand,
  type AddTagsToResourceMessage,
  CreateDBInstanceCommand,
  type CreateDBInstanceMessage,
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterEndpointsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBProxiesCommand,
  DescribeDBProxyTargetsCommand,
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
import type { BackupMetadata } from '../../../lambdas/shared/contracts';
import {
  createDatabaseRestore,
  type DatabaseRestoreOptions,
  type DatabaseRestoreProgress,
  type DatabaseRestoreTool,
} from '../../../lambdas/tools/database-restore';
import { fault } from '../../support/errors';
import { allowed, clock, DEPLOYMENT, FENCE_SG, KMS_KEY } from './fixtures';

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
  /** Proxy name → identifiers its targets name (RDS_INSTANCE for instances, TRACKED_CLUSTER for clusters). */
  readonly proxies = new Map<string, string[]>();
  /** Cluster → its custom endpoint names. */
  readonly customEndpoints = new Map<string, string[]>();
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
      if (input.VpcSecurityGroupIds !== undefined) {
        // Applied at once here; RDS shows `modifying` for a while, which the tests set themselves.
        instance.VpcSecurityGroups = input.VpcSecurityGroupIds.map((id) => ({
          VpcSecurityGroupId: id,
          Status: 'active',
        }));
      }
      if (input.MonitoringInterval !== undefined) {
        instance.MonitoringInterval = input.MonitoringInterval;
        instance.MonitoringRoleArn = input.MonitoringRoleArn;
      }
      if (input.EnablePerformanceInsights !== undefined)
        instance.PerformanceInsightsEnabled = input.EnablePerformanceInsights;
      if (input.DeletionProtection !== undefined) instance.DeletionProtection = input.DeletionProtection;
      if (input.NewDBInstanceIdentifier !== undefined) {
        instance.DBInstanceStatus = 'renaming';
        this.renames.set(instance.DBInstanceIdentifier ?? '', input.NewDBInstanceIdentifier);
      }
      return { DBInstance: structuredClone(instance) };
    });
    mock.on(ModifyDBClusterCommand).callsFake((input: ModifyDBClusterMessage) => {
      const cluster = this.clusters.get((input.DBClusterIdentifier ?? '').toLowerCase());
      if (cluster === undefined) throw fault(DBClusterNotFoundFault);
      if (input.VpcSecurityGroupIds !== undefined) {
        cluster.VpcSecurityGroups = input.VpcSecurityGroupIds.map((id) => ({
          VpcSecurityGroupId: id,
          Status: 'active',
        }));
      }
      if (input.DeletionProtection !== undefined) cluster.DeletionProtection = input.DeletionProtection;
      if (input.NewDBClusterIdentifier !== undefined) {
        cluster.Status = 'renaming';
        this.renames.set(cluster.DBClusterIdentifier ?? '', input.NewDBClusterIdentifier);
      }
      return { DBCluster: structuredClone(cluster) };
    });
    mock.on(RestoreDBInstanceFromDBSnapshotCommand).callsFake((input: RestoreDBInstanceFromDBSnapshotMessage) => {
      const identifier = input.DBInstanceIdentifier ?? '';
      if (this.instances.has(identifier)) throw fault(DBInstanceAlreadyExistsFault);
      // What RDS makes of the request: the fields it takes, the rest RDS defaults.
      const instance: DBInstance = {
        DBInstanceIdentifier: identifier,
        DBInstanceStatus: 'creating',
        DbiResourceId: `db-RESTORED-${this.nextResourceId++}`,
        DBInstanceClass: input.DBInstanceClass,
        Engine: 'postgres',
        EngineVersion: '16.4',
        DBSubnetGroup: { DBSubnetGroupName: input.DBSubnetGroupName },
        VpcSecurityGroups: (input.VpcSecurityGroupIds ?? []).map((id) => ({
          VpcSecurityGroupId: id,
          Status: 'active',
        })),
        DBParameterGroups: [{ DBParameterGroupName: input.DBParameterGroupName }],
        OptionGroupMemberships: [{ OptionGroupName: input.OptionGroupName }],
        // RDS's default CA when none is given.
        CACertificateIdentifier: input.CACertificateIdentifier ?? 'rds-ca-rsa2048-g1',
        MultiAZ: input.MultiAZ,
        Endpoint: { Address: `${identifier}.abc.eu-west-1.rds.amazonaws.com`, Port: input.Port },
        StorageType: input.StorageType,
        AllocatedStorage: input.AllocatedStorage,
        Iops: input.Iops ?? 3000,
        StorageThroughput: input.StorageThroughput ?? 125,
        PubliclyAccessible: input.PubliclyAccessible,
        DeletionProtection: input.DeletionProtection,
        CopyTagsToSnapshot: input.CopyTagsToSnapshot,
        IAMDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication,
        BackupRetentionPeriod: input.BackupRetentionPeriod,
        EnabledCloudwatchLogsExports: input.EnableCloudwatchLogsExports,
        StorageEncrypted: true,
        KmsKeyId: KMS_KEY,
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
        EngineVersion: input.EngineVersion,
        DBSubnetGroup: input.DBSubnetGroupName,
        VpcSecurityGroups: (input.VpcSecurityGroupIds ?? []).map((id) => ({
          VpcSecurityGroupId: id,
          Status: 'active',
        })),
        DBClusterParameterGroup: input.DBClusterParameterGroupName,
        DBClusterOptionGroupMemberships:
          input.OptionGroupName === undefined
            ? []
            : [{ DBClusterOptionGroupName: input.OptionGroupName, Status: 'in-sync' }],
        Port: input.Port,
        DeletionProtection: input.DeletionProtection,
        IAMDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication,
        BackupRetentionPeriod: input.BackupRetentionPeriod,
        EnabledCloudwatchLogsExports: input.EnableCloudwatchLogsExports,
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
        DBInstanceArn: `arn:aws:rds:eu-west-1:123456789012:db:${identifier}`,
        DBInstanceStatus: 'creating',
        DBClusterIdentifier: input.DBClusterIdentifier,
        DBInstanceClass: input.DBInstanceClass,
        DBParameterGroups: [{ DBParameterGroupName: input.DBParameterGroupName }],
        TagList: input.Tags,
      };
      this.instances.set(identifier, instance);
      const cluster = this.clusters.get((input.DBClusterIdentifier ?? '').toLowerCase());
      cluster?.DBClusterMembers?.push({
        DBInstanceIdentifier: identifier,
        IsClusterWriter: cluster.DBClusterMembers.length === 0,
      });
      return { DBInstance: structuredClone(instance) };
    });
    mock.on(AddTagsToResourceCommand).callsFake((input: AddTagsToResourceMessage) => {
      // Instances only (what the swap tags); an instance ARN ends in `:db:<identifier>`.
      const instance = this.requireInstance((input.ResourceName ?? '').split(':db:')[1] ?? '');
      const keys = new Set((input.Tags ?? []).map((tag) => tag.Key));
      instance.TagList = [...(instance.TagList ?? []).filter((tag) => !keys.has(tag.Key)), ...(input.Tags ?? [])];
      return {};
    });
    mock.on(DeleteDBInstanceCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
      const instance = this.requireInstance(input.DBInstanceIdentifier ?? '');
      this.instances.delete(input.DBInstanceIdentifier ?? '');
      for (const cluster of this.clusters.values()) {
        cluster.DBClusterMembers = cluster.DBClusterMembers?.filter(
          (member) => member.DBInstanceIdentifier !== input.DBInstanceIdentifier,
        );
      }
      return { DBInstance: structuredClone(instance) };
    });
    mock.on(DeleteDBClusterCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
      const cluster = this.clusters.get(input.DBClusterIdentifier ?? '');
      if (cluster === undefined) throw fault(DBClusterNotFoundFault);
      this.clusters.delete(input.DBClusterIdentifier ?? '');
      return { DBCluster: structuredClone(cluster) };
    });
    mock.on(DescribeDBProxiesCommand).callsFake(() => ({
      DBProxies: [...this.proxies.keys()].map((name) => ({ DBProxyName: name })),
    }));
    mock.on(DescribeDBProxyTargetsCommand).callsFake((input: { DBProxyName?: string }) => ({
      Targets: (this.proxies.get(input.DBProxyName ?? '') ?? []).map((id) => ({
        RdsResourceId: id,
        Type: this.clusters.has(id) ? 'TRACKED_CLUSTER' : 'RDS_INSTANCE',
      })),
    }));
    mock.on(DescribeDBClusterEndpointsCommand).callsFake((input: { DBClusterIdentifier?: string }) => ({
      DBClusterEndpoints: [
        { DBClusterEndpointIdentifier: `${input.DBClusterIdentifier}-writer`, EndpointType: 'WRITER' },
        ...(this.customEndpoints.get(input.DBClusterIdentifier ?? '') ?? []).map((name) => ({
          DBClusterEndpointIdentifier: name,
          EndpointType: 'CUSTOM',
        })),
      ],
    }));
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

  /** Every `creating` or `modifying` database becomes `available` (what RDS does, in its own time). */
  makeAvailable(): void {
    for (const instance of this.instances.values()) {
      if (instance.DBInstanceStatus === 'creating' || instance.DBInstanceStatus === 'modifying') {
        instance.DBInstanceStatus = 'available';
      }
    }
    for (const cluster of this.clusters.values()) {
      if (cluster.Status === 'creating' || cluster.Status === 'modifying') cluster.Status = 'available';
    }
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

/** Waits the tool asked for (NotFound retries), in ms; nothing really waits. */
export const slept: number[] = [];
const sleep = async (ms: number) => {
  slept.push(ms);
};

export function instanceTool(options: DatabaseRestoreOptions = {}) {
  return createDatabaseRestore(
    client,
    { kind: 'instance', identifier: 'app-db' },
    { clock, sleep, allowedResources: allowed, fenceSecurityGroupId: FENCE_SG, kmsKeyArn: KMS_KEY, ...options },
  );
}

export function clusterTool(options: DatabaseRestoreOptions = {}) {
  return createDatabaseRestore(
    client,
    { kind: 'cluster', identifier: 'orders' },
    { clock, sleep, allowedResources: allowed, fenceSecurityGroupId: FENCE_SG, kmsKeyArn: KMS_KEY, ...options },
  );
}

/** Advances until the status changes or `limit` polls; completes pending renames between polls. */
export async function advanceUntil(
  tool: DatabaseRestoreTool,
  progress: DatabaseRestoreProgress,
  snapshot: BackupMetadata,
  fake: FakeRds,
  stop: (progress: DatabaseRestoreProgress) => boolean,
  limit = 30,
): Promise<DatabaseRestoreProgress> {
  let current = progress;
  for (let i = 0; i < limit && !stop(current); i += 1) {
    current = await tool.advance(current, snapshot, DEPLOYMENT);
    fake.completeRenames();
    fake.makeAvailable();
  }
  return current;
}
