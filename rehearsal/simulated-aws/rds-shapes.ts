import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import { SIM, SIM_DATABASE_RESOURCES, SIM_DB_SECURITY_GROUP } from './constants';
import { awsError } from './errors';

/**
 * The simulated RDS's pure parts: its behaviour knobs, the fence group and KMS key, how many Describes a transition
 * shows, the instance and snapshot records, and the shapes of the production instance and of a manual snapshot.
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
export const ENDPOINT_SUFFIX = `c1a2b3c4d5e6.${SIM.region}.rds.amazonaws.com`;
export const RENAMING_DESCRIBES = 1;
export const CREATING_DESCRIBES = 2;
export const MODIFYING_DESCRIBES = 1;

export function rdsError(name: string, message: string): Error {
  return awsError(name, message);
}

export interface SimInstance {
  instance: DBInstance;
  /** Describes left that still show the transitional status; then `finalStatus`. */
  describesLeft: number;
  finalStatus?: string;
}

/** A snapshot and the DescribeDBSnapshots that have seen it (it leaves `creating` after `pollsUntilDone`). */
export type SimSnapshot = DBSnapshot & { polls: number };

export function productionInstance(): DBInstance {
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

/** A manual snapshot of `source`; `engineVersionDrift`: its engine version differs from the instance's. */
export function snapshotShape(
  identifier: string,
  source: string,
  status: string,
  createdAt: Date,
  engineVersionDrift: boolean | undefined,
): DBSnapshot {
  return {
    DBSnapshotIdentifier: identifier,
    DBSnapshotArn: `arn:aws:rds:${SIM.region}:${SIM.account}:snapshot:${identifier}`,
    DBInstanceIdentifier: source,
    Status: status,
    SnapshotCreateTime: createdAt,
    SnapshotType: 'manual',
    Engine: 'postgres',
    EngineVersion: engineVersionDrift ? '15.8' : '16.4',
    AllocatedStorage: 100,
    StorageType: 'gp3',
    Encrypted: true,
    KmsKeyId: KMS_KEY,
  };
}

export function withoutPolls(snapshot: SimSnapshot): DBSnapshot {
  const { polls: _polls, ...rest } = snapshot;
  return rest;
}
