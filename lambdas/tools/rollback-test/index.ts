import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { RDSClient } from '@aws-sdk/client-rds';
import * as v from 'valibot';
import { parseListenerArn, parseTargetGroupArn } from '../../shared/arns';
import { errorMessage, InvalidInputError } from '../../shared/errors';
import { type ConfirmationSchedule, LISTENER_CONFIRMATION } from '../../shared/sdk-budget';
import { describeIssues } from '../../shared/validation';
import {
  type ListenerRewrite,
  type RollbackDryRunRequestInput,
  type RollbackDryRunResult,
  rollbackDryRunRequestSchema,
} from '../../shared/verification';
import { estimateRollbackSeconds } from './estimate';
import { listenerDryRun } from './listener';
import { oldSideServiceCheck, oldSideTargetsCheck } from './old-side';
import { permissionsCheck } from './permissions';
import { snapshotCheck } from './snapshot';

export { estimateRollbackSeconds, ROLLBACK_TASKS, type RollbackEstimateInputs } from './estimate';
export { simulationGroups } from './permissions';

/**
 * rollback_test: shows that a rollback could run now, without changing traffic. The old side (the live side before
 * the cutover, at 0 % after promotion) still has enough healthy targets and its ECS service its size; ModifyListener
 * accepts the listener's current default action re-applied exactly as read (the permission and the API path of a
 * rollback), and a re-read shows it unchanged; the deployment's snapshot is available; the RollbackCoordinator's role
 * is allowed its rollback actions. Every check has its evidence; the estimate says how long a traffic rollback takes.
 *
 * The re-applied action is the one read a moment before: a rollback written in between would be undone by it. The
 * result's `listenerRewrite` gives that interval, so the caller can re-assert a rollback requested within it.
 * Refused calls (permissions, missing resources) fail their check; throttling and server errors propagate. The
 * listener goes last, after every other check, and an accepted re-write is also reported through
 * `onListenerRewrite` at once: a dry run that throws after it (its re-read throttled) still lets the caller guard it.
 */

export interface RollbackDryRunDeps {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly rds: RDSClient;
  readonly iam: IAMClient;
  /** Also times the listener calls for the estimate. @default the current time */
  readonly clock?: () => Date;
  /**
   * The rollback's confirming re-read schedule, for the estimate.
   * @default LISTENER_CONFIRMATION, what the traffic router uses
   */
  readonly confirmation?: ConfirmationSchedule;
}

export interface RollbackDryRunObserver {
  /** Called once, as soon as ModifyListener accepted the re-applied action; never when it was not. */
  readonly onListenerRewrite?: (rewrite: ListenerRewrite) => void;
}

export interface RollbackDryRun {
  dryRun(request: RollbackDryRunRequestInput, observer?: RollbackDryRunObserver): Promise<RollbackDryRunResult>;
}

export function createRollbackDryRun(deps: RollbackDryRunDeps): RollbackDryRun {
  const clock = deps.clock ?? (() => new Date());
  const confirmation = deps.confirmation ?? LISTENER_CONFIRMATION;
  return {
    async dryRun(input, observer = {}) {
      const parsed = v.safeParse(rollbackDryRunRequestSchema, input);
      if (!parsed.success) throw new InvalidInputError(`rollback dry run: ${describeIssues(parsed.issues)}`);
      const request = parsed.output;
      try {
        parseListenerArn(request.listenerArn);
        parseTargetGroupArn(request.sides.live.targetGroupArn);
        parseTargetGroupArn(request.sides.green.targetGroupArn);
      } catch (error) {
        throw new InvalidInputError(`rollback dry run: ${errorMessage(error)}`);
      }
      const old = request.sides.live;
      const targets = await oldSideTargetsCheck(deps.elb, old, request.minHealthyTargets);
      const service = await oldSideServiceCheck(deps.ecs, request.clusterName, old, request.expectedDesiredCount);
      const snapshot = await snapshotCheck(deps.rds, request.snapshot);
      const permissions = await permissionsCheck(
        deps.iam,
        request.coordinatorRoleArn,
        request.rollbackActions,
        request.rollbackResources,
        request.rollbackContext,
      );
      // Last: nothing that may throw runs between the re-write and the result but the re-read, and the observer
      // hears of the re-write before that. Sequential: the read and re-write stay as close together as they can.
      const listener = await listenerDryRun(deps.elb, request.listenerArn, request.sides, clock, (rewrite) =>
        observer.onListenerRewrite?.(rewrite),
      );
      const checks = [targets, service, listener.reapply, listener.unchanged, snapshot, permissions];
      const estimate =
        listener.timing === null
          ? null
          : estimateRollbackSeconds({
              ...listener.timing,
              confirmation,
              rollbackVerifySeconds: request.estimate.rollbackVerifySeconds,
              taskOverheadSeconds: request.estimate.taskOverheadSeconds,
            });
      return {
        checkedAt: clock().toISOString(),
        ready: checks.every((check) => check.ok),
        checks,
        estimatedRollbackSeconds: estimate?.totalSeconds ?? null,
        estimate,
        listenerRewrite: listener.rewrite,
      };
    },
  };
}
