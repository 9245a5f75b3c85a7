import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DBClusterSnapshotAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBClusterStateFault,
  RDSClient,
  RDSServiceException,
  SnapshotQuotaExceededFault,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupFailedError } from '../../../lambdas/shared/errors';
import { createBackupTool } from '../../../lambdas/tools/backup';
import { fault, rejection, serviceThrottling } from '../../support/errors';
import {
  ACCOUNT_ARN,
  clock,
  clusterRef,
  clusterSnapshot,
  deployment,
  instanceRef,
  instanceSnapshot,
  KMS_KEY,
  NOW,
  ourTags,
  SNAPSHOT_ID,
} from './fixtures';

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });

beforeEach(() => {
  rds.reset();
});

afterEach(() => {
  // Any command without a configured answer resolves undefined; make sure none went unnoticed.
  rds.reset();
});

const instanceBackup = () => createBackupTool(client, { kind: 'instance', identifier: 'orders-db' }, { clock });
const clusterBackup = () => createBackupTool(client, { kind: 'cluster', identifier: 'orders-cluster' }, { clock });

describe('instance backup tool', () => {
  it('creates a DB snapshot of the configured instance with the derived identifier and the deployment tags', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: instanceSnapshot({ Status: 'creating' }) });

    // Act
    const created = await instanceBackup().create(deployment);

    // Assess
    expect(rds.calls()).toHaveLength(1);
    expect(rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input).toEqual({
      DBSnapshotIdentifier: SNAPSHOT_ID,
      DBInstanceIdentifier: 'orders-db',
      Tags: ourTags,
    });
    expect(created).toEqual({
      kind: 'instance',
      identifier: SNAPSHOT_ID,
      arn: `${ACCOUNT_ARN}:snapshot:${SNAPSHOT_ID}`,
      sourceIdentifier: 'orders-db',
      requestedAt: NOW.toISOString(),
      status: 'creating',
    });
  });

  it('replaces characters RDS does not allow in tag values', async () => {
    // Prepare
    const oddDeployment = {
      ...deployment,
      name: "(hotfix)!'1",
      executionArn: "arn:aws:states:eu-west-1:1:execution:sm:(hotfix)!'1",
    };
    rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: instanceSnapshot({ Status: 'creating' }) });

    // Act
    await instanceBackup().create(oddDeployment);

    // Assess
    const tags = rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input.Tags;
    expect(tags?.[0]).toEqual({ Key: 'deployment-crew:deployment', Value: '_hotfix___1' });
    expect(tags?.[1]).toEqual({
      Key: 'deployment-crew:execution-arn',
      Value: 'arn:aws:states:eu-west-1:1:execution:sm:_hotfix___1',
    });
  });

  it('reuses the snapshot an earlier attempt of the same deployment created', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [instanceSnapshot({ Status: 'creating' })] });

    // Act
    const created = await instanceBackup().create(deployment);

    // Assess
    expect(rds.commandCalls(DescribeDBSnapshotsCommand)[0]?.args[0].input).toEqual({
      DBSnapshotIdentifier: SNAPSHOT_ID,
    });
    expect(created).toMatchObject({ identifier: SNAPSHOT_ID, status: 'creating', sourceIdentifier: 'orders-db' });
  });

  it('refuses an existing snapshot tagged for another deployment', async () => {
    // Prepare
    const otherTags = [
      { Key: 'deployment-crew:deployment', Value: 'someone-else' },
      {
        Key: 'deployment-crew:execution-arn',
        Value: 'arn:aws:states:eu-west-1:123456789012:execution:Other:someone-else',
      },
    ];
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [instanceSnapshot({ TagList: otherTags })] });

    // Act
    const error = await rejection(instanceBackup().create(deployment));

    // Assess
    expect(error).toBeInstanceOf(BackupFailedError);
    expect(error.name).toBe('BackupFailed');
    expect(error.message).toContain(`'${SNAPSHOT_ID}' already exists and is not this deployment's`);
    expect(error.message).toContain("deployment-crew:deployment tag is 'someone-else'");
  });

  it('refuses an existing snapshot without tags', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [instanceSnapshot({ TagList: undefined })] });

    // Act
    const error = await rejection(instanceBackup().create(deployment));

    // Assess
    expect(error.name).toBe('BackupFailed');
    expect(error.message).toContain('deployment-crew:deployment tag is missing');
  });

  it('refuses a same-named snapshot left over from an earlier execution with the same name', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [instanceSnapshot({ SnapshotCreateTime: new Date('2026-08-01T00:00:00.000Z') })] });

    // Act
    const error = await rejection(instanceBackup().create(deployment));

    // Assess
    expect(error.name).toBe('BackupFailed');
    expect(error.message).toContain('before the deployment started');
  });

  it.each([
    ['DBInstanceNotFoundFault', () => fault(DBInstanceNotFoundFault, 'DBInstance orders-db not found.')],
    ['SnapshotQuotaExceededFault', () => fault(SnapshotQuotaExceededFault, 'quota')],
  ])('turns %s into BackupFailed naming the source', async (name, makeError) => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).rejects(makeError());

    // Act
    const error = await rejection(instanceBackup().create(deployment));

    // Assess
    expect(error).toBeInstanceOf(BackupFailedError);
    expect(error.message).toContain("DB instance 'orders-db'");
    expect(error.message).toContain(name);
  });

  it('lets throttling propagate unchanged for the handler to mark transient', async () => {
    // Prepare
    const throttling = serviceThrottling(RDSServiceException, 'Throttling');
    rds.on(CreateDBSnapshotCommand).rejects(throttling);

    // Act
    const error = await rejection(instanceBackup().create(deployment));

    // Assess
    expect(error).toBe(throttling);
  });

  it('describes the snapshot status as RDS reports it', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [instanceSnapshot({ Status: 'creating' })] });

    // Act
    const described = await instanceBackup().describe(instanceRef);

    // Assess
    expect(described).toEqual({ status: 'creating' });
    expect(rds.commandCalls(DescribeDBSnapshotsCommand)[0]?.args[0].input).toEqual({
      DBSnapshotIdentifier: SNAPSHOT_ID,
    });
  });

  it('fails the describe with BackupFailed when the snapshot is gone', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).rejects(fault(DBSnapshotNotFoundFault));

    // Act
    const error = await rejection(instanceBackup().describe(instanceRef));

    // Assess
    expect(error.name).toBe('BackupFailed');
    expect(error.message).toContain(`DB snapshot '${SNAPSHOT_ID}' not found`);
  });

  it('refuses a snapshot ref of another kind or source', async () => {
    // Act
    const error = await rejection(instanceBackup().describe(clusterRef));

    // Assess
    expect(error.name).toBe('BackupFailed');
    expect(rds.calls()).toHaveLength(0);
  });

  it('verifies an available snapshot that matches its source and returns the backup metadata', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [instanceSnapshot()] });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'orders-db',
          Engine: 'postgres',
          EngineVersion: '16.4',
          AllocatedStorage: 100,
          StorageEncrypted: true,
          KmsKeyId: KMS_KEY,
        },
      ],
    });

    // Act
    const metadata = await instanceBackup().verify(instanceRef, deployment);

    // Assess
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'orders-db',
    });
    expect(metadata).toEqual({
      kind: 'instance',
      identifier: SNAPSHOT_ID,
      arn: `${ACCOUNT_ARN}:snapshot:${SNAPSHOT_ID}`,
      sourceIdentifier: 'orders-db',
      createdAt: '2026-11-24T10:01:00.000Z',
      engine: 'postgres',
      engineVersion: '16.4',
      allocatedStorageGiB: 100,
      encrypted: true,
      kmsKeyId: KMS_KEY,
      status: 'available',
      verifiedAt: NOW.toISOString(),
    });
  });

  it('accepts a snapshot created up to 5 s before the execution start (clock skew), not more', async () => {
    // Prepare
    const source = {
      Engine: 'postgres',
      EngineVersion: '16.4',
      AllocatedStorage: 100,
      StorageEncrypted: true,
      KmsKeyId: KMS_KEY,
    };
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [source] });
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [instanceSnapshot({ SnapshotCreateTime: new Date('2026-11-24T09:59:56.000Z') })] })
      .resolvesOnce({ DBSnapshots: [instanceSnapshot({ SnapshotCreateTime: new Date('2026-11-24T09:59:54.000Z') })] });

    // Act
    const withinSkew = await instanceBackup().verify(instanceRef, deployment);
    const tooEarly = await rejection(instanceBackup().verify(instanceRef, deployment));

    // Assess
    expect(withinSkew.createdAt).toBe('2026-11-24T09:59:56.000Z');
    expect(tooEarly.name).toBe('BackupFailed');
    expect(tooEarly.message).toContain('before the deployment started');
  });

  it('lists every failed check in one BackupFailed message', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        instanceSnapshot({
          Status: 'creating',
          Encrypted: false,
          KmsKeyId: undefined,
          EngineVersion: '16.3',
          AllocatedStorage: 80,
          SnapshotCreateTime: new Date('2026-11-24T09:00:00.000Z'),
        }),
      ],
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { Engine: 'postgres', EngineVersion: '16.4', AllocatedStorage: 100, StorageEncrypted: true, KmsKeyId: KMS_KEY },
      ],
    });

    // Act
    const error = await rejection(instanceBackup().verify(instanceRef, deployment));

    // Assess
    expect(error).toBeInstanceOf(BackupFailedError);
    expect(error.message).toMatch(new RegExp(`^DB snapshot '${SNAPSHOT_ID}' failed verification: `));
    expect(error.message).toContain("status is 'creating', not 'available'");
    expect(error.message).toContain('encrypted is false, source is true');
    expect(error.message).toContain(`KMS key is 'none', source uses '${KMS_KEY}'`);
    expect(error.message).toContain("engine version is '16.3', source is '16.4'");
    expect(error.message).toContain('allocated storage is 80 GiB, source has 100 GiB');
    expect(error.message).toContain('created at 2026-11-24T09:00:00.000Z, before the deployment started');
    expect(error.message).not.toContain("engine is '");
    expect(error.message.split('; ')).toHaveLength(6);
  });

  it('fails verification of a snapshot that is not the deployment’s own', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [instanceSnapshot()] });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { Engine: 'postgres', EngineVersion: '16.4', AllocatedStorage: 100, StorageEncrypted: true, KmsKeyId: KMS_KEY },
      ],
    });

    // Act
    const error = await rejection(instanceBackup().verify(instanceRef, { ...deployment, name: 'another-release' }));

    // Assess
    expect(error.name).toBe('BackupFailed');
    expect(error.message).toContain(`identifier '${SNAPSHOT_ID}' is not this deployment's`);
  });
});

describe('cluster backup tool', () => {
  it('creates a DB cluster snapshot of the configured cluster with the derived identifier and the deployment tags', async () => {
    // Prepare
    rds.on(CreateDBClusterSnapshotCommand).resolves({ DBClusterSnapshot: clusterSnapshot({ Status: 'creating' }) });

    // Act
    const created = await clusterBackup().create(deployment);

    // Assess
    expect(rds.calls()).toHaveLength(1);
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)[0]?.args[0].input).toEqual({
      DBClusterSnapshotIdentifier: SNAPSHOT_ID,
      DBClusterIdentifier: 'orders-cluster',
      Tags: ourTags,
    });
    expect(created).toEqual({ ...clusterRef, requestedAt: NOW.toISOString(), status: 'creating' });
  });

  it('reuses its own existing cluster snapshot and refuses someone else’s', async () => {
    // Prepare
    rds.on(CreateDBClusterSnapshotCommand).rejects(fault(DBClusterSnapshotAlreadyExistsFault));
    rds
      .on(DescribeDBClusterSnapshotsCommand)
      .resolvesOnce({ DBClusterSnapshots: [clusterSnapshot({ Status: 'creating' })] })
      .resolvesOnce({
        DBClusterSnapshots: [clusterSnapshot({ TagList: [{ Key: 'deployment-crew:deployment', Value: 'other' }] })],
      });

    // Act
    const reused = await clusterBackup().create(deployment);
    const refused = await rejection(clusterBackup().create(deployment));

    // Assess
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)[0]?.args[0].input).toEqual({
      DBClusterSnapshotIdentifier: SNAPSHOT_ID,
    });
    expect(reused).toMatchObject({ kind: 'cluster', identifier: SNAPSHOT_ID, status: 'creating' });
    expect(refused.name).toBe('BackupFailed');
    expect(refused.message).toContain(
      `DB cluster snapshot '${SNAPSHOT_ID}' already exists and is not this deployment's`,
    );
  });

  it('turns InvalidDBClusterStateFault into DatabaseBusy, which the state machine retries with long intervals', async () => {
    // Prepare
    rds.on(CreateDBClusterSnapshotCommand).rejects(fault(InvalidDBClusterStateFault, 'cluster is stopped'));

    // Act
    const error = await rejection(clusterBackup().create(deployment));

    // Assess
    expect(error.name).toBe('DatabaseBusy');
    expect(error.message).toContain("DB cluster 'orders-cluster'");
    expect(error.message).toContain('InvalidDBClusterStateFault: cluster is stopped');
  });

  it('verifies an Aurora snapshot without comparing the (varying) cluster volume size, and records it', async () => {
    // Prepare
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [clusterSnapshot()] });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          Engine: 'aurora-postgresql',
          EngineVersion: '16.4',
          AllocatedStorage: 1,
          StorageEncrypted: true,
          KmsKeyId: KMS_KEY,
        },
      ],
    });

    // Act
    const metadata = await clusterBackup().verify(clusterRef, deployment);

    // Assess
    expect(rds.commandCalls(DescribeDBClustersCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: 'orders-cluster',
    });
    expect(metadata).toMatchObject({
      kind: 'cluster',
      arn: `${ACCOUNT_ARN}:cluster-snapshot:${SNAPSHOT_ID}`,
      engine: 'aurora-postgresql',
      allocatedStorageGiB: 37,
      encrypted: true,
      status: 'available',
    });
  });

  it('compares storage for a Multi-AZ DB cluster and lists engine and key mismatches', async () => {
    // Prepare
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        clusterSnapshot({ Engine: 'postgres', AllocatedStorage: 200, KmsKeyId: 'arn:aws:kms:other' }),
      ],
    });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { Engine: 'mysql', EngineVersion: '16.4', AllocatedStorage: 400, StorageEncrypted: true, KmsKeyId: KMS_KEY },
      ],
    });

    // Act
    const error = await rejection(clusterBackup().verify(clusterRef, deployment));

    // Assess
    expect(error.message).toContain("engine is 'postgres', source is 'mysql'");
    expect(error.message).toContain('allocated storage is 200 GiB, source has 400 GiB');
    expect(error.message).toContain("KMS key is 'arn:aws:kms:other'");
  });
});
