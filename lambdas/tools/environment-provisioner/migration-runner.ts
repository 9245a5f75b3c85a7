import { DescribeTasksCommand, type ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { errorMessage, errorName } from '../../shared/errors';
import { call, describeActiveServices } from './aws-calls';
import { describeFailures, failMigration, MigrationFailedError } from './errors';
import { evaluateMigrationTask, migrationRunTaskInput } from './migration';
import type { EnvironmentProvisioner } from './types';

export type MigrationRunner = Pick<EnvironmentProvisioner, 'startMigration' | 'checkMigration'>;

/** The migration steps: starts the release's migration as a one-off task of green's revision, then polls it. */
export function createMigrationRunner(ecs: ECSClient, cluster: string): MigrationRunner {
  return {
    async startMigration({ env, green, command, deploymentName }) {
      if (command.length === 0) throw new MigrationFailedError('the migration command is empty');
      const [service] = await describeActiveServices(ecs, cluster, [green.serviceName], failMigration);
      if (service === undefined) throw new MigrationFailedError(`service '${green.serviceName}' not found`);

      const input = migrationRunTaskInput(cluster, service, { env, command, deploymentName });

      let taskArn: string | undefined;
      try {
        const output = await call(failMigration, 'RunTask', () => ecs.send(new RunTaskCommand(input)));
        const failures = output.failures ?? [];
        if (failures.length > 0) {
          throw new MigrationFailedError(`RunTask could not start the migration: ${describeFailures(failures)}`);
        }
        taskArn = output.tasks?.[0]?.taskArn;
      } catch (error) {
        if (errorName(error) !== 'ConflictException') throw error;
        // The token is already bound to a task: an earlier attempt of this deployment's migration whose parameters
        // drifted since (e.g. green's network configuration changed). That task is the migration.
        const resourceIds = (error as { resourceIds?: unknown }).resourceIds;
        const [existing] = Array.isArray(resourceIds) ? resourceIds : [];
        if (!Array.isArray(resourceIds) || resourceIds.length !== 1 || typeof existing !== 'string') {
          throw new MigrationFailedError(`RunTask: ConflictException: ${errorMessage(error)}`);
        }
        taskArn = existing;
      }
      if (taskArn === undefined) throw new MigrationFailedError('RunTask returned no task');
      return { taskArn, status: 'RUNNING', exitCode: null, polls: 0 };
    },

    async checkMigration(migration, containerName) {
      const output = await call(failMigration, `DescribeTasks '${migration.taskArn}'`, () =>
        ecs.send(new DescribeTasksCommand({ cluster, tasks: [migration.taskArn] })),
      );
      const task = output.tasks?.find((candidate) => candidate.taskArn === migration.taskArn);
      if (task === undefined) {
        const failures = output.failures ?? [];
        throw new MigrationFailedError(
          `migration task ${migration.taskArn} not found in cluster '${cluster}'` +
            (failures.length > 0 ? `: ${describeFailures(failures)}` : '') +
            ' (ECS keeps stopped tasks visible for about an hour)',
        );
      }
      const outcome = evaluateMigrationTask(task, containerName);
      return {
        taskArn: migration.taskArn,
        status: outcome.status,
        exitCode: outcome.exitCode,
        polls: migration.polls + 1,
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
        ...(outcome.commandRan === undefined ? {} : { commandRan: outcome.commandRan }),
      };
    },
  };
}
