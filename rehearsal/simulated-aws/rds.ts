import {
  CreateDBSnapshotCommand,
  type CreateDBSnapshotCommandInput,
  type DBInstance,
  type DBSnapshot,
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
import { snapshotIdentifierFor } from '../../lambdas/tools/backup';
import type { CallLog } from './call-log';
import type { VirtualClock } from './clock';
import { SIM, SIM_DATABASE_RESOURCES, SIM_DB_SECURITY_GROUP } from './constants';
import { assertOnlyKeys, awsError, notModelled } from './errors';
import { simulateClient, simulatedClientConfig } from './sdk-stub';

/**
 * RDS of the simulated production: the instance `shop-prod-db` (PostgreSQL 16.4, Multi-AZ, gp3, encrypted), its
 * manual snapshots (the backup tool's), and the database restore: a restore creates an instance (`creating` for two
 * Describes) from an available snapshot, a security group change shows `modifying` for one Describe, a rename moves
 * the instance to its new identifier at once (`renaming` for one Describe), a deletion removes it at once. No RDS
 * Proxy exists.
 */

/** The security group with no ingress the restore fences production with. */
export const SIM_FENCE_SECURITY_GROUP = 'sg-0fe0ce0000000000a';
/** The KMS key the database and its snapshots are encrypted with. */
export const SIM_DB_KMS_KEY = `arn:aws:kms:${SIM.region}:${SIM.account}:key/db-key`;

export interface SnapshotBehaviour {
  /** Describes that answer `creating` before the final status. */
  readonly pollsUntilDone?: number;
  readonly finalStatus?: 'available' | 'failed';
  /** An RDS error name CreateDBSnapshot fails with, every time. */
  readonly createFailsWith?: string;
  /** CreateDBSnapshot is throttled this many times before it succeeds. */
  readonly throttleCreate?: number;
  /** CreateDBSnapshot finds the instance busy (InvalidDBInstanceStateFault) this many times before it succeeds. */
  readonly busyCreate?: number;
  /** The snapshot's engine version differs from the instance's (verification must catch it). */
  readonly engineVersionDrift?: boolean;
}

export interface RestoreBehaviour {
  /** RestoreDBInstanceFromDBSnapshot fails with this RDS error name, every time. */
  readonly failWith?: string;
  /** The restored instance ends in this status instead of `available` (e.g. `incompatible-parameters`). */
  readonly restoredStatus?: string;
  /** ModifyDBInstance renaming an instance whose name starts with this fails with an RDS error name, every time. */
  readonly renameFailsFor?: { readonly identifierPrefix: string; readonly error: string };
}

const KMS_KEY = SIM_DB_KMS_KEY;
const ENDPOINT_SUFFIX = `c1a2b3c4d5e6.${SIM.region}.rds.amazonaws.com`;
const RENAMING_DESCRIBES = 1;
const CREATING_DESCRIBES = 2;
const MODIFYING_DESCRIBES = 1;

function rdsError(name: string, message: string): Error {
  return awsError(name, message);
}

interface SimInstance {
  instance: DBInstance;
  /** Describes left that still show the transitional status; then `finalStatus`. */
  describesLeft: number;
  finalStatus?: string;
}

export class SimulatedRds {
  /** Calls in the foundation's format (`CreateDBSnapshot <id>`, `DescribeDBSnapshots <id>`, …). */
  readonly rdsCalls: string[] = [];
  private readonly snapshots = new Map<string, DBSnapshot & { polls: number }>();
  private readonly instances = new Map<string, SimInstance>();
  private createThrottlesLeft: number;
  private createBusyLeft: number;
  private resourceCounter = 0;
  private client: RDSClient | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly log: CallLog,
    private readonly snapshot: SnapshotBehaviour,
    private readonly restore: RestoreBehaviour,
  ) {
    this.createThrottlesLeft = snapshot.throttleCreate ?? 0;
    this.createBusyLeft = snapshot.busyCreate ?? 0;
    this.instances.set(SIM.databaseIdentifier, { instance: this.productionInstance(), describesLeft: 0 });
  }

  /** Identifiers of the instances that exist now, sorted. */
  databaseInstances(): string[] {
    return [...this.instances.keys()].sort();
  }

  /** A copy of an instance as RDS would describe it now (without counting as a Describe), or undefined. */
  instance(identifier: string): DBInstance | undefined {
    const entry = this.instances.get(identifier);
    return entry === undefined ? undefined : structuredClone(entry.instance);
  }

  /**
   * An `available` snapshot of the database as the backup tool would have made it for `deploymentName`, for
   * scenarios that start after the backup; returns the verified metadata the restore tool takes.
   */
  seedSnapshot(deploymentName: string): BackupMetadata {
    const identifier = snapshotIdentifierFor(deploymentName);
    const createdAt = this.clock.now();
    const snapshot = { ...this.snapshotShape(identifier, SIM.databaseIdentifier, 'available', createdAt), polls: 0 };
    this.snapshots.set(identifier, snapshot);
    return {
      kind: 'instance',
      identifier,
      arn: snapshot.DBSnapshotArn ?? '',
      sourceIdentifier: SIM.databaseIdentifier,
      createdAt: createdAt.toISOString(),
      engine: snapshot.Engine ?? '',
      engineVersion: snapshot.EngineVersion ?? '',
      allocatedStorageGiB: snapshot.AllocatedStorage ?? 0,
      encrypted: snapshot.Encrypted ?? false,
      kmsKeyId: snapshot.KmsKeyId ?? null,
      status: 'available',
      verifiedAt: createdAt.toISOString(),
    };
  }

  private productionInstance(): DBInstance {
    return {
      DBInstanceIdentifier: SIM.databaseIdentifier,
      DBInstanceArn: `arn:aws:rds:${SIM.region}:${SIM.account}:db:${SIM.databaseIdentifier}`,
      DbiResourceId: 'db-PRODUCTION0000000000000001',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceStatus: 'available',
      MasterUsername: 'shop',
      DBName: 'shop',
      Endpoint: { Address: `${SIM.databaseIdentifier}.${ENDPOINT_SUFFIX}`, Port: 5432, HostedZoneId: 'Z29XKXDKYMONMX' },
      AllocatedStorage: 100,
      StorageType: 'gp3',
      Iops: 3000,
      StorageThroughput: 125,
      StorageEncrypted: true,
      KmsKeyId: KMS_KEY,
      MultiAZ: true,
      AvailabilityZone: `${SIM.region}a`,
      SecondaryAvailabilityZone: `${SIM.region}b`,
      DBSubnetGroup: {
        DBSubnetGroupName: SIM_DATABASE_RESOURCES.subnetGroups[0],
        DBSubnetGroupDescription: 'shop production database subnets',
        VpcId: 'vpc-0a1b2c3d4e5f60718',
        SubnetGroupStatus: 'Complete',
      },
      VpcSecurityGroups: [{ VpcSecurityGroupId: SIM_DB_SECURITY_GROUP, Status: 'active' }],
      DBParameterGroups: [
        { DBParameterGroupName: SIM_DATABASE_RESOURCES.parameterGroups[0], ParameterApplyStatus: 'in-sync' },
      ],
      OptionGroupMemberships: [{ OptionGroupName: SIM_DATABASE_RESOURCES.optionGroups[0], Status: 'in-sync' }],
      // Not the default a restore gets: a copy restored without it would differ.
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
      PubliclyAccessible: false,
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      IAMDatabaseAuthenticationEnabled: false,
      BackupRetentionPeriod: 7,
      EnabledCloudwatchLogsExports: ['postgresql'],
      PendingModifiedValues: {},
      InstanceCreateTime: new Date('2025-03-01T09:00:00.000Z'),
      TagList: [
        { Key: 'app', Value: 'shop' },
        { Key: 'env', Value: 'prod' },
      ],
    };
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
        run(`CreateDBSnapshot ${input.DBSnapshotIdentifier ?? ''}`, () => this.createSnapshot(input)),
      );
    mock
      .on(DescribeDBSnapshotsCommand)
      .callsFake((input: DescribeDBSnapshotsCommandInput) =>
        run(`DescribeDBSnapshots ${input.DBSnapshotIdentifier ?? ''}`, () => this.describeSnapshots(input)),
      );
    mock
      .on(DescribeDBInstancesCommand)
      .callsFake((input: DescribeDBInstancesCommandInput) =>
        run(`DescribeDBInstances ${input.DBInstanceIdentifier ?? ''}`, () => this.describeInstances(input)),
      );
    mock
      .on(ModifyDBInstanceCommand)
      .callsFake((input: ModifyDBInstanceCommandInput) =>
        run(
          `ModifyDBInstance ${input.DBInstanceIdentifier ?? ''} rename=${input.NewDBInstanceIdentifier ?? '(none)'}`,
          () => this.modifyInstance(input),
        ),
      );
    mock
      .on(DeleteDBInstanceCommand)
      .callsFake((input: DeleteDBInstanceCommandInput) =>
        run(`DeleteDBInstance ${input.DBInstanceIdentifier ?? ''}`, () => this.deleteInstance(input)),
      );
    mock.on(DescribeDBProxiesCommand).callsFake(() => run('DescribeDBProxies', () => ({ DBProxies: [] })));
    mock
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .callsFake((input: RestoreDBInstanceFromDBSnapshotCommandInput) =>
        run(
          `RestoreDBInstanceFromDBSnapshot ${input.DBInstanceIdentifier ?? ''} from=${input.DBSnapshotIdentifier ?? ''}`,
          () => this.restoreInstance(input),
        ),
      );
    this.client = client;
    return client;
  }

  // ----- snapshots (the backup tool) -----

  private createSnapshot(input: CreateDBSnapshotCommandInput): { DBSnapshot: DBSnapshot } {
    assertOnlyKeys('RDS', 'CreateDBSnapshot', input, ['DBSnapshotIdentifier', 'DBInstanceIdentifier', 'Tags']);
    const identifier = input.DBSnapshotIdentifier ?? '';
    if (this.createThrottlesLeft > 0) {
      this.createThrottlesLeft -= 1;
      throw rdsError('ThrottlingException', 'Rate exceeded');
    }
    if (this.createBusyLeft > 0) {
      this.createBusyLeft -= 1;
      throw rdsError('InvalidDBInstanceStateFault', 'DB instance is currently backing-up');
    }
    if (this.snapshot.createFailsWith) throw rdsError(this.snapshot.createFailsWith, 'simulated failure');
    if (this.snapshots.has(identifier)) throw rdsError('DBSnapshotAlreadyExistsFault', 'exists');
    const source = input.DBInstanceIdentifier ?? '';
    if (!this.instances.has(source)) throw rdsError('DBInstanceNotFoundFault', `DBInstance ${source} not found.`);
    const snapshot = {
      // The local run stamps the execution's StartTime with the wall clock, so the snapshot does too.
      ...this.snapshotShape(identifier, source, 'creating', new Date()),
      TagList: input.Tags,
      polls: 0,
    };
    this.snapshots.set(identifier, snapshot);
    return { DBSnapshot: withoutPolls(snapshot) };
  }

  private describeSnapshots(input: DescribeDBSnapshotsCommandInput): { DBSnapshots: DBSnapshot[] } {
    assertOnlyKeys('RDS', 'DescribeDBSnapshots', input, ['DBSnapshotIdentifier']);
    const snapshot = this.snapshots.get(input.DBSnapshotIdentifier ?? '');
    if (!snapshot) throw rdsError('DBSnapshotNotFoundFault', 'not found');
    snapshot.polls += 1;
    if (snapshot.Status === 'creating' && snapshot.polls > (this.snapshot.pollsUntilDone ?? 2)) {
      snapshot.Status = this.snapshot.finalStatus ?? 'available';
    }
    return { DBSnapshots: [withoutPolls(snapshot)] };
  }

  private snapshotShape(identifier: string, source: string, status: string, createdAt: Date): DBSnapshot {
    return {
      DBSnapshotIdentifier: identifier,
      DBSnapshotArn: `arn:aws:rds:${SIM.region}:${SIM.account}:snapshot:${identifier}`,
      DBInstanceIdentifier: source,
      Status: status,
      SnapshotCreateTime: createdAt,
      SnapshotType: 'manual',
      Engine: 'postgres',
      EngineVersion: this.snapshot.engineVersionDrift ? '15.8' : '16.4',
      AllocatedStorage: 100,
      StorageType: 'gp3',
      Encrypted: true,
      KmsKeyId: KMS_KEY,
    };
  }

  // ----- instances (backup source, restore swap) -----

  private describeInstances(input: DescribeDBInstancesCommandInput): { DBInstances: DBInstance[] } {
    assertOnlyKeys('RDS', 'DescribeDBInstances', input, ['DBInstanceIdentifier']);
    if (input.DBInstanceIdentifier === undefined) {
      throw notModelled('RDS', 'DescribeDBInstances without DBInstanceIdentifier (an account-wide listing)');
    }
    const entry = this.instances.get(input.DBInstanceIdentifier.toLowerCase());
    if (entry === undefined) {
      throw rdsError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`);
    }
    const described = structuredClone(entry.instance);
    if (entry.describesLeft > 0) {
      entry.describesLeft -= 1;
      if (entry.describesLeft === 0) {
        entry.instance.DBInstanceStatus = entry.finalStatus ?? 'available';
        // A security group change is over with the modification.
        for (const group of entry.instance.VpcSecurityGroups ?? []) group.Status = 'active';
      }
    }
    return { DBInstances: [described] };
  }

  private modifyInstance(input: ModifyDBInstanceCommandInput): { DBInstance: DBInstance } {
    assertOnlyKeys('RDS', 'ModifyDBInstance', input, [
      'DBInstanceIdentifier',
      'NewDBInstanceIdentifier',
      'VpcSecurityGroupIds',
      'ApplyImmediately',
      'DeletionProtection',
    ]);
    const from = (input.DBInstanceIdentifier ?? '').toLowerCase();
    const to = input.NewDBInstanceIdentifier?.toLowerCase();
    if (input.ApplyImmediately !== true) {
      throw notModelled('RDS', 'ModifyDBInstance without ApplyImmediately (pending until the maintenance window)');
    }
    const entry = this.instances.get(from);
    if (entry === undefined) throw rdsError('DBInstanceNotFoundFault', `DBInstance ${from} not found.`);
    if (entry.instance.DBInstanceStatus !== 'available') {
      throw rdsError('InvalidDBInstanceStateFault', `DB instance ${from} is not available for modification`);
    }
    const groups = input.VpcSecurityGroupIds;
    if (groups !== undefined) {
      if (to !== undefined) throw notModelled('RDS', 'ModifyDBInstance renaming and changing security groups at once');
      const known = new Set([SIM_DB_SECURITY_GROUP, SIM_FENCE_SECURITY_GROUP]);
      const unknown = groups.filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw rdsError('InvalidParameterValue', `Invalid security group ids: ${unknown.join(', ')}`);
      entry.instance.VpcSecurityGroups = groups.map((id) => ({ VpcSecurityGroupId: id, Status: 'adding' }));
      entry.instance.DBInstanceStatus = 'modifying';
      entry.describesLeft = MODIFYING_DESCRIBES;
      entry.finalStatus = 'available';
      return { DBInstance: structuredClone(entry.instance) };
    }
    if (to === undefined) throw notModelled('RDS', 'ModifyDBInstance other than a rename or a security group change');
    const failing = this.restore.renameFailsFor;
    if (failing !== undefined && from.startsWith(failing.identifierPrefix))
      throw rdsError(failing.error, 'simulated rename failure');
    if (this.instances.has(to)) throw rdsError('DBInstanceAlreadyExistsFault', `DB instance ${to} already exists`);
    if (input.DeletionProtection !== undefined) entry.instance.DeletionProtection = input.DeletionProtection;
    this.instances.delete(from);
    entry.instance.DBInstanceIdentifier = to;
    entry.instance.DBInstanceArn = `arn:aws:rds:${SIM.region}:${SIM.account}:db:${to}`;
    entry.instance.DBInstanceStatus = 'renaming';
    entry.instance.Endpoint = { ...entry.instance.Endpoint, Address: `${to}.${ENDPOINT_SUFFIX}` };
    entry.describesLeft = RENAMING_DESCRIBES;
    entry.finalStatus = 'available';
    this.instances.set(to, entry);
    return { DBInstance: structuredClone(entry.instance) };
  }

  private deleteInstance(input: DeleteDBInstanceCommandInput): { DBInstance: DBInstance } {
    assertOnlyKeys('RDS', 'DeleteDBInstance', input, [
      'DBInstanceIdentifier',
      'SkipFinalSnapshot',
      'DeleteAutomatedBackups',
    ]);
    const identifier = (input.DBInstanceIdentifier ?? '').toLowerCase();
    const entry = this.instances.get(identifier);
    if (entry === undefined) throw rdsError('DBInstanceNotFoundFault', `DBInstance ${identifier} not found.`);
    if (entry.instance.DeletionProtection === true) {
      throw rdsError(
        'InvalidParameterCombination',
        'Cannot delete protected DB Instance, please disable deletion protection',
      );
    }
    if (input.SkipFinalSnapshot !== true) throw notModelled('RDS', 'DeleteDBInstance with a final snapshot');
    this.instances.delete(identifier);
    return { DBInstance: structuredClone(entry.instance) };
  }

  private restoreInstance(input: RestoreDBInstanceFromDBSnapshotCommandInput): { DBInstance: DBInstance } {
    assertOnlyKeys('RDS', 'RestoreDBInstanceFromDBSnapshot', input, [
      'DBInstanceIdentifier',
      'DBSnapshotIdentifier',
      'DBInstanceClass',
      'DBSubnetGroupName',
      'VpcSecurityGroupIds',
      'DBParameterGroupName',
      'OptionGroupName',
      'MultiAZ',
      'Port',
      'StorageType',
      'AllocatedStorage',
      'Iops',
      'StorageThroughput',
      'PubliclyAccessible',
      'DeletionProtection',
      'CopyTagsToSnapshot',
      'EnableIAMDatabaseAuthentication',
      'BackupRetentionPeriod',
      'EnableCloudwatchLogsExports',
      'CACertificateIdentifier',
      'Tags',
    ]);
    if (this.restore.failWith !== undefined) throw rdsError(this.restore.failWith, 'simulated restore failure');
    const identifier = (input.DBInstanceIdentifier ?? '').toLowerCase();
    if (identifier === '') throw rdsError('MissingParameter', 'DBInstanceIdentifier is required');
    if (this.instances.has(identifier)) {
      throw rdsError('DBInstanceAlreadyExistsFault', `DB instance ${identifier} already exists`);
    }
    const snapshot = this.snapshots.get(input.DBSnapshotIdentifier ?? '');
    if (snapshot === undefined) {
      throw rdsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier ?? ''} not found.`);
    }
    if (snapshot.Status !== 'available') {
      throw rdsError('InvalidDBSnapshotStateFault', `Snapshot is ${snapshot.Status ?? 'unknown'}, not available`);
    }
    const subnetGroup = input.DBSubnetGroupName;
    if (subnetGroup !== undefined && !SIM_DATABASE_RESOURCES.subnetGroups.some((name) => name === subnetGroup)) {
      throw rdsError('DBSubnetGroupNotFoundFault', `DB subnet group ${subnetGroup} not found`);
    }
    const parameterGroup = input.DBParameterGroupName;
    if (parameterGroup !== undefined && !SIM_DATABASE_RESOURCES.parameterGroups.some((n) => n === parameterGroup)) {
      throw rdsError('DBParameterGroupNotFoundFault', `DB parameter group ${parameterGroup} not found`);
    }
    const optionGroup = input.OptionGroupName;
    if (optionGroup !== undefined && !SIM_DATABASE_RESOURCES.optionGroups.some((name) => name === optionGroup)) {
      throw rdsError('OptionGroupNotFoundFault', `Option group ${optionGroup} not found`);
    }
    const unknownGroups = (input.VpcSecurityGroupIds ?? []).filter((id) => id !== SIM_DB_SECURITY_GROUP);
    if (unknownGroups.length > 0) {
      throw rdsError('InvalidParameterValue', `Invalid security group ids: ${unknownGroups.join(', ')}`);
    }
    const storage = input.AllocatedStorage ?? snapshot.AllocatedStorage ?? 0;
    if (storage < (snapshot.AllocatedStorage ?? 0)) {
      throw rdsError('InvalidParameterValue', 'AllocatedStorage cannot be smaller than the snapshot');
    }
    const storageType = input.StorageType ?? snapshot.StorageType ?? 'gp2';
    if (storageType === 'gp3' && storage < 400 && (input.Iops !== undefined || input.StorageThroughput !== undefined)) {
      throw rdsError(
        'InvalidParameterCombination',
        'You cannot specify IOPS or storage throughput for gp3 storage below 400 GiB on PostgreSQL',
      );
    }
    this.resourceCounter += 1;
    const instance: DBInstance = {
      DBInstanceIdentifier: identifier,
      DBInstanceArn: `arn:aws:rds:${SIM.region}:${SIM.account}:db:${identifier}`,
      DbiResourceId: `db-RESTORED${String(this.resourceCounter).padStart(17, '0')}`,
      DBInstanceClass: input.DBInstanceClass ?? 'db.m5.large',
      Engine: snapshot.Engine,
      EngineVersion: snapshot.EngineVersion,
      DBInstanceStatus: 'creating',
      MasterUsername: 'shop',
      DBName: 'shop',
      Endpoint: {
        Address: `${identifier}.${ENDPOINT_SUFFIX}`,
        Port: input.Port ?? 5432,
        HostedZoneId: 'Z29XKXDKYMONMX',
      },
      AllocatedStorage: storage,
      StorageType: storageType,
      ...(storageType === 'gp3' ? { Iops: input.Iops ?? 3000, StorageThroughput: input.StorageThroughput ?? 125 } : {}),
      StorageEncrypted: snapshot.Encrypted,
      KmsKeyId: snapshot.KmsKeyId,
      MultiAZ: input.MultiAZ ?? false,
      DBSubnetGroup: { DBSubnetGroupName: subnetGroup ?? 'default', SubnetGroupStatus: 'Complete' },
      VpcSecurityGroups: (input.VpcSecurityGroupIds ?? ['sg-default']).map((id) => ({
        VpcSecurityGroupId: id,
        Status: 'active',
      })),
      DBParameterGroups: [
        { DBParameterGroupName: parameterGroup ?? 'default.postgres16', ParameterApplyStatus: 'in-sync' },
      ],
      OptionGroupMemberships: [{ OptionGroupName: optionGroup ?? 'default:postgres-16', Status: 'in-sync' }],
      CACertificateIdentifier: input.CACertificateIdentifier ?? 'rds-ca-rsa2048-g1',
      PubliclyAccessible: input.PubliclyAccessible ?? false,
      DeletionProtection: input.DeletionProtection ?? false,
      CopyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
      IAMDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication ?? false,
      BackupRetentionPeriod: input.BackupRetentionPeriod ?? 1,
      EnabledCloudwatchLogsExports: input.EnableCloudwatchLogsExports ?? [],
      PendingModifiedValues: {},
      InstanceCreateTime: this.clock.now(),
      TagList: structuredClone(input.Tags ?? []),
    };
    this.instances.set(identifier, {
      instance,
      describesLeft: CREATING_DESCRIBES,
      finalStatus: this.restore.restoredStatus ?? 'available',
    });
    return { DBInstance: structuredClone(instance) };
  }
}

function withoutPolls(snapshot: DBSnapshot & { polls: number }): DBSnapshot {
  const { polls: _polls, ...rest } = snapshot;
  return rest;
}
