import * as v from 'valibot';
import type { AlarmRoute } from '../shared/config/rollback-trigger';
import type { RollbackTrigger } from '../shared/lock-contracts';
import { object } from '../shared/validation';
import type { ClaimGuard, LockPhase } from '../tools/deployment-lock';

/**
 * What the alarm listener acts on: the alarm event and the request it becomes, the phases in which a request acts,
 * and the guard under which it is claimed before the lock is read.
 */

export const alarmEventSchema = object({
  source: v.literal('aws.cloudwatch'),
  'detail-type': v.literal('CloudWatch Alarm State Change'),
  time: v.string(),
  detail: object({
    alarmName: v.string(),
    state: object({ value: v.string(), reason: v.optional(v.string()), timestamp: v.optional(v.string()) }),
  }),
});
export type AlarmEvent = v.InferOutput<typeof alarmEventSchema>;

export interface RollbackRequestInput {
  /** For an alarm, the route's trigger replaces it (alarmToRequest says `ALARM`, which unrouted alarms keep). */
  readonly trigger: RollbackTrigger;
  readonly reason: string;
  readonly requestedBy: string;
  readonly alarmName?: string;
  /** The alarm event's `time` (when the alarm changed state): older than the lock, it is not this deployment's. */
  readonly eventTime?: string;
  /** When the alarm's state changed (its own timestamp): where the time until weight effective starts. */
  readonly detectedAt?: string;
  /** Deployment named by a manual request or a probe report; alarms act on whichever deployment holds the lock. */
  readonly deployment?: string;
  /** A probe report's: the target group it probed, acted on only when it is the lock's green. */
  readonly probedTargetGroupArn?: string;
}

/**
 * Phases in which traffic may be on green: the listener is put back at once. PROMOTED is the post-promotion watch
 * (green at 100 %, the old side still warm, the watch's token stored as the bake's); RETIRING, once the old side is
 * being scaled down, is in no set: there is nothing warm to go back to.
 */
export const TRAFFIC_PHASES = new Set<LockPhase>(['CUTOVER', 'PROMOTED', 'ROLLING_BACK']);
/**
 * Phases before any traffic moves, in which a request is recorded for the next step to refuse on: alarms from
 * provisioning on (EventBridge sends an alarm's transition once, so it must not be dropped), the Chairman at any time.
 */
export const ALARM_FLAG_PHASES = new Set<LockPhase>(['VALIDATION', 'PROVISIONING', 'MIGRATION']);
export const MANUAL_FLAG_PHASES = new Set<LockPhase>(['VALIDATION', 'PROVISIONING', 'MIGRATION']);
/** A probe report says green stopped answering: before green carries traffic, the bake's own checks decide. */
export const PROBE_FLAG_PHASES = new Set<LockPhase>();
/** An alarm event older than this (a late or retried delivery) is acted on only if the alarm is still in ALARM. */
export const ALARM_EVENT_DOUBT_AFTER_MS = 5 * 60_000;
/**
 * The guard under which a request may be claimed before the lock is read: exactly where the listener's judgement
 * (trigger.ts) would let it act, so that a claim the guard lets through is one the judgement would have made.
 * Undefined for an alarm event in doubt (unreadable time, or late): CloudWatch is asked before anything is written.
 */
export function claimGuardOf(
  input: RollbackRequestInput,
  route: AlarmRoute | undefined,
  now: Date,
): ClaimGuard | undefined {
  const isAlarm = input.trigger !== 'MANUAL' && input.alarmName !== undefined;
  const isProbe = input.probedTargetGroupArn !== undefined;
  const flagPhases = input.trigger === 'MANUAL' ? MANUAL_FLAG_PHASES : isProbe ? PROBE_FLAG_PHASES : ALARM_FLAG_PHASES;
  const guard: ClaimGuard = {
    phases: [...TRAFFIC_PHASES, ...flagPhases],
    ...(input.deployment === undefined ? {} : { holder: input.deployment }),
    ...(isProbe ? { greenTargetGroupArn: input.probedTargetGroupArn } : {}),
    ...(route?.targetGroupArn ? { watchedTargetGroupArn: route.targetGroupArn } : {}),
  };
  if (!isAlarm) return guard;
  const eventAt = Date.parse(input.eventTime ?? '');
  if (!Number.isFinite(eventAt) || now.getTime() - eventAt > ALARM_EVENT_DOUBT_AFTER_MS) return undefined;
  // The event counts unless it is older than the lock's whole second (the judgement's whyNotThisDeployment).
  return { ...guard, acquiredBefore: new Date(Math.floor(eventAt / 1000) * 1000 + 1000).toISOString() };
}

/** CloudWatch writes `+0000`; the record keeps ISO 8601 UTC, or nothing when the time is unreadable. */
function instantOf(time: string): { detectedAt?: string } {
  const at = Date.parse(time);
  return Number.isFinite(at) ? { detectedAt: new Date(at).toISOString() } : {};
}

/** Turns a CloudWatch alarm state change into a rollback request (only for the ALARM state). */
export function alarmToRequest(event: AlarmEvent): RollbackRequestInput | undefined {
  if (event.detail.state.value !== 'ALARM') return undefined;
  return {
    trigger: 'ALARM',
    alarmName: event.detail.alarmName,
    eventTime: event.time,
    ...instantOf(event.detail.state.timestamp ?? event.time),
    reason: `alarm ${event.detail.alarmName} entered ALARM at ${event.detail.state.timestamp ?? event.time}${
      event.detail.state.reason ? `: ${event.detail.state.reason}` : ''
    }`,
    requestedBy: 'cloudwatch',
  };
}
