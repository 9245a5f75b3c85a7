import {
  ClusterNotFoundException,
  ConflictException,
  type ContainerDefinition,
  type Deployment,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  ServerException,
  type Service,
  type Task,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GreenEnvironment, Migration, Side } from '../../lambdas/shared/cutover-contracts';
import { greenEnvironmentSchema, migrationSchema } from '../../lambdas/shared/cutover-contracts';
import {
  CLIENT_TOKEN_MAX_LENGTH,
  createEnvironmentProvisioner,
  evaluateGreenReadiness,
  evaluateMigrationTask,
  evaluateRollout,
  GreenProvisioningFailedError,
  MigrationFailedError,
  migrationClientToken,
  REGISTRABLE_TASK_DEFINITION_FIELDS,
  RefusedToScaleDownLiveError,
  registrableCopyOf,
  releaseTaskDefinitionInput,
  sameRegistration,
} from '../../lambdas/tools/environment-provisioner';
import { rejection } from '../support/errors';

const REGION_ACCOUNT = 'eu-west-1:123456789012';
const CLUSTER = 'orders-cluster';
const FAMILY = 'orders-api';
const TG_BLUE = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-blue/1111111111111111`;
const TG_GREEN = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-green/2222222222222222`;
const LIVE_TD_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${FAMILY}:41`;
const OLD_GREEN_TD_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${FAMILY}:40`;
const NEW_TD_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${FAMILY}:42`;
const TASK_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task/${CLUSTER}/0123456789abcdef0123456789abcdef`;
const OLD_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.3.9';
const RELEASE_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.4.0';
const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/orders-api-task';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/orders-api-execution';
const NOW = new Date('2026-11-24T10:30:00.000Z');

const live: Side = { targetGroupArn: TG_BLUE, serviceName: 'orders-blue' };
const green: Side = { targetGroupArn: TG_GREEN, serviceName: 'orders-green' };

function appContainer(image: string): ContainerDefinition {
  return {
    name: 'app',
    image,
    cpu: 0,
    essential: true,
    portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
    environment: [{ name: 'PORT', value: '8080' }],
    secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-pw' }],
    mountPoints: [],
    volumesFrom: [],
    logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' } },
  };
}

function sidecarContainer(): ContainerDefinition {
  return {
    name: 'log-router',
    image: SIDECAR_IMAGE,
    essential: false,
    firelensConfiguration: { type: 'fluentbit' },
    environment: [],
    mountPoints: [],
    volumesFrom: [],
  };
}

/** What DescribeTaskDefinition returns for the live revision: registrable fields plus every read-only one. */
function liveTaskDefinition(overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    taskDefinitionArn: LIVE_TD_ARN,
    family: FAMILY,
    revision: 41,
    status: 'ACTIVE',
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awsfirelens' }],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: new Date('2026-11-01T09:00:00.000Z'),
    registeredBy: 'arn:aws:sts::123456789012:assumed-role/deployer/session',
    containerDefinitions: [appContainer(OLD_IMAGE), sidecarContainer()],
    taskRoleArn: TASK_ROLE,
    executionRoleArn: EXECUTION_ROLE,
    networkMode: 'awsvpc',
    volumes: [{ name: 'scratch', host: {} }],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    ephemeralStorage: { sizeInGiB: 30 },
    enableFaultInjection: false,
    ...overrides,
  };
}

/** The input the tool must register for RELEASE_IMAGE: the live registrable fields, only app's image replaced. */
function expectedRegistration(): RegisterTaskDefinitionCommandInput {
  return {
    family: FAMILY,
    containerDefinitions: [appContainer(RELEASE_IMAGE), sidecarContainer()],
    taskRoleArn: TASK_ROLE,
    executionRoleArn: EXECUTION_ROLE,
    networkMode: 'awsvpc',
    volumes: [{ name: 'scratch', host: {} }],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    ephemeralStorage: { sizeInGiB: 30 },
    enableFaultInjection: false,
  };
}

/** Green's current revision as DescribeTaskDefinition would show it once the release is registered. */
function registeredReleaseDefinition(overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    ...liveTaskDefinition(),
    ...expectedRegistration(),
    taskDefinitionArn: NEW_TD_ARN,
    revision: 42,
    registeredAt: new Date('2026-11-24T10:10:00.000Z'),
    ...overrides,
  };
}

const networkConfiguration = {
  awsvpcConfiguration: {
    subnets: ['subnet-green-a', 'subnet-green-b'],
    securityGroups: ['sg-orders-api'],
    assignPublicIp: 'DISABLED' as const,
  },
};

function liveService(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: live.serviceName,
    serviceArn: `arn:aws:ecs:${REGION_ACCOUNT}:service/${CLUSTER}/${live.serviceName}`,
    status: 'ACTIVE',
    desiredCount: 3,
    runningCount: 3,
    taskDefinition: LIVE_TD_ARN,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'app', containerPort: 8080 }],
    deploymentController: { type: 'ECS' },
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ['subnet-blue-a'],
        securityGroups: ['sg-orders-api'],
        assignPublicIp: 'DISABLED',
      },
    },
    ...overrides,
  };
}

function greenService(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: green.serviceName,
    serviceArn: `arn:aws:ecs:${REGION_ACCOUNT}:service/${CLUSTER}/${green.serviceName}`,
    status: 'ACTIVE',
    desiredCount: 0,
    runningCount: 0,
    taskDefinition: OLD_GREEN_TD_ARN,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'app', containerPort: 8080 }],
    deploymentController: { type: 'ECS' },
    networkConfiguration,
    deployments: [{ status: 'PRIMARY', taskDefinition: OLD_GREEN_TD_ARN, desiredCount: 0, runningCount: 0 }],
    ...overrides,
  };
}

function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    status: 'PRIMARY',
    taskDefinition: NEW_TD_ARN,
    desiredCount: 3,
    runningCount: 3,
    rolloutState: 'COMPLETED',
    ...overrides,
  };
}

function target(id: string, State: NonNullable<TargetHealthDescription['TargetHealth']>['State'], Reason?: string) {
  return {
    Target: { Id: id, Port: 8080 },
    TargetHealth: Reason === undefined ? { State } : { State, Reason },
  } as TargetHealthDescription;
}

const pendingEnv: GreenEnvironment = {
  taskDefinitionArn: NEW_TD_ARN,
  previousTaskDefinitionArn: OLD_GREEN_TD_ARN,
  containerName: 'app',
  desiredCount: 3,
  status: 'PENDING',
  reason: 'earlier poll',
  healthyTargets: 0,
  polls: 2,
};

const ecs = mockClient(ECSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

function provisioner() {
  return createEnvironmentProvisioner({
    ecs: new ECSClient({ region: 'eu-west-1' }),
    elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    clusterName: CLUSTER,
    taskDefinitionFamily: FAMILY,
    clock: () => NOW,
  });
}

function updatedServices(): (string | undefined)[] {
  return ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input.service);
}

beforeEach(() => {
  ecs.reset();
  elb.reset();
});

afterEach(() => {
  // Whatever a test did, the live service was never written to.
  expect(updatedServices()).not.toContain(live.serviceName);
  ecs.reset();
  elb.reset();
});

// ---------------------------------------------------------------------------------------------------------------

describe('task definition copy', () => {
  it('copies every registrable field into the family, replaces only the served container image, drops read-only fields', () => {
    // Prepare
    const liveDefinition = liveTaskDefinition();

    // Act
    const input = releaseTaskDefinitionInput(liveDefinition, {
      family: FAMILY,
      containerName: 'app',
      image: RELEASE_IMAGE,
    });

    // Assess
    expect(input).toEqual(expectedRegistration());
    for (const readOnly of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities']) {
      expect(input).not.toHaveProperty(readOnly);
    }
    expect(input).not.toHaveProperty('registeredAt');
    expect(input).not.toHaveProperty('registeredBy');
  });

  it('leaves the live definition untouched (deep copy)', () => {
    // Prepare
    const liveDefinition = liveTaskDefinition();
    const before = structuredClone(liveDefinition);

    // Act
    const input = releaseTaskDefinitionInput(liveDefinition, { family: FAMILY, containerName: 'app', image: 'x:1' });
    input.containerDefinitions?.[1]?.environment?.push({ name: 'MUTATED', value: 'yes' });

    // Assess
    expect(liveDefinition).toEqual(before);
  });

  it('fails with GreenProvisioningFailed when the live revision has no container of that name', () => {
    // Prepare
    const liveDefinition = liveTaskDefinition();

    // Act
    const act = () =>
      releaseTaskDefinitionInput(liveDefinition, { family: FAMILY, containerName: 'web', image: 'x:1' });

    // Assess
    expect(act).toThrow(GreenProvisioningFailedError);
    expect(act).toThrow("0 containers named 'web' (containers: 'app', 'log-router')");
  });

  it('lists exactly the registrable fields of RegisterTaskDefinition except family and tags', () => {
    // Prepare
    const expected = [
      'containerDefinitions',
      'cpu',
      'enableFaultInjection',
      'ephemeralStorage',
      'executionRoleArn',
      'inferenceAccelerators',
      'ipcMode',
      'memory',
      'networkMode',
      'pidMode',
      'placementConstraints',
      'proxyConfiguration',
      'requiresCompatibilities',
      'runtimePlatform',
      'taskRoleArn',
      'volumes',
    ];

    // Act
    const fields = [...REGISTRABLE_TASK_DEFINITION_FIELDS].sort();

    // Assess
    expect(fields).toEqual(expected);
  });

  it('copies pidMode, ipcMode, proxyConfiguration and inferenceAccelerators when the live revision has them', () => {
    // Prepare
    const extra: Partial<TaskDefinition> = {
      pidMode: 'task',
      ipcMode: 'none',
      proxyConfiguration: {
        type: 'APPMESH',
        containerName: 'envoy',
        properties: [{ name: 'AppPorts', value: '8080' }],
      },
      inferenceAccelerators: [{ deviceName: 'device1', deviceType: 'eia2.medium' }],
    };

    // Act
    const copy = registrableCopyOf(liveTaskDefinition(extra));

    // Assess
    expect(copy).toMatchObject(extra);
  });

  it('treats a described revision as the same registration despite read-only fields, key order and empty lists', () => {
    // Prepare
    const described = registeredReleaseDefinition({ placementConstraints: undefined });
    const wanted = expectedRegistration();

    // Act
    const same = sameRegistration(described, wanted);

    // Assess
    expect(same).toBe(true);
  });

  it('sees a different image or a different sidecar setting as a different registration', () => {
    // Prepare
    const wanted = expectedRegistration();
    const otherImage = releaseTaskDefinitionInput(liveTaskDefinition(), {
      family: FAMILY,
      containerName: 'app',
      image: OLD_IMAGE,
    });
    const otherSidecar = registeredReleaseDefinition();
    otherSidecar.containerDefinitions?.[1]?.environment?.push({ name: 'LOG_LEVEL', value: 'debug' });

    // Act
    const sameAsOtherImage = sameRegistration(otherImage, wanted);
    const sameAsOtherSidecar = sameRegistration(otherSidecar, wanted);

    // Assess
    expect(sameAsOtherImage).toBe(false);
    expect(sameAsOtherSidecar).toBe(false);
  });
});

describe('readiness evaluation', () => {
  const healthyTargets = [
    target('10.0.1.10', 'healthy'),
    target('10.0.1.11', 'healthy'),
    target('10.0.2.12', 'healthy'),
  ];

  it('is FAILED with the rollout reason when ECS reports the rollout FAILED', () => {
    // Prepare
    const service = greenService({
      deployments: [
        deployment({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ],
    });

    // Act
    const readiness = evaluateGreenReadiness(evaluateRollout(service, NEW_TD_ARN), [], 3);

    // Assess
    expect(readiness).toEqual({
      status: 'FAILED',
      reason: 'rollout failed: ECS deployment circuit breaker: tasks failed to start.',
      healthyTargets: 0,
    });
  });

  it('is FAILED when the circuit breaker rolled green back to another revision', () => {
    // Prepare
    const service = greenService({
      deployments: [
        deployment({ taskDefinition: OLD_GREEN_TD_ARN, rolloutState: 'IN_PROGRESS' }),
        deployment({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start' }),
      ],
    });

    // Act
    const rollout = evaluateRollout(service, NEW_TD_ARN);

    // Assess
    expect(rollout.state).toBe('FAILED');
    expect(rollout.reason).toBe(
      `rollout of ${NEW_TD_ARN} failed and ECS rolled back to ${OLD_GREEN_TD_ARN}: tasks failed to start`,
    );
  });

  it('is FAILED when the PRIMARY deployment runs a task definition that is not ours', () => {
    // Prepare
    const service = greenService({ deployments: [deployment({ taskDefinition: OLD_GREEN_TD_ARN })] });

    // Act
    const rollout = evaluateRollout(service, NEW_TD_ARN);

    // Assess
    expect(rollout.state).toBe('FAILED');
    expect(rollout.reason).toContain('the service was changed by something else');
  });

  it('is PENDING with task and target counts while the rollout is in progress', () => {
    // Prepare
    const service = greenService({
      deployments: [
        deployment({ rolloutState: 'IN_PROGRESS', runningCount: 2 }),
        deployment({ status: 'ACTIVE', taskDefinition: OLD_GREEN_TD_ARN, desiredCount: 0, runningCount: 0 }),
      ],
    });
    const targets = [target('10.0.1.10', 'healthy'), target('10.0.1.11', 'initial', 'Elb.RegistrationInProgress')];

    // Act
    const readiness = evaluateGreenReadiness(evaluateRollout(service, NEW_TD_ARN), targets, 3);

    // Assess
    expect(readiness).toEqual({
      status: 'PENDING',
      reason:
        '2/3 tasks running (rollout in progress), 1/3 targets healthy, not healthy: 1 initial (Elb.RegistrationInProgress)',
      healthyTargets: 1,
    });
  });

  it('is PENDING when the rollout completed but a target is unhealthy', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);
    const targets = [...healthyTargets.slice(0, 2), target('10.0.2.12', 'unhealthy', 'Target.FailedHealthChecks')];

    // Act
    const readiness = evaluateGreenReadiness(rollout, targets, 3);

    // Assess
    expect(readiness.status).toBe('PENDING');
    expect(readiness.healthyTargets).toBe(2);
    expect(readiness.reason).toBe(
      '3/3 tasks running (rollout completed), 2/3 targets healthy, not healthy: 1 unhealthy (Target.FailedHealthChecks)',
    );
  });

  it('is PENDING when fewer targets are healthy than desired, even if none is unhealthy', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);

    // Act
    const readiness = evaluateGreenReadiness(rollout, healthyTargets.slice(0, 2), 3);

    // Assess
    expect(readiness.status).toBe('PENDING');
    expect(readiness.reason).toContain('2/3 targets healthy');
  });

  it('is PENDING when targets are unused (the target group is not in a listener rule)', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);
    const targets = healthyTargets.map((entry) => target(entry.Target?.Id ?? '', 'unused', 'Target.NotInUse'));

    // Act
    const readiness = evaluateGreenReadiness(rollout, targets, 3);

    // Assess
    expect(readiness.status).toBe('PENDING');
    expect(readiness.reason).toContain('not healthy: 3 unused (Target.NotInUse)');
  });

  it('is READY when the rollout completed and all desired targets are healthy, ignoring draining old targets', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);
    const targets = [
      ...healthyTargets,
      target('10.0.9.1', 'draining', 'Target.DeregistrationInProgress'),
      target('10.0.9.2', 'unhealthy.draining'),
    ];

    // Act
    const readiness = evaluateGreenReadiness(rollout, targets, 3);

    // Assess
    expect(readiness).toEqual({ status: 'READY', healthyTargets: 3 });
  });

  it('without a rolloutState, is done only with a single deployment running all desired tasks', () => {
    // Prepare
    const single = greenService({ deployments: [deployment({ rolloutState: undefined })] });
    const twoDeployments = greenService({
      deployments: [
        deployment({ rolloutState: undefined }),
        deployment({ status: 'ACTIVE', taskDefinition: OLD_GREEN_TD_ARN, rolloutState: undefined, runningCount: 1 }),
      ],
    });
    const starting = greenService({ deployments: [deployment({ rolloutState: undefined, runningCount: 1 })] });

    // Act
    const states = [single, twoDeployments, starting].map((service) => evaluateRollout(service, NEW_TD_ARN).state);

    // Assess
    expect(states).toEqual(['DONE', 'IN_PROGRESS', 'IN_PROGRESS']);
  });
});

describe('migration helpers', () => {
  it('derives a stable RunTask clientToken of at most 64 printable ASCII characters per deployment', () => {
    // Prepare
    const longName = `release-${'x'.repeat(200)}`;

    // Act
    const first = migrationClientToken('release-1.4.0', NEW_TD_ARN);
    const again = migrationClientToken('release-1.4.0', NEW_TD_ARN);
    const other = migrationClientToken('release-1.4.1', NEW_TD_ARN);
    const long = migrationClientToken(longName, NEW_TD_ARN);

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    for (const token of [first, other, long]) {
      expect(token.length).toBeLessThanOrEqual(CLIENT_TOKEN_MAX_LENGTH);
      expect(token).toMatch(/^deploymentcrew-migration-[0-9a-f]+$/);
    }
  });

  it('reports a stopped task whose migration container is missing as FAILED with the task stop reason', () => {
    // Prepare
    const task: Task = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: unable to pull secrets',
      containers: [{ name: 'log-router', exitCode: 0 }],
    };

    // Act
    const outcome = evaluateMigrationTask(task, 'app');

    // Assess
    expect(outcome).toEqual({
      status: 'FAILED',
      exitCode: null,
      reason:
        "container 'app' is not in the task; task stopped: ResourceInitializationError: unable to pull secrets; stop code TaskFailedToStart",
      commandRan: false,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('provisionGreen', () => {
  function answerDescribes(services: { live?: Service; green?: Service } = {}, current?: TaskDefinition) {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [services.live ?? liveService(), services.green ?? greenService()] });
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: LIVE_TD_ARN })
      .resolves({ taskDefinition: liveTaskDefinition() });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: OLD_GREEN_TD_ARN }).resolves({
      taskDefinition: liveTaskDefinition({ taskDefinitionArn: OLD_GREEN_TD_ARN, revision: 40 }),
    });
    if (current !== undefined) {
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: current.taskDefinitionArn })
        .resolves({ taskDefinition: current });
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
    expect(greenEnvironmentSchema.parse(env)).toEqual(env);
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
    expect(greenEnvironmentSchema.parse(env)).toEqual(env);
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

describe('startMigration', () => {
  const readyEnv: GreenEnvironment = { ...pendingEnv, status: 'READY', healthyTargets: 3 };
  const command = ['npm', 'run', 'migrate', '--', '--to', '1.4.0'];
  const migrationInput = { env: readyEnv, green, command, deploymentName: 'release-1.4.0' };

  it("runs one task of green's revision in green's network with the command override and an idempotency token", async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [greenService({ desiredCount: 3 })] });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] });

    // Act
    const migration = await provisioner().startMigration(migrationInput);

    // Assess
    expect(ecs.commandCalls(RunTaskCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      taskDefinition: NEW_TD_ARN,
      count: 1,
      startedBy: 'deploymentcrew',
      clientToken: migrationClientToken('release-1.4.0', NEW_TD_ARN),
      overrides: { containerOverrides: [{ name: 'app', command }] },
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration,
    });
    expect(migration).toEqual({ taskArn: TASK_ARN, status: 'RUNNING', exitCode: null, polls: 0 });
    expect(migrationSchema.parse(migration)).toEqual(migration);
  });

  it('sends the same clientToken when the task is retried', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [greenService()] });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });

    // Act
    await provisioner().startMigration(migrationInput);
    await provisioner().startMigration(migrationInput);

    // Assess
    const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
  });

  it("copies green's capacity provider strategy instead of a launch type", async () => {
    // Prepare
    const strategy = [
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ];
    ecs.on(DescribeServicesCommand).resolves({
      // Even if ECS reported both, RunTask must get only the strategy (it rejects both together).
      services: [greenService({ launchType: 'FARGATE', capacityProviderStrategy: strategy })],
    });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });

    // Act
    await provisioner().startMigration(migrationInput);

    // Assess
    const input = ecs.commandCalls(RunTaskCommand)[0]?.args[0].input;
    expect(input?.capacityProviderStrategy).toEqual(strategy);
    expect(input).not.toHaveProperty('launchType');
  });

  it('fails with MigrationFailed when RunTask reports failures or starts no task', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [greenService()] });
    ecs
      .on(RunTaskCommand)
      .resolvesOnce({ tasks: [], failures: [{ arn: NEW_TD_ARN, reason: 'RESOURCE:ENI', detail: 'no free ENIs' }] })
      .resolvesOnce({ tasks: [] });

    // Act
    const withFailures = await rejection(provisioner().startMigration(migrationInput));
    const withoutTask = await rejection(provisioner().startMigration(migrationInput));

    // Assess
    expect(withFailures).toBeInstanceOf(MigrationFailedError);
    expect(withFailures.name).toBe('MigrationFailed');
    expect(withFailures.message).toBe(
      `RunTask could not start the migration: ${NEW_TD_ARN}: RESOURCE:ENI (no free ENIs)`,
    );
    expect(withoutTask.name).toBe('MigrationFailed');
    expect(withoutTask.message).toBe('RunTask returned no task');
  });

  it('adopts the task already bound to the clientToken when RunTask reports a conflict', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [greenService()] });
    ecs
      .on(RunTaskCommand)
      .rejects(
        new ConflictException({ message: 'clientToken already in use', $metadata: {}, resourceIds: [TASK_ARN] }),
      );

    // Act
    const migration = await provisioner().startMigration(migrationInput);

    // Assess
    expect(migration).toEqual({ taskArn: TASK_ARN, status: 'RUNNING', exitCode: null, polls: 0 });
  });

  it('refuses an empty command before any AWS call', async () => {
    // Prepare
    const emptyCommand = { ...migrationInput, command: [] };

    // Act
    const error = await rejection(provisioner().startMigration(emptyCommand));

    // Assess
    expect(error.name).toBe('MigrationFailed');
    expect(ecs.calls()).toHaveLength(0);
  });
});

describe('checkMigration', () => {
  const running: Migration = { taskArn: TASK_ARN, status: 'RUNNING', exitCode: null, polls: 4 };

  function answerTask(task: Partial<Task>) {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, ...task }] });
  }

  it('stays RUNNING until the task is STOPPED, counting the poll', async () => {
    // Prepare
    answerTask({ lastStatus: 'RUNNING', containers: [{ name: 'app', lastStatus: 'RUNNING' }] });

    // Act
    const migration = await provisioner().checkMigration(running, 'app');

    // Assess
    expect(ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER, tasks: [TASK_ARN] });
    expect(migration).toEqual({ ...running, polls: 5 });
  });

  it('is SUCCEEDED when the migration container exited with 0', async () => {
    // Prepare
    answerTask({
      lastStatus: 'STOPPED',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'log-router', exitCode: 137 },
        { name: 'app', exitCode: 0 },
      ],
    });

    // Act
    const migration = await provisioner().checkMigration(running, 'app');

    // Assess
    expect(migration).toEqual({ taskArn: TASK_ARN, status: 'SUCCEEDED', exitCode: 0, polls: 5 });
    expect(migrationSchema.parse(migration)).toEqual(migration);
  });

  it('is FAILED with the exit code when the migration container exited with 1', async () => {
    // Prepare
    answerTask({
      lastStatus: 'STOPPED',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'app', exitCode: 1 }],
    });

    // Act
    const migration = await provisioner().checkMigration(running, 'app');

    // Assess
    expect(migration).toEqual({
      taskArn: TASK_ARN,
      status: 'FAILED',
      exitCode: 1,
      reason: "container 'app' exited with 1; task stopped: Essential container in task exited",
      commandRan: true,
      polls: 5,
    });
  });

  it('is FAILED with the stop reasons when the container has no exit code', async () => {
    // Prepare
    answerTask({
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      containers: [{ name: 'app', reason: 'CannotPullContainerError: not found' }],
    });

    // Act
    const migration = await provisioner().checkMigration(running, 'app');

    // Assess
    expect(migration).toMatchObject({ status: 'FAILED', exitCode: null, polls: 5 });
    expect(migration.reason).toBe(
      "container 'app' has no exit code; CannotPullContainerError: not found; task stopped: CannotPullContainerError: " +
        'pull image manifest has been retried 5 time(s); stop code TaskFailedToStart',
    );
  });

  it('fails with MigrationFailed when ECS no longer knows the task', async () => {
    // Prepare
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }] });

    // Act
    const error = await rejection(provisioner().checkMigration(running, 'app'));

    // Assess
    expect(error.name).toBe('MigrationFailed');
    expect(error.message).toContain(`${TASK_ARN}: MISSING`);
  });
});
