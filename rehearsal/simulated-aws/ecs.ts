import {
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  type Service,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CallLog } from './call-log';
import type { VirtualClock } from './clock';
import { SIM } from './constants';
import { EcsMigrationTasks } from './ecs-migration-task';
import {
  ARN_PREFIX,
  assertCluster,
  type EcsBehaviour,
  type Output,
  type SimDeployment,
  type SimService,
  serviceShape,
  shortName,
  taskDefinitionArn,
} from './ecs-shapes';
import { EcsTaskDefinitions } from './ecs-task-definitions';
import { assertOnlyKeys, awsError } from './errors';
import { simulateClient, simulatedClientConfig } from './sdk-stub';

/**
 * ECS of the simulated production: cluster `shop-prod` with the two services of the pair (blue live at 3 tasks of
 * `shop-web:7`, green idle at 0 tasks of `shop-web:6`), the task definition family, one-off tasks, and the targets
 * each service registers in its target group (read by the simulated ELB's DescribeTargetHealth).
 * This module holds the services and the client; the task definitions are in ecs-task-definitions.ts, the one-off
 * (migration) tasks in ecs-migration-task.ts, the pure shapes in ecs-shapes.ts.
 */

export type { EcsBehaviour } from './ecs-shapes';

export class SimulatedEcs {
  private readonly taskDefinitions: EcsTaskDefinitions;
  private readonly migrationTasks: EcsMigrationTasks;
  private readonly services = new Map<string, SimService>();
  private deploymentCounter = 0;
  private client: ECSClient | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly log: CallLog,
    private readonly behaviour: EcsBehaviour,
  ) {
    this.taskDefinitions = new EcsTaskDefinitions(clock);
    this.migrationTasks = new EcsMigrationTasks(clock, behaviour, this.taskDefinitions);
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
          this.taskDefinitions.describe(input),
        ),
      );
    mock
      .on(RegisterTaskDefinitionCommand)
      .callsFake((input: RegisterTaskDefinitionCommandInput) =>
        this.log.run(`ECS:RegisterTaskDefinition ${input.family ?? ''}`, () => this.taskDefinitions.register(input)),
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
        this.log.run(`ECS:RunTask ${shortName(input.taskDefinition ?? '')}`, () => this.migrationTasks.runTask(input)),
      );
    mock
      .on(DescribeTasksCommand)
      .callsFake((input: DescribeTasksCommandInput) =>
        this.log.run(`ECS:DescribeTasks ${(input.tasks ?? []).map(shortName).join(',')}`, () =>
          this.migrationTasks.describeTasks(input),
        ),
      );
    this.client = client;
    return client;
  }

  private describeServices(input: DescribeServicesCommandInput): Output<DescribeServicesCommandOutput> {
    assertOnlyKeys('ECS', 'DescribeServices', input, ['cluster', 'services']);
    assertCluster(input.cluster);
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
      services.push(serviceShape(service, this.neverHealthy(service)));
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

  private updateService(input: UpdateServiceCommandInput): Output<UpdateServiceCommandOutput> {
    assertOnlyKeys('ECS', 'UpdateService', input, [
      'cluster',
      'service',
      'taskDefinition',
      'desiredCount',
      'forceNewDeployment',
    ]);
    assertCluster(input.cluster);
    const service = this.services.get(input.service ?? '');
    if (service === undefined) throw awsError('ServiceNotFoundException', 'Service not found.');
    let taskDefinition = service.taskDefinition;
    if (input.taskDefinition !== undefined) {
      const resolved = this.taskDefinitions.resolve(input.taskDefinition);
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
    return { service: serviceShape(service, this.neverHealthy(service)) };
  }
}
