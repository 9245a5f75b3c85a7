import type {
  ContainerDefinition,
  Deployment,
  RegisterTaskDefinitionCommandInput,
  Service,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { GreenEnvironment, Side } from '../../../lambdas/shared/cutover-contracts';

/** The blue-green pair the environment provisioner tests work on: live is blue, green is idle. */

export const REGION_ACCOUNT = 'eu-west-1:123456789012';
export const CLUSTER = 'orders-cluster';
export const FAMILY = 'orders-api';
export const TG_BLUE = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-blue/1111111111111111`;
export const TG_GREEN = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-green/2222222222222222`;
export const LIVE_TD_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${FAMILY}:41`;
export const OLD_GREEN_TD_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${FAMILY}:40`;
export const NEW_TD_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${FAMILY}:42`;
export const TASK_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:task/${CLUSTER}/0123456789abcdef0123456789abcdef`;
export const OLD_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.3.9';
export const RELEASE_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.4.0';
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/orders-api-task';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/orders-api-execution';
export const NOW = new Date('2026-11-24T10:30:00.000Z');

/** The live revision's tags as DescribeTaskDefinition returns them with `include: ['TAGS']`. */
export const LIVE_TAGS: Tag[] = [
  { key: 'team', value: 'orders' },
  { key: 'aws:cloudformation:stack-name', value: 'orders-api' },
  { key: 'cost-center', value: 'cc-17' },
];
/** What the new revision gets: the same tags without the reserved `aws:` ones (a request may not set them). */
export const COPIED_TAGS: Tag[] = [
  { key: 'team', value: 'orders' },
  { key: 'cost-center', value: 'cc-17' },
];

export const live: Side = { targetGroupArn: TG_BLUE, serviceName: 'orders-blue' };
export const green: Side = { targetGroupArn: TG_GREEN, serviceName: 'orders-green' };

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
export function liveTaskDefinition(overrides: Partial<TaskDefinition> = {}): TaskDefinition {
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
export function expectedRegistration(): RegisterTaskDefinitionCommandInput {
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
export function registeredReleaseDefinition(overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    ...liveTaskDefinition(),
    ...expectedRegistration(),
    taskDefinitionArn: NEW_TD_ARN,
    revision: 42,
    registeredAt: new Date('2026-11-24T10:10:00.000Z'),
    ...overrides,
  };
}

export const networkConfiguration = {
  awsvpcConfiguration: {
    subnets: ['subnet-green-a', 'subnet-green-b'],
    securityGroups: ['sg-orders-api'],
    assignPublicIp: 'DISABLED' as const,
  },
};

export function liveService(overrides: Partial<Service> = {}): Service {
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

export function greenService(overrides: Partial<Service> = {}): Service {
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

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    status: 'PRIMARY',
    taskDefinition: NEW_TD_ARN,
    desiredCount: 3,
    runningCount: 3,
    rolloutState: 'COMPLETED',
    ...overrides,
  };
}

export function target(
  id: string,
  State: NonNullable<TargetHealthDescription['TargetHealth']>['State'],
  Reason?: string,
) {
  return {
    Target: { Id: id, Port: 8080 },
    TargetHealth: Reason === undefined ? { State } : { State, Reason },
  } as TargetHealthDescription;
}

export const pendingEnv: GreenEnvironment = {
  taskDefinitionArn: NEW_TD_ARN,
  previousTaskDefinitionArn: OLD_GREEN_TD_ARN,
  containerName: 'app',
  desiredCount: 3,
  status: 'PENDING',
  reason: 'earlier poll',
  healthyTargets: 0,
  polls: 2,
};
