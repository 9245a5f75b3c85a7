import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { BackupMetadata } from '../../shared/contracts';
import { type RollbackCheck, refusalEvidence } from '../../shared/verification';

/** What a database rollback would restore from: the deployment's verified backup, still there and `available`. */

interface SnapshotState {
  readonly arn: string | undefined;
  readonly status: string | undefined;
}

export async function snapshotCheck(client: RDSClient, snapshot: BackupMetadata): Promise<RollbackCheck> {
  const check = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'snapshot', ok, evidence });
  const label = `${snapshot.kind === 'cluster' ? 'cluster ' : ''}snapshot ${snapshot.identifier} of ${snapshot.sourceIdentifier}`;
  let state: SnapshotState | undefined;
  try {
    if (snapshot.kind === 'cluster') {
      const page = await client.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshot.identifier }),
      );
      const found = page.DBClusterSnapshots?.[0];
      state = found === undefined ? undefined : { arn: found.DBClusterSnapshotArn, status: found.Status };
    } else {
      const page = await client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshot.identifier }));
      const found = page.DBSnapshots?.[0];
      state = found === undefined ? undefined : { arn: found.DBSnapshotArn, status: found.Status };
    }
  } catch (error) {
    const notFound = snapshot.kind === 'cluster' ? 'DBClusterSnapshotNotFoundFault' : 'DBSnapshotNotFoundFault';
    const api = snapshot.kind === 'cluster' ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots';
    return check(false, `${label}: ${api} ${refusalEvidence(error, [notFound])}`);
  }
  if (state === undefined) return check(false, `${label}: not found`);
  if (state.arn !== undefined && state.arn !== snapshot.arn) {
    return check(false, `${label}: RDS returned ${state.arn}, not the verified ${snapshot.arn}`);
  }
  const status = state.status ?? 'unknown';
  return check(
    status === 'available',
    `${label}: ${status} (verified ${snapshot.verifiedAt}, created ${snapshot.createdAt})`,
  );
}
