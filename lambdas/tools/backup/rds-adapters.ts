import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { DatabaseKind } from '../../shared/contracts';
import { unlessNotFound } from '../../shared/errors';

/** The two RDS APIs (DB instances and DB clusters) seen through one shape, so the backup tool is written once. */

export interface SnapshotView {
  readonly identifier: string;
  readonly arn: string | undefined;
  readonly sourceIdentifier: string | undefined;
  readonly status: string | undefined;
  readonly createdAt: Date | undefined;
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  readonly allocatedStorage: number | undefined;
  readonly encrypted: boolean | undefined;
  readonly kmsKeyId: string | undefined;
  /** Undefined when RDS did not return tags. */
  readonly tags: readonly Tag[] | undefined;
}

export interface SourceView {
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  readonly allocatedStorage: number | undefined;
  readonly encrypted: boolean | undefined;
  readonly kmsKeyId: string | undefined;
}

export interface RdsAdapter {
  readonly kind: DatabaseKind;
  readonly sourceLabel: string;
  readonly snapshotLabel: string;
  readonly alreadyExistsFault: string;
  createSnapshot(identifier: string, sourceIdentifier: string, tags: Tag[]): Promise<SnapshotView | undefined>;
  describeSnapshot(identifier: string): Promise<SnapshotView | undefined>;
  describeSource(identifier: string): Promise<SourceView | undefined>;
  /** Whether the snapshot's storage size must equal the source's (Aurora's cluster volume grows and shrinks). */
  comparesStorage(source: SourceView): boolean;
}

export function instanceAdapter(client: RDSClient): RdsAdapter {
  const view = (snapshot: DBSnapshot, fallbackIdentifier: string): SnapshotView => ({
    identifier: snapshot.DBSnapshotIdentifier ?? fallbackIdentifier,
    arn: snapshot.DBSnapshotArn,
    sourceIdentifier: snapshot.DBInstanceIdentifier,
    status: snapshot.Status,
    createdAt: snapshot.SnapshotCreateTime,
    engine: snapshot.Engine,
    engineVersion: snapshot.EngineVersion,
    allocatedStorage: snapshot.AllocatedStorage,
    encrypted: snapshot.Encrypted,
    kmsKeyId: snapshot.KmsKeyId,
    tags: snapshot.TagList,
  });
  const sourceView = (instance: DBInstance): SourceView => ({
    engine: instance.Engine,
    engineVersion: instance.EngineVersion,
    allocatedStorage: instance.AllocatedStorage,
    encrypted: instance.StorageEncrypted,
    kmsKeyId: instance.KmsKeyId,
  });
  return {
    kind: 'instance',
    sourceLabel: 'DB instance',
    snapshotLabel: 'DB snapshot',
    alreadyExistsFault: 'DBSnapshotAlreadyExistsFault',
    async createSnapshot(identifier, sourceIdentifier, tags) {
      const output = await client.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: identifier,
          DBInstanceIdentifier: sourceIdentifier,
          Tags: tags,
        }),
      );
      return output.DBSnapshot === undefined ? undefined : view(output.DBSnapshot, identifier);
    },
    async describeSnapshot(identifier) {
      const output = await unlessNotFound('DBSnapshotNotFoundFault', () =>
        client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier })),
      );
      const snapshot = output?.DBSnapshots?.[0];
      return snapshot === undefined ? undefined : view(snapshot, identifier);
    },
    async describeSource(identifier) {
      const output = await unlessNotFound('DBInstanceNotFoundFault', () =>
        client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
      );
      const instance = output?.DBInstances?.[0];
      return instance === undefined ? undefined : sourceView(instance);
    },
    comparesStorage: (source) => source.allocatedStorage !== undefined,
  };
}

export function clusterAdapter(client: RDSClient): RdsAdapter {
  const view = (snapshot: DBClusterSnapshot, fallbackIdentifier: string): SnapshotView => ({
    identifier: snapshot.DBClusterSnapshotIdentifier ?? fallbackIdentifier,
    arn: snapshot.DBClusterSnapshotArn,
    sourceIdentifier: snapshot.DBClusterIdentifier,
    status: snapshot.Status,
    createdAt: snapshot.SnapshotCreateTime,
    engine: snapshot.Engine,
    engineVersion: snapshot.EngineVersion,
    allocatedStorage: snapshot.AllocatedStorage,
    encrypted: snapshot.StorageEncrypted,
    kmsKeyId: snapshot.KmsKeyId,
    tags: snapshot.TagList,
  });
  const sourceView = (cluster: DBCluster): SourceView => ({
    engine: cluster.Engine,
    engineVersion: cluster.EngineVersion,
    allocatedStorage: cluster.AllocatedStorage,
    encrypted: cluster.StorageEncrypted,
    kmsKeyId: cluster.KmsKeyId,
  });
  return {
    kind: 'cluster',
    sourceLabel: 'DB cluster',
    snapshotLabel: 'DB cluster snapshot',
    alreadyExistsFault: 'DBClusterSnapshotAlreadyExistsFault',
    async createSnapshot(identifier, sourceIdentifier, tags) {
      const output = await client.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterSnapshotIdentifier: identifier,
          DBClusterIdentifier: sourceIdentifier,
          Tags: tags,
        }),
      );
      return output.DBClusterSnapshot === undefined ? undefined : view(output.DBClusterSnapshot, identifier);
    },
    async describeSnapshot(identifier) {
      const output = await unlessNotFound('DBClusterSnapshotNotFoundFault', () =>
        client.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier })),
      );
      const snapshot = output?.DBClusterSnapshots?.[0];
      return snapshot === undefined ? undefined : view(snapshot, identifier);
    },
    async describeSource(identifier) {
      const output = await unlessNotFound('DBClusterNotFoundFault', () =>
        client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })),
      );
      const cluster = output?.DBClusters?.[0];
      return cluster === undefined ? undefined : sourceView(cluster);
    },
    // An Aurora cluster volume has no fixed size (DescribeDBClusters reports 1 or the current, varying size), so only
    // Multi-AZ DB clusters (engine mysql/postgres) have a size to compare.
    comparesStorage: (source) => source.allocatedStorage !== undefined && !(source.engine ?? '').startsWith('aurora'),
  };
}
