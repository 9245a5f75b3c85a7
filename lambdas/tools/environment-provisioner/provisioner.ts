import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Side } from '../../shared/cutover-contracts';
import { call, describeActiveServices } from './aws-calls';
import { assertPipelineControlled } from './controller-checks';
import {
  type Fail,
  failProvisioning,
  GreenProvisioningFailedError,
  RefusedToScaleDownLiveError,
  refuseScaleDown,
} from './errors';
import { createMigrationRunner } from './migration-runner';
import { evaluateGreenReadiness, evaluateRollout } from './readiness';
import { releaseTaskDefinitionInput, sameRegistration } from './task-definition';
import type { EnvironmentProvisioner, EnvironmentProvisionerOptions } from './types';

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
  const migrations = createMigrationRunner(ecs, cluster);

  /** The revision and its tags: they come beside the task definition, and only when asked for. */
  async function describeTaskDefinition(arn: string): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }> {
    const output = await call(failProvisioning, `DescribeTaskDefinition '${arn}'`, () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })),
    );
    if (output.taskDefinition === undefined) {
      throw new GreenProvisioningFailedError(`DescribeTaskDefinition returned nothing for '${arn}'`);
    }
    return { taskDefinition: output.taskDefinition, tags: output.tags ?? [] };
  }

  /**
   * Both services, ACTIVE, distinct, and driven by ECS rolling updates only (EcsControllerConflictError otherwise):
   * what preflight checks and what provisionGreen re-checks before it writes.
   */
  async function describePipelinePair(
    live: Side,
    green: Side,
  ): Promise<{ liveService: Service; greenService: Service }> {
    assertDistinctSides(live, green, failProvisioning);
    const [liveService, greenService] = await describeActiveServices(
      ecs,
      cluster,
      [live.serviceName, green.serviceName],
      failProvisioning,
    );
    if (liveService === undefined || greenService === undefined) {
      throw new GreenProvisioningFailedError('DescribeServices did not return both services');
    }
    if (liveService.serviceArn !== undefined && liveService.serviceArn === greenService.serviceArn) {
      throw new GreenProvisioningFailedError(`live and green resolve to the same service ${liveService.serviceArn}`);
    }
    assertPipelineControlled([
      { role: 'live', service: liveService },
      { role: 'green', service: greenService },
    ]);
    return { liveService, greenService };
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
    const { taskDefinition: current, tags } = await describeTaskDefinition(currentArn);
    const reusable =
      current.family === family && current.status === 'ACTIVE' && sameRegistration({ ...current, tags }, wanted);
    return reusable ? (current.taskDefinitionArn ?? currentArn) : undefined;
  }

  return {
    async preflight(live, green) {
      await describePipelinePair(live, green);
    },

    async provisionGreen({ live, green, image }) {
      assertDistinctSides(live, green, failProvisioning);
      if (image.trim() === '') throw new GreenProvisioningFailedError('the release image is empty');

      const { liveService, greenService } = await describePipelinePair(live, green);

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
      if (liveService.taskDefinition === undefined) {
        throw new GreenProvisioningFailedError(`live service '${live.serviceName}' reports no task definition`);
      }

      const liveRevision = await describeTaskDefinition(liveService.taskDefinition);
      const wanted = releaseTaskDefinitionInput(liveRevision.taskDefinition, {
        family,
        containerName,
        image,
        tags: liveRevision.tags,
      });
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
      const [service] = await describeActiveServices(ecs, cluster, [green.serviceName], failProvisioning);
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

    startMigration: migrations.startMigration,
    checkMigration: migrations.checkMigration,
  };
}
