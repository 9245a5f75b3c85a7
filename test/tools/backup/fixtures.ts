import type { DBClusterSnapshot, DBSnapshot } from '@aws-sdk/client-rds';
import type { DeploymentRef, SnapshotRef } from '../../../lambdas/shared/contracts';

/** One deployment and the snapshots of the instance `orders-db` and the cluster `orders-cluster` taken for it. */

export const NOW = new Date('2026-11-24T10:05:00.000Z');
export const clock = () => NOW;
export const ACCOUNT_ARN = 'arn:aws:rds:eu-west-1:123456789012';

export const deployment: DeploymentRef = {
  name: 'release-1.4.0',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1.4.0',
  startedAt: '2026-11-24T10:00:00.000Z',
};
/** Pinned on purpose: changing the derivation would orphan the snapshot of a task retried across a deploy. */
export const SNAPSHOT_ID = 'deploymentcrew-release-1-4-0-9d7c36ba';
export const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';

export const ourTags = [
  { Key: 'deployment-crew:deployment', Value: 'release-1.4.0' },
  {
    Key: 'deployment-crew:execution-arn',
    Value: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1.4.0',
  },
  { Key: 'deployment-crew:managed-by', Value: 'deployment-crew' },
];

export function instanceSnapshot(overrides: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: SNAPSHOT_ID,
    DBSnapshotArn: `${ACCOUNT_ARN}:snapshot:${SNAPSHOT_ID}`,
    DBInstanceIdentifier: 'orders-db',
    Status: 'available',
    SnapshotCreateTime: new Date('2026-11-24T10:01:00.000Z'),
    Engine: 'postgres',
    EngineVersion: '16.4',
    AllocatedStorage: 100,
    Encrypted: true,
    KmsKeyId: KMS_KEY,
    TagList: ourTags,
    ...overrides,
  };
}

export function clusterSnapshot(overrides: Partial<DBClusterSnapshot> = {}): DBClusterSnapshot {
  return {
    DBClusterSnapshotIdentifier: SNAPSHOT_ID,
    DBClusterSnapshotArn: `${ACCOUNT_ARN}:cluster-snapshot:${SNAPSHOT_ID}`,
    DBClusterIdentifier: 'orders-cluster',
    Status: 'available',
    SnapshotCreateTime: new Date('2026-11-24T10:01:00.000Z'),
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    AllocatedStorage: 37,
    StorageEncrypted: true,
    KmsKeyId: KMS_KEY,
    TagList: ourTags,
    ...overrides,
  };
}

export const instanceRef: SnapshotRef = {
  kind: 'instance',
  identifier: SNAPSHOT_ID,
  arn: `${ACCOUNT_ARN}:snapshot:${SNAPSHOT_ID}`,
  sourceIdentifier: 'orders-db',
  requestedAt: '2026-11-24T10:00:30.000Z',
};

export const clusterRef: SnapshotRef = {
  kind: 'cluster',
  identifier: SNAPSHOT_ID,
  arn: `${ACCOUNT_ARN}:cluster-snapshot:${SNAPSHOT_ID}`,
  sourceIdentifier: 'orders-cluster',
  requestedAt: '2026-11-24T10:00:30.000Z',
};
