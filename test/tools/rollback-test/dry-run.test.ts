import { DescribeServicesCommand, ECSServiceException } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { crewRejection, fault } from '../../support/errors';
import {
  BLUE_SERVICE_ARN,
  blueService,
  CLUSTER,
  LISTENER_ARN,
  promotedAction,
  ROLE_ARN,
  ROLLBACK_ACTIONS,
  request,
  snapshot,
  T0,
  TG_BLUE,
  TG_GREEN,
  targets,
} from './fixtures';
import { check, denied, ecs, elb, iam, rds, time, tool, useRollbackWorld } from './world';

/** The dry run as a whole: its calls, its evidence, its estimate, and the old side it would return to. */

useRollbackWorld();

describe('a rollback that could run now', () => {
  it('makes exactly these calls, re-applying the default action exactly as read, and is ready', async () => {
    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(elb.calls().map((call) => [call.args[0].constructor.name, call.args[0].input])).toStrictEqual([
      ['DescribeTargetHealthCommand', { TargetGroupArn: TG_BLUE }],
      ['DescribeListenersCommand', { ListenerArns: [LISTENER_ARN] }],
      ['ModifyListenerCommand', { ListenerArn: LISTENER_ARN, DefaultActions: [promotedAction()] }],
      ['DescribeListenersCommand', { ListenerArns: [LISTENER_ARN] }],
    ]);
    expect(ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toStrictEqual([
      { cluster: CLUSTER, services: ['orders-blue'] },
    ]);
    expect(rds.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBSnapshotIdentifier: snapshot.identifier },
    ]);
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)).toHaveLength(0);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input)).toStrictEqual([
      { PolicySourceArn: ROLE_ARN, ActionNames: ['elasticloadbalancing:ModifyListener'], ResourceArns: [LISTENER_ARN] },
      {
        PolicySourceArn: ROLE_ARN,
        ActionNames: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'],
      },
      { PolicySourceArn: ROLE_ARN, ActionNames: ['ecs:UpdateService'], ResourceArns: [BLUE_SERVICE_ARN] },
    ]);
    expect(result.ready).toBe(true);
    expect(result.checks.map((c) => [c.name, c.ok])).toStrictEqual([
      ['old-side-targets', true],
      ['old-side-service', true],
      ['listener-reapply', true],
      ['listener-unchanged', true],
      ['snapshot', true],
      ['coordinator-permissions', true],
    ]);
  });

  it('says what each check saw', async () => {
    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(result.checks.map((c) => c.evidence)).toStrictEqual([
      'targetgroup/orders-blue/1111111111111111: 4 of 4 targets healthy, at least 2 needed',
      `service orders-blue in cluster ${CLUSTER}: ACTIVE, desired 4, running 4, pending 0; at least 4 desired and running needed`,
      `ModifyListener accepted the current default action in 0.12 s: ${TG_BLUE}=0, ${TG_GREEN}=100 (the old side at 0); ` +
        'stickiness on for 300 s (clients bound to green may stay there that long after a rollback)',
      'the re-read shows the same weights and stickiness',
      `snapshot ${snapshot.identifier} of orders-db: available (verified ${snapshot.verifiedAt}, created ${snapshot.createdAt})`,
      `role ${ROLE_ARN} is allowed all 4 rollback actions (2 simulated on their resources, 2 on *): ${ROLLBACK_ACTIONS.join(', ')}`,
    ]);
  });

  it('estimates the rollback from the measured listener calls and the state machine wait', async () => {
    // Prepare: the re-read is slower than the first read; the slower one counts.
    let reads = 0;
    elb.on(DescribeListenersCommand).callsFake(() => {
      reads += 1;
      time.now += reads === 1 ? 80 : 200;
      return { Listeners: [{ DefaultActions: [promotedAction()] }] };
    });

    // Act
    const result = await tool.dryRun(request());

    // Assess: 0.12 + 5 × 0.2 + 3.75 + 90 + 2 × 2 = 98.87 → 99
    expect(result.estimate).toStrictEqual({
      modifyListenerSeconds: 0.12,
      confirmationReads: 5,
      describeListenersSeconds: 0.2,
      confirmationWaitSeconds: 3.75,
      rollbackVerifySeconds: 90,
      tasks: 2,
      taskOverheadSeconds: 2,
      totalSeconds: 99,
    });
    expect(result.estimatedRollbackSeconds).toBe(99);
    expect(result.listenerRewrite).toStrictEqual({
      readAt: new Date(T0).toISOString(),
      acceptedAt: new Date(T0 + 200).toISOString(),
    });
    expect(result.checkedAt).toBe(new Date(T0 + 400).toISOString());
  });
});

describe('the old side', () => {
  it('is not ready with fewer healthy targets than needed, and names the others', async () => {
    // Prepare
    elb
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: targets(['healthy', 'unhealthy', 'draining']) });

    // Act
    const result = await tool.dryRun(request({ minHealthyTargets: 2 }));

    // Assess
    expect(result.ready).toBe(false);
    expect(check(result, 'old-side-targets')).toStrictEqual({
      name: 'old-side-targets',
      ok: false,
      evidence:
        'targetgroup/orders-blue/1111111111111111: 1 of 3 targets healthy, at least 2 needed; not healthy: ' +
        '10.0.1.11:8080 unhealthy Target.Timeout, 10.0.1.12:8080 draining Target.Timeout',
    });
  });

  it('passes with exactly the needed number of healthy targets', async () => {
    // Prepare
    elb
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: targets(['healthy', 'healthy', 'unhealthy']) });

    // Act
    const result = await tool.dryRun(request({ minHealthyTargets: 2 }));

    // Assess
    expect(check(result, 'old-side-targets')?.ok).toBe(true);
  });

  it('fails a target group that no longer exists', async () => {
    // Prepare
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(fault(TargetGroupNotFoundException, 'One or more target groups not found'));

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(check(result, 'old-side-targets')?.evidence).toBe(
      'targetgroup/orders-blue/1111111111111111: DescribeTargetHealth not found: TargetGroupNotFoundException: ' +
        'One or more target groups not found',
    );
  });

  it.each([
    ['scaled down', { desiredCount: 1, runningCount: 1 }],
    ['still starting', { runningCount: 3, pendingCount: 1 }],
    ['draining', { status: 'DRAINING' }],
  ])('is not ready when its service is %s', async (_, overrides) => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [blueService(overrides)], failures: [] });

    // Act
    const result = await tool.dryRun(request({ expectedDesiredCount: 4 }));

    // Assess
    expect(result.ready).toBe(false);
    expect(check(result, 'old-side-service')?.ok).toBe(false);
  });

  it('fails a service ECS reports missing, and one it may not describe', async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [], failures: [{ arn: BLUE_SERVICE_ARN, reason: 'MISSING' }] })
      .rejects(denied(ECSServiceException, 'AccessDeniedException'));

    // Act
    const missing = await tool.dryRun(request());
    const refused = await tool.dryRun(request());

    // Assess
    expect(check(missing, 'old-side-service')?.evidence).toBe(
      `service orders-blue in cluster ${CLUSTER}: DescribeServices failed: MISSING (${BLUE_SERVICE_ARN})`,
    );
    expect(check(refused, 'old-side-service')?.evidence).toBe(
      `service orders-blue in cluster ${CLUSTER}: DescribeServices not allowed: AccessDeniedException: not authorized`,
    );
  });
});

describe('the request', () => {
  it.each([
    [
      'a listener ARN that is not one',
      { listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1' },
    ],
    [
      'resources for an action not in the list',
      { rollbackResources: { 'rds:RestoreDBInstanceFromDBSnapshot': ['arn:aws:rds:x'] } },
    ],
    ['an action that is not <service>:<Action>', { rollbackActions: ['ModifyListener'] }],
    ['a role ARN that is a user', { coordinatorRoleArn: 'arn:aws:iam::123456789012:user/alice' }],
  ])('refuses %s before any call', async (_, overrides) => {
    // Act
    const error = await crewRejection(tool.dryRun(request(overrides)));

    // Assess
    expect(error.name).toBe('InvalidInput');
    for (const mock of [elb, ecs, rds, iam]) expect(mock.calls()).toHaveLength(0);
  });
});
