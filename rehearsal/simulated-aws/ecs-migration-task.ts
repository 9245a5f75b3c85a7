import { createHash } from 'node:crypto';
import type {
  DescribeTasksCommandInput,
  DescribeTasksCommandOutput,
  RunTaskCommandInput,
  RunTaskCommandOutput,
  Task,
} from '@aws-sdk/client-ecs';
import type { VirtualClock } from './clock';
import { SIM } from './constants';
import { ARN_PREFIX, assertCluster, CLUSTER_ARN, type EcsBehaviour, type Output } from './ecs-shapes';
import type { EcsTaskDefinitions } from './ecs-task-definitions';
import { assertOnlyKeys, awsError } from './errors';

/**
 * The simulated ECS's one-off tasks (the database migration): RunTask with its validation and client-token
 * idempotency, and DescribeTasks moving a task RUNNING, then STOPPED with the scenario's exit code (or never started).
 */

interface SimTask {
  readonly task: Task;
  readonly exitContainer: string;
  polls: number;
}

export class EcsMigrationTasks {
  private readonly tasks = new Map<string, SimTask>();
  private readonly clientTokens = new Map<string, { fingerprint: string; taskArn: string }>();
  private taskCounter = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly behaviour: EcsBehaviour,
    private readonly taskDefinitions: EcsTaskDefinitions,
  ) {}

  runTask(input: RunTaskCommandInput): Output<RunTaskCommandOutput> {
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
    assertCluster(input.cluster);
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
    const taskDefinition = this.taskDefinitions.resolve(input.taskDefinition);
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

  describeTasks(input: DescribeTasksCommandInput): Output<DescribeTasksCommandOutput> {
    assertOnlyKeys('ECS', 'DescribeTasks', input, ['cluster', 'tasks']);
    assertCluster(input.cluster);
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
