import {
  ConflictException,
  DescribeServicesCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type GreenEnvironment, type Migration, migrationSchema } from '../../../lambdas/shared/cutover-contracts';
import { MigrationFailedError, migrationClientToken } from '../../../lambdas/tools/environment-provisioner';
import { rejection } from '../../support/errors';
import { ecs, guardLiveService, provisioner } from './aws-mocks';
import { CLUSTER, green, greenService, NEW_TD_ARN, networkConfiguration, pendingEnv, TASK_ARN } from './fixtures';

guardLiveService();

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
    expect(v.parse(migrationSchema, migration)).toEqual(migration);
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

  it('runs on on-demand Fargate (launch type FARGATE) when green uses the FARGATE_SPOT and FARGATE providers', async () => {
    // Prepare
    const strategy = [
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ];
    ecs.on(DescribeServicesCommand).resolves({
      // Even if ECS reported both, RunTask must get only one placement (it rejects both together).
      services: [greenService({ launchType: 'FARGATE', capacityProviderStrategy: strategy })],
    });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });

    // Act
    await provisioner().startMigration(migrationInput);

    // Assess
    expect(ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input)).toEqual([
      {
        cluster: CLUSTER,
        taskDefinition: NEW_TD_ARN,
        count: 1,
        startedBy: 'deploymentcrew',
        clientToken: migrationClientToken('release-1.4.0', NEW_TD_ARN),
        overrides: { containerOverrides: [{ name: 'app', command }] },
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        networkConfiguration,
      },
    ]);
  });

  it('refuses, without RunTask, EC2 capacity providers (Spot or not cannot be told) and a service with no placement', async () => {
    // Prepare
    const { launchType: _none, ...withoutLaunchType } = greenService();
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({
        services: [
          greenService({
            launchType: undefined,
            capacityProviderStrategy: [{ capacityProvider: 'orders-asg-spot', weight: 1 }],
          }),
        ],
      })
      .resolvesOnce({ services: [withoutLaunchType] });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });

    // Act
    const ec2Providers = await rejection(provisioner().startMigration(migrationInput));
    const noPlacement = await rejection(provisioner().startMigration(migrationInput));

    // Assess
    expect(ec2Providers).toBeInstanceOf(MigrationFailedError);
    expect(ec2Providers.message).toBe(
      "service 'orders-green' runs on the capacity providers orders-asg-spot; the migration must run on on-demand " +
        'capacity and whether an EC2 capacity provider uses Spot cannot be told from its name: run the service on a ' +
        'launch type (EC2 or FARGATE) or on the FARGATE capacity provider',
    );
    expect(noPlacement.name).toBe('MigrationFailed');
    expect(noPlacement.message).toBe(
      "service 'orders-green' reports neither a launch type nor a capacity provider strategy: RunTask would use the " +
        "cluster's default strategy, which may be Spot",
    );
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
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
    expect(v.parse(migrationSchema, migration)).toEqual(migration);
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
