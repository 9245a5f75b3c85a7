import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { parseListenerArn, parseTargetGroupArn } from '../../lambdas/shared/arns';
import type { DeploymentRef } from '../../lambdas/shared/contracts';
import type { Side, Sides } from '../../lambdas/shared/cutover-contracts';
import { toWorkflowError } from '../../lambdas/shared/errors';
import { TAG_PRESERVED_AS, TAG_RESTORED_FROM } from '../../lambdas/shared/rds-names';
import { createBackupTool } from '../../lambdas/tools/backup';
import { createDatabaseRestore } from '../../lambdas/tools/database-restore';
import { createEnvironmentProvisioner } from '../../lambdas/tools/environment-provisioner';
import { createMetricsMonitor } from '../../lambdas/tools/metrics-monitor';
import { createTrafficRouter } from '../../lambdas/tools/traffic-router';
import { rejection } from './errors';
import {
  SIM,
  SIM_ALARMS,
  SIM_DATABASE_RESOURCES,
  SimulatedProduction,
  type SimulatedProductionOptions,
} from './simulated-production';

/**
 * The simulated production spoken to through the REAL tools, so the simulation is known to answer the exact API the
 * agents use (and a workflow test built on it exercises their real code).
 */

const BLUE: Side = { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName };
const GREEN: Side = { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName };
const RELEASE_IMAGE = `${SIM.account}.dkr.ecr.${SIM.region}.amazonaws.com/shop:1.4.0`;
const DEPLOYMENT = 'rel-1-4-0-20261124';
const GREEN_FULL_NAME = parseTargetGroupArn(SIM.greenTargetGroupArn).fullName;
const BLUE_FULL_NAME = parseTargetGroupArn(SIM.blueTargetGroupArn).fullName;
const WATCHED = [SIM_ALARMS.greenErrorRate, SIM_ALARMS.greenP95Latency, SIM_ALARMS.dbConnections];

function world(options: SimulatedProductionOptions = {}) {
  const sim = new SimulatedProduction(options);
  const clock = sim.clock.nowFn;
  const router = createTrafficRouter(sim.elbClient(), SIM.listenerArn, { clock });
  const provisioner = createEnvironmentProvisioner({
    ecs: sim.ecsClient(),
    elb: sim.elbClient(),
    clusterName: SIM.clusterName,
    taskDefinitionFamily: SIM.taskDefinitionFamily,
    clock,
  });
  const monitor = createMetricsMonitor(sim.cloudWatchClient(), {
    loadBalancerFullName: parseListenerArn(SIM.listenerArn).loadBalancerFullName,
    database: { kind: 'instance', identifier: SIM.databaseIdentifier },
    dbMaxConnections: SIM.dbMaxConnections,
  });
  const restore = createDatabaseRestore(
    sim.rdsClient(),
    { kind: 'instance', identifier: SIM.databaseIdentifier },
    { clock, allowedResources: { ...SIM_DATABASE_RESOURCES, clusterParameterGroups: [] } },
  );
  return { sim, router, provisioner, monitor, restore };
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

const noAlarm = async () => {
  throw new Error('no alarm expected');
};

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

  it('a throttled ModifyListener is retryable and is not recorded as a weight change', async () => {
    // Prepare
    const w = world({ cutover: { modifyListener: { throttleTimes: 2 } } });
    const sides = await resolvedSides(w);

    // Act
    const first = await rejection(w.router.setGreenWeight(sides, 10));
    const second = await rejection(w.router.setGreenWeight(sides, 10));
    await w.router.setGreenWeight(sides, 10);

    // Assess
    expect(first.name).toBe('ThrottlingException');
    expect(toWorkflowError(first).name).toBe('TransientAwsError');
    expect(toWorkflowError(second).name).toBe('TransientAwsError');
    expect(w.sim.greenWeights).toEqual([10]);
    expect(w.sim.calls.filter((call) => call.startsWith('ELB:ModifyListener'))).toEqual([
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

  it('each client is one shared mocked instance', () => {
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

describe('metrics and alarms through the metrics monitor', () => {
  it('a bake at 10 % shows the modelled error rate and p95 for green, and live carries the rest', async () => {
    // Prepare
    const w = world({
      traffic: {
        greenErrorRatePercent: ({ greenWeight }) => (greenWeight === 10 ? 2 : 0.2),
        greenP95Ms: ({ minute }) => 200 + 10 * minute,
        dbConnections: ({ greenWeight }) => 120 + greenWeight,
      },
    });
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 10);
    const start = w.sim.clock.now();

    // Act
    const bake = await w.sim.bake(300, noAlarm);
    const sample = await w.monitor.sample(GREEN_FULL_NAME, { start, end: w.sim.clock.now() }, WATCHED);
    const live = await w.monitor.liveErrorRate(BLUE_FULL_NAME, { start, end: w.sim.clock.now() });

    // Assess
    expect(bake).toEqual({ interruptedBy: null });
    expect(sample.windowStart).toBe('2026-11-24T10:00:00.000Z');
    expect(sample.windowEnd).toBe('2026-11-24T10:05:00.000Z');
    expect(sample.minutes).toHaveLength(5);
    for (const [index, minute] of sample.minutes.entries()) {
      expect(minute).toEqual({
        at: new Date(start.getTime() + index * 60_000).toISOString(),
        requests: 600,
        errors: 12,
        errorRatePercent: 2,
        p95LatencyMs: 200 + 10 * index,
      });
    }
    expect(sample.p95LatencyMs).toBe(240);
    expect(sample.dbConnectionsMax).toBe(130);
    expect(sample.dbMaxConnections).toBe(400);
    expect(sample.alarmsInAlarm).toEqual([]);
    // 0.1 % of 5400 requests is 5.4 errors a minute, counted as 5.
    expect(live).toMatchObject({ requests: 5 * 5400, errors: 5 * 5 });
    expect(live.minutes.map((minute) => minute.p95LatencyMs)).toEqual([150, 150, 150, 150, 150]);
  });

  it('minutes before green got traffic have no green data; minutes not over yet have none either', async () => {
    // Prepare
    const w = world();
    w.sim.clock.advance(120);
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 10);
    w.sim.clock.advance(90);

    // Act
    const sample = await w.monitor.sample(
      GREEN_FULL_NAME,
      { start: new Date('2026-11-24T09:58:00Z'), end: new Date('2026-11-24T10:05:00Z') },
      WATCHED,
    );

    // Assess
    expect(sample.minutes.map((minute) => minute.requests)).toEqual([0, 0, 0, 0, 600, 0, 0]);
    expect(sample.minutes.map((minute) => minute.errors)).toEqual([0, 0, 0, 0, 1, 0, 0]);
    expect(sample.minutes.filter((minute) => minute.errorRatePercent !== null)).toHaveLength(1);
  });

  it('the green error-rate alarm fires in the 2nd consecutive bad minute, not for a single bad minute', async () => {
    // Prepare
    const twoBad = world({ traffic: { greenErrorRatePercent: ({ minute }) => (minute >= 2 ? 8 : 0.2) } });
    const oneBad = world({ traffic: { greenErrorRatePercent: ({ minute }) => (minute === 1 ? 30 : 0.2) } });
    const fired: [string, string][] = [];
    for (const w of [twoBad, oneBad]) await w.router.setGreenWeight(await resolvedSides(w), 10);

    // Act
    const interrupted = await twoBad.sim.bake(600, async (name, at) => {
      fired.push([name, at.toISOString()]);
    });
    const sample = await twoBad.monitor.sample(
      GREEN_FULL_NAME,
      { start: new Date('2026-11-24T10:00:00Z'), end: twoBad.sim.clock.now() },
      WATCHED,
    );
    const uninterrupted = await oneBad.sim.bake(600, noAlarm);

    // Assess
    expect(fired).toEqual([[SIM_ALARMS.greenErrorRate, '2026-11-24T10:04:00.000Z']]);
    expect(interrupted).toEqual({ interruptedBy: SIM_ALARMS.greenErrorRate, at: new Date('2026-11-24T10:04:00.000Z') });
    expect(twoBad.sim.clock.now().toISOString()).toBe('2026-11-24T10:04:00.000Z');
    expect(sample.alarmsInAlarm).toEqual([SIM_ALARMS.greenErrorRate]);
    expect(sample.minutes.map((minute) => minute.errorRatePercent)).toEqual([
      expect.closeTo(0.1667, 3),
      expect.closeTo(0.1667, 3),
      8,
      8,
    ]);
    expect(uninterrupted).toEqual({ interruptedBy: null });
    expect(oneBad.sim.clock.now().toISOString()).toBe('2026-11-24T10:10:00.000Z');
    expect(oneBad.sim.alarmStates()[SIM_ALARMS.greenErrorRate]).toBe('OK');
  });

  it('p95 and DB alarms fire on one bad minute; live alarms stay OK; disabled alarms never fire', async () => {
    // Prepare
    const slow = world({ traffic: { greenP95Ms: ({ minute }) => (minute === 1 ? 900 : 180) } });
    const busyDb = world({ traffic: { dbConnections: ({ greenWeight }) => (greenWeight > 0 ? 321 : 120) } });
    const silent = world({
      traffic: { greenErrorRatePercent: () => 50, greenP95Ms: () => 2000 },
      cutover: { alarmsEnabled: false },
    });
    for (const w of [slow, busyDb, silent]) await w.router.setGreenWeight(await resolvedSides(w), 10);

    // Act
    const slowBake = await slow.sim.bake(300, async () => {});
    const dbBake = await busyDb.sim.bake(300, async () => {});
    const silentBake = await silent.sim.bake(300, noAlarm);
    const silentSample = await silent.monitor.sample(
      GREEN_FULL_NAME,
      { start: new Date('2026-11-24T10:00:00Z'), end: silent.sim.clock.now() },
      WATCHED,
    );

    // Assess
    expect(slowBake).toEqual({ interruptedBy: SIM_ALARMS.greenP95Latency, at: new Date('2026-11-24T10:02:00.000Z') });
    expect(dbBake).toEqual({ interruptedBy: SIM_ALARMS.dbConnections, at: new Date('2026-11-24T10:01:00.000Z') });
    expect(slow.sim.alarmStates()[SIM_ALARMS.blueErrorRate]).toBe('OK');
    expect(slow.sim.alarmStates()[SIM_ALARMS.blueP95Latency]).toBe('OK');
    expect(silentBake).toEqual({ interruptedBy: null });
    expect(silentSample.alarmsInAlarm).toEqual([]);
    expect(silentSample.minutes[0]?.errorRatePercent).toBe(50);
    expect(silentSample.p95LatencyMs).toBe(2000);
  });

  it('greenNoData: green publishes nothing at the listed weights', async () => {
    // Prepare
    const w = world({ traffic: { greenNoData: [10] } });
    const sides = await resolvedSides(w);
    await w.router.setGreenWeight(sides, 10);
    await w.sim.bake(120, noAlarm);

    // Act
    const sample = await w.monitor.sample(
      GREEN_FULL_NAME,
      { start: new Date('2026-11-24T10:00:00Z'), end: w.sim.clock.now() },
      WATCHED,
    );

    // Assess
    expect(sample.minutes.map((minute) => minute.errorRatePercent)).toEqual([null, null]);
    expect(sample.p95LatencyMs).toBeNull();
    expect(sample.dbConnectionsMax).toBe(120);
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

  it('renames production away, restores the snapshot under its identifier, and keeps the preserved copy', async () => {
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
    expect(statuses).toEqual(['RENAMING', 'RENAMING', 'RESTORING', 'RESTORING', 'RESTORING', 'AVAILABLE']);
    expect(w.sim.databaseInstances()).toEqual([SIM.databaseIdentifier, progress.preservedIdentifier]);
    expect(progress.preservedIdentifier).toMatch(/^shop-prod-db-pre-rb-[0-9a-f]{8}$/);
    const restoreCall = w.sim.calls.find((call) => call.startsWith('RDS:RestoreDBInstanceFromDBSnapshot'));
    expect(restoreCall).toBe(`RDS:RestoreDBInstanceFromDBSnapshot shop-prod-db from=${snapshot.identifier}`);
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

  it('a restore that RDS refuses ends FAILED with the preserved copy intact', async () => {
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
    expect(w.sim.databaseInstances()).toEqual([progress.preservedIdentifier]);
  });

  it('describing an unknown instance is DBInstanceNotFoundFault', async () => {
    const w = world();
    await expect(
      w.sim.rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })),
    ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });
});
