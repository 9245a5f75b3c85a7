import { createHash } from 'node:crypto';
import type { RunTaskCommandInput, Service, Task } from '@aws-sdk/client-ecs';
import type { Migration } from '../../shared/cutover-contracts';
import { MigrationFailedError } from './errors';
import type { StartMigrationInput } from './types';

/** The release's migration as a one-off ECS task: its RunTask input, idempotency token and outcome (pure). */

/** `startedBy` of migration tasks (ListTasks can filter on it). */
export const MIGRATION_STARTED_BY = 'deploymentcrew';
const CLIENT_TOKEN_PREFIX = 'deploymentcrew-migration-';
/** RunTask allows up to 64 characters (ASCII 33-126) in a clientToken. */
export const CLIENT_TOKEN_MAX_LENGTH = 64;

export type MigrationOutcome = Pick<Migration, 'status' | 'exitCode' | 'reason' | 'commandRan'>;

/** RUNNING until the task is STOPPED; then SUCCEEDED only when the migration container exited with 0. */
export function evaluateMigrationTask(task: Task, containerName: string): MigrationOutcome {
  if (task.lastStatus !== 'STOPPED') return { status: 'RUNNING', exitCode: null };
  const container = task.containers?.find((candidate) => candidate.name === containerName);
  const exitCode = container?.exitCode ?? null;
  if (exitCode === 0) return { status: 'SUCCEEDED', exitCode };

  const parts = [
    container === undefined
      ? `container '${containerName}' is not in the task`
      : exitCode === null
        ? `container '${containerName}' has no exit code`
        : `container '${containerName}' exited with ${exitCode}`,
  ];
  if (container?.reason !== undefined) parts.push(container.reason);
  if (task.stoppedReason !== undefined) parts.push(`task stopped: ${task.stoppedReason}`);
  if (task.stopCode !== undefined) parts.push(`stop code ${task.stopCode}`);
  // A task that failed to start (image pull, ENI, capacity) never ran the migration command.
  const commandRan = task.stopCode !== 'TaskFailedToStart' && (exitCode !== null || task.startedAt !== undefined);
  return { status: 'FAILED', exitCode, reason: parts.join('; '), commandRan };
}

/**
 * `deploymentcrew-migration-<39 hex of sha256(deployment name, task definition ARN)>`: 64 characters, the same for
 * every attempt of one deployment's migration, so RunTask returns the task the first attempt started instead of
 * starting a second one.
 */
export function migrationClientToken(deploymentName: string, taskDefinitionArn: string): string {
  const hash = createHash('sha256').update(`${deploymentName}\n${taskDefinitionArn}`, 'utf8').digest('hex');
  return `${CLIENT_TOKEN_PREFIX}${hash}`.slice(0, CLIENT_TOKEN_MAX_LENGTH);
}

/** The capacity providers that are Fargate; FARGATE_SPOT tasks can be stopped with two minutes' notice. */
const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

/**
 * Where the migration runs: on-demand capacity, never Spot (a migration stopped half-way leaves the schema half
 * changed). Always explicit, so the cluster's default capacity provider strategy (which may be Spot) never applies:
 * - green on Fargate capacity providers (FARGATE and/or FARGATE_SPOT): launch type FARGATE, which is on-demand;
 * - green on a launch type: the same one; FARGATE is on-demand, and EC2, EXTERNAL or MANAGED_INSTANCES place the
 *   task on the instances green's own tasks run on (what they are is the operator's choice, not a Spot provider);
 * - green on any other capacity provider (an Auto Scaling group's, whose Spot use its name does not tell): refused
 *   with MigrationFailed, naming the providers, rather than guessing.
 */
export function migrationPlacement(service: Service): Pick<RunTaskCommandInput, 'launchType'> {
  const strategy = service.capacityProviderStrategy ?? [];
  if (strategy.length > 0) {
    const providers = strategy.map((item) => item.capacityProvider ?? '(unnamed)');
    if (providers.every((provider) => FARGATE_PROVIDERS.has(provider))) return { launchType: 'FARGATE' };
    throw new MigrationFailedError(
      `service '${service.serviceName ?? 'unknown'}' runs on the capacity providers ${providers.join(', ')}; ` +
        'the migration must run on on-demand capacity and whether an EC2 capacity provider uses Spot cannot be told ' +
        'from its name: run the service on a launch type (EC2 or FARGATE) or on the FARGATE capacity provider',
    );
  }
  if (service.launchType !== undefined) return { launchType: service.launchType };
  throw new MigrationFailedError(
    `service '${service.serviceName ?? 'unknown'}' reports neither a launch type nor a capacity provider strategy: ` +
      "RunTask would use the cluster's default strategy, which may be Spot",
  );
}

/**
 * The RunTask input of the migration: one task of green's revision with the command override on the served
 * container, on on-demand capacity (migrationPlacement), with green's platform version and network.
 */
export function migrationRunTaskInput(
  cluster: string,
  service: Service,
  { env, command, deploymentName }: Omit<StartMigrationInput, 'green'>,
): RunTaskCommandInput {
  const input: RunTaskCommandInput = {
    cluster,
    taskDefinition: env.taskDefinitionArn,
    count: 1,
    startedBy: MIGRATION_STARTED_BY,
    clientToken: migrationClientToken(deploymentName, env.taskDefinitionArn),
    overrides: { containerOverrides: [{ name: env.containerName, command: [...command] }] },
    // A launch type, never a capacity provider strategy: RunTask takes one or the other, never both.
    ...migrationPlacement(service),
  };
  if (service.platformVersion !== undefined) input.platformVersion = service.platformVersion;
  if (service.networkConfiguration !== undefined) {
    input.networkConfiguration = structuredClone(service.networkConfiguration);
  }
  return input;
}
