import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  ServerException,
  type Service,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { greenEnvironmentSchema, type Side } from '../../../lambdas/shared/cutover-contracts';
import {
  GreenProvisioningFailedError,
  RefusedToScaleDownLiveError,
} from '../../../lambdas/tools/environment-provisioner';
import { rejection } from '../../support/errors';
import { ecs, elb, guardLiveService, provisioner } from './aws-mocks';
import {
  CLUSTER,
  COPIED_TAGS,
  deployment,
  expectedRegistration,
  green,
  greenService,
  LIVE_TAGS,
  LIVE_TD_ARN,
  live,
  liveService,
  liveTaskDefinition,
  NEW_TD_ARN,
  NOW,
  OLD_GREEN_TD_ARN,
  OLD_IMAGE,
  pendingEnv,
  REGION_ACCOUNT,
  RELEASE_IMAGE,
  registeredReleaseDefinition,
  SIDECAR_IMAGE,
  TG_BLUE,
  TG_GREEN,
  target,
} from './fixtures';

guardLiveService();

describe('provisionGreen', () => {
  /** `liveDefinition` and the `tags` stand for what DescribeTaskDefinition returns with `include: ['TAGS']`. */
  function answerDescribes(
    services: { live?: Service; green?: Service } = {},
    current?: TaskDefinition,
    { liveDefinition, tags }: { liveDefinition?: TaskDefinition; tags?: { live?: Tag[]; current?: Tag[] } } = {},
  ) {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [services.live ?? liveService(), services.green ?? greenService()] });
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TD_ARN })
      .resolves({ taskDefinition: liveDefinition ?? liveTaskDefinition(), tags: tags?.live ?? [] });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: OLD_GREEN_TD_ARN }).resolves({
      taskDefinition: liveTaskDefinition({ taskDefinitionArn: OLD_GREEN_TD_ARN, revision: 40 }),
    });
    if (current !== undefined) {
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: current.taskDefinitionArn })
        .resolves({ taskDefinition: current, tags: tags?.current ?? [] });
    }
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: NEW_TD_ARN } });
    ecs.on(UpdateServiceCommand).resolves({});
  }

  const input = { live, green, image: RELEASE_IMAGE, deploymentName: 'release-1.4.0' };

  it('registers the live revision with the release image and rolls green onto it at live size', async () => {
    // Prepare
    answerDescribes();

    // Act
    const env = await provisioner().provisionGreen(input);

    // Assess
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      services: [live.serviceName, green.serviceName],
    });
    const registrations = ecs.commandCalls(RegisterTaskDefinitionCommand);
    expect(registrations).toHaveLength(1);
    expect(registrations[0]?.args[0].input).toEqual(expectedRegistration());
    const updates = ecs.commandCalls(UpdateServiceCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      service: green.serviceName,
      taskDefinition: NEW_TD_ARN,
      desiredCount: 3,
      forceNewDeployment: true,
    });
    expect(env).toEqual({
      taskDefinitionArn: NEW_TD_ARN,
      previousTaskDefinitionArn: OLD_GREEN_TD_ARN,
      containerName: 'app',
      desiredCount: 3,
      status: 'PENDING',
      healthyTargets: 0,
      polls: 0,
    });
    expect(v.parse(greenEnvironmentSchema, env)).toEqual(env);
  });

  it('starts green with at least one task when live reports a desired count of 0', async () => {
    // Prepare
    answerDescribes({ live: liveService({ desiredCount: 0 }) });

    // Act
    const env = await provisioner().provisionGreen(input);

    // Assess
    expect(env.desiredCount).toBe(1);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input.desiredCount).toBe(1);
  });

  it("reuses green's current revision when it already is the release, and still scales green up", async () => {
    // Prepare
    const current = registeredReleaseDefinition();
    answerDescribes({ green: greenService({ taskDefinition: NEW_TD_ARN, desiredCount: 0 }) }, current);

    // Act
    const env = await provisioner().provisionGreen(input);

    // Assess
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      service: green.serviceName,
      taskDefinition: NEW_TD_ARN,
      desiredCount: 3,
      forceNewDeployment: true,
    });
    expect(env.taskDefinitionArn).toBe(NEW_TD_ARN);
  });

  it('on a retry after a successful update, neither registers nor restarts the rollout', async () => {
    // Prepare
    const current = registeredReleaseDefinition();
    const rollingGreen = greenService({
      taskDefinition: NEW_TD_ARN,
      desiredCount: 3,
      deployments: [deployment({ rolloutState: 'IN_PROGRESS', runningCount: 1 })],
    });
    answerDescribes({ green: rollingGreen }, current);

    // Act
    const env = await provisioner().provisionGreen(input);

    // Assess
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(env).toMatchObject({ taskDefinitionArn: NEW_TD_ARN, desiredCount: 3, status: 'PENDING' });
  });

  it('registers a new revision when green runs the release image in another family or an INACTIVE revision', async () => {
    // Prepare
    const otherFamily = registeredReleaseDefinition({ family: 'someone-else' });
    const inactive = registeredReleaseDefinition({ status: 'INACTIVE' });

    // Act
    for (const current of [otherFamily, inactive]) {
      ecs.reset();
      answerDescribes({ green: greenService({ taskDefinition: NEW_TD_ARN }) }, current);
      await provisioner().provisionGreen(input);

      // Assess
      expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    }
  });

  it("reads the revisions with their tags and registers the release with live's tags, without the aws: ones", async () => {
    // Prepare
    answerDescribes({}, undefined, { tags: { live: LIVE_TAGS } });

    // Act
    await provisioner().provisionGreen(input);

    // Assess
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input)).toEqual([
      { taskDefinition: LIVE_TD_ARN, include: ['TAGS'] },
      { taskDefinition: OLD_GREEN_TD_ARN, include: ['TAGS'] },
    ]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand).map((call) => call.args[0].input)).toEqual([
      { ...expectedRegistration(), tags: COPIED_TAGS },
    ]);
  });

  it("reuses green's revision only when it also carries live's tags (in any order)", async () => {
    // Prepare
    const current = registeredReleaseDefinition();
    const greenOnRelease = greenService({ taskDefinition: NEW_TD_ARN });
    const sameTagsReordered = [...COPIED_TAGS].reverse();
    const otherTags = [{ key: 'team', value: 'payments' }];

    // Act
    answerDescribes({ green: greenOnRelease }, current, { tags: { live: LIVE_TAGS, current: sameTagsReordered } });
    await provisioner().provisionGreen(input);
    const registeredWithSameTags = ecs.commandCalls(RegisterTaskDefinitionCommand).length;
    ecs.reset();
    answerDescribes({ green: greenOnRelease }, current, { tags: { live: LIVE_TAGS, current: otherTags } });
    await provisioner().provisionGreen(input);
    const registeredWithOtherTags = ecs.commandCalls(RegisterTaskDefinitionCommand).length;

    // Assess
    expect(registeredWithSameTags).toBe(0);
    expect(registeredWithOtherTags).toBe(1);
  });

  it("puts the release image into every container built from the release's repository, not only the served one", async () => {
    // Prepare
    const worker = { name: 'worker', image: `${OLD_IMAGE}-worker`, essential: true, command: ['node', 'worker.js'] };
    const pinned = {
      name: 'cron',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:0a1b2c3d4e5f',
      essential: false,
    };
    const otherRepository = {
      name: 'metrics',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-metrics:1.0',
    };
    const base = liveTaskDefinition();
    const liveDefinition = liveTaskDefinition({
      containerDefinitions: [...(base.containerDefinitions ?? []), worker, pinned, otherRepository],
    });
    answerDescribes({}, undefined, { liveDefinition });

    // Act
    await provisioner().provisionGreen(input);

    // Assess
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.containerDefinitions?.map((container) => [container.name, container.image])).toEqual([
      ['app', RELEASE_IMAGE],
      ['log-router', SIDECAR_IMAGE],
      ['worker', RELEASE_IMAGE],
      ['cron', RELEASE_IMAGE],
      ['metrics', otherRepository.image],
    ]);
    expect(registered?.containerDefinitions?.[2]).toEqual({ ...worker, image: RELEASE_IMAGE });
  });

  it('refuses when live and green are the same service, before any AWS call', async () => {
    // Prepare
    answerDescribes();

    // Act
    const error = await rejection(
      provisioner().provisionGreen({ ...input, green: { ...green, serviceName: live.serviceName } }),
    );

    // Assess
    expect(error).toBeInstanceOf(GreenProvisioningFailedError);
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toBe("live and green are the same service 'orders-blue'");
    expect(ecs.calls()).toHaveLength(0);
  });

  it("fails clearly when live's service has no load balancer entry for live's target group", async () => {
    // Prepare
    answerDescribes({ live: liveService({ loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'app' }] }) });

    // Act
    const error = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toBe(
      `live service 'orders-blue' has no load balancer entry for its target group ${TG_BLUE}, so the container to update is unknown`,
    );
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it("refuses to touch a green service that is registered in live's target group", async () => {
    // Prepare
    answerDescribes({
      green: greenService({
        loadBalancers: [
          { targetGroupArn: TG_GREEN, containerName: 'app' },
          { targetGroupArn: TG_BLUE, containerName: 'app' },
        ],
      }),
    });

    // Act
    const error = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toContain("is registered in live's target group");
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('refuses a green service driven by another deployment controller', async () => {
    // Prepare
    answerDescribes({ green: greenService({ deploymentController: { type: 'CODE_DEPLOY' } }) });

    // Act
    const error = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toContain('uses the CODE_DEPLOY deployment controller');
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('fails with GreenProvisioningFailed when DescribeServices reports a missing service', async () => {
    // Prepare
    answerDescribes();
    ecs.on(DescribeServicesCommand).resolves({
      services: [liveService()],
      failures: [{ arn: `arn:aws:ecs:${REGION_ACCOUNT}:service/${CLUSTER}/orders-green`, reason: 'MISSING' }],
    });

    // Act
    const error = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toBe(
      `cannot describe services in cluster 'orders-cluster': arn:aws:ecs:${REGION_ACCOUNT}:service/${CLUSTER}/orders-green: MISSING`,
    );
  });

  it('fails with GreenProvisioningFailed when a service is not ACTIVE', async () => {
    // Prepare
    answerDescribes({ green: greenService({ status: 'DRAINING' }) });

    // Act
    const error = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toBe("service 'orders-green' in cluster 'orders-cluster' is DRAINING, not ACTIVE");
  });

  it('turns a missing cluster into GreenProvisioningFailed and lets a server error through for the retry', async () => {
    // Prepare
    const serverError = new ServerException({ message: 'internal error', $metadata: { httpStatusCode: 500 } });
    answerDescribes();
    ecs
      .on(DescribeServicesCommand)
      .rejectsOnce(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }))
      .rejectsOnce(serverError);

    // Act
    const missingCluster = await rejection(provisioner().provisionGreen(input));
    const serverFault = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(missingCluster.name).toBe('GreenProvisioningFailed');
    expect(missingCluster.message).toBe(
      "DescribeServices in cluster 'orders-cluster': ClusterNotFoundException: Cluster not found.",
    );
    expect(serverFault).toBe(serverError);
  });
});

describe('checkGreen', () => {
  it('is READY when the rollout completed and all targets are healthy; counts the poll and drops the old reason', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [greenService({ deployments: [deployment()] })] });
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [target('a', 'healthy'), target('b', 'healthy'), target('c', 'healthy')],
    });

    // Act
    const env = await provisioner().checkGreen(green, pendingEnv);

    // Assess
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      services: [green.serviceName],
    });
    expect(elb.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({ TargetGroupArn: TG_GREEN });
    const { reason: _dropped, ...rest } = pendingEnv;
    expect(env).toEqual({ ...rest, status: 'READY', healthyTargets: 3, polls: 3 });
    expect(v.parse(greenEnvironmentSchema, env)).toEqual(env);
  });

  it('is FAILED without reading target health when the rollout failed', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        greenService({ deployments: [deployment({ rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker' })] }),
      ],
    });

    // Act
    const env = await provisioner().checkGreen(green, pendingEnv);

    // Assess
    expect(env).toMatchObject({ status: 'FAILED', reason: 'rollout failed: circuit breaker', polls: 3 });
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(0);
  });

  it('is PENDING with the counts while tasks are still starting', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [greenService({ deployments: [deployment({ rolloutState: 'IN_PROGRESS', runningCount: 2 })] })],
    });
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [target('a', 'healthy'), target('b', 'initial')],
    });

    // Act
    const env = await provisioner().checkGreen(green, { ...pendingEnv, polls: 0 });

    // Assess
    expect(env).toMatchObject({
      status: 'PENDING',
      reason: '2/3 tasks running (rollout in progress), 1/3 targets healthy, not healthy: 1 initial',
      healthyTargets: 1,
      polls: 1,
    });
  });
});

describe('scaleDownGreen', () => {
  it('sets green to 0 tasks', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [greenService({ desiredCount: 3 })] });
    ecs.on(UpdateServiceCommand).resolves({});

    // Act
    const result = await provisioner().scaleDownGreen({ green, live, greenWeight: 0 });

    // Assess
    expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER, service: green.serviceName, desiredCount: 0 },
    ]);
    expect(result).toEqual({ scaledDownAt: NOW.toISOString(), previousDesiredCount: 3, alreadyScaledDown: false });
  });

  it('is idempotent: nothing to do when green is already at 0 or gone', async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [greenService({ desiredCount: 0 })] })
      .resolvesOnce({
        services: [],
        failures: [
          { arn: 'arn:aws:ecs:eu-west-1:123456789012:service/orders-cluster/orders-green', reason: 'MISSING' },
        ],
      });

    // Act
    const atZero = await provisioner().scaleDownGreen({ green, live, greenWeight: 0 });
    const gone = await provisioner().scaleDownGreen({ green, live, greenWeight: 0 });

    // Assess
    expect(atZero).toMatchObject({ previousDesiredCount: 0, alreadyScaledDown: true });
    expect(gone).toMatchObject({ previousDesiredCount: 0, alreadyScaledDown: true });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('refuses when green and live are the same service, without any AWS call', async () => {
    // Prepare
    const sameService: Side = { targetGroupArn: TG_GREEN, serviceName: live.serviceName };

    // Act
    const error = await rejection(provisioner().scaleDownGreen({ green: sameService, live, greenWeight: 0 }));

    // Assess
    expect(error).toBeInstanceOf(RefusedToScaleDownLiveError);
    expect(error.name).toBe('RefusedToScaleDownLive');
    expect(ecs.calls()).toHaveLength(0);
  });

  it('refuses while green still carries weight (or the weight is not a number), without any AWS call', async () => {
    // Prepare
    const weights = [1, 100, Number.NaN, -1];

    // Act
    const errors = await Promise.all(
      weights.map((greenWeight) => rejection(provisioner().scaleDownGreen({ green, live, greenWeight }))),
    );

    // Assess
    for (const error of errors) expect(error.name).toBe('RefusedToScaleDownLive');
    expect(errors[0]?.message).toBe(
      `green's target group ${TG_GREEN} still has weight 1 on the listener; scale down only after its weight is 0`,
    );
    expect(ecs.calls()).toHaveLength(0);
  });

  it("refuses when the service named green serves live's target group, or not green's", async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [greenService({ desiredCount: 3, loadBalancers: [{ targetGroupArn: TG_BLUE }] })] })
      .resolvesOnce({ services: [greenService({ desiredCount: 3, loadBalancers: [] })] });

    // Act
    const inLive = await rejection(provisioner().scaleDownGreen({ green, live, greenWeight: 0 }));
    const notInGreen = await rejection(provisioner().scaleDownGreen({ green, live, greenWeight: 0 }));

    // Assess
    expect(inLive.name).toBe('RefusedToScaleDownLive');
    expect(inLive.message).toBe(`service 'orders-green' is registered in live's target group ${TG_BLUE}`);
    expect(notInGreen.name).toBe('RefusedToScaleDownLive');
    expect(notInGreen.message).toContain("is not registered in green's target group");
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});
