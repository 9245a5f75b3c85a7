import type { RollbackState } from '../shared/cutover-contracts';
import type { EventPhase, RollbackOutcome } from '../shared/deployment-events';
import type { LockPhase } from '../tools/deployment-lock';

/**
 * What the coordinator's events say, pure: the fields every detail carries, the phases as events name them, and how
 * a finished rollback ended.
 */

export { eventStamp } from '../shared/deployment-events';

/** The lock's phase as `Deployment Phase Changed` names it; validation comes before any phase an event reports. */
export const EVENT_PHASE_OF_LOCK: Readonly<Record<LockPhase, EventPhase | null>> = {
  VALIDATION: null,
  PROVISIONING: 'PROVISIONING',
  MIGRATION: 'MIGRATION',
  CUTOVER: 'CUTOVER',
  PROMOTED: 'PROMOTED',
  // The old side is being scaled down: the deployment is past its watch.
  RETIRING: 'RETIRED',
  ROLLING_BACK: 'ROLLING_BACK',
};

/** How a rollback that reached its finish step ended, as the Chairman's summary judges it. */
export function rollbackOutcome(state: RollbackState): RollbackOutcome {
  const { decision } = state;
  if (decision === null) return 'UNDECIDED';
  if (state.database?.status === 'FAILED' || state.timeline.some((entry) => entry.result === 'failed')) {
    return 'INCOMPLETE';
  }
  if (decision.type === 'none') return 'NOTHING_TO_UNDO';
  if (decision.database !== 'none' && state.database?.status !== 'AVAILABLE') return 'DATABASE_NOT_RESTORED';
  return 'ROLLED_BACK';
}

/** A step's error name as `failedStep`; an empty one is still a failure, of an unknown step. */
export function failedStepOf(error: string | undefined): string {
  return error === undefined || error.trim() === '' ? 'unknown' : error;
}
