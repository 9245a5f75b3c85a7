import { createHash } from 'node:crypto';
import {
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  type Failure,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  type Service,
  type Task,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { GreenEnvironment, Migration, Side } from '../shared/cutover-contracts';
import { DeploymentCrewError, errorMessage, errorName } from '../shared/errors';

/**
 * environment_provisioner: prepares the idle ("green") ECS service of the blue-green pair for a release, watches it
 * become ready, runs the release's migration as a one-off task, and scales green down afterwards.
 *
 * Safety rules, enforced here and not left to callers:
 * - the live service is only ever read: no UpdateService is sent for it, and every call that writes refuses when the
 *   two sides name the same service or target group, or when the service named green is registered in live's target
 *   group;
 * - green's new task definition is a copy of the live revision (every registrable field) with only the image of the
 *   container that serves the target group replaced, so green differs from live in the release and nothing else.
 *
 * Retries (the state machine retries tasks): RegisterTaskDefinition is not idempotent, every call registers a new
 * revision. provisionGreen therefore first checks green's current task definition and reuses it when it is an ACTIVE
 * revision of our family with exactly the definition we would register; a retry after a successful UpdateService then
 * neither registers again nor restarts green's rollout. A retry that lands between RegisterTaskDefinition and
 * UpdateService registers one extra, unused revision (harmless; revisions are free and can be deregistered).
 * RunTask is made idempotent with a clientToken derived from the deployment (see migrationClientToken).
 */

export const GREEN_PROVISIONING_FAILED = 'GreenProvisioningFailed';
export const REFUSED_TO_SCALE_DOWN_LIVE = 'RefusedToScaleDownLive';
export const MIGRATION_FAILED = 'MigrationFailed';

/** Green could not be prepared or watched: a missing or misconfigured service, task definition or target group. */
export class GreenProvisioningFailedError extends DeploymentCrewError {
  constructor(message: string) {
    super(GREEN_PROVISIONING_FAILED, message);
  }
}

/** A scale-down that could take capacity away from live traffic was refused; nothing was changed. */
export class RefusedToScaleDownLiveError extends DeploymentCrewError {
  constructor(message: string) {
    super(REFUSED_TO_SCALE_DOWN_LIVE, message);
  }
}

/** The migration task could not be started or could not be found again. (A migration that ran and failed is data.) */
export class MigrationFailedError extends DeploymentCrewError {
  constructor(message: string) {
    super(MIGRATION_FAILED, message);
  }
}

/** `startedBy` of migration tasks (ListTasks can filter on it). */
export const MIGRATION_STARTED_BY = 'deploymentcrew';
const CLIENT_TOKEN_PREFIX = 'deploymentcrew-migration-';
/** RunTask allows up to 64 characters (ASCII 33-126) in a clientToken. */
export const CLIENT_TOKEN_MAX_LENGTH = 64;

// ---------------------------------------------------------------------------------------------------------------
// Task definition copy (pure)

/**
 * Every RegisterTaskDefinition field except `family` (ours) and `tags` (DescribeTaskDefinition does not return them
 * unless asked, and copying them would need ecs:TagResource). The Record type makes this list exhaustive: when the SDK
 * adds a registrable field, the type check fails here until it is listed (and it must also exist on TaskDefinition).
 */
const REGISTRABLE: Record<Exclude<keyof RegisterTaskDefinitionCommandInput, 'family' | 'tags'>, true> = {
  containerDefinitions: true,
  taskRoleArn: true,
  executionRoleArn: true,
  networkMode: true,
  volumes: true,
  placementConstraints: true,
  requiresCompatibilities: true,
  cpu: true,
  memory: true,
  runtimePlatform: true,
  ephemeralStorage: true,
  proxyConfiguration: true,
  pidMode: true,
  ipcMode: true,
  inferenceAccelerators: true,
  enableFaultInjection: true,
};
export type RegistrableField = keyof typeof REGISTRABLE;
export const REGISTRABLE_TASK_DEFINITION_FIELDS = Object.keys(REGISTRABLE) as readonly RegistrableField[];

/** The registrable part of a task definition (read-only fields such as ARN, revision, status are not in it). */
export type RegistrableTaskDefinition = Pick<TaskDefinition, RegistrableField>;

function copyField<K extends RegistrableField>(
  target: RegistrableTaskDefinition,
  source: RegistrableTaskDefinition,
  key: K,
): void {
  const value = source[key];
  if (value !== undefined && value !== null) target[key] = structuredClone(value);
}

/** A deep copy of the registrable fields that are set; everything else (ARN, revision, status, …) is dropped. */
export function registrableCopyOf(taskDefinition: RegistrableTaskDefinition): RegistrableTaskDefinition {
  const copy: RegistrableTaskDefinition = {};
  for (const field of REGISTRABLE_TASK_DEFINITION_FIELDS) copyField(copy, taskDefinition, field);
  return copy;
}

/**
 * The RegisterTaskDefinition input for the release: the live revision's registrable fields, in `family`, with the
 * image of `containerName` (and of no other container) replaced. Throws GreenProvisioningFailed when the container is
 * not in the live revision.
 */
export function releaseTaskDefinitionInput(
  live: RegistrableTaskDefinition,
  release: { readonly family: string; readonly containerName: string; readonly image: string },
): RegisterTaskDefinitionCommandInput {
  const fields = registrableCopyOf(live);
  const containers: ContainerDefinition[] = fields.containerDefinitions ?? [];
  const matching = containers.filter((container) => container.name === release.containerName);
  if (matching.length !== 1) {
    const names = containers.map((container) => `'${container.name ?? '?'}'`).join(', ') || 'none';
    throw new GreenProvisioningFailedError(
      `the live task definition has ${matching.length} containers named '${release.containerName}' (containers: ${names})`,
    );
  }
  return {
    family: release.family,
    ...fields,
    containerDefinitions: containers.map((container) =>
      container.name === release.containerName ? { ...container, image: release.image } : container,
    ),
  };
}

/** Sorted keys; undefined, null and empty arrays dropped (ECS reports some defaults as [] or omits them). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      const item = canonical(record[key]);
      if (item === undefined || item === null || (Array.isArray(item) && item.length === 0)) continue;
      out[key] = item;
    }
    return out;
  }
  return value;
}

/** True when registering `b` would produce the same task definition as `a` (family and read-only fields ignored). */
export function sameRegistration(a: RegistrableTaskDefinition, b: RegistrableTaskDefinition): boolean {
  return JSON.stringify(canonical(registrableCopyOf(a))) === JSON.stringify(canonical(registrableCopyOf(b)));
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness (pure)

export interface RolloutView {
  readonly state: 'IN_PROGRESS' | 'DONE' | 'FAILED';
  readonly runningCount: number;
  readonly desiredCount: number;
  readonly reason?: string;
}

/**
 * Where green's rollout of `taskDefinitionArn` stands. FAILED when ECS says so (rolloutState FAILED, including a
 * circuit-breaker rollback that made another revision PRIMARY) or when the PRIMARY deployment runs another task
 * definition (something else changed green). DONE on rolloutState COMPLETED, or, for services that report no
 * rolloutState, when the PRIMARY deployment is the only one and runs all its desired tasks.
 */
export function evaluateRollout(service: Service, taskDefinitionArn: string): RolloutView {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
  if (primary === undefined) {
    return { state: 'IN_PROGRESS', runningCount: 0, desiredCount: 0, reason: 'green has no PRIMARY deployment yet' };
  }
  const runningCount = primary.runningCount ?? 0;
  const desiredCount = primary.desiredCount ?? 0;
  if (primary.taskDefinition !== taskDefinitionArn) {
    const ours = deployments.find((deployment) => deployment.taskDefinition === taskDefinitionArn);
    const reason =
      ours?.rolloutState === 'FAILED'
        ? `rollout of ${taskDefinitionArn} failed and ECS rolled back to ${primary.taskDefinition ?? 'unknown'}: ${ours.rolloutStateReason ?? 'no reason given'}`
        : `green's PRIMARY deployment runs ${primary.taskDefinition ?? 'unknown'}, not ${taskDefinitionArn}: the service was changed by something else`;
    return { state: 'FAILED', runningCount, desiredCount, reason };
  }
  if (primary.rolloutState === 'FAILED') {
    return {
      state: 'FAILED',
      runningCount,
      desiredCount,
      reason: `rollout failed: ${primary.rolloutStateReason ?? 'no reason given'}`,
    };
  }
  const done =
    primary.rolloutState === 'COMPLETED' ||
    (primary.rolloutState === undefined &&
      deployments.length === 1 &&
      desiredCount > 0 &&
      runningCount === desiredCount);
  return { state: done ? 'DONE' : 'IN_PROGRESS', runningCount, desiredCount };
}

export interface Readiness {
  readonly status: GreenEnvironment['status'];
  readonly reason?: string;
  readonly healthyTargets: number;
}

/** Targets of tasks that are going away (old revision); they neither count nor block. */
const DRAINING_STATES = new Set(['draining', 'unhealthy.draining']);

/**
 * READY when the rollout is DONE, at least `desiredCount` targets are `healthy` and every target that is not
 * draining is `healthy` (`initial`, `unhealthy`, `unused`, `unavailable` mean not ready). PENDING otherwise, with
 * the counts as the reason; FAILED when the rollout failed.
 */
export function evaluateGreenReadiness(
  rollout: RolloutView,
  targets: readonly TargetHealthDescription[],
  desiredCount: number,
): Readiness {
  const states = targets.map((target) => ({
    state: target.TargetHealth?.State ?? 'unknown',
    reason: target.TargetHealth?.Reason,
  }));
  const healthyTargets = states.filter((target) => target.state === 'healthy').length;
  if (rollout.state === 'FAILED') {
    return { status: 'FAILED', reason: rollout.reason ?? 'rollout failed', healthyTargets };
  }
  const notHealthy = states.filter((target) => target.state !== 'healthy' && !DRAINING_STATES.has(target.state));
  if (rollout.state === 'DONE' && notHealthy.length === 0 && healthyTargets >= desiredCount) {
    return { status: 'READY', healthyTargets };
  }

  const parts = [
    `${rollout.runningCount}/${rollout.desiredCount} tasks running (rollout ${rollout.state === 'DONE' ? 'completed' : 'in progress'})`,
    `${healthyTargets}/${desiredCount} targets healthy`,
  ];
  if (notHealthy.length > 0) {
    const counts = new Map<string, number>();
    for (const target of notHealthy) {
      const label = target.reason === undefined ? target.state : `${target.state} (${target.reason})`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    parts.push(`not healthy: ${[...counts].map(([label, count]) => `${count} ${label}`).join(', ')}`);
  }
  if (rollout.reason !== undefined) parts.push(rollout.reason);
  return { status: 'PENDING', reason: parts.join(', '), healthyTargets };
}

// ---------------------------------------------------------------------------------------------------------------
// Migration (pure)

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

// ---------------------------------------------------------------------------------------------------------------
// The tool

export interface EnvironmentProvisionerOptions {
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly clusterName: string;
  /** Family green's task definitions are registered in. */
  readonly taskDefinitionFamily: string;
  readonly clock?: () => Date;
}

export interface ProvisionGreenInput {
  readonly live: Side;
  readonly green: Side;
  readonly image: string;
  readonly deploymentName: string;
}

export interface ScaleDownGreenInput {
  readonly green: Side;
  readonly live: Side;
  /** Green's weight on the listener, from a fresh read by the caller; anything but 0 is refused. */
  readonly greenWeight: number;
}

export interface ScaleDownResult {
  readonly scaledDownAt: string;
  readonly previousDesiredCount: number;
  /** True when there was nothing to do (desired count already 0, or the service no longer exists). */
  readonly alreadyScaledDown: boolean;
}

export interface StartMigrationInput {
  readonly env: GreenEnvironment;
  readonly green: Side;
  readonly command: readonly string[];
  readonly deploymentName: string;
}

export interface EnvironmentProvisioner {
  /** Registers (or reuses) the release's task definition and rolls green onto it at live's size. */
  provisionGreen(input: ProvisionGreenInput): Promise<GreenEnvironment>;
  /** One readiness poll: rollout state plus target health in green's target group. */
  checkGreen(green: Side, env: GreenEnvironment): Promise<GreenEnvironment>;
  /** Sets green's desired count to 0, refusing anything that could take capacity from live traffic. */
  scaleDownGreen(input: ScaleDownGreenInput): Promise<ScaleDownResult>;
  /** Starts the migration as a one-off task of green's task definition, in green's network. */
  startMigration(input: StartMigrationInput): Promise<Migration>;
  /** One migration poll. */
  checkMigration(migration: Migration, containerName: string): Promise<Migration>;
}

/** ECS/ELB errors that no retry fixes: they end the step with the step's error name. Anything else propagates. */
const FATAL_AWS_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'ClientException',
  'ClusterNotFoundException',
  'InvalidParameterException',
  'LimitExceededException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'ServiceNotActiveException',
  'ServiceNotFoundException',
  'UnsupportedFeatureException',
  'BlockedException',
  'TargetGroupNotFoundException',
]);

type Fail = (message: string) => DeploymentCrewError;
const failProvisioning: Fail = (message) => new GreenProvisioningFailedError(message);
const failMigration: Fail = (message) => new MigrationFailedError(message);
const refuseScaleDown: Fail = (message) => new RefusedToScaleDownLiveError(message);

function describeFailures(failures: readonly Failure[]): string {
  return failures
    .map(
      (failure) =>
        `${failure.arn ?? 'unknown'}: ${failure.reason ?? 'no reason'}${failure.detail ? ` (${failure.detail})` : ''}`,
    )
    .join('; ');
}

/** The two sides must be different services in different target groups. */
function assertDistinctSides(live: Side, green: Side, fail: Fail): void {
  if (live.serviceName === green.serviceName) {
    throw fail(`live and green are the same service '${live.serviceName}'`);
  }
  if (live.targetGroupArn === green.targetGroupArn) {
    throw fail(`live and green use the same target group ${live.targetGroupArn}`);
  }
}

export function createEnvironmentProvisioner(options: EnvironmentProvisionerOptions): EnvironmentProvisioner {
  const { ecs, elb, clusterName: cluster, taskDefinitionFamily: family } = options;
  const clock = options.clock ?? (() => new Date());

  async function call<T>(fail: Fail, what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const name = errorName(error);
      if (name !== undefined && FATAL_AWS_ERRORS.has(name)) throw fail(`${what}: ${name}: ${errorMessage(error)}`);
      throw error;
    }
  }

  /** DescribeServices; any `failures` entry (MISSING, …) or a service that is not ACTIVE fails with `fail`. */
  async function describeActiveServices(names: readonly string[], fail: Fail): Promise<Service[]> {
    const output = await call(fail, `DescribeServices in cluster '${cluster}'`, () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [...names] })),
    );
    const failures = output.failures ?? [];
    if (failures.length > 0) {
      throw fail(`cannot describe services in cluster '${cluster}': ${describeFailures(failures)}`);
    }
    return names.map((name) => {
      const service = output.services?.find((candidate) => candidate.serviceName === name);
      if (service === undefined) throw fail(`service '${name}' not found in cluster '${cluster}'`);
      if (service.status !== 'ACTIVE') {
        throw fail(
          `service '${name}' in cluster '${cluster}' is ${service.status ?? 'in an unknown state'}, not ACTIVE`,
        );
      }
      return service;
    });
  }

  async function describeTaskDefinition(arn: string): Promise<TaskDefinition> {
    const output = await call(failProvisioning, `DescribeTaskDefinition '${arn}'`, () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
    );
    if (output.taskDefinition === undefined) {
      throw new GreenProvisioningFailedError(`DescribeTaskDefinition returned nothing for '${arn}'`);
    }
    return output.taskDefinition;
  }

  /** The only way this tool writes to a service: refuses live by name, whatever the caller passed. */
  async function updateGreenService(
    live: Side,
    green: Side,
    changes: Omit<UpdateServiceCommandInput, 'cluster' | 'service'>,
    fail: Fail,
  ): Promise<void> {
    assertDistinctSides(live, green, fail);
    await call(fail, `UpdateService '${green.serviceName}'`, () =>
      ecs.send(new UpdateServiceCommand({ cluster, service: green.serviceName, ...changes })),
    );
  }

  /** Green's current task definition, when it is an ACTIVE revision of our family with exactly `wanted`. */
  async function reusableRevision(
    currentArn: string | undefined,
    wanted: RegisterTaskDefinitionCommandInput,
  ): Promise<string | undefined> {
    if (currentArn === undefined) return undefined;
    const current = await describeTaskDefinition(currentArn);
    const reusable = current.family === family && current.status === 'ACTIVE' && sameRegistration(current, wanted);
    return reusable ? (current.taskDefinitionArn ?? currentArn) : undefined;
  }

  return {
    async provisionGreen({ live, green, image }) {
      assertDistinctSides(live, green, failProvisioning);
      if (image.trim() === '') throw new GreenProvisioningFailedError('the release image is empty');

      const [liveService, greenService] = await describeActiveServices(
        [live.serviceName, green.serviceName],
        failProvisioning,
      );
      if (liveService === undefined || greenService === undefined) {
        throw new GreenProvisioningFailedError('DescribeServices did not return both services');
      }
      if (liveService.serviceArn !== undefined && liveService.serviceArn === greenService.serviceArn) {
        throw new GreenProvisioningFailedError(`live and green resolve to the same service ${liveService.serviceArn}`);
      }

      const containerName = liveService.loadBalancers?.find(
        (binding) => binding.targetGroupArn === live.targetGroupArn,
      )?.containerName;
      if (containerName === undefined) {
        throw new GreenProvisioningFailedError(
          `live service '${live.serviceName}' has no load balancer entry for its target group ${live.targetGroupArn}, ` +
            'so the container to update is unknown',
        );
      }
      const greenBindings = greenService.loadBalancers ?? [];
      if (greenBindings.some((binding) => binding.targetGroupArn === live.targetGroupArn)) {
        throw new GreenProvisioningFailedError(
          `green service '${green.serviceName}' is registered in live's target group ${live.targetGroupArn}; ` +
            'updating it would change what live traffic reaches',
        );
      }
      const greenBinding = greenBindings.find((binding) => binding.targetGroupArn === green.targetGroupArn);
      if (greenBinding === undefined) {
        throw new GreenProvisioningFailedError(
          `green service '${green.serviceName}' is not registered in green's target group ${green.targetGroupArn}`,
        );
      }
      if (greenBinding.containerName !== containerName) {
        throw new GreenProvisioningFailedError(
          `green service '${green.serviceName}' sends its target group to container ` +
            `'${greenBinding.containerName ?? 'none'}', live to '${containerName}'`,
        );
      }
      const controller = greenService.deploymentController?.type;
      if (controller !== undefined && controller !== 'ECS') {
        throw new GreenProvisioningFailedError(
          `green service '${green.serviceName}' uses the ${controller} deployment controller; only ECS rolling ` +
            'updates can be driven with UpdateService',
        );
      }
      if (liveService.taskDefinition === undefined) {
        throw new GreenProvisioningFailedError(`live service '${live.serviceName}' reports no task definition`);
      }

      const liveTaskDefinition = await describeTaskDefinition(liveService.taskDefinition);
      const wanted = releaseTaskDefinitionInput(liveTaskDefinition, { family, containerName, image });
      const desiredCount = Math.max(1, liveService.desiredCount ?? 0);
      const previousTaskDefinitionArn = greenService.taskDefinition ?? null;

      const reusedArn = await reusableRevision(greenService.taskDefinition, wanted);
      let taskDefinitionArn = reusedArn;
      if (taskDefinitionArn === undefined) {
        const registered = await call(failProvisioning, `RegisterTaskDefinition in family '${family}'`, () =>
          ecs.send(new RegisterTaskDefinitionCommand(wanted)),
        );
        taskDefinitionArn = registered.taskDefinition?.taskDefinitionArn;
        if (taskDefinitionArn === undefined) {
          throw new GreenProvisioningFailedError(`RegisterTaskDefinition in family '${family}' returned no ARN`);
        }
      }

      // A retry after a successful UpdateService finds green already rolling out this revision at this size:
      // forcing another deployment would only replace the tasks it just started.
      const primary = greenService.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      const alreadyRollingOut =
        reusedArn !== undefined &&
        greenService.desiredCount === desiredCount &&
        primary?.taskDefinition === taskDefinitionArn &&
        primary.rolloutState !== 'FAILED';
      if (!alreadyRollingOut) {
        await updateGreenService(
          live,
          green,
          { taskDefinition: taskDefinitionArn, desiredCount, forceNewDeployment: true },
          failProvisioning,
        );
      }

      return {
        taskDefinitionArn,
        previousTaskDefinitionArn,
        containerName,
        desiredCount,
        status: 'PENDING',
        healthyTargets: 0,
        polls: 0,
      };
    },

    async checkGreen(green, env) {
      const [service] = await describeActiveServices([green.serviceName], failProvisioning);
      if (service === undefined) throw new GreenProvisioningFailedError(`service '${green.serviceName}' not found`);
      const rollout = evaluateRollout(service, env.taskDefinitionArn);
      let targets: TargetHealthDescription[] = [];
      if (rollout.state !== 'FAILED') {
        const health = await call(failProvisioning, `DescribeTargetHealth ${green.targetGroupArn}`, () =>
          elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: green.targetGroupArn })),
        );
        targets = health.TargetHealthDescriptions ?? [];
      }
      const readiness = evaluateGreenReadiness(rollout, targets, env.desiredCount);
      const { reason: _previousReason, ...rest } = env;
      return {
        ...rest,
        status: readiness.status,
        healthyTargets: readiness.healthyTargets,
        polls: env.polls + 1,
        ...(readiness.reason === undefined ? {} : { reason: readiness.reason }),
      };
    },

    async scaleDownGreen({ green, live, greenWeight }) {
      assertDistinctSides(live, green, refuseScaleDown);
      if (greenWeight !== 0) {
        throw new RefusedToScaleDownLiveError(
          `green's target group ${green.targetGroupArn} still has weight ${greenWeight} on the listener; ` +
            'scale down only after its weight is 0',
        );
      }
      const output = await ecs.send(new DescribeServicesCommand({ cluster, services: [green.serviceName] }));
      const service = output.services?.find((candidate) => candidate.serviceName === green.serviceName);
      const scaledDownAt = clock().toISOString();
      if (service === undefined || service.status !== 'ACTIVE') {
        return { scaledDownAt, previousDesiredCount: 0, alreadyScaledDown: true };
      }
      const bindings = service.loadBalancers ?? [];
      if (bindings.some((binding) => binding.targetGroupArn === live.targetGroupArn)) {
        throw new RefusedToScaleDownLiveError(
          `service '${green.serviceName}' is registered in live's target group ${live.targetGroupArn}`,
        );
      }
      if (!bindings.some((binding) => binding.targetGroupArn === green.targetGroupArn)) {
        throw new RefusedToScaleDownLiveError(
          `service '${green.serviceName}' is not registered in green's target group ${green.targetGroupArn}, ` +
            "so green's 0 weight says nothing about its traffic",
        );
      }
      const previousDesiredCount = service.desiredCount ?? 0;
      if (previousDesiredCount === 0) return { scaledDownAt, previousDesiredCount, alreadyScaledDown: true };
      await updateGreenService(live, green, { desiredCount: 0 }, refuseScaleDown);
      return { scaledDownAt, previousDesiredCount, alreadyScaledDown: false };
    },

    async startMigration({ env, green, command, deploymentName }) {
      if (command.length === 0) throw new MigrationFailedError('the migration command is empty');
      const [service] = await describeActiveServices([green.serviceName], failMigration);
      if (service === undefined) throw new MigrationFailedError(`service '${green.serviceName}' not found`);

      const input: RunTaskCommandInput = {
        cluster,
        taskDefinition: env.taskDefinitionArn,
        count: 1,
        startedBy: MIGRATION_STARTED_BY,
        clientToken: migrationClientToken(deploymentName, env.taskDefinitionArn),
        overrides: { containerOverrides: [{ name: env.containerName, command: [...command] }] },
      };
      // RunTask takes a capacity provider strategy or a launch type, never both.
      if (service.capacityProviderStrategy !== undefined && service.capacityProviderStrategy.length > 0) {
        input.capacityProviderStrategy = structuredClone(service.capacityProviderStrategy);
      } else if (service.launchType !== undefined) {
        input.launchType = service.launchType;
      }
      if (service.platformVersion !== undefined) input.platformVersion = service.platformVersion;
      if (service.networkConfiguration !== undefined) {
        input.networkConfiguration = structuredClone(service.networkConfiguration);
      }

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
