import type {
  DBInstance,
  DeleteDBInstanceCommandInput,
  DescribeDBInstancesCommandInput,
  ModifyDBInstanceCommandInput,
  RestoreDBInstanceFromDBSnapshotCommandInput,
} from '@aws-sdk/client-rds';
import type { VirtualClock } from './clock';
import { SIM, SIM_DATABASE_RESOURCES, SIM_DB_SECURITY_GROUP } from './constants';
import { assertOnlyKeys, notModelled } from './errors';
import {
  CREATING_DESCRIBES,
  ENDPOINT_SUFFIX,
  MODIFYING_DESCRIBES,
  productionInstance,
  RENAMING_DESCRIBES,
  type RestoreBehaviour,
  rdsError,
  SIM_FENCE_SECURITY_GROUP,
  type SimInstance,
} from './rds-shapes';
import type { RdsSnapshots } from './rds-snapshots';

/**
 * The simulated RDS's instances (the backup's source, the restore's swap): DescribeDBInstances walking a transition
 * to its final status, ModifyDBInstance (the fence's security group change, a rename), DeleteDBInstance, and
 * RestoreDBInstanceFromDBSnapshot creating an instance from an available snapshot, as the scenario allows.
 */
export class RdsInstances {
  private readonly instances = new Map<string, SimInstance>();
  private resourceCounter = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly restore: RestoreBehaviour,
    private readonly snapshots: RdsSnapshots,
  ) {
    this.instances.set(SIM.databaseIdentifier, { instance: productionInstance(), describesLeft: 0 });
  }

  has(identifier: string): boolean {
    return this.instances.has(identifier);
  }

  /** Identifiers of the instances that exist now, sorted. */
  identifiers(): string[] {
    return [...this.instances.keys()].sort();
  }

  /** A copy of an instance as RDS would describe it now (without counting as a Describe), or undefined. */
  copy(identifier: string): DBInstance | undefined {
    const entry = this.instances.get(identifier);
    return entry === undefined ? undefined : structuredClone(entry.instance);
  }

  describeInstances(input: DescribeDBInstancesCommandInput): { DBInstances: DBInstance[] } {
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

  modifyInstance(input: ModifyDBInstanceCommandInput): { DBInstance: DBInstance } {
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

  deleteInstance(input: DeleteDBInstanceCommandInput): { DBInstance: DBInstance } {
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

  restoreInstance(input: RestoreDBInstanceFromDBSnapshotCommandInput): { DBInstance: DBInstance } {
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
