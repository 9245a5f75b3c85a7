import type { Service } from '@aws-sdk/client-ecs';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { GreenEnvironment } from '../../shared/cutover-contracts';

/** Whether green is ready for traffic: its rollout and the health of its targets (pure). */

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
