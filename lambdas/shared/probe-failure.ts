import * as v from 'valibot';
import { nonEmptyString, strictObject, utcInstant } from './validation';

/**
 * What the prober (run by the PostDeploymentVerifier during every bake) sends the alarm listener when green stopped
 * answering: a direct Lambda invocation (RequestResponse), taken on the same path as an alarm. The verifier writes
 * it, the alarm listener reads it, so the contract lives here.
 */

/** The report's `source`: tells a probe failure report from an alarm event and from an override. */
export const PROBE_FAILURE_SOURCE = 'deployment-crew.prober';

export const probeFailureReportSchema = strictObject({
  source: v.literal(PROBE_FAILURE_SOURCE),
  /** The execution name the prober probed for: a report for a deployment that no longer holds the lock is refused. */
  deployment: nonEmptyString,
  /** The side it probed: acted on only when it is the lock's green. */
  greenTargetGroupArn: nonEmptyString,
  /** The first failed probe of the failing run: where the time until the weight is effective starts. */
  firstFailedAt: utcInstant,
  /** What failed, in words (already redacted by the runner). */
  failures: v.pipe(v.array(v.string()), v.maxLength(20)),
  /** E.g. "3 consecutive probe rounds failed within 15 s". */
  reason: v.pipe(v.string(), v.minLength(1), v.maxLength(1000)),
});
export type ProbeFailureReport = v.InferOutput<typeof probeFailureReportSchema>;
