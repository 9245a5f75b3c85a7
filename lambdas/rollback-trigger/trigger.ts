import { SendTaskFailureCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { RollbackTrigger } from '../shared/cutover-contracts';
import { DeploymentCrewError } from '../shared/errors';
import { logger } from '../shared/logger';
import type { DeploymentLock, LockItem } from '../tools/deployment-lock';
import type { TrafficRouter } from '../tools/traffic-router';

/**
 * The fast path of a rollback. An alarm entering ALARM (through EventBridge) or the Chairman's override puts the
 * listener back to 100 % live at once, then fails the waiting bake token so that the state machine goes to the
 * RollbackCoordinator. The request is written to the lock first, so that a cutover step in flight or retried later
 * sees it and refuses to move traffic again: the rollback wins whatever the timing.
 */

export const alarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string(),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.string().optional(), timestamp: z.string().optional() }),
  }),
});
export type AlarmEvent = z.output<typeof alarmEventSchema>;

export const manualRollbackSchema = z.strictObject({
  /** The deployment (execution name) to roll back: must be the one holding the lock. */
  deployment: z.string().min(1),
  reason: z.string().trim().min(1).max(1000),
  /** Who asks, when the call is not signed (direct invocation); a Function URL call uses the IAM identity. */
  requestedBy: z.string().min(1).max(256).optional(),
});
export type ManualRollback = z.output<typeof manualRollbackSchema>;

export interface RollbackRequestInput {
  readonly trigger: RollbackTrigger;
  readonly reason: string;
  readonly requestedBy: string;
  readonly alarmName?: string;
  /** Deployment named by a manual request; alarms act on whichever deployment holds the lock. */
  readonly deployment?: string;
}

export interface TriggerOutcome {
  readonly action: 'ignored' | 'flagged' | 'traffic-restored';
  readonly deployment: string | null;
  readonly detail: string;
  readonly listenerRestoredAt?: string;
  readonly bakeInterrupted?: boolean;
}

export interface RollbackTriggerTools {
  readonly lock: DeploymentLock;
  readonly router: TrafficRouter;
  readonly sfn: SFNClient;
  /**
   * The target group each per-side alarm watches. An alarm on the side that is live for the current deployment
   * says nothing about green (rolling back to that side would not help), so it is ignored here.
   */
  readonly alarmTargetGroups?: Readonly<Record<string, string>>;
  readonly clock?: () => Date;
}

/** Phases in which traffic may be on green: the listener is put back at once. */
const TRAFFIC_PHASES = new Set(['CUTOVER', 'ROLLING_BACK']);
/**
 * Phases before any traffic moves, in which a request is recorded for the next step to refuse on: alarms from
 * provisioning on (EventBridge sends an alarm's transition once, so it must not be dropped), the Chairman at any time.
 */
const ALARM_FLAG_PHASES = new Set(['PROVISIONING', 'MIGRATION']);
const MANUAL_FLAG_PHASES = new Set(['VALIDATION', 'PROVISIONING', 'MIGRATION']);

export function createRollbackTrigger(tools: RollbackTriggerTools) {
  const clock = tools.clock ?? (() => new Date());

  const interruptBake = async (item: LockItem, error: string, cause: string): Promise<boolean> => {
    if (item.bakeToken === undefined) return false;
    try {
      await tools.sfn.send(new SendTaskFailureCommand({ taskToken: item.bakeToken, error, cause }));
      return true;
    } catch (failure) {
      const name = failure instanceof Error ? failure.name : '';
      // The bake already ended (timed out or answered): the next step sees the request in the lock instead.
      if (['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(name)) return false;
      throw failure;
    }
  };

  return async function requestRollback(input: RollbackRequestInput): Promise<TriggerOutcome> {
    const current = await tools.lock.read();
    if (current === undefined || current.lockState !== 'HELD') {
      if (input.deployment !== undefined) {
        throw new DeploymentCrewError(
          'NoDeploymentInProgress',
          `no deployment is in progress (asked: ${input.deployment})`,
        );
      }
      return { action: 'ignored', deployment: null, detail: 'no deployment holds the lock' };
    }
    if (input.deployment !== undefined && input.deployment !== current.holder) {
      throw new DeploymentCrewError(
        'NotTheDeploymentInProgress',
        `deployment ${input.deployment} is not the one in progress (${current.holder} is)`,
      );
    }
    const phase = current.phase ?? 'VALIDATION';
    const manual = input.trigger === 'MANUAL';
    const flagPhases = manual ? MANUAL_FLAG_PHASES : ALARM_FLAG_PHASES;
    if (!TRAFFIC_PHASES.has(phase) && !flagPhases.has(phase)) {
      return { action: 'ignored', deployment: current.holder, detail: `deployment is in phase ${phase}` };
    }

    const watchedGroup = input.alarmName === undefined ? undefined : tools.alarmTargetGroups?.[input.alarmName];
    if (watchedGroup !== undefined && watchedGroup === current.sides?.live.targetGroupArn) {
      return { action: 'ignored', deployment: current.holder, detail: `${input.alarmName} watches the live side` };
    }

    const requestedAt = clock().toISOString();
    const { first, item } = await tools.lock.requestRollback(current.holder, {
      trigger: input.trigger,
      reason: input.reason,
      requestedAt,
      requestedBy: input.requestedBy,
      ...(input.alarmName === undefined ? {} : { alarmName: input.alarmName }),
    });
    logger.info('rollback requested', { deployment: current.holder, trigger: input.trigger, first, phase });

    let listenerRestoredAt: string | undefined;
    if (TRAFFIC_PHASES.has(item.phase ?? phase) && item.sides !== undefined) {
      const restored = await tools.router.restoreLive(item.sides);
      listenerRestoredAt = restored.confirmedAt;
      await tools.lock.recordListenerRestored(current.holder, listenerRestoredAt);
    }
    const errorName = manual ? 'RollbackRequested' : 'AlarmTriggered';
    const cause = JSON.stringify({
      trigger: item.rollback?.trigger ?? input.trigger,
      reason: item.rollback?.reason ?? input.reason,
      alarmName: item.rollback === undefined ? (input.alarmName ?? null) : (item.rollback.alarmName ?? null),
      requestedAt: item.rollback?.requestedAt ?? requestedAt,
      listenerRestoredAt: listenerRestoredAt ?? null,
    });
    const bakeInterrupted = await interruptBake(item, errorName, cause);
    return {
      action: listenerRestoredAt === undefined ? 'flagged' : 'traffic-restored',
      deployment: current.holder,
      detail: first ? `rollback requested: ${input.reason}` : 'a rollback was already requested; listener re-confirmed',
      ...(listenerRestoredAt === undefined ? {} : { listenerRestoredAt }),
      bakeInterrupted,
    };
  };
}

/** Turns a CloudWatch alarm state change into a rollback request (only for the ALARM state). */
export function alarmToRequest(event: AlarmEvent): RollbackRequestInput | undefined {
  if (event.detail.state.value !== 'ALARM') return undefined;
  return {
    trigger: 'ALARM',
    alarmName: event.detail.alarmName,
    reason: `alarm ${event.detail.alarmName} entered ALARM at ${event.detail.state.timestamp ?? event.time}${
      event.detail.state.reason ? `: ${event.detail.state.reason}` : ''
    }`,
    requestedBy: 'cloudwatch',
  };
}
