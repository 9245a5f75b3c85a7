import * as v from 'valibot';
import { bakeMinutesOf, bakeMinutesSchema } from './bake-minutes';
import { rollbackTriggerSchema } from './lock-contracts';
import { nonNegativeInt, nonNegativeNumber, positiveInt, strictObject, wholePercent } from './validation';

export {
  type RollbackTrigger,
  rollbackTriggerSchema,
  type Side,
  type Sides,
  type Stickiness,
  sideSchema,
  sidesSchema,
  stickinessSchema,
} from './lock-contracts';

/**
 * Shapes of the cutover and rollback phases, passed between tasks by the state machine. As with contracts.ts, the
 * ASL reads some fields by path (`$.canary.verdict.decision`, `$.rollback.decision.type`, …): add fields freely,
 * rename none without changing statemachine/deployment-crew.asl.json.
 */

/** Green's environment after provisioning, and its readiness while the state machine polls. */
export const greenEnvironmentSchema = strictObject({
  taskDefinitionArn: v.string(),
  /** Green's task definition before this deployment, for the record. */
  previousTaskDefinitionArn: v.nullable(v.string()),
  /** The container that serves the target group (and runs migrations). */
  containerName: v.string(),
  desiredCount: nonNegativeInt,
  status: v.picklist(['PENDING', 'READY', 'FAILED']),
  reason: v.optional(v.string()),
  healthyTargets: nonNegativeInt,
  polls: nonNegativeInt,
});
export type GreenEnvironment = v.InferOutput<typeof greenEnvironmentSchema>;

export const migrationSchema = strictObject({
  taskArn: v.string(),
  status: v.picklist(['RUNNING', 'SUCCEEDED', 'FAILED']),
  exitCode: v.nullable(v.pipe(v.number(), v.safeInteger())),
  reason: v.optional(v.string()),
  /** False when the task stopped before its command ran (image pull, capacity): the schema was not touched. */
  commandRan: v.optional(v.boolean()),
  polls: nonNegativeInt,
});
export type Migration = v.InferOutput<typeof migrationSchema>;

/** Where the deployment was when the trigger fired. */
export const deploymentPhaseSchema = v.picklist(['PROVISIONING', 'MIGRATION', 'CUTOVER', 'POST_PROMOTION']);
export type DeploymentPhase = v.InferOutput<typeof deploymentPhaseSchema>;

/** Thresholds of the canary verdict and of the alarms (props; these are the defaults). */
export const canaryThresholdsSchema = strictObject({
  /** Roll back when green's 5xx rate is above this … */
  errorRatePercent: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0)), 5),
  /** … for this many consecutive 1-minute periods. */
  errorRateBreachPeriods: v.optional(positiveInt, 2),
  /** The last step is promoted only when the error rate is below this … */
  promoteErrorRatePercent: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0)), 1),
  /** … and p95 latency below this (above it is a rollback at any step). */
  p95LatencyMs: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0)), 500),
  /** Roll back when DB connections exceed this share of the configured maximum. */
  dbConnectionsPercent: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(100)), 80),
  /**
   * The load balancer's own 5xx per request (in %) that green's error-rate alarm does not blame on green. The verdict
   * measures the real baseline before the first shift; an alarm cannot, so it uses this.
   */
  loadBalancerErrorBaselinePercent: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(100)), 0.1),
});
export type CanaryThresholds = v.InferOutput<typeof canaryThresholdsSchema>;

/**
 * Whether a minute's datapoints are in: `complete` (green's and the load balancer's counts are there), `pending` (traffic flowed or may have, but a datapoint has not arrived yet: ALB publishes late, never as
 * zero errors), `idle` (nothing flowed through the load balancer, and nothing is expected).
 */
export const minuteDataSchema = v.picklist(['complete', 'pending', 'idle']);
export type MinuteData = v.InferOutput<typeof minuteDataSchema>;

/** One 1-minute period of green's traffic, its errors counted as lambdas/shared/green-errors.ts says. */
export const minuteSampleSchema = strictObject({
  at: v.string(),
  data: minuteDataSchema,
  requests: nonNegativeNumber,
  /** Everything counted against green: target 5xx + connection errors + the load balancer's 5xx above baseline. */
  errors: nonNegativeNumber,
  targetErrors: nonNegativeNumber,
  connectionErrors: nonNegativeNumber,
  /** The load balancer's own 5xx above its baseline, blamed on green. */
  loadBalancerErrors: nonNegativeNumber,
  /** Null unless the minute is complete with requests or errors. */
  errorRatePercent: v.nullable(nonNegativeNumber),
  p95LatencyMs: v.nullable(nonNegativeNumber),
  /** Lowest HealthyHostCount of green's target group in the minute; null without a datapoint. */
  healthyHosts: v.nullable(nonNegativeNumber),
});
export type MinuteSample = v.InferOutput<typeof minuteSampleSchema>;

/** The load balancer's own 5xx per request before the first shift: what is not green's fault. */
export const loadBalancerBaselineSchema = strictObject({
  windowStart: v.string(),
  windowEnd: v.string(),
  /** RequestCount of the load balancer over the window. */
  requests: nonNegativeNumber,
  /** HTTPCode_ELB_5XX_Count of the load balancer over the window. */
  errors: nonNegativeNumber,
  /** errors / requests in %; 0 without requests (nothing to excuse). */
  errorRatePercent: nonNegativeNumber,
  measuredAt: v.string(),
});
export type LoadBalancerBaseline = v.InferOutput<typeof loadBalancerBaselineSchema>;

/** What the metrics monitor saw over one bake window. */
export const canarySampleSchema = strictObject({
  windowStart: v.string(),
  windowEnd: v.string(),
  minutes: v.array(minuteSampleSchema),
  /** p95 of TargetResponseTime over the whole window, in ms; null without data. */
  p95LatencyMs: v.nullable(nonNegativeNumber),
  /** Highest DatabaseConnections over the window (the writer, for a cluster); null without data. */
  dbConnectionsMax: v.nullable(nonNegativeNumber),
  dbMaxConnections: positiveInt,
  /** The load balancer's baseline 5xx rate that was excused (not blamed on green). */
  baselinePercent: nonNegativeNumber,
  /** Names of the watched alarms that are in ALARM now. */
  alarmsInAlarm: v.array(v.string()),
});
export type CanarySample = v.InferOutput<typeof canarySampleSchema>;

/** `wait`: the bake's last minutes have no datapoints yet; evaluate again after `retryAfterSeconds`. */
export const verdictDecisionSchema = v.picklist(['advance', 'promote', 'rebake', 'rollback', 'wait']);
export type VerdictDecision = v.InferOutput<typeof verdictDecisionSchema>;

export const canaryVerdictSchema = strictObject({
  decision: verdictDecisionSchema,
  /** Set when decision is rollback. */
  trigger: v.nullable(rollbackTriggerSchema),
  inconclusive: v.boolean(),
  reasons: v.array(v.string()),
  errorRatePercent: v.nullable(v.pipe(v.number(), v.finite())),
  p95LatencyMs: v.nullable(v.pipe(v.number(), v.finite())),
  dbConnectionsPercent: v.nullable(v.pipe(v.number(), v.finite())),
  /** Minutes of the window still without their datapoints. */
  pendingMinutes: nonNegativeInt,
  /** With decision `wait`: how long to wait before evaluating again. */
  retryAfterSeconds: v.nullable(positiveInt),
});
export type CanaryVerdict = v.InferOutput<typeof canaryVerdictSchema>;

/** One canary step as it happened. */
/**
 * What a bake saw, in aggregate. The per-minute rows stay out of the state: the history travels through every later
 * state, and a long canary with one-hour bakes would otherwise approach Step Functions' 256 KB payload limit.
 */
export const sampleSummarySchema = strictObject({
  windowStart: v.string(),
  windowEnd: v.string(),
  minutes: nonNegativeInt,
  minutesWithData: nonNegativeInt,
  minutesPending: nonNegativeInt,
  requests: nonNegativeNumber,
  errors: nonNegativeNumber,
  targetErrors: nonNegativeNumber,
  connectionErrors: nonNegativeNumber,
  loadBalancerErrors: nonNegativeNumber,
  baselinePercent: nonNegativeNumber,
  healthyHostsMin: v.nullable(nonNegativeNumber),
  p95LatencyMs: v.nullable(nonNegativeNumber),
  dbConnectionsMax: v.nullable(nonNegativeNumber),
  alarmsInAlarm: v.array(v.string()),
  /** Green's error rate, p95 and requests per minute, for the report's chart; absent from older records. */
  perMinute: v.optional(bakeMinutesSchema),
});
export type SampleSummary = v.InferOutput<typeof sampleSummarySchema>;

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

export const canaryStepRecordSchema = strictObject({
  stepIndex: nonNegativeInt,
  greenWeight: wholePercent,
  shiftedAt: v.string(),
  confirmedAt: v.string(),
  bakes: v.array(
    strictObject({
      startedAt: v.string(),
      endedAt: v.string(),
      /** When the verdict was decided: the evaluation after the bake's late datapoints; absent from older records. */
      decidedAt: v.optional(v.string()),
      verdict: canaryVerdictSchema,
      sample: sampleSummarySchema,
    }),
  ),
});
export type CanaryStepRecord = v.InferOutput<typeof canaryStepRecordSchema>;

/** The canary's progress, carried through the loop by the state machine. */
export const canaryStateSchema = strictObject({
  steps: v.pipe(v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100))), v.minLength(1)),
  stepIndex: nonNegativeInt,
  greenWeight: wholePercent,
  inconclusiveCount: nonNegativeInt,
  /** When the current bake started (set by the bake task). */
  bakeStartedAt: v.nullable(v.string()),
  /** When the current bake ended (set by its first evaluation): the window's end, and the start of the data wait. */
  bakeEndedAt: v.nullable(v.string()),
  /** The load balancer's own 5xx rate, measured before the first shift. */
  baseline: v.nullable(loadBalancerBaselineSchema),
  verdict: v.nullable(canaryVerdictSchema),
  history: v.array(canaryStepRecordSchema),
});
export type CanaryState = v.InferOutput<typeof canaryStateSchema>;

/** The rollback types, from the decision tree. */
export const rollbackTypeSchema = v.picklist(['none', 'traffic', 'database', 'full']);
export type RollbackType = v.InferOutput<typeof rollbackTypeSchema>;

export const rollbackDecisionSchema = strictObject({
  type: rollbackTypeSchema,
  /** How the database part runs: not at all, after the Chairman confirms, or at once (autoDatabaseRollback). */
  database: v.picklist(['none', 'confirm', 'auto']),
  why: v.string(),
});
export type RollbackDecision = v.InferOutput<typeof rollbackDecisionSchema>;

export const timelineEntrySchema = strictObject({
  at: v.string(),
  action: v.string(),
  result: v.picklist(['ok', 'failed', 'skipped', 'info']),
  detail: v.string(),
});
export type TimelineEntry = v.InferOutput<typeof timelineEntrySchema>;

/** "Time until weight effective": from the rollback's trigger to the listener confirmed back at 100 % live. */
export const weightEffectiveSchema = strictObject({
  /** When the trigger was detected; null when nothing recorded it (the figure is then null, never estimated). */
  triggerAt: v.nullable(v.string()),
  /** What triggerAt is: the alarm listener's receipt of an alarm, the Chairman's request, the state machine's record. */
  triggerSource: v.string(),
  /** The earliest re-read of the listener seen showing live 100 / green 0; null while there was none. */
  confirmedAt: v.nullable(v.string()),
  /** confirmedAt − triggerAt, in seconds with millisecond precision; null when either is unknown. */
  timeUntilWeightEffectiveSeconds: v.nullable(nonNegativeNumber),
  /** Why the figure is null; null when it is known. */
  unknownBecause: v.nullable(v.string()),
});
export type WeightEffective = v.InferOutput<typeof weightEffectiveSchema>;

/**
 * A database restore, restore first and swap last: CHECKING (pre-checks, nothing touched), RESTORING (the snapshot
 * under `temporaryIdentifier`), FENCING (production's security groups swapped for the fence), RENAMING (production →
 * preserved, temporary → original), then AVAILABLE; RECOVERING (a failed swap undone) and CLEANING_UP (the temporary
 * copy deleted) end in FAILED.
 */
export const databaseRestoreProgressSchema = strictObject({
  status: v.picklist([
    'CHECKING',
    'RESTORING',
    'FENCING',
    'RENAMING',
    'RECOVERING',
    'CLEANING_UP',
    'AVAILABLE',
    'FAILED',
  ]),
  polls: nonNegativeInt,
  originalIdentifier: v.string(),
  preservedIdentifier: v.string(),
  temporaryIdentifier: v.string(),
  snapshotIdentifier: v.string(),
  reason: v.optional(v.string()),
  /** FAILED by a pre-check: nothing was created or changed. */
  refused: v.optional(v.boolean()),
  /** Why a failed restore is being undone (RECOVERING, CLEANING_UP), for the final FAILED reason. */
  failure: v.optional(v.string()),
  /** The post-restore ModifyDB* (settings a restore cannot take) was sent. */
  restoreModified: v.optional(v.boolean()),
  /** The restored copy's resource id, recorded before the swap: the one that must end up under the original name. */
  restoredResourceId: v.optional(v.string()),
  /** The fence on production: its original groups, so that it can be undone. */
  fence: v.optional(
    strictObject({
      securityGroupId: v.string(),
      originalSecurityGroupIds: v.array(v.string()),
      fencedAt: v.string(),
      unfencedAt: v.optional(v.string()),
    }),
  ),
  /** The renames: the endpoint is down from startedAt until completedAt (as seen by the polls). */
  swap: v.optional(
    strictObject({
      startedAt: v.string(),
      temporaryRenamedAt: v.optional(v.string()),
      completedAt: v.optional(v.string()),
      endpointDownSeconds: v.optional(nonNegativeNumber),
    }),
  ),
  /** What the swap breaks that the configuration acknowledged: to be redone by hand. */
  followUps: v.optional(v.array(v.string())),
});
export type DatabaseRestoreState = v.InferOutput<typeof databaseRestoreProgressSchema>;

/** The rollback as it is being carried out; its timeline is the record the Chairman and the report get. */
export const rollbackStateSchema = strictObject({
  trigger: rollbackTriggerSchema,
  phase: deploymentPhaseSchema,
  reason: v.string(),
  detectedAt: v.string(),
  /** Set by the coordinator's begin step; absent from the minimal record the ASL builds when begin failed. */
  weightEffective: v.optional(weightEffectiveSchema),
  decision: v.nullable(rollbackDecisionSchema),
  timeline: v.array(timelineEntrySchema),
  /** Progress of a database restore, opaque to the state machine except `status` and `polls`. */
  database: v.nullable(databaseRestoreProgressSchema),
});
export type RollbackState = v.InferOutput<typeof rollbackStateSchema>;
