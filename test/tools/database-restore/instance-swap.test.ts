import {
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  InvalidVPCNetworkStateFault,
  ModifyDBInstanceCommand,
  RDSServiceException,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseRestoreProgress } from '../../../lambdas/tools/database-restore';
import { fault } from '../../support/errors';
import { advanceUntil, FakeRds, instanceTool, rds, sentCommandNames, slept } from './fake-rds';
import {
  DEPLOYMENT,
  FENCE_SG,
  instanceSnapshot,
  NOW,
  PRESERVED_ID,
  productionInstance,
  SNAPSHOT_ID,
  TEMPORARY_ID,
} from './fixtures';

let fake: FakeRds;

beforeEach(() => {
  rds.reset();
  fake = new FakeRds();
  fake.install(rds);
  slept.length = 0;
});

const done = (progress: DatabaseRestoreProgress) => progress.status === 'AVAILABLE' || progress.status === 'FAILED';
const modifiesOf = (identifier: string) =>
  rds
    .commandCalls(ModifyDBInstanceCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.DBInstanceIdentifier === identifier);
const mutatingCalls = () => sentCommandNames().filter((name) => !name.startsWith('Describe'));

describe('database restore: instance, restore first and swap last', () => {
  it('plans CHECKING without calling AWS', () => {
    // Prepare
    const tool = instanceTool();

    // Act
    const progress = tool.plan(instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(progress).toEqual({
      status: 'CHECKING',
      polls: 0,
      originalIdentifier: 'app-db',
      preservedIdentifier: PRESERVED_ID,
      temporaryIdentifier: TEMPORARY_ID,
      snapshotIdentifier: SNAPSHOT_ID,
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it('restores under the temporary identifier, verifies, fences, then renames: AVAILABLE with the downtime', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();

    // Act
    const end = await advanceUntil(tool, tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, fake, done);

    // Assess
    expect(end.status, end.reason).toBe('AVAILABLE');
    expect(mutatingCalls()).toEqual([
      'RestoreDBInstanceFromDBSnapshotCommand',
      'ModifyDBInstanceCommand', // fence
      'ModifyDBInstanceCommand', // production → preserved
      'ModifyDBInstanceCommand', // temporary → original
    ]);
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]?.args[0].input.DBInstanceIdentifier).toBe(
      TEMPORARY_ID,
    );
    expect(modifiesOf('app-db')).toEqual([
      { DBInstanceIdentifier: 'app-db', VpcSecurityGroupIds: [FENCE_SG], ApplyImmediately: true },
      { DBInstanceIdentifier: 'app-db', NewDBInstanceIdentifier: PRESERVED_ID, ApplyImmediately: true },
    ]);
    expect(modifiesOf(TEMPORARY_ID)).toEqual([
      {
        DBInstanceIdentifier: TEMPORARY_ID,
        NewDBInstanceIdentifier: 'app-db',
        ApplyImmediately: true,
        DeletionProtection: true,
      },
    ]);
    expect(end.fence).toEqual({
      securityGroupId: FENCE_SG,
      originalSecurityGroupIds: ['sg-0aaa', 'sg-0bbb'],
      fencedAt: NOW.toISOString(),
    });
    expect(end.swap).toEqual({
      startedAt: NOW.toISOString(),
      temporaryRenamedAt: NOW.toISOString(),
      completedAt: NOW.toISOString(),
      endpointDownSeconds: 0,
    });
    expect(fake.instances.get('app-db')?.DbiResourceId).toMatch(/^db-RESTORED-/);
    expect(fake.instances.get(PRESERVED_ID)?.VpcSecurityGroups).toEqual([
      { VpcSecurityGroupId: FENCE_SG, Status: 'active' },
    ]);
  });

  it('keeps production untouched until the copy is available', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    let progress = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);

    // Act
    progress = await tool.advance(progress, instanceSnapshot, DEPLOYMENT);
    progress = await tool.advance(progress, instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(progress.status).toBe('RESTORING');
    expect(progress.reason).toContain(`'${TEMPORARY_ID}' is 'creating'`);
    expect(modifiesOf('app-db')).toEqual([]);
  });

  it('retries a DBInstanceNotFound right after the restore with backoff before it counts', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const restoring = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    const copy = fake.instances.get(TEMPORARY_ID);
    fake.instances.delete(TEMPORARY_ID);
    let misses = 0;
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TEMPORARY_ID }).callsFake(() => {
      misses += 1;
      if (misses <= 2) throw fault(DBInstanceNotFoundFault);
      return { DBInstances: [copy] };
    });

    // Act
    const next = await tool.advance(restoring, instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(next.status).toBe('RESTORING');
    expect(slept).toEqual([1000, 2000]);
  });

  it('a copy that never shows up after the bounded retries fails before the swap, production untouched', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const restoring = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    fake.instances.delete(TEMPORARY_ID);

    // Act
    const end = await advanceUntil(tool, restoring, instanceSnapshot, fake, done);

    // Assess
    expect(slept).toEqual([1000, 2000, 4000]);
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain('not found after its restore');
    expect(end.reason).toContain('production was not changed');
    expect(modifiesOf('app-db')).toEqual([]);
  });

  it('a copy that fails is deleted and production is never fenced nor renamed', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const restoring = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    fake.setInstanceStatus(TEMPORARY_ID, 'incompatible-parameters');

    // Act
    const end = await advanceUntil(tool, restoring, instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain("the restored copy is 'incompatible-parameters'");
    expect(end.reason).toContain(`The temporary copy '${TEMPORARY_ID}' is deleted`);
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: TEMPORARY_ID,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(modifiesOf('app-db')).toEqual([]);
    expect([...fake.instances.keys()]).toEqual(['app-db']);
  });

  it('does not fence once the restore has used its budget: the copy is deleted, production never touched', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool({ lastFencePoll: 4 });
    const restoring = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    // A large snapshot: the copy is ready only after the restore's share of the polls is spent.
    const late = { ...restoring, polls: 4 };

    // Act
    const end = await advanceUntil(tool, late, instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain('too late to fence and swap');
    expect(modifiesOf('app-db')).toEqual([]);
    expect([...fake.instances.keys()]).toEqual(['app-db']);
  });

  it('fences when the copy is ready within the budget', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool({ lastFencePoll: 4 });

    // Act
    const end = await advanceUntil(tool, tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, fake, done);

    // Assess
    expect(end.status, end.reason).toBe('AVAILABLE');
  });

  it('keeps the failed copy when configured to', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool({ keepTemporaryCopyOnFailure: true });
    const restoring = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    fake.setInstanceStatus(TEMPORARY_ID, 'failed');

    // Act
    const end = await advanceUntil(tool, restoring, instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain('is kept (keepTemporaryCopyOnFailure)');
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect([...fake.instances.keys()].sort()).toEqual(['app-db', TEMPORARY_ID]);
  });

  it('a copy whose settings differ from the source fails before the fence', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const restoring = await tool.advance(tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, DEPLOYMENT);
    const copy = fake.instances.get(TEMPORARY_ID);
    if (copy !== undefined) copy.MultiAZ = false;

    // Act
    const end = await advanceUntil(tool, restoring, instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain('MultiAZ is false');
    expect(modifiesOf('app-db')).toEqual([]);
  });

  it('a fence that RDS refuses leaves production as it was and deletes the copy', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    rds
      .on(ModifyDBInstanceCommand, { DBInstanceIdentifier: 'app-db', VpcSecurityGroupIds: [FENCE_SG] })
      .rejects(fault(InvalidVPCNetworkStateFault));

    // Act
    const end = await advanceUntil(tool, tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain('InvalidVPCNetworkStateFault');
    expect(end.reason).toContain('production was not changed');
    expect(fake.instances.get('app-db')?.VpcSecurityGroups?.map((group) => group.VpcSecurityGroupId)).toEqual([
      'sg-0aaa',
      'sg-0bbb',
    ]);
    expect(fake.instances.has(TEMPORARY_ID)).toBe(false);
  });

  it('a rename of production that RDS refuses is undone: production unfenced, copy deleted', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    rds
      .on(ModifyDBInstanceCommand, { DBInstanceIdentifier: 'app-db', NewDBInstanceIdentifier: PRESERVED_ID })
      .rejects(accessDenied());

    // Act
    const end = await advanceUntil(tool, tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(end.reason).toContain("recovered: 'app-db' is production again");
    expect(fake.instances.get('app-db')?.DbiResourceId).toBe('db-PRODUCTION');
    expect(fake.instances.get('app-db')?.VpcSecurityGroups?.map((group) => group.VpcSecurityGroupId)).toEqual([
      'sg-0aaa',
      'sg-0bbb',
    ]);
    expect(end.fence?.unfencedAt).toBe(NOW.toISOString());
    expect(fake.instances.has(TEMPORARY_ID)).toBe(false);
  });

  it('a rename of the copy into the name that RDS refuses renames production back and unfences it', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    rds
      .on(ModifyDBInstanceCommand, { DBInstanceIdentifier: TEMPORARY_ID, NewDBInstanceIdentifier: 'app-db' })
      .rejects(accessDenied());

    // Act
    const end = await advanceUntil(tool, tool.plan(instanceSnapshot, DEPLOYMENT), instanceSnapshot, fake, done);

    // Assess
    expect(end.status).toBe('FAILED');
    expect(modifiesOf(PRESERVED_ID)).toEqual([
      { DBInstanceIdentifier: PRESERVED_ID, NewDBInstanceIdentifier: 'app-db', ApplyImmediately: true },
    ]);
    expect(fake.instances.get('app-db')?.DbiResourceId).toBe('db-PRODUCTION');
    expect(fake.instances.get('app-db')?.VpcSecurityGroups?.map((group) => group.VpcSecurityGroupId)).toEqual([
      'sg-0aaa',
      'sg-0bbb',
    ]);
    expect(end.swap?.endpointDownSeconds).toBe(0);
    expect([...fake.instances.keys()]).toEqual(['app-db']);
  });

  it('waits for the fence to take effect before renaming', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool();
    const fencing = await advanceUntil(
      tool,
      tool.plan(instanceSnapshot, DEPLOYMENT),
      instanceSnapshot,
      fake,
      (progress) => progress.status === 'FENCING',
    );
    fake.setInstanceStatus('app-db', 'modifying');

    // Act
    const next = await tool.advance(fencing, instanceSnapshot, DEPLOYMENT);

    // Assess
    expect(next.status).toBe('FENCING');
    expect(modifiesOf('app-db').filter((input) => input.NewDBInstanceIdentifier !== undefined)).toEqual([]);
  });
});

/** RDS's AccessDenied as the SDK throws it (not a modelled exception). */
function accessDenied(): RDSServiceException {
  return new RDSServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    message: 'not authorized to perform rds:ModifyDBInstance',
    $metadata: { httpStatusCode: 403 },
  });
}
