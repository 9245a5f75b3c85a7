import type { ContainerDefinition, Deployment, Service, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { SIM, SIM_SERVICE_SECURITY_GROUP, SIM_SERVICE_SUBNETS } from './constants';
import { awsError } from './errors';

/**
 * The simulated ECS's pure parts: its behaviour knobs, ARNs, the seeded task definitions, container definition and
 * tags, the service and deployment records, and the Service shape DescribeServices and UpdateService answer with.
 */

export interface EcsBehaviour {
  /** A new deployment is COMPLETED (and its targets healthy) at the N-th DescribeServices that includes it. */
  readonly readyAfterPolls: number;
  /** Green's deployments never complete; its targets are `initial`, then `unhealthy`. */
  readonly greenNeverHealthy: boolean;
  readonly migrationExitCode: number;
  /** The migration task never starts (image pull failure): STOPPED with TaskFailedToStart, no exit code. */
  readonly migrationFailsToStart: boolean;
  /** DescribeTasks answers RUNNING this many times before STOPPED. */
  readonly migrationRunningPolls: number;
}

export type Output<T> = Omit<T, '$metadata'>;

const ECR = `${SIM.account}.dkr.ecr.${SIM.region}.amazonaws.com/shop`;
export const ARN_PREFIX = `arn:aws:ecs:${SIM.region}:${SIM.account}`;
export const CLUSTER_ARN = `${ARN_PREFIX}:cluster/${SIM.clusterName}`;

export interface SimDeployment {
  readonly id: string;
  status: 'PRIMARY' | 'ACTIVE';
  readonly taskDefinition: string;
  desiredCount: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED';
  /** DescribeServices that included the service since this deployment started. */
  polls: number;
  readonly createdAt: Date;
}

export interface SimService {
  readonly name: string;
  readonly targetGroupArn: string;
  /** Third octet of its targets' IPs. */
  readonly subnetOctet: number;
  desiredCount: number;
  taskDefinition: string;
  deployments: SimDeployment[];
}

export function taskDefinitionArn(family: string, revision: number): string {
  return `${ARN_PREFIX}:task-definition/${family}:${revision}`;
}

function webContainer(version: string): ContainerDefinition {
  return {
    name: 'web',
    image: `${ECR}:${version}`,
    cpu: 0,
    essential: true,
    portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
    environment: [{ name: 'NODE_ENV', value: 'production' }],
    mountPoints: [],
    volumesFrom: [],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/ecs/shop-web', 'awslogs-region': SIM.region, 'awslogs-stream-prefix': 'web' },
    },
  };
}

export function initialTaskDefinition(revision: number, version: string, registeredAt: Date): TaskDefinition {
  return {
    taskDefinitionArn: taskDefinitionArn(SIM.taskDefinitionFamily, revision),
    family: SIM.taskDefinitionFamily,
    revision,
    status: 'ACTIVE',
    containerDefinitions: [webContainer(version)],
    taskRoleArn: `arn:aws:iam::${SIM.account}:role/shop-web-task`,
    executionRoleArn: `arn:aws:iam::${SIM.account}:role/shop-web-execution`,
    networkMode: 'awsvpc',
    volumes: [],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    registeredAt,
    registeredBy: `arn:aws:iam::${SIM.account}:role/deploy`,
  };
}

/** The application's tags on its revisions, and the one CloudFormation adds (reserved: a request may not set it). */
export function initialTags(): Tag[] {
  return [
    { key: 'application', value: 'shop' },
    { key: 'cost-center', value: 'web-42' },
    { key: 'aws:cloudformation:stack-name', value: 'shop-web' },
  ];
}

export function shortName(taskDefinition: string): string {
  return taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1);
}

export function assertCluster(cluster: string | undefined): void {
  if (cluster !== SIM.clusterName && cluster !== CLUSTER_ARN) {
    throw awsError('ClusterNotFoundException', `Cluster not found: ${cluster ?? '(default)'}`);
  }
}

/** The service as ECS describes it; `neverHealthy`: its tasks all run but its rollout never completes. */
export function serviceShape(service: SimService, neverHealthy: boolean): Service {
  const deployments: Deployment[] = service.deployments.map((deployment) => {
    const running =
      deployment.status === 'ACTIVE'
        ? deployment.desiredCount
        : deployment.rolloutState === 'COMPLETED' || neverHealthy
          ? deployment.desiredCount
          : Math.min(deployment.polls, deployment.desiredCount);
    return {
      id: deployment.id,
      status: deployment.status,
      taskDefinition: deployment.taskDefinition,
      desiredCount: deployment.desiredCount,
      runningCount: running,
      pendingCount: deployment.desiredCount - running,
      failedTasks: 0,
      createdAt: deployment.createdAt,
      updatedAt: deployment.createdAt,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      rolloutState: deployment.rolloutState,
      rolloutStateReason:
        deployment.rolloutState === 'COMPLETED'
          ? `ECS deployment ${deployment.id} completed.`
          : `ECS deployment ${deployment.id} in progress.`,
    };
  });
  const runningCount = deployments.reduce((sum, deployment) => sum + (deployment.runningCount ?? 0), 0);
  return {
    serviceArn: `${ARN_PREFIX}:service/${SIM.clusterName}/${service.name}`,
    serviceName: service.name,
    clusterArn: CLUSTER_ARN,
    status: 'ACTIVE',
    desiredCount: service.desiredCount,
    runningCount,
    pendingCount: 0,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    taskDefinition: service.taskDefinition,
    loadBalancers: [{ targetGroupArn: service.targetGroupArn, containerName: 'web', containerPort: 8080 }],
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...SIM_SERVICE_SUBNETS],
        securityGroups: [SIM_SERVICE_SECURITY_GROUP],
        assignPublicIp: 'DISABLED',
      },
    },
    deployments,
    schedulingStrategy: 'REPLICA',
  };
}
