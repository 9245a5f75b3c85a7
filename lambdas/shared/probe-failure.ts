import * as z from 'zod/mini';
import { nonEmptyString } from './validation';

/**
 * What the prober (run by the PostDeploymentVerifier during every bake) sends the alarm listener when green stopped
 * answering: a direct Lambda invocation (RequestResponse), taken on the same path as an alarm. The verifier writes
 * it, the alarm listener reads it, so the contract lives here.
 */

/** The report's `source`: tells a probe failure report from an alarm event and from an override. */
export const PROBE_FAILURE_SOURCE = 'deployment-crew.prober';

export const probeFailureReportSchema = z.strictObject({
  source: z.literal(PROBE_FAILURE_SOURCE),
  /** The execution name the prober probed for: a report for a deployment that no longer holds the lock is refused. */
  deployment: nonEmptyString,
  /** The side it probed: acted on only when it is the lock's green. */
  greenTargetGroupArn: nonEmptyString,
  /** The first failed probe of the failing run: where the time until the weight is effective starts. */
  firstFailedAt: z.iso.datetime(),
  /** What failed, in words (already redacted by the runner). */
  failures: z.array(z.string()).check(z.maxLength(20)),
  /** E.g. "3 consecutive probe rounds failed within 15 s". */
  reason: z.string().check(z.minLength(1), z.maxLength(1000)),
});
export type ProbeFailureReport = z.output<typeof probeFailureReportSchema>;
