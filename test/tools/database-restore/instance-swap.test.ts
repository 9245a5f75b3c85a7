import {
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  RDSServiceException,
  RestoreDBInstanceFromDBSnapshotCommand,
  StorageQuotaExceededFault,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidInputError } from '../../../lambdas/shared/errors';
import { fault, rejection, serviceThrottling } from '../../support/errors';
import { FakeRds, instanceTool, rds, sentCommandNames } from './fake-rds';
import { DEPLOYMENT, instanceSnapshot, NOW, PRESERVED_ID, productionInstance, SNAPSHOT_ID } from './fixtures';

let fake: FakeRds;

beforeEach(() => {
  rds.reset();
  fake = new FakeRds();
  fake.install(rds);
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
