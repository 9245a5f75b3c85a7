import { createHash } from 'node:crypto';
import {
  type ContainerDefinition,
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  type DescribeTaskDefinitionCommandOutput,
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  type DescribeTasksCommandOutput,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type RegisterTaskDefinitionCommandOutput,
  RunTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  type Service,
  type Tag,
  type Task,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CallLog } from './call-log';
import type { VirtualClock } from './clock';
import { SIM, SIM_SERVICE_SECURITY_GROUP, SIM_SERVICE_SUBNETS } from './constants';
import { assertOnlyKeys, awsError } from './errors';
import { simulateClient, simulatedClientConfig } from './sdk-stub';

/**
 * ECS of the simulated production: cluster `shop-prod` with the two services of the pair (blue live at 3 tasks of
 * `shop-web:7`, green idle at 0 tasks of `shop-web:6`), the task definition family, one-off tasks, and the targets
 * each service registers in its target group (read by the simulated ELB's DescribeTargetHealth).
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

type Output<T> = Omit<T, '$metadata'>;

const ECR = `${SIM.account}.dkr.ecr.${SIM.region}.amazonaws.com/shop`;
const ARN_PREFIX = `arn:aws:ecs:${SIM.region}:${SIM.account}`;
const CLUSTER_ARN = `${ARN_PREFIX}:cluster/${SIM.clusterName}`;

interface SimDeployment {
  readonly id: string;
  status: 'PRIMARY' | 'ACTIVE';
  readonly taskDefinition: string;
  desiredCount: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED';
  /** DescribeServices that included the service since this deployment started. */
  polls: number;
  readonly createdAt: Date;
}

interface SimService {
  readonly name: string;
  readonly targetGroupArn: string;
  /** Third octet of its targets' IPs. */
  readonly subnetOctet: number;
  desiredCount: number;
  taskDefinition: string;
  deployments: SimDeployment[];
}

interface SimTask {
  readonly task: Task;
  readonly exitContainer: string;
  polls: number;
}

function taskDefinitionArn(family: string, revision: number): string {
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

function initialTaskDefinition(revision: number, version: string, registeredAt: Date): TaskDefinition {
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
function initialTags(): Tag[] {
  return [
    { key: 'application', value: 'shop' },
    { key: 'cost-center', value: 'web-42' },
    { key: 'aws:cloudformation:stack-name', value: 'shop-web' },
  ];
}

function shortName(taskDefinition: string): string {
  return taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1);
}

export class SimulatedEcs {
  private readonly taskDefinitions = new Map<string, TaskDefinition>();
  /** Tags by task definition ARN: DescribeTaskDefinition returns them only with `include: ['TAGS']`. */
  private readonly taskDefinitionTags = new Map<string, Tag[]>();
  private readonly services = new Map<string, SimService>();
  private readonly tasks = new Map<string, SimTask>();
  private readonly clientTokens = new Map<string, { fingerprint: string; taskArn: string }>();
  private deploymentCounter = 0;
  private taskCounter = 0;
  private client: ECSClient | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly log: CallLog,
    private readonly behaviour: EcsBehaviour,
  ) {
    const registeredAt = new Date(clock.nowMs() - 14 * 24 * 3600 * 1000);
    this.taskDefinitions.set(
      taskDefinitionArn(SIM.taskDefinitionFamily, 6),
      initialTaskDefinition(6, '1.3.8', registeredAt),
    );
    this.taskDefinitions.set(
      taskDefinitionArn(SIM.taskDefinitionFamily, 7),
      initialTaskDefinition(7, '1.3.9', new Date(registeredAt.getTime() + 7 * 24 * 3600 * 1000)),
    );
    for (const arn of this.taskDefinitions.keys()) this.taskDefinitionTags.set(arn, initialTags());
    this.addService(SIM.blueServiceName, SIM.blueTargetGroupArn, 1, 3, taskDefinitionArn(SIM.taskDefinitionFamily, 7));
    this.addService(
      SIM.greenServiceName,
      SIM.greenTargetGroupArn,
      2,
      0,
      taskDefinitionArn(SIM.taskDefinitionFamily, 6),
    );
  }

  private addService(name: string, targetGroupArn: string, octet: number, desired: number, td: string): void {
    this.services.set(name, {
      name,
      targetGroupArn,
      subnetOctet: octet,
      desiredCount: desired,
      taskDefinition: td,
      deployments: [this.newDeployment(td, desired, 'COMPLETED')],
    });
  }

  private newDeployment(
    taskDefinition: string,
    desiredCount: number,
    rolloutState: SimDeployment['rolloutState'],
  ): SimDeployment {
    this.deploymentCounter += 1;
    return {
      id: `ecs-svc/${String(this.deploymentCounter).padStart(19, '0')}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount,
      rolloutState,
      polls: 0,
      createdAt: this.clock.now(),
    };
  }

  // ----- inspectors -----

  serviceDesiredCount(serviceName: string): number {
    return this.service(serviceName).desiredCount;
  }

  /** The task definition a service runs now (short form, `shop-web:8`). */
  serviceTaskDefinition(serviceName: string): string {
    return shortName(this.service(serviceName).taskDefinition);
  }

  private service(name: string): SimService {
    const service = this.services.get(name);
    if (service === undefined) throw new Error(`simulated ECS has no service '${name}'`);
    return service;
  }

  /** The targets a service has registered in `targetGroupArn`, or undefined when no service uses that group. */
  targetHealth(targetGroupArn: string): TargetHealthDescription[] | undefined {
    const service = [...this.services.values()].find((candidate) => candidate.targetGroupArn === targetGroupArn);
    if (service === undefined) return undefined;
    const primary = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
    if (primary === undefined || service.desiredCount === 0) return [];
    const health =
      primary.rolloutState === 'COMPLETED'
        ? { State: 'healthy' as const }
        : this.neverHealthy(service) && primary.polls > 0
          ? {
              State: 'unhealthy' as const,
              Reason: 'Target.ResponseCodeMismatch' as const,
              Description: 'Health checks failed with these codes: [502]',
            }
          : {
              State: 'initial' as const,
              Reason: 'Elb.RegistrationInProgress' as const,
              Description: 'Target registration is in progress',
            };
    return Array.from({ length: service.desiredCount }, (_, index) => ({
      Target: { Id: `10.0.${service.subnetOctet}.${11 + index}`, Port: 8080, AvailabilityZone: `${SIM.region}a` },
      HealthCheckPort: '8080',
      TargetHealth: { ...health },
    }));
  }

  private neverHealthy(service: SimService): boolean {
    return this.behaviour.greenNeverHealthy && service.name === SIM.greenServiceName;
  }

  // ----- the client -----

  ecsClient(): ECSClient {
    if (this.client !== undefined) return this.client;
    const client = new ECSClient(simulatedClientConfig());
    const mock = simulateClient(client, 'ECS', this.log);
    mock
      .on(DescribeServicesCommand)
      .callsFake((input: DescribeServicesCommandInput) =>
        this.log.run(`ECS:DescribeServices ${(input.services ?? []).join(',')}`, () => this.describeServices(input)),
      );
    mock
      .on(DescribeTaskDefinitionCommand)
      .callsFake((input: DescribeTaskDefinitionCommandInput) =>
        this.log.run(`ECS:DescribeTaskDefinition ${shortName(input.taskDefinition ?? '')}`, () =>
          this.describeTaskDefinition(input),
        ),
      );
    mock
      .on(RegisterTaskDefinitionCommand)
      .callsFake((input: RegisterTaskDefinitionCommandInput) =>
        this.log.run(`ECS:RegisterTaskDefinition ${input.family ?? ''}`, () => this.registerTaskDefinition(input)),
      );
    mock.on(UpdateServiceCommand).callsFake((input: UpdateServiceCommandInput) => {
      const parts = [
        input.service ?? '',
        ...(input.taskDefinition === undefined ? [] : [`taskDefinition=${shortName(input.taskDefinition)}`]),
        ...(input.desiredCount === undefined ? [] : [`desiredCount=${input.desiredCount}`]),
        ...(input.forceNewDeployment === true ? ['forceNewDeployment'] : []),
      ];
      return this.log.run(`ECS:UpdateService ${parts.join(' ')}`, () => this.updateService(input));
    });
    mock
      .on(RunTaskCommand)
      .callsFake((input: RunTaskCommandInput) =>
        this.log.run(`ECS:RunTask ${shortName(input.taskDefinition ?? '')}`, () => this.runTask(input)),
      );
    mock
      .on(DescribeTasksCommand)
      .callsFake((input: DescribeTasksCommandInput) =>
        this.log.run(`ECS:DescribeTasks ${(input.tasks ?? []).map(shortName).join(',')}`, () =>
          this.describeTasks(input),
        ),
      );
    this.client = client;
    return client;
  }

  private assertCluster(cluster: string | undefined): void {
    if (cluster !== SIM.clusterName && cluster !== CLUSTER_ARN) {
      throw awsError('ClusterNotFoundException', `Cluster not found: ${cluster ?? '(default)'}`);
    }
  }

  /** `shop-web:8`, `shop-web` (latest ACTIVE) or a full ARN → the stored definition. */
  private resolveTaskDefinition(reference: string | undefined): TaskDefinition | undefined {
    if (reference === undefined) return undefined;
    if (reference.startsWith('arn:')) return this.taskDefinitions.get(reference);
    if (reference.includes(':')) {
      const [family = '', revision = ''] = reference.split(':');
      return this.taskDefinitions.get(taskDefinitionArn(family, Number(revision)));
    }
    const revisions = [...this.taskDefinitions.values()].filter(
      (td) => td.family === reference && td.status === 'ACTIVE',
    );
    return revisions.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
  }

  private describeServices(input: DescribeServicesCommandInput): Output<DescribeServicesCommandOutput> {
    assertOnlyKeys('ECS', 'DescribeServices', input, ['cluster', 'services']);
    this.assertCluster(input.cluster);
    const names = input.services ?? [];
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const name of names) {
      const service = this.services.get(name);
      if (service === undefined) {
        failures.push({ arn: `${ARN_PREFIX}:service/${SIM.clusterName}/${name}`, reason: 'MISSING' });
        continue;
      }
      this.poll(service);
      services.push(this.serviceShape(service));
    }
    return { services, failures };
  }

  /** One DescribeServices: an in-progress deployment moves towards COMPLETED. */
  private poll(service: SimService): void {
    const primary = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
    if (primary === undefined || primary.rolloutState === 'COMPLETED') return;
    primary.polls += 1;
    if (!this.neverHealthy(service) && primary.polls >= this.behaviour.readyAfterPolls) {
      primary.rolloutState = 'COMPLETED';
      service.deployments = [primary];
    }
  }

  private serviceShape(service: SimService): Service {
    const deployments: Deployment[] = service.deployments.map((deployment) => {
      const running =
        deployment.status === 'ACTIVE'
          ? deployment.desiredCount
          : deployment.rolloutState === 'COMPLETED' || this.neverHealthy(service)
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

  private describeTaskDefinition(
    input: DescribeTaskDefinitionCommandInput,
  ): Output<DescribeTaskDefinitionCommandOutput> {
    assertOnlyKeys('ECS', 'DescribeTaskDefinition', input, ['taskDefinition', 'include']);
    const taskDefinition = this.resolveTaskDefinition(input.taskDefinition);
    if (taskDefinition === undefined) throw awsError('ClientException', 'Unable to describe task definition.');
    if (!(input.include ?? []).includes('TAGS')) return { taskDefinition: structuredClone(taskDefinition) };
    const tags = this.taskDefinitionTags.get(taskDefinition.taskDefinitionArn ?? '') ?? [];
    return { taskDefinition: structuredClone(taskDefinition), tags: structuredClone(tags) };
  }

  private registerTaskDefinition(
    input: RegisterTaskDefinitionCommandInput,
  ): Output<RegisterTaskDefinitionCommandOutput> {
    const tags = input.tags ?? [];
    if (tags.some((tag) => tag.key === undefined || tag.key.toLowerCase().startsWith('aws:'))) {
      throw awsError('InvalidParameterException', 'Tag keys with the aws: prefix are reserved for AWS use.');
    }
    const family = input.family ?? '';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) throw awsError('ClientException', `invalid family '${family}'`);
    const containers = input.containerDefinitions ?? [];
    if (containers.length === 0 || containers.some((c) => !c.name || !c.image)) {
      throw awsError('ClientException', 'Container definitions need a name and an image.');
    }
    const revision =
      Math.max(
        0,
        ...[...this.taskDefinitions.values()].filter((td) => td.family === family).map((td) => td.revision ?? 0),
      ) + 1;
    const { family: _family, tags: _tags, ...fields } = structuredClone(input);
    // ECS fills in defaults that the request may omit (the tools must not mistake them for differences).
    const taskDefinition: TaskDefinition = {
      volumes: [],
      placementConstraints: [],
      ...fields,
      containerDefinitions: containers.map((container) => ({
        mountPoints: [],
        volumesFrom: [],
        environment: [],
        ...structuredClone(container),
      })),
      taskDefinitionArn: taskDefinitionArn(family, revision),
      family,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: this.clock.now(),
      registeredBy: `arn:aws:iam::${SIM.account}:role/deploymentcrew-orchestrator`,
    };
    this.taskDefinitions.set(taskDefinition.taskDefinitionArn ?? '', taskDefinition);
    this.taskDefinitionTags.set(taskDefinition.taskDefinitionArn ?? '', structuredClone(tags));
    return { taskDefinition: structuredClone(taskDefinition), tags: structuredClone(tags) };
  }

  private updateService(input: UpdateServiceCommandInput): Output<UpdateServiceCommandOutput> {
    assertOnlyKeys('ECS', 'UpdateService', input, [
      'cluster',
      'service',
      'taskDefinition',
      'desiredCount',
      'forceNewDeployment',
    ]);
    this.assertCluster(input.cluster);
    const service = this.services.get(input.service ?? '');
    if (service === undefined) throw awsError('ServiceNotFoundException', 'Service not found.');
    let taskDefinition = service.taskDefinition;
    if (input.taskDefinition !== undefined) {
      const resolved = this.resolveTaskDefinition(input.taskDefinition);
      if (resolved?.taskDefinitionArn === undefined || resolved.status !== 'ACTIVE') {
        throw awsError('InvalidParameterException', `TaskDefinition not found: ${input.taskDefinition}`);
      }
      taskDefinition = resolved.taskDefinitionArn;
    }
    if (input.desiredCount !== undefined) {
      if (!Number.isInteger(input.desiredCount) || input.desiredCount < 0) {
        throw awsError('InvalidParameterException', `invalid desiredCount ${input.desiredCount}`);
      }
      service.desiredCount = input.desiredCount;
    }
    const newDeployment = input.forceNewDeployment === true || taskDefinition !== service.taskDefinition;
    service.taskDefinition = taskDefinition;
    if (newDeployment) {
      for (const deployment of service.deployments) deployment.status = 'ACTIVE';
      const state = service.desiredCount === 0 ? 'COMPLETED' : 'IN_PROGRESS';
      const deployment = this.newDeployment(taskDefinition, service.desiredCount, state);
      service.deployments = state === 'COMPLETED' ? [deployment] : [deployment, ...service.deployments];
    } else {
      const primary = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
      if (primary !== undefined) {
        primary.desiredCount = service.desiredCount;
        if (service.desiredCount === 0) {
          // Nothing left to run: the rollout is over.
          primary.rolloutState = 'COMPLETED';
          service.deployments = [primary];
        }
      }
    }
    return { service: this.serviceShape(service) };
  }

  private runTask(input: RunTaskCommandInput): Output<RunTaskCommandOutput> {
    assertOnlyKeys('ECS', 'RunTask', input, [
      'cluster',
      'taskDefinition',
      'count',
      'startedBy',
      'clientToken',
      'overrides',
      'launchType',
      'platformVersion',
      'networkConfiguration',
      'capacityProviderStrategy',
    ]);
    this.assertCluster(input.cluster);
    if ((input.count ?? 1) !== 1) throw awsError('InvalidParameterException', 'only count 1 is modelled');
    const fingerprint = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    if (input.clientToken !== undefined) {
      const earlier = this.clientTokens.get(input.clientToken);
      if (earlier !== undefined) {
        if (earlier.fingerprint !== fingerprint) {
          throw awsError(
            'ConflictException',
            'The specified client token has already been used in a request with different parameters.',
            { extra: { resourceIds: [earlier.taskArn] } },
          );
        }
        const task = this.tasks.get(earlier.taskArn);
        return { tasks: task === undefined ? [] : [structuredClone(task.task)], failures: [] };
      }
    }
    const taskDefinition = this.resolveTaskDefinition(input.taskDefinition);
    if (taskDefinition?.taskDefinitionArn === undefined || taskDefinition.status !== 'ACTIVE') {
      throw awsError('InvalidParameterException', `TaskDefinition not found: ${input.taskDefinition ?? ''}`);
    }
    if (input.launchType !== undefined && input.capacityProviderStrategy !== undefined) {
      throw awsError('InvalidParameterException', 'Specify either a launch type or a capacity provider strategy.');
    }
    if (taskDefinition.networkMode === 'awsvpc' && !input.networkConfiguration?.awsvpcConfiguration?.subnets?.length) {
      throw awsError(
        'InvalidParameterException',
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    const containerNames = (taskDefinition.containerDefinitions ?? []).map((container) => container.name ?? '');
    const overrides = input.overrides?.containerOverrides ?? [];
    for (const override of overrides) {
      if (!containerNames.includes(override.name ?? '')) {
        throw awsError('InvalidParameterException', `Override for container named ${override.name} is not valid.`);
      }
    }
    this.taskCounter += 1;
    const taskId = createHash('sha256').update(`task-${this.taskCounter}`).digest('hex').slice(0, 32);
    const taskArn = `${ARN_PREFIX}:task/${SIM.clusterName}/${taskId}`;
    const task: Task = {
      taskArn,
      clusterArn: CLUSTER_ARN,
      taskDefinitionArn: taskDefinition.taskDefinitionArn,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: input.launchType ?? 'FARGATE',
      startedBy: input.startedBy,
      group: `family:${taskDefinition.family ?? ''}`,
      overrides: structuredClone(input.overrides),
      createdAt: this.clock.now(),
      containers: containerNames.map((name) => ({
        name,
        containerArn: `${ARN_PREFIX}:container/${SIM.clusterName}/${taskId}/${name}`,
        taskArn,
        lastStatus: 'PENDING',
      })),
    };
    this.tasks.set(taskArn, {
      task,
      exitContainer: overrides[0]?.name ?? containerNames[0] ?? 'web',
      polls: 0,
    });
    if (input.clientToken !== undefined) this.clientTokens.set(input.clientToken, { fingerprint, taskArn });
    return { tasks: [structuredClone(task)], failures: [] };
  }

  private describeTasks(input: DescribeTasksCommandInput): Output<DescribeTasksCommandOutput> {
    assertOnlyKeys('ECS', 'DescribeTasks', input, ['cluster', 'tasks']);
    this.assertCluster(input.cluster);
    const tasks: Task[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const reference of input.tasks ?? []) {
      const entry =
        this.tasks.get(reference) ?? [...this.tasks.values()].find((t) => t.task.taskArn?.endsWith(`/${reference}`));
      if (entry === undefined) {
        failures.push({ arn: reference, reason: 'MISSING' });
        continue;
      }
      entry.polls += 1;
      const task = entry.task;
      if (this.behaviour.migrationFailsToStart && task.lastStatus !== 'STOPPED') {
        task.lastStatus = 'STOPPED';
        task.desiredStatus = 'STOPPED';
        task.stoppedAt = this.clock.now();
        task.stopCode = 'TaskFailedToStart';
        task.stoppedReason = 'CannotPullContainerError: pull image manifest has been retried 5 time(s)';
        for (const container of task.containers ?? []) container.lastStatus = 'STOPPED';
      } else if (entry.polls <= this.behaviour.migrationRunningPolls) {
        task.lastStatus = 'RUNNING';
        task.startedAt ??= this.clock.now();
        for (const container of task.containers ?? []) container.lastStatus = 'RUNNING';
      } else if (task.lastStatus !== 'STOPPED') {
        task.lastStatus = 'STOPPED';
        task.desiredStatus = 'STOPPED';
        task.stoppedAt = this.clock.now();
        task.stopCode = 'EssentialContainerExited';
        task.stoppedReason = 'Essential container in task exited';
        for (const container of task.containers ?? []) {
          container.lastStatus = 'STOPPED';
          container.exitCode = container.name === entry.exitContainer ? this.behaviour.migrationExitCode : 0;
        }
      }
      tasks.push(structuredClone(task));
    }
    return { tasks, failures };
  }
}
