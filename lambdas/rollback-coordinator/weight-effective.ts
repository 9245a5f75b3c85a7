import type { RollbackType, WeightEffective } from '../shared/cutover-contracts';
import type { RollbackRequest } from '../tools/deployment-lock';

/**
 * "Time until weight effective": from the instant a rollback's trigger was detected to the instant the traffic
 * router's re-read showed the listener back at live 100 / green 0. Pure. The figure is only ever the difference of
 * two recorded instants: whatever is not known stays null, with the reason.
 */

/** The timeline action under which the figure is recorded. */
export const WEIGHT_EFFECTIVE_ACTION = 'time until weight effective';

/** `requestedBy` of a rollback request the coordinator writes itself (its requestedAt is not the trigger's time). */
export const PIPELINE_REQUESTER = 'pipeline';

export interface TriggerInstant {
  /** ISO-8601; null when nothing recorded it. */
  readonly at: string | null;
  /** What `at` is. */
  readonly source: string;
  /** Why `at` is null. */
  readonly unknownBecause?: string;
}

function isInstant(value: string): boolean {
  return !Number.isNaN(Date.parse(value));
}

/**
 * When the trigger was detected: the request the alarm listener or the Chairman's override wrote on the lock (the
 * first one wins there), else the instant the state machine recorded the trigger (`trigger.detectedAt`, its Record*
 * state's `$$.State.EnteredTime`). A request the coordinator wrote itself says only when the rollback began.
 */
export function triggerInstant(recorded: RollbackRequest | undefined, stateMachineDetectedAt?: string): TriggerInstant {
  if (recorded !== undefined && recorded.requestedBy !== PIPELINE_REQUESTER) {
    const source =
      recorded.alarmName !== undefined
        ? `the alarm listener received ${recorded.alarmName} in ALARM`
        : recorded.trigger === 'MANUAL'
          ? `the Chairman's override (${recorded.requestedBy}) was received`
          : `the rollback request by ${recorded.requestedBy} was received`;
    // The alarm's own state change, when the listener recorded it, is earlier than the listener's receipt.
    if (recorded.detectedAt !== undefined && isInstant(recorded.detectedAt)) {
      return { at: recorded.detectedAt, source: `${recorded.alarmName ?? 'the trigger'} entered ALARM` };
    }
    if (!isInstant(recorded.requestedAt)) {
      return { at: null, source, unknownBecause: `the recorded request time '${recorded.requestedAt}' is not a time` };
    }
    return { at: recorded.requestedAt, source };
  }
  const source = 'the state machine recorded the trigger';
  if (stateMachineDetectedAt === undefined) {
    return {
      at: null,
      source,
      unknownBecause: "the trigger's time was not recorded (the state machine passed no trigger.detectedAt)",
    };
  }
  if (!isInstant(stateMachineDetectedAt)) {
    return { at: null, source, unknownBecause: `the trigger's time '${stateMachineDetectedAt}' is not a time` };
  }
  return { at: stateMachineDetectedAt, source };
}

/** The record for a trigger and a confirmation (null while the listener is not confirmed). */
export function measureWeightEffective(trigger: TriggerInstant, confirmedAt: string | null): WeightEffective {
  const record = { triggerAt: trigger.at, triggerSource: trigger.source, confirmedAt };
  const unknown = (unknownBecause: string): WeightEffective => ({
    ...record,
    timeUntilWeightEffectiveSeconds: null,
    unknownBecause,
  });
  if (trigger.at === null) return unknown(trigger.unknownBecause ?? "the trigger's time was not recorded");
  const start = Date.parse(trigger.at);
  if (Number.isNaN(start)) return unknown(`the trigger's time '${trigger.at}' is not a time`);
  if (confirmedAt === null) return unknown('the listener has not been confirmed back at 100 % live');
  const end = Date.parse(confirmedAt);
  if (Number.isNaN(end)) return unknown(`the confirmation time '${confirmedAt}' is not a time`);
  // Clocks of different services: a confirmation before the trigger is no measurement.
  if (end < start)
    return unknown(`the listener was confirmed (${confirmedAt}) before the trigger's time (${trigger.at})`);
  return { ...record, timeUntilWeightEffectiveSeconds: (end - start) / 1000, unknownBecause: null };
}

/** The earlier of two instants; an unparsable or missing one loses. */
export function earliestInstant(a: string | null | undefined, b: string | null | undefined): string | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  if (Number.isNaN(ta)) return b;
  if (Number.isNaN(tb)) return a;
  return tb < ta ? b : a;
}

function triggerOf(record: WeightEffective): TriggerInstant {
  return record.triggerAt === null
    ? { at: null, source: record.triggerSource, unknownBecause: record.unknownBecause ?? undefined }
    : { at: record.triggerAt, source: record.triggerSource };
}

/** The record with one more confirmation seen: the weight was effective from the earliest of them. */
export function withConfirmation(record: WeightEffective, confirmedAt: string): WeightEffective {
  const earliest = earliestInstant(record.confirmedAt, confirmedAt);
  if (earliest === record.confirmedAt) return record;
  return measureWeightEffective(triggerOf(record), earliest);
}

/** How the reason of a figure that cannot exist begins. */
export const NOT_APPLICABLE = 'not applicable';

/** Decisions that never touch the listener: there is no weight to make effective. */
export function withDecision(record: WeightEffective, type: RollbackType): WeightEffective {
  if ((type !== 'none' && type !== 'database') || record.confirmedAt !== null) return record;
  return {
    ...record,
    timeUntilWeightEffectiveSeconds: null,
    unknownBecause: `${NOT_APPLICABLE}: no traffic rollback was needed (decision: ${type}), the listener stayed at 100 % live`,
  };
}

/** For a rollback record from before this was measured (or the ASL's minimal record). */
export function unrecordedWeightEffective(): WeightEffective {
  return measureWeightEffective(
    { at: null, source: 'not recorded', unknownBecause: 'the rollback record carries no trigger time' },
    null,
  );
}

/** Seconds from the trigger to `now` (millisecond precision); null when the trigger's time is unknown or later. */
export function secondsSinceTrigger(record: WeightEffective, now: Date): number | null {
  if (record.triggerAt === null) return null;
  const start = Date.parse(record.triggerAt);
  if (Number.isNaN(start) || now.getTime() < start) return null;
  return (now.getTime() - start) / 1000;
}

export function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))} s`;
}

/** One line for the timeline, the summary and the runbook. */
export function describeWeightEffective(record: WeightEffective): string {
  const seconds = record.timeUntilWeightEffectiveSeconds;
  if (seconds === null) return `unknown: ${record.unknownBecause ?? 'no reason recorded'}`;
  return (
    `${formatSeconds(seconds)} from the trigger (${record.triggerAt}: ${record.triggerSource}) to the listener ` +
    `confirmed 100 % live (${record.confirmedAt})`
  );
}
