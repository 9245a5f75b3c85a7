import { type ConfirmationSchedule, confirmationDelaysMs } from '../../shared/sdk-budget';
import type { RollbackEstimate } from '../../shared/verification';

/**
 * The tasks of a traffic rollback in the state machine: RollbackTraffic (ModifyListener + confirming re-reads), then,
 * after the WaitBeforeVerifyingRollback state, VerifyTrafficRollback.
 */
export const ROLLBACK_TASKS = 2;

export interface RollbackEstimateInputs {
  /** How long the dry run's ModifyListener took: the rollback's own write is the same call. */
  readonly modifyListenerSeconds: number;
  /** How long the dry run's slower DescribeListeners took: each confirming re-read is the same call. */
  readonly describeListenersSeconds: number;
  /** How the rollback's confirming re-read retries a stale read (LISTENER_CONFIRMATION). */
  readonly confirmation: ConfirmationSchedule;
  /** The state machine's wait between RollbackTraffic and VerifyTrafficRollback. */
  readonly rollbackVerifySeconds: number;
  /** Per task: the state transition, the Lambda invocation and the task's calls other than the listener's. */
  readonly taskOverheadSeconds: number;
}

/**
 * An upper estimate of a traffic rollback's happy path, from RollbackTraffic's start to VerifyTrafficRollback's end:
 *
 *   modifyListenerSeconds
 *   + confirmation.attempts × describeListenersSeconds     every re-read of the schedule, as if each were stale …
 *   + Σ confirmationDelaysMs(confirmation) / 1000          … with every wait between them
 *   + rollbackVerifySeconds                                 the Wait state before verifying
 *   + ROLLBACK_TASKS × taskOverheadSeconds
 *
 * rounded up to whole seconds (after rounding the sum to milliseconds, so float noise cannot add a second). Not in
 * it: retries after errors, the time until the trigger fires (ALB metrics arrive per minute), and sticky sessions,
 * which keep clients on green for up to their duration after the weights changed.
 */
export function estimateRollbackSeconds(inputs: RollbackEstimateInputs): RollbackEstimate {
  const { confirmation } = inputs;
  for (const [name, value] of Object.entries({
    modifyListenerSeconds: inputs.modifyListenerSeconds,
    describeListenersSeconds: inputs.describeListenersSeconds,
    rollbackVerifySeconds: inputs.rollbackVerifySeconds,
    taskOverheadSeconds: inputs.taskOverheadSeconds,
    firstDelayMs: confirmation.firstDelayMs,
    maxDelayMs: confirmation.maxDelayMs,
  })) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${value}`);
  }
  if (!Number.isInteger(confirmation.attempts) || confirmation.attempts < 1) {
    throw new Error(`confirmation.attempts must be a positive integer, got ${confirmation.attempts}`);
  }
  const confirmationWaitSeconds = confirmationDelaysMs(confirmation).reduce((sum, ms) => sum + ms, 0) / 1000;
  const sum =
    inputs.modifyListenerSeconds +
    confirmation.attempts * inputs.describeListenersSeconds +
    confirmationWaitSeconds +
    inputs.rollbackVerifySeconds +
    ROLLBACK_TASKS * inputs.taskOverheadSeconds;
  return {
    modifyListenerSeconds: inputs.modifyListenerSeconds,
    confirmationReads: confirmation.attempts,
    describeListenersSeconds: inputs.describeListenersSeconds,
    confirmationWaitSeconds,
    rollbackVerifySeconds: inputs.rollbackVerifySeconds,
    tasks: ROLLBACK_TASKS,
    taskOverheadSeconds: inputs.taskOverheadSeconds,
    totalSeconds: Math.ceil(Math.round(sum * 1000) / 1000),
  };
}
