import * as v from 'valibot';
import { nonEmptyString, nonNegativeInt, strictObject } from './validation';

/**
 * What the deployment lock records beside the phase (lambdas/tools/deployment-lock.ts): the sides and what started a
 * rollback. Apart from cutover-contracts.ts (which re-exports them), so that the alarm listener, which needs only
 * these, does not build every cutover schema when it loads.
 */

/** One side of the blue-green pair: a target group and the ECS service registered in it. */
export const sideSchema = strictObject({
  targetGroupArn: nonEmptyString,
  serviceName: nonEmptyString,
});
export type Side = v.InferOutput<typeof sideSchema>;

export const stickinessSchema = strictObject({
  enabled: v.boolean(),
  durationSeconds: nonNegativeInt,
});
export type Stickiness = v.InferOutput<typeof stickinessSchema>;

/** Which side is live for this deployment, read from the listener before anything changes. */
export const sidesSchema = strictObject({
  live: sideSchema,
  green: sideSchema,
  /** The listener's target-group stickiness, re-sent with every weight change (ModifyListener replaces it all). */
  stickiness: v.nullable(stickinessSchema),
  resolvedAt: v.string(),
});
export type Sides = v.InferOutput<typeof sidesSchema>;

/** What started a rollback. */
export const rollbackTriggerSchema = v.picklist([
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
export type RollbackTrigger = v.InferOutput<typeof rollbackTriggerSchema>;
