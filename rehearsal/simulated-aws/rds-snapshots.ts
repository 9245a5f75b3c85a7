import type { CreateDBSnapshotCommandInput, DBSnapshot, DescribeDBSnapshotsCommandInput } from '@aws-sdk/client-rds';
import type { BackupMetadata } from '../../lambdas/shared/contracts';
import { snapshotIdentifierFor } from '../../lambdas/tools/backup';
import type { VirtualClock } from './clock';
import { SIM } from './constants';
import { assertOnlyKeys } from './errors';
import { rdsError, type SimSnapshot, type SnapshotBehaviour, snapshotShape, withoutPolls } from './rds-shapes';

/**
 * The simulated RDS's manual snapshots (the backup tool's): CreateDBSnapshot with the scenario's throttles, busy
 * instance and failures, DescribeDBSnapshots moving a snapshot from `creating` to its final status, and a snapshot
 * seeded for scenarios that start after the backup. The restore reads them with `get`.
 */
export class RdsSnapshots {
  private readonly snapshots = new Map<string, SimSnapshot>();
  private createThrottlesLeft: number;
  private createBusyLeft: number;

  constructor(
    private readonly clock: VirtualClock,
    private readonly snapshot: SnapshotBehaviour,
    /** Whether the instance a snapshot is taken of exists now. */
    private readonly hasInstance: (identifier: string) => boolean,
  ) {
    this.createThrottlesLeft = snapshot.throttleCreate ?? 0;
    this.createBusyLeft = snapshot.busyCreate ?? 0;
  }

  /** The snapshot as stored (its status moves only with DescribeDBSnapshots), or undefined. */
  get(identifier: string): SimSnapshot | undefined {
    return this.snapshots.get(identifier);
  }

  /**
   * An `available` snapshot of the database as the backup tool would have made it for `deploymentName`, for
   * scenarios that start after the backup; returns the verified metadata the restore tool takes.
   */
  seed(deploymentName: string): BackupMetadata {
    const identifier = snapshotIdentifierFor(deploymentName);
    const createdAt = this.clock.now();
    const snapshot = {
      ...snapshotShape(identifier, SIM.databaseIdentifier, 'available', createdAt, this.snapshot.engineVersionDrift),
      polls: 0,
    };
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

  create(input: CreateDBSnapshotCommandInput): { DBSnapshot: DBSnapshot } {
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
    if (!this.hasInstance(source)) throw rdsError('DBInstanceNotFoundFault', `DBInstance ${source} not found.`);
    const snapshot = {
      // The local run stamps the execution's StartTime with the wall clock, so the snapshot does too.
      ...snapshotShape(identifier, source, 'creating', new Date(), this.snapshot.engineVersionDrift),
      TagList: input.Tags,
      polls: 0,
    };
    this.snapshots.set(identifier, snapshot);
    return { DBSnapshot: withoutPolls(snapshot) };
  }

  describe(input: DescribeDBSnapshotsCommandInput): { DBSnapshots: DBSnapshot[] } {
    assertOnlyKeys('RDS', 'DescribeDBSnapshots', input, ['DBSnapshotIdentifier']);
    const snapshot = this.snapshots.get(input.DBSnapshotIdentifier ?? '');
    if (!snapshot) throw rdsError('DBSnapshotNotFoundFault', 'not found');
    snapshot.polls += 1;
    if (snapshot.Status === 'creating' && snapshot.polls > (this.snapshot.pollsUntilDone ?? 2)) {
      snapshot.Status = this.snapshot.finalStatus ?? 'available';
    }
    return { DBSnapshots: [withoutPolls(snapshot)] };
  }
}
