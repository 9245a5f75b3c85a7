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
  InvalidDBInstanceStateFault,
  ModifyDBClusterCommand,
  type ModifyDBClusterMessage,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceMessage,
  RDSClient,
  RDSServiceException,
  RestoreDBClusterFromSnapshotCommand,
  type RestoreDBClusterFromSnapshotMessage,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotMessage,
  StorageQuotaExceededFault,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../../lambdas/shared/contracts';
import { ConfigurationError, InvalidInputError } from '../../lambdas/shared/errors';
import {
  isValidRdsIdentifier,
  preservedIdentifierPrefix,
  RDS_IDENTIFIER_MAX_LENGTH,
} from '../../lambdas/shared/rds-names';
import {
  type AllowedRestoreResources,
  clusterRestoreInput,
  createDatabaseRestore,
  type DatabaseRestoreProgress,
  disallowedResources,
  discoveredFromInstance,
  instanceRestoreInput,
  memberInstanceInput,
  orderedMembers,
  preservedIdentifierFor,
  restoredMemberIdentifier,
  restoreTags,
} from '../../lambdas/tools/database-restore';
import { fault, rejection, serviceThrottling } from '../support/errors';

const NOW = new Date('2026-11-24T11:00:00.000Z');
const clock = () => NOW;
const DEPLOYMENT = 'release-1.4.0';
const SNAPSHOT_ID = 'deploymentcrew-release-1-4-0-9d7c36ba';
/** Pinned on purpose: a changed derivation would lose track of a database renamed by an earlier attempt. */
const PRESERVED_ID = 'app-db-pre-rb-9d7c36ba';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';

const instanceSnapshot: BackupMetadata = {
  kind: 'instance',
  identifier: SNAPSHOT_ID,
  arn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${SNAPSHOT_ID}`,
  sourceIdentifier: 'app-db',
  createdAt: '2026-11-24T10:00:30.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: KMS_KEY,
  status: 'available',
  verifiedAt: '2026-11-24T10:05:00.000Z',
};

const clusterSnapshot: BackupMetadata = {
  ...instanceSnapshot,
  kind: 'cluster',
  arn: `arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:${SNAPSHOT_ID}`,
  sourceIdentifier: 'orders',
  engine: 'aurora-postgresql',
  allocatedStorageGiB: 1,
};
const CLUSTER_PRESERVED_ID = 'orders-pre-rb-9d7c36ba';

const allowed: AllowedRestoreResources = {
  subnetGroups: ['app-subnets'],
  parameterGroups: ['app-pg16', 'orders-instance-pg'],
  optionGroups: ['default:postgres-16'],
  clusterParameterGroups: ['orders-cluster-pg'],
};

function productionInstance(overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: 'app-db',
    DBInstanceStatus: 'available',
    DbiResourceId: 'db-PRODUCTION',
    DBInstanceClass: 'db.r6g.large',
    Engine: 'postgres',
    EngineVersion: '16.4',
    DBSubnetGroup: { DBSubnetGroupName: 'app-subnets' },
    VpcSecurityGroups: [
      { VpcSecurityGroupId: 'sg-0aaa', Status: 'active' },
      { VpcSecurityGroupId: 'sg-0bbb', Status: 'active' },
    ],
    DBParameterGroups: [{ DBParameterGroupName: 'app-pg16', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16', Status: 'in-sync' }],
    MultiAZ: true,
    Endpoint: { Address: 'app-db.abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
    StorageType: 'gp3',
    AllocatedStorage: 200,
    Iops: 3000,
    StorageThroughput: 125,
    PubliclyAccessible: false,
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    IAMDatabaseAuthenticationEnabled: true,
    BackupRetentionPeriod: 7,
    EnabledCloudwatchLogsExports: ['postgresql'],
    StorageEncrypted: true,
    KmsKeyId: KMS_KEY,
    TagList: [
      { Key: 'team', Value: 'orders' },
      { Key: 'aws:cloudformation:stack-name', Value: 'app' },
    ],
    ...overrides,
  };
}

function productionCluster(overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: 'orders',
    Status: 'available',
    DbClusterResourceId: 'cluster-PRODUCTION',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    EngineMode: 'provisioned',
    DBSubnetGroup: 'app-subnets',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0ccc', Status: 'active' }],
    DBClusterParameterGroup: 'orders-cluster-pg',
    Port: 5432,
    DeletionProtection: true,
    StorageEncrypted: true,
    KmsKeyId: KMS_KEY,
    IAMDatabaseAuthenticationEnabled: false,
    CopyTagsToSnapshot: true,
    BackupRetentionPeriod: 14,
    ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    // Deliberately out of order: the writer is not listed first.
    DBClusterMembers: [
      { DBInstanceIdentifier: 'orders-2', IsClusterWriter: false, PromotionTier: 1 },
      { DBInstanceIdentifier: 'orders-1', IsClusterWriter: true, PromotionTier: 1 },
      { DBInstanceIdentifier: 'orders-3', IsClusterWriter: false, PromotionTier: 0 },
    ],
    TagList: [{ Key: 'team', Value: 'orders' }],
    ...overrides,
  };
}

function clusterMember(identifier: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: identifier,
    DBInstanceStatus: 'available',
    DBClusterIdentifier: 'orders',
    DBInstanceClass: 'db.serverless',
    Engine: 'aurora-postgresql',
    DBParameterGroups: [{ DBParameterGroupName: 'orders-instance-pg' }],
    PromotionTier: 1,
    PubliclyAccessible: false,
    TagList: [{ Key: 'team', Value: 'orders' }],
    ...overrides,
  };
}

/**
 * An in-memory RDS: just enough behaviour for the swap. A rename leaves the database under its old name with status
 * `renaming` until the test completes it, as RDS does; restores and creations start as `creating`.
 */
class FakeRds {
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

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });
let fake: FakeRds;

beforeEach(() => {
  rds.reset();
  fake = new FakeRds();
  fake.install(rds);
});

function sentCommandNames(): string[] {
  return rds.calls().map((call) => (call.args[0] as object).constructor.name);
}

function instanceTool() {
  return createDatabaseRestore(
    client,
    { kind: 'instance', identifier: 'app-db' },
    { clock, allowedResources: allowed },
  );
}

function clusterTool() {
  return createDatabaseRestore(client, { kind: 'cluster', identifier: 'orders' }, { clock, allowedResources: allowed });
}

// ---------------------------------------------------------------------------------------------------------------

describe('identifiers', () => {
  it('derives the preserved identifier from the deployment name, deterministically', () => {
    // Prepare
    const identifier = 'app-db';

    // Act
    const first = preservedIdentifierFor(identifier, DEPLOYMENT);
    const again = preservedIdentifierFor(identifier, DEPLOYMENT);
    const other = preservedIdentifierFor(identifier, 'release-1.4.1');

    // Assess
    expect(first).toBe(PRESERVED_ID);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(other.startsWith(preservedIdentifierPrefix(identifier))).toBe(true);
  });

  it('trims a long identifier so the preserved one stays a valid 63-character RDS identifier', () => {
    // Prepare
    const identifier = `${'a'.repeat(20)}-${'b'.repeat(42)}`;

    // Act
    const preserved = preservedIdentifierFor(identifier, DEPLOYMENT);

    // Assess
    expect(preserved.length).toBeLessThanOrEqual(RDS_IDENTIFIER_MAX_LENGTH);
    expect(isValidRdsIdentifier(preserved)).toBe(true);
    expect(preserved).toMatch(/^a{20}-b+-pre-rb-[0-9a-f]{8}$/);
    expect(preserved.startsWith(preservedIdentifierPrefix(identifier))).toBe(true);
  });

  it('never leaves a double or trailing hyphen where the trim cuts', () => {
    // Prepare: the cut falls right after a hyphen.
    const identifier = `${'a'.repeat(46)}-${'b'.repeat(16)}`;

    // Act
    const preserved = preservedIdentifierFor(identifier, DEPLOYMENT);

    // Assess
    expect(isValidRdsIdentifier(preserved)).toBe(true);
    expect(preserved).toMatch(/^a{46}-pre-rb-[0-9a-f]{8}$/);
  });

  it('names a member copy <member>-rb, and hashes long members apart', () => {
    // Prepare
    const longA = `${'m'.repeat(61)}a`;
    const longB = `${'m'.repeat(61)}b`;

    // Act
    const short = restoredMemberIdentifier('orders-1');
    const a = restoredMemberIdentifier(longA);
    const b = restoredMemberIdentifier(longB);

    // Assess
    expect(short).toBe('orders-1-rb');
    expect(a).not.toBe(b);
    for (const identifier of [a, b]) {
      expect(isValidRdsIdentifier(identifier)).toBe(true);
      expect(identifier.endsWith('-rb')).toBe(true);
    }
  });
});

describe('restore input builders', () => {
  const target = {
    originalIdentifier: 'app-db',
    snapshotIdentifier: SNAPSHOT_ID,
    tags: [{ Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID }],
  };

  it('copies the preserved instance settings and leaves gp3 baseline performance to RDS', () => {
    // Prepare
    const preserved = productionInstance({ DBInstanceIdentifier: PRESERVED_ID });

    // Act
    const input = instanceRestoreInput(preserved, target);

    // Assess
    expect(input).toStrictEqual({
      DBInstanceIdentifier: 'app-db',
      DBSnapshotIdentifier: SNAPSHOT_ID,
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: 'app-subnets',
      VpcSecurityGroupIds: ['sg-0aaa', 'sg-0bbb'],
      DBParameterGroupName: 'app-pg16',
      OptionGroupName: 'default:postgres-16',
      MultiAZ: true,
      Port: 5432,
      StorageType: 'gp3',
      AllocatedStorage: 200,
      PubliclyAccessible: false,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 7,
      EnableCloudwatchLogsExports: ['postgresql'],
      Tags: target.tags,
    });
  });

  it('sends provisioned IOPS for io1 and custom gp3 performance, and drops removed security groups', () => {
    // Prepare
    const io1 = productionInstance({ StorageType: 'io1', Iops: 8000, StorageThroughput: undefined });
    const gp3 = productionInstance({ AllocatedStorage: 500, Iops: 15000, StorageThroughput: 750 });
    const removing = productionInstance({
      VpcSecurityGroups: [
        { VpcSecurityGroupId: 'sg-0aaa', Status: 'active' },
        { VpcSecurityGroupId: 'sg-0old', Status: 'removing' },
      ],
    });

    // Act
    const io1Input = instanceRestoreInput(io1, target);
    const gp3Input = instanceRestoreInput(gp3, target);
    const removingInput = instanceRestoreInput(removing, target);

    // Assess
    expect(io1Input).toMatchObject({ StorageType: 'io1', Iops: 8000 });
    expect(io1Input).not.toHaveProperty('StorageThroughput');
    expect(gp3Input).toMatchObject({ StorageType: 'gp3', Iops: 15000, StorageThroughput: 750 });
    expect(removingInput.VpcSecurityGroupIds).toEqual(['sg-0aaa']);
  });

  it('copies the preserved Aurora cluster settings, Serverless v2 scaling included', () => {
    // Prepare
    const preserved = productionCluster({ DBClusterIdentifier: CLUSTER_PRESERVED_ID });

    // Act
    const input = clusterRestoreInput(preserved, { ...target, originalIdentifier: 'orders' });

    // Assess
    expect(input).toStrictEqual({
      DBClusterIdentifier: 'orders',
      SnapshotIdentifier: SNAPSHOT_ID,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBSubnetGroupName: 'app-subnets',
      VpcSecurityGroupIds: ['sg-0ccc'],
      DBClusterParameterGroupName: 'orders-cluster-pg',
      Port: 5432,
      DeletionProtection: true,
      KmsKeyId: KMS_KEY,
      EnableIAMDatabaseAuthentication: false,
      CopyTagsToSnapshot: true,
      BackupRetentionPeriod: 14,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      Tags: target.tags,
    });
  });

  it('orders members writer first, then by promotion tier', () => {
    // Prepare
    const cluster = productionCluster();

    // Act
    const order = orderedMembers(cluster).map((member) => member.DBInstanceIdentifier);

    // Assess
    expect(order).toEqual(['orders-1', 'orders-3', 'orders-2']);
  });

  it('builds the member copy from the preserved member', () => {
    // Prepare
    const member = clusterMember('orders-1', { DBClusterIdentifier: CLUSTER_PRESERVED_ID });

    // Act
    const input = memberInstanceInput(member, { clusterIdentifier: 'orders', tags: target.tags });

    // Assess
    expect(input).toStrictEqual({
      DBInstanceIdentifier: 'orders-1-rb',
      DBClusterIdentifier: 'orders',
      DBInstanceClass: 'db.serverless',
      Engine: 'aurora-postgresql',
      DBParameterGroupName: 'orders-instance-pg',
      PromotionTier: 1,
      PubliclyAccessible: false,
      Tags: target.tags,
    });
  });

  it('keeps the application tags, drops aws: and old deployment-crew tags, and adds the rollback tags', () => {
    // Prepare
    const preservedTags = [
      { Key: 'team', Value: 'orders' },
      { Key: 'aws:cloudformation:stack-name', Value: 'app' },
      { Key: 'deployment-crew:restored-from', Value: 'deploymentcrew-older' },
    ];

    // Act
    const tags = restoreTags(preservedTags, {
      snapshotIdentifier: SNAPSHOT_ID,
      preservedIdentifier: PRESERVED_ID,
      deploymentName: DEPLOYMENT,
      restoredAt: NOW,
    });

    // Assess
    expect(tags).toEqual([
      { Key: 'team', Value: 'orders' },
      { Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID },
      { Key: 'deployment-crew:preserved-as', Value: PRESERVED_ID },
      { Key: 'deployment-crew:restored-at', Value: NOW.toISOString() },
      { Key: 'deployment-crew:managed-by', Value: 'deployment-crew' },
      { Key: 'deployment-crew:deployment', Value: DEPLOYMENT },
    ]);
  });

  it('stays within the 50-tag limit, keeping the rollback tags', () => {
    // Prepare
    const many = Array.from({ length: 60 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));

    // Act
    const tags = restoreTags(many, {
      snapshotIdentifier: SNAPSHOT_ID,
      preservedIdentifier: PRESERVED_ID,
      restoredAt: NOW,
    });

    // Assess
    expect(tags).toHaveLength(50);
    expect(tags.at(-1)).toEqual({ Key: 'deployment-crew:managed-by', Value: 'deployment-crew' });
  });

  it('lists every discovered group that the configuration does not allow', () => {
    // Prepare
    const instance = productionInstance({
      DBSubnetGroup: { DBSubnetGroupName: 'other-subnets' },
      OptionGroupMemberships: [{ OptionGroupName: 'custom-og' }],
    });

    // Act
    const problems = disallowedResources(discoveredFromInstance(instance), {
      ...allowed,
      securityGroupIds: ['sg-0aaa'],
    });
    const unchecked = disallowedResources(discoveredFromInstance(instance), undefined);

    // Assess
    expect(problems).toEqual([
      "subnetGroups 'other-subnets' is not in allowedResources.subnetGroups",
      "optionGroups 'custom-og' is not in allowedResources.optionGroups",
      "securityGroupIds 'sg-0bbb' is not in allowedResources.securityGroupIds",
    ]);
    expect(unchecked).toEqual([]);
  });
});

describe('database restore: instance', () => {
  it('plans without calling AWS', () => {
    // Prepare
    const tool = instanceTool();

    // Act
    const progress = tool.plan(instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(progress).toEqual({
      status: 'RENAMING',
      polls: 0,
      originalIdentifier: 'app-db',
      preservedIdentifier: PRESERVED_ID,
      snapshotIdentifier: SNAPSHOT_ID,
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it('refuses to plan a snapshot of another database or one DeploymentCrew did not make', () => {
    // Prepare
    const tool = instanceTool();

    // Act
    const foreign = () => tool.plan({ ...instanceSnapshot, sourceIdentifier: 'other-db' }, DEPLOYMENT);
    const manual = () => tool.plan({ ...instanceSnapshot, identifier: 'manual-snapshot' }, DEPLOYMENT);

    // Assess
    expect(foreign).toThrow(ConfigurationError);
    expect(manual).toThrow(/deploymentcrew-/);
  });

  it('renames the production instance with the exact ModifyDBInstance input', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const progress = tool.plan(instanceSnapshot, DEPLOYMENT);

    // Act
    const next = await tool.advance(progress, instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(next).toMatchObject({ status: 'RENAMING', polls: 1 });
    expect(next.reason).toContain(`renaming DB instance 'app-db' to '${PRESERVED_ID}'`);
    const renames = rds.commandCalls(ModifyDBInstanceCommand);
    expect(renames).toHaveLength(1);
    expect(renames[0]?.args[0].input).toStrictEqual({
      DBInstanceIdentifier: 'app-db',
      NewDBInstanceIdentifier: PRESERVED_ID,
      ApplyImmediately: true,
      DeletionProtection: true,
    });
  });

  it('does not rename twice when called again while the rename runs', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const first = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot);

    // Act
    const second = await tool.advance(first, instanceSnapshot);
    const retried = await tool.advance(first, instanceSnapshot);

    // Assess
    expect(second).toMatchObject({ status: 'RENAMING', polls: 2 });
    expect(second.reason).toContain('in progress');
    expect(retried).toMatchObject({ status: 'RENAMING', polls: 2 });
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(1);
  });

  it('restores with the settings read from the preserved instance once the rename is done', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const renaming = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    fake.completeRenames();
    // A setting changed on the preserved instance after the rename is the one copied.
    const preserved = fake.instances.get(PRESERVED_ID);
    if (preserved === undefined) throw new Error('rename did not happen in the fake');
    preserved.DBInstanceClass = 'db.r6g.xlarge';

    // Act
    const next = await tool.advance(renaming, instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(next).toMatchObject({ status: 'RESTORING', polls: 2 });
    const restores = rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand);
    expect(restores).toHaveLength(1);
    expect(restores[0]?.args[0].input).toStrictEqual({
      DBInstanceIdentifier: 'app-db',
      DBSnapshotIdentifier: SNAPSHOT_ID,
      DBInstanceClass: 'db.r6g.xlarge',
      DBSubnetGroupName: 'app-subnets',
      VpcSecurityGroupIds: ['sg-0aaa', 'sg-0bbb'],
      DBParameterGroupName: 'app-pg16',
      OptionGroupName: 'default:postgres-16',
      MultiAZ: true,
      Port: 5432,
      StorageType: 'gp3',
      AllocatedStorage: 200,
      PubliclyAccessible: false,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 7,
      EnableCloudwatchLogsExports: ['postgresql'],
      Tags: [
        { Key: 'team', Value: 'orders' },
        { Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID },
        { Key: 'deployment-crew:preserved-as', Value: PRESERVED_ID },
        { Key: 'deployment-crew:restored-at', Value: NOW.toISOString() },
        { Key: 'deployment-crew:managed-by', Value: 'deployment-crew' },
        { Key: 'deployment-crew:deployment', Value: DEPLOYMENT },
      ],
    });
  });

  it('waits while the restored instance is created, then reports AVAILABLE', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    let progress = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot);
    fake.completeRenames();
    progress = await tool.advance(progress, instanceSnapshot);

    // Act
    const creating = await tool.advance(progress, instanceSnapshot);
    fake.setInstanceStatus('app-db', 'available');
    const available = await tool.advance(creating, instanceSnapshot);
    const after = await tool.advance(available, instanceSnapshot);

    // Assess
    expect(creating).toMatchObject({ status: 'RESTORING', polls: 3 });
    expect(creating.reason).toContain("'creating'");
    expect(available).toMatchObject({ status: 'AVAILABLE', polls: 4 });
    expect(after).toBe(available);
  });

  it('goes on from RESTORING when a retried step finds its own restore already started', async () => {
    // Prepare
    fake.instances.set(PRESERVED_ID, productionInstance({ DBInstanceIdentifier: PRESERVED_ID }));
    fake.instances.set('app-db', {
      DBInstanceIdentifier: 'app-db',
      DBInstanceStatus: 'creating',
      DbiResourceId: 'db-RESTORED',
      TagList: [{ Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID }],
    });
    const tool = instanceTool();

    // Act
    const next = await tool.advance({ ...tool.plan(instanceSnapshot, DEPLOYMENT), polls: 3 }, instanceSnapshot);

    // Assess
    expect(next).toMatchObject({ status: 'RESTORING', polls: 4 });
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
  });

  it('fails without touching anything when a different database holds the preserved name', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    fake.instances.set(
      PRESERVED_ID,
      productionInstance({ DBInstanceIdentifier: PRESERVED_ID, DbiResourceId: 'db-LEFTOVER' }),
    );
    const tool = instanceTool();

    // Act
    const next = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot);

    // Assess
    expect(next.status).toBe('FAILED');
    expect(next.reason).toContain('different databases');
    expect(sentCommandNames().filter((name) => !name.startsWith('Describe'))).toEqual([]);
  });

  it('fails at the first poll when the production instance does not exist', async () => {
    // Prepare
    const tool = instanceTool();

    // Act
    const next = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot);

    // Assess
    expect(next).toMatchObject({ status: 'FAILED', polls: 1 });
    expect(next.reason).toContain("DB instance 'app-db' not found");
  });

  it('ends as FAILED on an RDS error no retry fixes, keeping the preserved instance', async () => {
    // Prepare
    fake.instances.set(PRESERVED_ID, productionInstance({ DBInstanceIdentifier: PRESERVED_ID }));
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(fault(StorageQuotaExceededFault, 'quota reached'));
    const tool = instanceTool();

    // Act
    const next = await tool.advance({ ...tool.plan(instanceSnapshot, DEPLOYMENT), polls: 2 }, instanceSnapshot);

    // Assess
    expect(next).toMatchObject({ status: 'FAILED', polls: 3 });
    expect(next.reason).toContain('StorageQuotaExceededFault: quota reached');
    expect(next.reason).toContain(`'${PRESERVED_ID}'`);
    expect(fake.instances.get(PRESERVED_ID)?.DBInstanceStatus).toBe('available');
  });

  it('stays in its step when RDS is busy with the database', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    rds.on(ModifyDBInstanceCommand).rejects(fault(InvalidDBInstanceStateFault, 'backing-up'));
    const tool = instanceTool();

    // Act
    const next = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot);

    // Assess
    expect(next).toMatchObject({ status: 'RENAMING', polls: 1 });
    expect(next.reason).toContain('InvalidDBInstanceStateFault');
  });

  it('lets transient AWS errors propagate for the caller to retry', async () => {
    // Prepare
    const throttled = serviceThrottling(RDSServiceException, 'ThrottlingException');
    rds.on(DescribeDBInstancesCommand).rejects(throttled);
    const tool = instanceTool();

    // Act
    const error = await rejection(tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot));

    // Assess
    expect(error.name).toBe('ThrottlingException');
  });

  it('refuses with a ConfigurationError before renaming when a group is not allowed', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance({ DBParameterGroups: [{ DBParameterGroupName: 'hand-made-pg' }] }));
    const tool = instanceTool();

    // Act
    const error = await rejection(tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("parameterGroups 'hand-made-pg'");
    expect(sentCommandNames().filter((name) => !name.startsWith('Describe'))).toEqual([]);
  });

  it('rejects progress that belongs to another target, snapshot or deployment', async () => {
    // Prepare
    const tool = instanceTool();
    const progress = tool.plan(instanceSnapshot, DEPLOYMENT);

    // Act
    const otherDb = await rejection(tool.advance({ ...progress, originalIdentifier: 'other-db' }, instanceSnapshot));
    const odd = await rejection(tool.advance({ ...progress, preservedIdentifier: 'anything-else' }, instanceSnapshot));
    const otherDeployment = await rejection(tool.advance(progress, instanceSnapshot, 'release-9.9.9'));

    // Assess
    for (const error of [otherDb, odd, otherDeployment]) expect(error).toBeInstanceOf(InvalidInputError);
    expect(rds.calls()).toHaveLength(0);
  });

  it('never sends a Delete command and modifies the preserved instance only by the rename', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    let progress = tool.plan(instanceSnapshot, DEPLOYMENT);

    // Act
    for (let poll = 0; poll < 8 && progress.status !== 'AVAILABLE'; poll++) {
      progress = await tool.advance(progress, instanceSnapshot, DEPLOYMENT);
      if (poll === 1) fake.completeRenames();
      if (poll === 4) fake.setInstanceStatus('app-db', 'available');
    }

    // Assess
    expect(progress.status).toBe('AVAILABLE');
    const mutating = sentCommandNames().filter((name) => !name.startsWith('Describe'));
    expect(mutating).toEqual(['ModifyDBInstanceCommand', 'RestoreDBInstanceFromDBSnapshotCommand']);
    expect(mutating.some((name) => name.startsWith('Delete'))).toBe(false);
    expect(fake.instances.get(PRESERVED_ID)?.DbiResourceId).toBe('db-PRODUCTION');
  });
});

describe('database restore: Aurora cluster', () => {
  function seedCluster(): void {
    fake.clusters.set('orders', productionCluster());
    for (const identifier of ['orders-1', 'orders-2', 'orders-3']) {
      fake.instances.set(identifier, clusterMember(identifier));
    }
  }

  it('renames the cluster with the exact ModifyDBCluster input', async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();

    // Act
    const next = await tool.advance(tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot);

    // Assess
    expect(next).toMatchObject({ status: 'RENAMING', polls: 1, preservedIdentifier: CLUSTER_PRESERVED_ID });
    const renames = rds.commandCalls(ModifyDBClusterCommand);
    expect(renames.map((call) => call.args[0].input)).toStrictEqual([
      { DBClusterIdentifier: 'orders', NewDBClusterIdentifier: CLUSTER_PRESERVED_ID, ApplyImmediately: true },
    ]);
  });

  it('restores the cluster, then creates the writer copy first and the readers once it is available', async () => {
    // Prepare
    seedCluster();
    const tool = clusterTool();
    let progress = await tool.advance(tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot, DEPLOYMENT);
    fake.completeRenames();

    // Act
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const restoring = progress;
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const clusterCreating = progress;
    fake.setClusterStatus('orders', 'available');
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const afterWriterCreate = progress;
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const waitingForWriter = progress;
    fake.setInstanceStatus('orders-1-rb', 'available');
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);
    const readersCreating = progress;
    fake.setInstanceStatus('orders-3-rb', 'available');
    fake.setInstanceStatus('orders-2-rb', 'available');
    progress = await tool.advance(progress, clusterSnapshot, DEPLOYMENT);

    // Assess
    expect(restoring.status).toBe('RESTORING');
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0]?.args[0].input).toMatchObject({
      DBClusterIdentifier: 'orders',
      SnapshotIdentifier: SNAPSHOT_ID,
      Engine: 'aurora-postgresql',
      DBSubnetGroupName: 'app-subnets',
      DBClusterParameterGroupName: 'orders-cluster-pg',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
    });
    expect(clusterCreating).toMatchObject({ status: 'RESTORING' });
    expect(clusterCreating.reason).toContain("DB cluster 'orders' is 'creating'");
    expect(afterWriterCreate.reason).toContain("creating writer 'orders-1-rb'");
    expect(waitingForWriter.reason).toContain('waiting for the writer');
    expect(readersCreating).toMatchObject({ status: 'RESTORING' });
    expect(progress).toMatchObject({ status: 'AVAILABLE' });
    const creates = rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input);
    expect(creates.map((input) => input.DBInstanceIdentifier)).toEqual(['orders-1-rb', 'orders-3-rb', 'orders-2-rb']);
    expect(creates[0]).toMatchObject({
      DBClusterIdentifier: 'orders',
      DBInstanceClass: 'db.serverless',
      Engine: 'aurora-postgresql',
      DBParameterGroupName: 'orders-instance-pg',
    });
    expect(sentCommandNames().some((name) => name.startsWith('Delete'))).toBe(false);
    expect(fake.clusters.get(CLUSTER_PRESERVED_ID)?.DbClusterResourceId).toBe('cluster-PRODUCTION');
  });

  it('refuses before renaming when a member uses a parameter group that is not allowed', async () => {
    // Prepare
    seedCluster();
    fake.instances.set(
      'orders-2',
      clusterMember('orders-2', { DBParameterGroups: [{ DBParameterGroupName: 'tuned-by-hand' }] }),
    );
    const tool = clusterTool();

    // Act
    const error = await rejection(tool.advance(tool.plan(clusterSnapshot, DEPLOYMENT), clusterSnapshot));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'tuned-by-hand'");
    expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  });

  it('fails when the restored cluster does not carry this rollback tag', async () => {
    // Prepare
    fake.clusters.set(CLUSTER_PRESERVED_ID, productionCluster({ DBClusterIdentifier: CLUSTER_PRESERVED_ID }));
    fake.clusters.set('orders', { DBClusterIdentifier: 'orders', Status: 'available', Engine: 'aurora-postgresql' });
    const tool = clusterTool();
    const restoring: DatabaseRestoreProgress = { ...tool.plan(clusterSnapshot, DEPLOYMENT), status: 'RESTORING' };

    // Act
    const next = await tool.advance(restoring, clusterSnapshot);

    // Assess
    expect(next.status).toBe('FAILED');
    expect(next.reason).toContain('was not restored by this rollback');
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });
});
