import {
  type DeploymentControllerType,
  type DeploymentStrategy,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { EcsControllerConflictError } from '../../../lambdas/tools/environment-provisioner';
import { rejection } from '../../support/errors';
import { ecs, elb, guardLiveService, provisioner } from './aws-mocks';
import {
  CLUSTER,
  green,
  greenService,
  live,
  liveService,
  REGION_ACCOUNT,
  RELEASE_IMAGE,
  TG_BLUE,
  TG_GREEN,
} from './fixtures';

guardLiveService();

const ALTERNATE_TG = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-alt/3333333333333333`;
const PRODUCTION_RULE = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:listener-rule/app/orders/1a2b3c/4d5e6f/7a8b9c`;
const TAIL =
  " ECS, CodeDeploy or an external controller would then move the listener's traffic itself and race this " +
  'pipeline; nothing was changed.';

function answerServices(services: { live?: Service; green?: Service } = {}) {
  ecs
    .on(DescribeServicesCommand)
    .resolves({ services: [services.live ?? liveService(), services.green ?? greenService()], failures: [] });
}

describe('preflight', () => {
  it('passes a pair on ECS rolling updates after one DescribeServices of both, and writes nothing', async () => {
    // Prepare
    answerServices({
      live: liveService({ deploymentConfiguration: { strategy: 'ROLLING', maximumPercent: 200 } }),
    });

    // Act
    await provisioner().preflight(live, green);

    // Assess
    expect(ecs.calls()).toHaveLength(1);
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      services: [live.serviceName, green.serviceName],
    });
    expect(elb.calls()).toHaveLength(0);
  });

  it.each<{ role: 'live' | 'green'; controller: DeploymentControllerType }>([
    { role: 'live', controller: 'CODE_DEPLOY' },
    { role: 'green', controller: 'CODE_DEPLOY' },
    { role: 'live', controller: 'EXTERNAL' },
    { role: 'green', controller: 'EXTERNAL' },
  ])('refuses a $role service on the $controller deployment controller, naming it', async ({ role, controller }) => {
    // Prepare
    const deploymentController = { type: controller };
    answerServices(
      role === 'live'
        ? { live: liveService({ deploymentController }) }
        : { green: greenService({ deploymentController }) },
    );
    const name = role === 'live' ? live.serviceName : green.serviceName;

    // Act
    const error = await rejection(provisioner().preflight(live, green));

    // Assess
    expect(error).toBeInstanceOf(EcsControllerConflictError);
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toBe(
      `${role} service '${name}' uses the ${controller} deployment controller (switch it to the ECS deployment ` +
        `controller: only ECS rolling updates can be driven with UpdateService).${TAIL}`,
    );
  });

  it.each<DeploymentStrategy>(['BLUE_GREEN', 'LINEAR', 'CANARY'])(
    'refuses a service with the ECS-native %s deployment strategy',
    async (strategy) => {
      // Prepare
      answerServices({ green: greenService({ deploymentConfiguration: { strategy, bakeTimeInMinutes: 5 } }) });

      // Act
      const error = await rejection(provisioner().preflight(live, green));

      // Assess
      expect(error).toBeInstanceOf(EcsControllerConflictError);
      expect(error.message).toBe(
        `green service 'orders-green' has deploymentConfiguration.strategy ${strategy}, an ECS-native ` +
          `traffic-shifting strategy (set deploymentConfiguration.strategy to ROLLING).${TAIL}`,
      );
    },
  );

  it('refuses a service whose load balancer entry carries advancedConfiguration', async () => {
    // Prepare
    const advancedConfiguration = {
      alternateTargetGroupArn: ALTERNATE_TG,
      productionListenerRule: PRODUCTION_RULE,
      roleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure',
    };
    answerServices({
      live: liveService({
        loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'app', containerPort: 8080, advancedConfiguration }],
      }),
    });

    // Act
    const error = await rejection(provisioner().preflight(live, green));

    // Assess
    expect(error).toBeInstanceOf(EcsControllerConflictError);
    expect(error.message).toBe(
      `live service 'orders-blue' has advancedConfiguration on its load balancer entry for ${TG_BLUE} with ` +
        `alternate target group ${ALTERNATE_TG}, production listener rule ${PRODUCTION_RULE} ` +
        `(remove advancedConfiguration from that load balancer entry).${TAIL}`,
    );
  });

  it('names every finding of both services in one refusal', async () => {
    // Prepare
    answerServices({
      live: liveService({ deploymentController: { type: 'CODE_DEPLOY' } }),
      green: greenService({
        deploymentConfiguration: { strategy: 'LINEAR' },
        loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'app', advancedConfiguration: {} }],
      }),
    });

    // Act
    const error = await rejection(provisioner().preflight(live, green));

    // Assess
    expect(error.message).toMatch(/^live service 'orders-blue' uses the CODE_DEPLOY deployment controller \(/);
    expect(error.message).toContain(
      "green service 'orders-green' has deploymentConfiguration.strategy LINEAR, an ECS-native traffic-shifting " +
        `strategy (set deploymentConfiguration.strategy to ROLLING); has advancedConfiguration on its load balancer entry for ${TG_GREEN} ` +
        '(remove advancedConfiguration from that load balancer entry).',
    );
  });

  it('refuses the same service on both sides before any AWS call', async () => {
    // Prepare
    const sameService = { ...green, serviceName: live.serviceName };

    // Act
    const error = await rejection(provisioner().preflight(live, sameService));

    // Assess
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(error.message).toBe("live and green are the same service 'orders-blue'");
    expect(ecs.calls()).toHaveLength(0);
  });
});

describe('provisionGreen runs the pre-flight checks', () => {
  const input = { live, green, image: RELEASE_IMAGE, deploymentName: 'release-1.4.0' };

  it.each<[string, { live?: Service; green?: Service }]>([
    ['live on CODE_DEPLOY', { live: liveService({ deploymentController: { type: 'CODE_DEPLOY' } }) }],
    [
      'live with the BLUE_GREEN strategy',
      { live: liveService({ deploymentConfiguration: { strategy: 'BLUE_GREEN' } }) },
    ],
    ['green with the CANARY strategy', { green: greenService({ deploymentConfiguration: { strategy: 'CANARY' } }) }],
    [
      'green with advancedConfiguration',
      {
        green: greenService({
          loadBalancers: [
            {
              targetGroupArn: TG_GREEN,
              containerName: 'app',
              advancedConfiguration: { alternateTargetGroupArn: ALTERNATE_TG },
            },
          ],
        }),
      },
    ],
  ])('refuses %s before reading or registering a task definition', async (_case, services) => {
    // Prepare
    answerServices(services);
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});

    // Act
    const error = await rejection(provisioner().provisionGreen(input));

    // Assess
    expect(error).toBeInstanceOf(EcsControllerConflictError);
    expect(error.name).toBe('GreenProvisioningFailed');
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});
