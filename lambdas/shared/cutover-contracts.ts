import { z } from 'zod';
import { bakeMinutesOf, bakeMinutesSchema } from './bake-minutes';

/**
 * Shapes of the cutover and rollback phases, passed between tasks by the state machine. As with contracts.ts, the
 * ASL reads some fields by path (`$.canary.verdict.decision`, `$.rollback.decision.type`, …): add fields freely,
 * rename none without changing statemachine/deployment-crew.asl.json.
 */

/** One side of the blue-green pair: a target group and the ECS service registered in it. */
export const sideSchema = z.strictObject({
  targetGroupArn: z.string().min(1),
  serviceName: z.string().min(1),
});
export type Side = z.output<typeof sideSchema>;

export const stickinessSchema = z.strictObject({
  enabled: z.boolean(),
  durationSeconds: z.int().nonnegative(),
});
export type Stickiness = z.output<typeof stickinessSchema>;

/** Which side is live for this deployment, read from the listener before anything changes. */
export const sidesSchema = z.strictObject({
  live: sideSchema,
  green: sideSchema,
  /** The listener's target-group stickiness, re-sent with every weight change (ModifyListener replaces it all). */
  stickiness: stickinessSchema.nullable(),
  resolvedAt: z.string(),
});
export type Sides = z.output<typeof sidesSchema>;

/** Green's environment after provisioning, and its readiness while the state machine polls. */
export const greenEnvironmentSchema = z.strictObject({
  taskDefinitionArn: z.string(),
  /** Green's task definition before this deployment, for the record. */
  previousTaskDefinitionArn: z.string().nullable(),
  /** The container that serves the target group (and runs migrations). */
  containerName: z.string(),
  desiredCount: z.int().nonnegative(),
  status: z.enum(['PENDING', 'READY', 'FAILED']),
  reason: z.string().optional(),
  healthyTargets: z.int().nonnegative(),
  polls: z.int().nonnegative(),
});
export type GreenEnvironment = z.output<typeof greenEnvironmentSchema>;

export const migrationSchema = z.strictObject({
  taskArn: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  exitCode: z.int().nullable(),
  reason: z.string().optional(),
  /** False when the task stopped before its command ran (image pull, capacity): the schema was not touched. */
  commandRan: z.boolean().optional(),
  polls: z.int().nonnegative(),
});
export type Migration = z.output<typeof migrationSchema>;

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

/** Where the deployment was when the trigger fired. */
export const deploymentPhaseSchema = z.enum(['PROVISIONING', 'MIGRATION', 'CUTOVER', 'POST_PROMOTION']);
export type DeploymentPhase = z.output<typeof deploymentPhaseSchema>;

/** Thresholds of the canary verdict and of the alarms (props; these are the defaults). */
export const canaryThresholdsSchema = z.strictObject({
  /** Roll back when green's 5xx rate is above this … */
  errorRatePercent: z.number().positive().default(5),
  /** … for this many consecutive 1-minute periods. */
  errorRateBreachPeriods: z.int().positive().default(2),
  /** The last step is promoted only when the error rate is below this … */
  promoteErrorRatePercent: z.number().positive().default(1),
  /** … and p95 latency below this (above it is a rollback at any step). */
  p95LatencyMs: z.number().positive().default(500),
  /** Roll back when DB connections exceed this share of the configured maximum. */
  dbConnectionsPercent: z.number().positive().max(100).default(80),
  /**
   * The load balancer's own 5xx per request (in %) that green's error-rate alarm does not blame on green. The verdict
   * measures the real baseline before the first shift; an alarm cannot, so it uses this.
   */
  loadBalancerErrorBaselinePercent: z.number().nonnegative().max(100).default(0.1),
});
export type CanaryThresholds = z.output<typeof canaryThresholdsSchema>;

/**
 * Whether a minute's datapoints are in: `complete` (green's and the load balancer's counts are there), `pending` (traffic flowed or may have, but a datapoint has not arrived yet: ALB publishes late, never as
 * zero errors), `idle` (nothing flowed through the load balancer, and nothing is expected).
 */
export const minuteDataSchema = z.enum(['complete', 'pending', 'idle']);
export type MinuteData = z.output<typeof minuteDataSchema>;

/** One 1-minute period of green's traffic, its errors counted as lambdas/shared/green-errors.ts says. */
export const minuteSampleSchema = z.strictObject({
  at: z.string(),
  data: minuteDataSchema,
  requests: z.number().nonnegative(),
  /** Everything counted against green: target 5xx + connection errors + the load balancer's 5xx above baseline. */
  errors: z.number().nonnegative(),
  targetErrors: z.number().nonnegative(),
  connectionErrors: z.number().nonnegative(),
  /** The load balancer's own 5xx above its baseline, blamed on green. */
  loadBalancerErrors: z.number().nonnegative(),
  /** Null unless the minute is complete with requests or errors. */
  errorRatePercent: z.number().nonnegative().nullable(),
  p95LatencyMs: z.number().nonnegative().nullable(),
  /** Lowest HealthyHostCount of green's target group in the minute; null without a datapoint. */
  healthyHosts: z.number().nonnegative().nullable(),
});
export type MinuteSample = z.output<typeof minuteSampleSchema>;

/** The load balancer's own 5xx per request before the first shift: what is not green's fault. */
export const loadBalancerBaselineSchema = z.strictObject({
  windowStart: z.string(),
  windowEnd: z.string(),
  /** RequestCount of the load balancer over the window. */
  requests: z.number().nonnegative(),
  /** HTTPCode_ELB_5XX_Count of the load balancer over the window. */
  errors: z.number().nonnegative(),
  /** errors / requests in %; 0 without requests (nothing to excuse). */
  errorRatePercent: z.number().nonnegative(),
  measuredAt: z.string(),
});
export type LoadBalancerBaseline = z.output<typeof loadBalancerBaselineSchema>;

/** What the metrics monitor saw over one bake window. */
export const canarySampleSchema = z.strictObject({
  windowStart: z.string(),
  windowEnd: z.string(),
  minutes: z.array(minuteSampleSchema),
  /** p95 of TargetResponseTime over the whole window, in ms; null without data. */
  p95LatencyMs: z.number().nonnegative().nullable(),
  /** Highest DatabaseConnections over the window (the writer, for a cluster); null without data. */
  dbConnectionsMax: z.number().nonnegative().nullable(),
  dbMaxConnections: z.int().positive(),
  /** The load balancer's baseline 5xx rate that was excused (not blamed on green). */
  baselinePercent: z.number().nonnegative(),
  /** Names of the watched alarms that are in ALARM now. */
  alarmsInAlarm: z.array(z.string()),
});
export type CanarySample = z.output<typeof canarySampleSchema>;

/** `wait`: the bake's last minutes have no datapoints yet; evaluate again after `retryAfterSeconds`. */
export const verdictDecisionSchema = z.enum(['advance', 'promote', 'rebake', 'rollback', 'wait']);
export type VerdictDecision = z.output<typeof verdictDecisionSchema>;

export const canaryVerdictSchema = z.strictObject({
  decision: verdictDecisionSchema,
  /** Set when decision is rollback. */
  trigger: rollbackTriggerSchema.nullable(),
  inconclusive: z.boolean(),
  reasons: z.array(z.string()),
  errorRatePercent: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  dbConnectionsPercent: z.number().nullable(),
  /** Minutes of the window still without their datapoints. */
  pendingMinutes: z.int().nonnegative(),
  /** With decision `wait`: how long to wait before evaluating again. */
  retryAfterSeconds: z.int().positive().nullable(),
});
export type CanaryVerdict = z.output<typeof canaryVerdictSchema>;

/** One canary step as it happened. */
/**
 * What a bake saw, in aggregate. The per-minute rows stay out of the state: the history travels through every later
 * state, and a long canary with one-hour bakes would otherwise approach Step Functions' 256 KB payload limit.
 */
export const sampleSummarySchema = z.strictObject({
  windowStart: z.string(),
  windowEnd: z.string(),
  minutes: z.int().nonnegative(),
  minutesWithData: z.int().nonnegative(),
  minutesPending: z.int().nonnegative(),
  requests: z.number().nonnegative(),
  errors: z.number().nonnegative(),
  targetErrors: z.number().nonnegative(),
  connectionErrors: z.number().nonnegative(),
  loadBalancerErrors: z.number().nonnegative(),
  baselinePercent: z.number().nonnegative(),
  healthyHostsMin: z.number().nonnegative().nullable(),
  p95LatencyMs: z.number().nonnegative().nullable(),
  dbConnectionsMax: z.number().nonnegative().nullable(),
  alarmsInAlarm: z.array(z.string()),
  /** Green's error rate, p95 and requests per minute, for the report's chart; absent from older records. */
  perMinute: bakeMinutesSchema.optional(),
});
export type SampleSummary = z.output<typeof sampleSummarySchema>;

export function summarizeSample(sample: CanarySample): SampleSummary {
  const sum = (field: 'requests' | 'errors' | 'targetErrors' | 'connectionErrors' | 'loadBalancerErrors') =>
    sample.minutes.reduce((total, minute) => total + minute[field], 0);
  const healthy = sample.minutes.flatMap((minute) => (minute.healthyHosts === null ? [] : [minute.healthyHosts]));
  return {
    windowStart: sample.windowStart,
    windowEnd: sample.windowEnd,
    minutes: sample.minutes.length,
    minutesWithData: sample.minutes.filter((minute) => minute.errorRatePercent !== null).length,
    minutesPending: sample.minutes.filter((minute) => minute.data === 'pending').length,
    requests: sum('requests'),
    errors: sum('errors'),
    targetErrors: sum('targetErrors'),
    connectionErrors: sum('connectionErrors'),
    loadBalancerErrors: sum('loadBalancerErrors'),
    baselinePercent: sample.baselinePercent,
    healthyHostsMin: healthy.length === 0 ? null : Math.min(...healthy),
    p95LatencyMs: sample.p95LatencyMs,
    dbConnectionsMax: sample.dbConnectionsMax,
    alarmsInAlarm: sample.alarmsInAlarm,
    ...maybePerMinute(sample),
  };
}

function maybePerMinute(sample: CanarySample): { perMinute?: SampleSummary['perMinute'] } {
  const perMinute = bakeMinutesOf(sample.minutes);
  return perMinute === undefined ? {} : { perMinute };
}

export const canaryStepRecordSchema = z.strictObject({
  stepIndex: z.int().nonnegative(),
  greenWeight: z.int().min(0).max(100),
  shiftedAt: z.string(),
  confirmedAt: z.string(),
  bakes: z.array(
    z.strictObject({
      startedAt: z.string(),
      endedAt: z.string(),
      /** When the verdict was decided: the evaluation after the bake's late datapoints; absent from older records. */
      decidedAt: z.string().optional(),
      verdict: canaryVerdictSchema,
      sample: sampleSummarySchema,
    }),
  ),
});
export type CanaryStepRecord = z.output<typeof canaryStepRecordSchema>;

/** The canary's progress, carried through the loop by the state machine. */
export const canaryStateSchema = z.strictObject({
  steps: z.array(z.int().min(1).max(100)).min(1),
  stepIndex: z.int().nonnegative(),
  greenWeight: z.int().min(0).max(100),
  inconclusiveCount: z.int().nonnegative(),
  /** When the current bake started (set by the bake task). */
  bakeStartedAt: z.string().nullable(),
  /** When the current bake ended (set by its first evaluation): the window's end, and the start of the data wait. */
  bakeEndedAt: z.string().nullable(),
  /** The load balancer's own 5xx rate, measured before the first shift. */
  baseline: loadBalancerBaselineSchema.nullable(),
  verdict: canaryVerdictSchema.nullable(),
  history: z.array(canaryStepRecordSchema),
});
export type CanaryState = z.output<typeof canaryStateSchema>;

/** The rollback types, from the decision tree. */
export const rollbackTypeSchema = z.enum(['none', 'traffic', 'database', 'full']);
export type RollbackType = z.output<typeof rollbackTypeSchema>;

export const rollbackDecisionSchema = z.strictObject({
  type: rollbackTypeSchema,
  /** How the database part runs: not at all, after the Chairman confirms, or at once (autoDatabaseRollback). */
  database: z.enum(['none', 'confirm', 'auto']),
  why: z.string(),
});
export type RollbackDecision = z.output<typeof rollbackDecisionSchema>;

export const timelineEntrySchema = z.strictObject({
  at: z.string(),
  action: z.string(),
  result: z.enum(['ok', 'failed', 'skipped', 'info']),
  detail: z.string(),
});
export type TimelineEntry = z.output<typeof timelineEntrySchema>;

/** "Time until weight effective": from the rollback's trigger to the listener confirmed back at 100 % live. */
export const weightEffectiveSchema = z.strictObject({
  /** When the trigger was detected; null when nothing recorded it (the figure is then null, never estimated). */
  triggerAt: z.string().nullable(),
  /** What triggerAt is: the alarm listener's receipt of an alarm, the Chairman's request, the state machine's record. */
  triggerSource: z.string(),
  /** The earliest re-read of the listener seen showing live 100 / green 0; null while there was none. */
  confirmedAt: z.string().nullable(),
  /** confirmedAt − triggerAt, in seconds with millisecond precision; null when either is unknown. */
  timeUntilWeightEffectiveSeconds: z.number().nonnegative().nullable(),
  /** Why the figure is null; null when it is known. */
  unknownBecause: z.string().nullable(),
});
export type WeightEffective = z.output<typeof weightEffectiveSchema>;

/**
 * A database restore, restore first and swap last: CHECKING (pre-checks, nothing touched), RESTORING (the snapshot
 * under `temporaryIdentifier`), FENCING (production's security groups swapped for the fence), RENAMING (production →
 * preserved, temporary → original), then AVAILABLE; RECOVERING (a failed swap undone) and CLEANING_UP (the temporary
 * copy deleted) end in FAILED.
 */
export const databaseRestoreProgressSchema = z.strictObject({
  status: z.enum(['CHECKING', 'RESTORING', 'FENCING', 'RENAMING', 'RECOVERING', 'CLEANING_UP', 'AVAILABLE', 'FAILED']),
  polls: z.int().nonnegative(),
  originalIdentifier: z.string(),
  preservedIdentifier: z.string(),
  temporaryIdentifier: z.string(),
  snapshotIdentifier: z.string(),
  reason: z.string().optional(),
  /** FAILED by a pre-check: nothing was created or changed. */
  refused: z.boolean().optional(),
  /** Why a failed restore is being undone (RECOVERING, CLEANING_UP), for the final FAILED reason. */
  failure: z.string().optional(),
  /** The post-restore ModifyDB* (settings a restore cannot take) was sent. */
  restoreModified: z.boolean().optional(),
  /** The restored copy's resource id, recorded before the swap: the one that must end up under the original name. */
  restoredResourceId: z.string().optional(),
  /** The fence on production: its original groups, so that it can be undone. */
  fence: z
    .strictObject({
      securityGroupId: z.string(),
      originalSecurityGroupIds: z.array(z.string()),
      fencedAt: z.string(),
      unfencedAt: z.string().optional(),
    })
    .optional(),
  /** The renames: the endpoint is down from startedAt until completedAt (as seen by the polls). */
  swap: z
    .strictObject({
      startedAt: z.string(),
      temporaryRenamedAt: z.string().optional(),
      completedAt: z.string().optional(),
      endpointDownSeconds: z.number().nonnegative().optional(),
    })
    .optional(),
  /** What the swap breaks that the configuration acknowledged: to be redone by hand. */
  followUps: z.array(z.string()).optional(),
});
export type DatabaseRestoreState = z.output<typeof databaseRestoreProgressSchema>;

/** The rollback as it is being carried out; its timeline is the record the Chairman and the report get. */
export const rollbackStateSchema = z.strictObject({
  trigger: rollbackTriggerSchema,
  phase: deploymentPhaseSchema,
  reason: z.string(),
  detectedAt: z.string(),
  /** Set by the coordinator's begin step; absent from the minimal record the ASL builds when begin failed. */
  weightEffective: weightEffectiveSchema.optional(),
  decision: rollbackDecisionSchema.nullable(),
  timeline: z.array(timelineEntrySchema),
  /** Progress of a database restore, opaque to the state machine except `status` and `polls`. */
  database: databaseRestoreProgressSchema.nullable(),
});
export type RollbackState = z.output<typeof rollbackStateSchema>;
