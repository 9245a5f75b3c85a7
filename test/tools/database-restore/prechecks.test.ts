import { beforeEach, describe, expect, it } from 'vitest';
import { clusterTool, FakeRds, instanceTool, rds, sentCommandNames } from './fake-rds';
import {
  clusterMember,
  clusterSnapshot,
  DEPLOYMENT,
  FENCE_SG,
  instanceSnapshot,
  KMS_KEY,
  productionCluster,
  productionInstance,
} from './fixtures';

let fake: FakeRds;

beforeEach(() => {
  rds.reset();
  fake = new FakeRds();
  fake.install(rds);
});

/** The first step, and every AWS call it made (which must all be reads when it refuses). */
async function firstStep(tool: ReturnType<typeof instanceTool>, snapshot = instanceSnapshot) {
  const progress = await tool.advance(tool.plan(snapshot, DEPLOYMENT), snapshot, DEPLOYMENT);
  return { progress, calls: sentCommandNames() };
}

describe('database restore pre-checks: refused with nothing touched', () => {
  it.each([
    ['no fence group is configured', { fenceSecurityGroupId: undefined }, {}, 'databaseRestore.fenceSecurityGroupId'],
    [
      'the snapshot uses a customer key and no kmsKeyArn is configured',
      { kmsKeyArn: undefined },
      {},
      'no databaseRestore.kmsKeyArn',
    ],
    [
      'the snapshot uses another key than the configured one',
      { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/9999' },
      {},
      'not with the configured databaseRestore.kmsKeyArn',
    ],
    [
      'the master password is managed by RDS',
      {},
      { MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1' } },
      'managed by RDS in Secrets Manager',
    ],
    ['the snapshot is larger than what will be allocated', {}, { AllocatedStorage: 50 }, 'more than the 50 GiB'],
    ['the engine major version differs', {}, { EngineVersion: '17.1' }, 'differ in major version'],
    [
      'IAM database authentication is on',
      {},
      { IAMDatabaseAuthenticationEnabled: true },
      "acknowledgedBreaks: ['IAM_DB_AUTH']",
    ],
    [
      'the database has read replicas',
      {},
      { ReadReplicaDBInstanceIdentifiers: ['app-db-replica'] },
      "['READ_REPLICAS']",
    ],
    [
      'Enhanced Monitoring uses a role not configured',
      {},
      { MonitoringInterval: 60, MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring' },
      'databaseRestore.monitoringRoleArn',
    ],
    [
      'the fence group is one of its own',
      {},
      { VpcSecurityGroups: [{ VpcSecurityGroupId: FENCE_SG, Status: 'active' }] },
      'fence nothing',
    ],
  ])('refuses when %s', async (_, options, overrides, message) => {
    // Prepare
    fake.instances.set('app-db', productionInstance(overrides));
    const tool = instanceTool(options);

    // Act
    const { progress, calls } = await firstStep(tool);

    // Assess
    expect(progress).toMatchObject({ status: 'FAILED', refused: true });
    expect(progress.reason).toContain('nothing was created or changed');
    expect(progress.reason).toContain(message);
    expect(calls.filter((name) => !name.startsWith('Describe'))).toEqual([]);
  });

  it('refuses a database that an RDS Proxy targets, unless acknowledged, then lists it as a follow-up', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance({ IAMDatabaseAuthenticationEnabled: true }));
    fake.proxies.set('app-proxy', ['app-db']);
    fake.proxies.set('other-proxy', ['other-db']);

    // Act
    const refused = await firstStep(instanceTool());
    const accepted = await instanceTool({ acknowledgedBreaks: ['RDS_PROXY', 'IAM_DB_AUTH'] }).advance(
      instanceTool().plan(instanceSnapshot, DEPLOYMENT),
      instanceSnapshot,
      DEPLOYMENT,
    );

    // Assess
    expect(refused.progress.reason).toContain('RDS Proxy app-proxy keeps targeting the preserved copy');
    expect(refused.progress.reason).not.toContain('other-proxy');
    expect(accepted.status).toBe('RESTORING');
    expect(accepted.followUps).toEqual([
      expect.stringContaining('RDS Proxy app-proxy'),
      expect.stringContaining('rds-db:connect'),
    ]);
  });

  it.each<[string, Record<string, { vpcId: string; ingressRules: number }>, string]>([
    [
      'does not exist',
      { 'sg-0aaa': { vpcId: 'vpc-1', ingressRules: 2 } },
      `the fence security group '${FENCE_SG}' does not exist`,
    ],
    [
      "is in another VPC than the database's groups",
      { [FENCE_SG]: { vpcId: 'vpc-2', ingressRules: 0 }, 'sg-0aaa': { vpcId: 'vpc-1', ingressRules: 2 } },
      "is in vpc-2, not in the database's vpc-1",
    ],
    [
      'lets traffic in',
      { [FENCE_SG]: { vpcId: 'vpc-1', ingressRules: 1 }, 'sg-0aaa': { vpcId: 'vpc-1', ingressRules: 2 } },
      'has 1 ingress rule(s): it would fence nothing',
    ],
  ])('refuses, before the restore, a fence group that %s', async (_, groups, reason) => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool({
      securityGroupsOf: async (ids) => new Map(ids.flatMap((id) => (groups[id] ? [[id, groups[id]] as const] : []))),
    });

    // Act
    const { progress, calls } = await firstStep(tool);

    // Assess
    expect(progress).toMatchObject({ status: 'FAILED', refused: true });
    expect(progress.reason).toContain(reason);
    expect(calls.every((name) => name.startsWith('Describe'))).toBe(true);
  });

  it('accepts a fence group without ingress in the database VPC', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const asked: string[][] = [];
    const tool = instanceTool({
      securityGroupsOf: async (ids) => {
        asked.push([...ids]);
        return new Map(ids.map((id) => [id, { vpcId: 'vpc-1', ingressRules: id === FENCE_SG ? 0 : 3 }] as const));
      },
    });

    // Act
    const { progress } = await firstStep(tool);

    // Assess
    expect(progress.status, progress.reason).toBe('RESTORING');
    expect(asked).toEqual([[FENCE_SG, 'sg-0aaa', 'sg-0bbb']]);
  });

  it('accepts a snapshot under the AWS managed aws/rds key without any kmsKeyArn', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const asked: string[] = [];
    const tool = instanceTool({
      kmsKeyArn: undefined,
      keyManagerOf: async (keyId) => {
        asked.push(keyId);
        return 'AWS';
      },
    });

    // Act
    const { progress } = await firstStep(tool);

    // Assess
    expect(progress.status, progress.reason).toBe('RESTORING');
    expect(asked).toEqual([instanceSnapshot.kmsKeyId]);
  });

  it.each(['CUSTOMER', undefined] as const)(
    'refuses a snapshot whose key is managed by %s without a kmsKeyArn',
    async (manager) => {
      // Prepare
      fake.instances.set('app-db', productionInstance());
      const tool = instanceTool({ kmsKeyArn: undefined, keyManagerOf: async () => manager });

      // Act
      const { progress, calls } = await firstStep(tool);

      // Assess
      expect(progress).toMatchObject({ status: 'FAILED', refused: true });
      expect(progress.reason).toContain(manager === 'CUSTOMER' ? 'a customer managed key' : 'could not be read');
      expect(calls.every((name) => name.startsWith('Describe'))).toBe(true);
    },
  );

  it('accepts a snapshot encrypted with the configured key given as a key id', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    const tool = instanceTool({ kmsKeyArn: KMS_KEY });

    // Act
    const { progress } = await firstStep(tool, { ...instanceSnapshot, kmsKeyId: '1111-2222' });

    // Assess
    expect(progress.status, progress.reason).toBe('RESTORING');
  });

  it('refuses an Aurora cluster with a custom endpoint unless acknowledged', async () => {
    // Prepare
    fake.clusters.set('orders', productionCluster());
    for (const id of ['orders-1', 'orders-2', 'orders-3']) fake.instances.set(id, clusterMember(id));
    fake.customEndpoints.set('orders', ['orders-analytics']);

    // Act
    const refused = await clusterTool().advance(
      clusterTool().plan(clusterSnapshot, DEPLOYMENT),
      clusterSnapshot,
      DEPLOYMENT,
    );
    const accepted = await clusterTool({ acknowledgedBreaks: ['CUSTOM_ENDPOINTS'] }).advance(
      clusterTool().plan(clusterSnapshot, DEPLOYMENT),
      clusterSnapshot,
      DEPLOYMENT,
    );

    // Assess
    expect(refused).toMatchObject({ status: 'FAILED', refused: true });
    expect(refused.reason).toContain('custom endpoints orders-analytics');
    expect(accepted.status).toBe('RESTORING');
    expect(accepted.followUps).toEqual([expect.stringContaining('orders-analytics')]);
  });

  it('refuses a leftover preserved copy and a temporary name that is not ours', async () => {
    // Prepare
    fake.instances.set('app-db', productionInstance());
    fake.instances.set(
      'app-db-pre-rb-9d7c36ba',
      productionInstance({ DBInstanceIdentifier: 'app-db-pre-rb-9d7c36ba' }),
    );

    // Act
    const { progress, calls } = await firstStep(instanceTool());

    // Assess
    expect(progress).toMatchObject({ status: 'FAILED', refused: true });
    expect(progress.reason).toContain('already exists');
    expect(calls.filter((name) => !name.startsWith('Describe'))).toEqual([]);
  });
});
