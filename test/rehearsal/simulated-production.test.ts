import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { DeploymentRef } from '../../lambdas/shared/contracts';
import type { Side, Sides } from '../../lambdas/shared/cutover-contracts';
import { toWorkflowError } from '../../lambdas/shared/errors';
import { TAG_PRESERVED_AS, TAG_RESTORED_FROM } from '../../lambdas/shared/rds-names';
import { createBackupTool } from '../../lambdas/tools/backup';
import { createDatabaseRestore } from '../../lambdas/tools/database-restore';
import { createEnvironmentProvisioner } from '../../lambdas/tools/environment-provisioner';
import { createTrafficRouter } from '../../lambdas/tools/traffic-router';
import { SIM_DB_KMS_KEY, SIM_FENCE_SECURITY_GROUP } from '../../rehearsal/simulated-aws/rds';
import {
  SIM,
  SIM_DATABASE_RESOURCES,
  SimulatedProduction,
  type SimulatedProductionOptions,
} from '../../rehearsal/simulated-production';
import { rejection } from '../support/errors';

/**
 * The simulated production spoken to through the REAL tools, so the simulation is known to answer the exact API the
 * agents use (and a workflow test built on it exercises their real code). Its metrics and alarms are tested in
 * simulated-aws/cloudwatch.test.ts and simulated-aws/alarms.test.ts.
 */

const BLUE: Side = { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName };
const GREEN: Side = { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName };
const RELEASE_IMAGE = `${SIM.account}.dkr.ecr.${SIM.region}.amazonaws.com/shop:1.4.0`;
const DEPLOYMENT = 'rel-1-4-0-20261124';

function world(options: SimulatedProductionOptions = {}) {
  const sim = new SimulatedProduction(options);
  const clock = sim.clock.nowFn;
  const router = createTrafficRouter(sim.elbClient(), SIM.listenerArn, {
    clock,
    sleep: async (ms) => sim.clock.advance(ms / 1000),
  });
  const provisioner = createEnvironmentProvisioner({
    ecs: sim.ecsClient(),
    elb: sim.elbClient(),
    clusterName: SIM.clusterName,
    taskDefinitionFamily: SIM.taskDefinitionFamily,
    clock,
  });
  const restore = createDatabaseRestore(
    sim.rdsClient(),
    { kind: 'instance', identifier: SIM.databaseIdentifier },
    {
      clock,
      allowedResources: { ...SIM_DATABASE_RESOURCES, clusterParameterGroups: [] },
      fenceSecurityGroupId: SIM_FENCE_SECURITY_GROUP,
      kmsKeyArn: SIM_DB_KMS_KEY,
    },
  );
  return { sim, router, provisioner, restore };
}

type World = ReturnType<typeof world>;

async function resolvedSides({ router }: World): Promise<Sides> {
  return router.resolveSides([BLUE, GREEN]);
}

/** Green provisioned and polled until READY (or the poll budget is spent). */
async function readyGreen(w: World, sides: Sides) {
  let env = await w.provisioner.provisionGreen({
    live: sides.live,
    green: sides.green,
    image: RELEASE_IMAGE,
    deploymentName: DEPLOYMENT,
  });
  for (let poll = 0; poll < 10 && env.status === 'PENDING'; poll += 1) env = await w.provisioner.checkGreen(GREEN, env);
  return env;
}

describe('listener through the traffic router', () => {
  it('starts with blue live, shifts green to 10 % and confirms it', async () => {
    // Prepare
    const w = world();

    // Act
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 10);
    const confirmed = await w.router.confirmWeights(sides, 10);

    // Assess
    expect(sides.live).toEqual(BLUE);
    expect(sides.green).toEqual(GREEN);
    expect(sides.stickiness).toEqual({ enabled: false, durationSeconds: 0 });
    expect(sides.resolvedAt).toBe('2026-11-24T10:00:00.000Z');
    expect(confirmed.confirmedAt).toBe('2026-11-24T10:00:00.000Z');
    expect(w.sim.greenWeights).toEqual([10]);
    expect(w.sim.currentGreenWeight()).toBe(10);
    expect(w.sim.calls).toEqual([
      'ELB:DescribeListeners',
      'ELB:DescribeRules',
      'ELB:ModifyListener blue=90 green=10',
      'ELB:DescribeListeners',
    ]);
  });

  it('a throttled ModifyListener is retried by the SDK, then by the caller, and is not recorded as a weight change', async () => {
    // Prepare: one more throttle than the client's 3 attempts
    const w = world({ cutover: { modifyListener: { throttleTimes: 4 } } });
    const sides = await resolvedSides(w);

    // Act
    const first = await rejection(w.router.setGreenWeight(sides, 10));
    await w.router.setGreenWeight(sides, 10);

    // Assess
    expect(first.name).toBe('ThrottlingException');
    expect(toWorkflowError(first).name).toBe('TransientAwsError');
    expect(w.sim.greenWeights).toEqual([10]);
    expect(w.sim.calls.filter((call) => call.startsWith('ELB:ModifyListener'))).toEqual([
      'ELB:ModifyListener blue=90 green=10 -> ThrottlingException',
      'ELB:ModifyListener blue=90 green=10 -> ThrottlingException',
      'ELB:ModifyListener blue=90 green=10 -> ThrottlingException',
      'ELB:ModifyListener blue=90 green=10 -> ThrottlingException',
      'ELB:ModifyListener blue=90 green=10',
    ]);
  });

  it('a write to a rejected weight fails every time, non-retryable, and leaves the listener as it was', async () => {
    // Prepare
    const w = world({ cutover: { modifyListener: { failWhenGreenWeightIs: 50 } } });
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 10);

    // Act
    const errors = [
      await rejection(w.router.setGreenWeight(sides, 50)),
      await rejection(w.router.setGreenWeight(sides, 50)),
    ];

    // Assess
    for (const error of errors) {
      expect(error.name).toBe('ValidationError');
      expect(error.message).toBe('simulated rejection');
      expect(toWorkflowError(error).name).toBe('ValidationError');
    }
    expect(w.sim.currentGreenWeight()).toBe(10);
    expect(w.sim.greenWeights).toEqual([10]);
    await expect(w.router.confirmWeights(sides, 50)).rejects.toMatchObject({ name: 'TrafficShiftNotConfirmed' });
  });

  it('failRestores: every write of green 0 fails, so restoreLive cannot put live back', async () => {
    // Prepare
    const w = world({ cutover: { modifyListener: { failRestores: true } } });
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 10);

    // Act
    const first = await rejection(w.router.restoreLive(sides));
    const second = await rejection(w.router.restoreLive(sides));

    // Assess
    expect([first.name, second.name]).toEqual(['ValidationError', 'ValidationError']);
    expect(w.sim.currentGreenWeight()).toBe(10);
    expect(w.sim.greenWeights).toEqual([10]);
  });

  it('restoreLive puts green back to 0 and a rule-free listener resolves again', async () => {
    // Prepare
    const w = world();
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 50);

    // Act
    await w.router.restoreLive(sides);

    // Assess
    expect(w.sim.greenWeights).toEqual([50, 0]);
    expect((await resolvedSides(w)).live).toEqual(BLUE);
  });

  it('an unmodelled command rejects loudly and is recorded', async () => {
    // Prepare
    const w = world();

    // Act
    const error = await rejection(w.sim.elbClient().send(new DescribeLoadBalancersCommand({})));

    // Assess
    expect(error.message).toContain('does not model ELB DescribeLoadBalancersCommand');
    expect(w.sim.calls).toEqual(['ELB:DescribeLoadBalancersCommand -> NotModelledBySimulation']);
  });

  it('each client is one shared simulated instance', () => {
    const { sim } = world();
    expect(sim.elbClient()).toBe(sim.elbClient());
    expect(sim.ecsClient()).toBe(sim.ecsClient());
    expect(sim.cloudWatchClient()).toBe(sim.cloudWatchClient());
    expect(sim.rdsClient()).toBe(sim.rdsClient());
  });
});

describe('green environment through the environment provisioner', () => {
  it('provisions green from the live revision with the release image; READY after N polls', async () => {
    // Prepare
    const w = world({ cutover: { greenReadyAfterPolls: 3 } });
    const sides = await resolvedSides(w);

    // Act
    const provisioned = await w.provisioner.provisionGreen({
      live: sides.live,
      green: sides.green,
      image: RELEASE_IMAGE,
      deploymentName: DEPLOYMENT,
    });
    const polls = [];
    let env = provisioned;
    for (let i = 0; i < 3; i += 1) {
      env = await w.provisioner.checkGreen(GREEN, env);
      polls.push(env.status);
    }
    const health = await w.router.targetHealth(SIM.greenTargetGroupArn);

    // Assess
    expect(provisioned).toMatchObject({
      taskDefinitionArn: `arn:aws:ecs:${SIM.region}:${SIM.account}:task-definition/shop-web:8`,
      previousTaskDefinitionArn: `arn:aws:ecs:${SIM.region}:${SIM.account}:task-definition/shop-web:6`,
      containerName: 'web',
      desiredCount: 3,
      status: 'PENDING',
    });
    expect(polls).toEqual(['PENDING', 'PENDING', 'READY']);
    expect(env).toMatchObject({ status: 'READY', healthyTargets: 3, polls: 3 });
    expect(health).toMatchObject({ total: 3, healthy: 3, unhealthy: 0 });
    expect(w.sim.serviceDesiredCount(SIM.greenServiceName)).toBe(3);
    expect(w.sim.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
    expect(w.sim.serviceTaskDefinition(SIM.greenServiceName)).toBe('shop-web:8');
    expect(w.sim.calls).toContain(
      'ECS:UpdateService shop-green taskDefinition=shop-web:8 desiredCount=3 forceNewDeployment',
    );
    expect(w.sim.calls.some((call) => call.startsWith('ECS:UpdateService shop-blue'))).toBe(false);
  });

  it('a retried provisionGreen reuses the registered revision and does not restart the rollout', async () => {
    // Prepare
    const w = world();
    const sides = await resolvedSides(w);
    const input = { live: sides.live, green: sides.green, image: RELEASE_IMAGE, deploymentName: DEPLOYMENT };
    const first = await w.provisioner.provisionGreen(input);

    // Act
    const retried = await w.provisioner.provisionGreen(input);

    // Assess
    expect(retried.taskDefinitionArn).toBe(first.taskDefinitionArn);
    expect(w.sim.calls.filter((call) => call.startsWith('ECS:RegisterTaskDefinition'))).toHaveLength(1);
    expect(w.sim.calls.filter((call) => call.startsWith('ECS:UpdateService'))).toHaveLength(1);
  });

  it('greenNeverHealthy: the rollout stays in progress and the targets turn unhealthy', async () => {
    // Prepare
    const w = world({ cutover: { greenNeverHealthy: true } });
    const sides = await resolvedSides(w);

    // Act
    const env = await readyGreen(w, sides);
    const health = await w.router.targetHealth(SIM.greenTargetGroupArn);

    // Assess
    expect(env.status).toBe('PENDING');
    expect(env.reason).toContain('rollout in progress');
    expect(env.reason).toContain('3 unhealthy (Target.ResponseCodeMismatch)');
    expect(health).toMatchObject({ total: 3, healthy: 0, unhealthy: 3 });
  });

  it('scales green down once its weight is 0', async () => {
    // Prepare
    const w = world();
    const sides = await resolvedSides(w);
    await readyGreen(w, sides);

    // Act
    const result = await w.provisioner.scaleDownGreen({ green: GREEN, live: BLUE, greenWeight: 0 });

    // Assess
    expect(result).toMatchObject({ previousDesiredCount: 3, alreadyScaledDown: false });
    expect(w.sim.serviceDesiredCount(SIM.greenServiceName)).toBe(0);
    expect((await w.router.targetHealth(SIM.greenTargetGroupArn)).total).toBe(0);
  });

  it.each([
    { exitCode: 0, status: 'SUCCEEDED' },
    { exitCode: 3, status: 'FAILED' },
  ])('migration exiting with $exitCode is $status after the running polls', async ({ exitCode, status }) => {
    // Prepare
    const w = world({ cutover: { migrationExitCode: exitCode, migrationRunningPolls: 2 } });
    const sides = await resolvedSides(w);
    const env = await readyGreen(w, sides);
    const request = { env, green: GREEN, command: ['npm', 'run', 'migrate'], deploymentName: DEPLOYMENT };

    // Act
    const started = await w.provisioner.startMigration(request);
    const again = await w.provisioner.startMigration(request);
    const statuses = [];
    let migration = started;
    for (let i = 0; i < 3; i += 1) {
      migration = await w.provisioner.checkMigration(migration, env.containerName);
      statuses.push(migration.status);
    }

    // Assess
    expect(again.taskArn).toBe(started.taskArn);
    expect(statuses).toEqual(['RUNNING', 'RUNNING', status]);
    expect(migration.exitCode).toBe(exitCode);
  });
});

describe('database restore through the database restore tool', () => {
  async function backup(w: World) {
    const deployment: DeploymentRef = {
      name: DEPLOYMENT,
      executionArn: `arn:aws:states:${SIM.region}:${SIM.account}:execution:DeploymentCrew:${DEPLOYMENT}`,
      startedAt: new Date().toISOString(),
    };
    const tool = createBackupTool(w.sim.rdsClient(), { kind: 'instance', identifier: SIM.databaseIdentifier });
    const created = await tool.create(deployment);
    for (let i = 0; i < 5 && (await tool.describe(created)).status === 'creating'; i += 1);
    return tool.verify(created, deployment);
  }

  it('restores beside production, fences it, swaps the names, and keeps the preserved copy', async () => {
    // Prepare
    const w = world();
    const snapshot = await backup(w);
    let progress = w.restore.plan(snapshot, DEPLOYMENT);
    const statuses: string[] = [];

    // Act
    for (let i = 0; i < 10 && progress.status !== 'AVAILABLE' && progress.status !== 'FAILED'; i += 1) {
      progress = await w.restore.advance(progress, snapshot, DEPLOYMENT);
      statuses.push(progress.status);
    }

    // Assess
    expect(progress.status, progress.reason).toBe('AVAILABLE');
    expect(statuses).toEqual([
      'RESTORING',
      'RESTORING',
      'RESTORING',
      'FENCING',
      'FENCING',
      'RENAMING',
      'RENAMING',
      'RENAMING',
      'RENAMING',
      'AVAILABLE',
    ]);
    expect(w.sim.databaseInstances()).toEqual([SIM.databaseIdentifier, progress.preservedIdentifier]);
    expect(progress.preservedIdentifier).toMatch(/^shop-prod-db-pre-rb-[0-9a-f]{8}$/);
    const restoreCall = w.sim.calls.find((call) => call.startsWith('RDS:RestoreDBInstanceFromDBSnapshot'));
    expect(restoreCall).toBe(
      `RDS:RestoreDBInstanceFromDBSnapshot ${progress.temporaryIdentifier} from=${snapshot.identifier}`,
    );
    const instance = w.sim.databaseInstance(SIM.databaseIdentifier);
    expect(instance).toMatchObject({
      DBInstanceStatus: 'available',
      MultiAZ: true,
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroup: { DBSubnetGroupName: 'shop-prod-db-subnets' },
      DBParameterGroups: [{ DBParameterGroupName: 'shop-postgres16' }],
      OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16' }],
    });
    expect(instance?.TagList).toEqual(
      expect.arrayContaining([
        { Key: TAG_RESTORED_FROM, Value: snapshot.identifier },
        { Key: TAG_PRESERVED_AS, Value: progress.preservedIdentifier },
        { Key: 'app', Value: 'shop' },
      ]),
    );
  });

  it('a restore that RDS refuses ends FAILED with production untouched under its own name', async () => {
    // Prepare
    const w = world({ cutover: { restore: { failWith: 'InsufficientDBInstanceCapacityFault' } } });
    const snapshot = w.sim.seedSnapshot(DEPLOYMENT);
    let progress = w.restore.plan(snapshot, DEPLOYMENT);

    // Act
    for (let i = 0; i < 10 && progress.status !== 'AVAILABLE' && progress.status !== 'FAILED'; i += 1) {
      progress = await w.restore.advance(progress, snapshot, DEPLOYMENT);
    }

    // Assess
    expect(progress.status).toBe('FAILED');
    expect(progress.reason).toContain('InsufficientDBInstanceCapacityFault');
    expect(w.sim.databaseInstances()).toEqual([SIM.databaseIdentifier]);
  });

  it('describing an unknown instance is DBInstanceNotFoundFault', async () => {
    const w = world();
    await expect(
      w.sim.rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })),
    ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });
});
