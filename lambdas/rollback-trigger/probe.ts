import { PROBE_FAILURE_SOURCE, type ProbeFailureReport } from '../shared/probe-failure';
import type { RollbackRequestInput } from './trigger';

/**
 * A prober's report that green stopped answering, as a rollback request on the alarm's path.
 *
 * It comes by direct invocation, which only principals granted lambda:InvokeFunction on this function can make (the
 * PostDeploymentVerifier's role; approvers only get the function URL). A forged report could only roll a deployment
 * back, the safe direction, and only the deployment holding the lock, in a traffic phase, for its own green.
 */

/** Room left in the recorded reason for the failures' words (the request's reason is at most 1000 characters). */
const MAX_REASON = 1000;
/** How many of the report's failures are named in the reason: the log line has them all. */
const FAILURES_NAMED = 3;

/** True when the payload says it is a probe report: it is then parsed as one, never as an override. */
export function claimsToBeProbeReport(payload: unknown): boolean {
  return (
    typeof payload === 'object' && payload !== null && (payload as { source?: unknown }).source === PROBE_FAILURE_SOURCE
  );
}

export function probeToRequest(report: ProbeFailureReport): RollbackRequestInput {
  const named = report.failures.slice(0, FAILURES_NAMED).join('; ');
  const reason = `green stopped answering the prober: ${report.reason}${named === '' ? '' : ` (${named})`}`;
  return {
    trigger: 'GREEN_PROBE_FAILED',
    deployment: report.deployment,
    probedTargetGroupArn: report.greenTargetGroupArn,
    detectedAt: report.firstFailedAt,
    reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
    requestedBy: 'prober',
  };
}
