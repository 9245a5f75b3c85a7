import * as z from 'zod/mini';
import { nonEmptyString, nonNegativeInt } from './validation';

/**
 * What the deployment lock records beside the phase (lambdas/tools/deployment-lock.ts): the sides and what started a
 * rollback. Apart from cutover-contracts.ts (which re-exports them), so that the alarm listener, which needs only
 * these, does not build every cutover schema when it loads.
 */

/** One side of the blue-green pair: a target group and the ECS service registered in it. */
export const sideSchema = z.strictObject({
  targetGroupArn: nonEmptyString,
  serviceName: nonEmptyString,
});
export type Side = z.output<typeof sideSchema>;

export const stickinessSchema = z.strictObject({
  enabled: z.boolean(),
  durationSeconds: nonNegativeInt,
});
export type Stickiness = z.output<typeof stickinessSchema>;

/** Which side is live for this deployment, read from the listener before anything changes. */
export const sidesSchema = z.strictObject({
  live: sideSchema,
  green: sideSchema,
  /** The listener's target-group stickiness, re-sent with every weight change (ModifyListener replaces it all). */
  stickiness: z.nullable(stickinessSchema),
  resolvedAt: z.string(),
});
export type Sides = z.output<typeof sidesSchema>;

/** What started a rollback. */
export const rollbackTriggerSchema = z.enum([
  'ERROR_RATE',
  'LATENCY',
  'DB_CONNECTIONS',
  'ALARM',
  'INCONCLUSIVE',
  'MANUAL',
  'MIGRATION_FAILED',
  'TRAFFIC_SHIFT_FAILED',
  'GREEN_UNHEALTHY',
  'SMOKE_FAILED',
  'HEALTH_CHECK_FAILED',
  /** The pipeline itself failed mid-cutover (a task that could not run): production is put back to be safe. */
  'PIPELINE_ERROR',
  /** The prober found green no longer answering during a bake or the post-promotion watch. */
  'GREEN_PROBE_FAILED',
]);
export type RollbackTrigger = z.output<typeof rollbackTriggerSchema>;
