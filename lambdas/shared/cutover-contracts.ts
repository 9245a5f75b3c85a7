import * as z from 'zod/mini';
import { bakeMinutesOf, bakeMinutesSchema } from './bake-minutes';
import { rollbackTriggerSchema } from './lock-contracts';
import { deferred, nonNegativeInt, nonNegativeNumber, positiveInt } from './validation';

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
export const greenEnvironmentSchema = deferred(() =>
  z.strictObject({
    taskDefinitionArn: z.string(),
    /** Green's task definition before this deployment, for the record. */
    previousTaskDefinitionArn: z.nullable(z.string()),
    /** The container that serves the target group (and runs migrations). */
    containerName: z.string(),
    desiredCount: nonNegativeInt,
    status: z.enum(['PENDING', 'READY', 'FAILED']),
    reason: z.optional(z.string()),
    healthyTargets: nonNegativeInt,
    polls: nonNegativeInt,
  }),
);
export type GreenEnvironment = z.output<typeof greenEnvironmentSchema>;

export const migrationSchema = deferred(() =>
  z.strictObject({
    taskArn: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
    exitCode: z.nullable(z.int()),
    reason: z.optional(z.string()),
    /** False when the task stopped before its command ran (image pull, capacity): the schema was not touched. */
    commandRan: z.optional(z.boolean()),
    polls: nonNegativeInt,
  }),
);
export type Migration = z.output<typeof migrationSchema>;

/** Where the deployment was when the trigger fired. */
export const deploymentPhaseSchema = z.enum(['PROVISIONING', 'MIGRATION', 'CUTOVER', 'POST_PROMOTION']);
export type DeploymentPhase = z.output<typeof deploymentPhaseSchema>;

/** Thresholds of the canary verdict and of the alarms (props; these are the defaults). */
export const canaryThresholdsSchema = deferred(() =>
  z.strictObject({
    /** Roll back when green's 5xx rate is above this … */
    errorRatePercent: z._default(z.number().check(z.positive()), 5),
    /** … for this many consecutive 1-minute periods. */
    errorRateBreachPeriods: z._default(positiveInt, 2),
    /** The last step is promoted only when the error rate is below this … */
    promoteErrorRatePercent: z._default(z.number().check(z.positive()), 1),
    /** … and p95 latency below this (above it is a rollback at any step). */
    p95LatencyMs: z._default(z.number().check(z.positive()), 500),
    /** Roll back when DB connections exceed this share of the configured maximum. */
    dbConnectionsPercent: z._default(z.number().check(z.positive(), z.lte(100)), 80),
    /**
     * The load balancer's own 5xx per request (in %) that green's error-rate alarm does not blame on green. The verdict
     * measures the real baseline before the first shift; an alarm cannot, so it uses this.
     */
    loadBalancerErrorBaselinePercent: z._default(z.number().check(z.nonnegative(), z.lte(100)), 0.1),
  }),
);
export type CanaryThresholds = z.output<typeof canaryThresholdsSchema>;

/**
 * Whether a minute's datapoints are in: `complete` (green's and the load balancer's counts are there), `pending` (traffic flowed or may have, but a datapoint has not arrived yet: ALB publishes late, never as
 * zero errors), `idle` (nothing flowed through the load balancer, and nothing is expected).
 */
export const minuteDataSchema = z.enum(['complete', 'pending', 'idle']);
export type MinuteData = z.output<typeof minuteDataSchema>;

/** One 1-minute period of green's traffic, its errors counted as lambdas/shared/green-errors.ts says. */
export const minuteSampleSchema = deferred(() =>
  z.strictObject({
    at: z.string(),
    data: minuteDataSchema,
    requests: nonNegativeNumber,
    /** Everything counted against green: target 5xx + connection errors + the load balancer's 5xx above baseline. */
    errors: nonNegativeNumber,
    targetErrors: nonNegativeNumber,
    connectionErrors: nonNegativeNumber,
    /** The load balancer's own 5xx above its baseline, blamed on green. */
    loadBalancerErrors: nonNegativeNumber,
    /** Null unless the minute is complete with requests or errors. */
    errorRatePercent: z.nullable(nonNegativeNumber),
    p95LatencyMs: z.nullable(nonNegativeNumber),
    /** Lowest HealthyHostCount of green's target group in the minute; null without a datapoint. */
    healthyHosts: z.nullable(nonNegativeNumber),
  }),
);
export type MinuteSample = z.output<typeof minuteSampleSchema>;

/** The load balancer's own 5xx per request before the first shift: what is not green's fault. */
export const loadBalancerBaselineSchema = deferred(() =>
  z.strictObject({
    windowStart: z.string(),
    windowEnd: z.string(),
    /** RequestCount of the load balancer over the window. */
    requests: nonNegativeNumber,
    /** HTTPCode_ELB_5XX_Count of the load balancer over the window. */
    errors: nonNegativeNumber,
    /** errors / requests in %; 0 without requests (nothing to excuse). */
    errorRatePercent: nonNegativeNumber,
    measuredAt: z.string(),
  }),
);
export type LoadBalancerBaseline = z.output<typeof loadBalancerBaselineSchema>;

/** What the metrics monitor saw over one bake window. */
export const canarySampleSchema = deferred(() =>
  z.strictObject({
    windowStart: z.string(),
    windowEnd: z.string(),
    minutes: z.array(minuteSampleSchema),
    /** p95 of TargetResponseTime over the whole window, in ms; null without data. */
    p95LatencyMs: z.nullable(nonNegativeNumber),
    /** Highest DatabaseConnections over the window (the writer, for a cluster); null without data. */
    dbConnectionsMax: z.nullable(nonNegativeNumber),
    dbMaxConnections: positiveInt,
    /** The load balancer's baseline 5xx rate that was excused (not blamed on green). */
    baselinePercent: nonNegativeNumber,
    /** Names of the watched alarms that are in ALARM now. */
    alarmsInAlarm: z.array(z.string()),
  }),
);
export type CanarySample = z.output<typeof canarySampleSchema>;

/** `wait`: the bake's last minutes have no datapoints yet; evaluate again after `retryAfterSeconds`. */
export const verdictDecisionSchema = z.enum(['advance', 'promote', 'rebake', 'rollback', 'wait']);
export type VerdictDecision = z.output<typeof verdictDecisionSchema>;

export const canaryVerdictSchema = deferred(() =>
  z.strictObject({
    decision: verdictDecisionSchema,
    /** Set when decision is rollback. */
    trigger: z.nullable(rollbackTriggerSchema),
    inconclusive: z.boolean(),
    reasons: z.array(z.string()),
    errorRatePercent: z.nullable(z.number()),
    p95LatencyMs: z.nullable(z.number()),
    dbConnectionsPercent: z.nullable(z.number()),
    /** Minutes of the window still without their datapoints. */
    pendingMinutes: nonNegativeInt,
    /** With decision `wait`: how long to wait before evaluating again. */
    retryAfterSeconds: z.nullable(positiveInt),
  }),
);
export type CanaryVerdict = z.output<typeof canaryVerdictSchema>;

/** One canary step as it happened. */
/**
 * What a bake saw, in aggregate. The per-minute rows stay out of the state: the history travels through every later
 * state, and a long canary with one-hour bakes would otherwise approach Step Functions' 256 KB payload limit.
 */
export const sampleSummarySchema = deferred(() =>
  z.strictObject({
    windowStart: z.string(),
    windowEnd: z.string(),
    minutes: nonNegativeInt,
    minutesWithData: nonNegativeInt,
    minutesPending: nonNegativeInt,
    requests: nonNegativeNumber,
    errors: nonNegativeNumber,
    targetErrors: nonNegativeNumber,
    connectionErrors: nonNegativeNumber,
    loadBalancerErrors: nonNegativeNumber,
    baselinePercent: nonNegativeNumber,
    healthyHostsMin: z.nullable(nonNegativeNumber),
    p95LatencyMs: z.nullable(nonNegativeNumber),
    dbConnectionsMax: z.nullable(nonNegativeNumber),
    alarmsInAlarm: z.array(z.string()),
    /** Green's error rate, p95 and requests per minute, for the report's chart; absent from older records. */
    perMinute: z.optional(bakeMinutesSchema),
  }),
);
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

export const canaryStepRecordSchema = deferred(() =>
  z.strictObject({
    stepIndex: nonNegativeInt,
    greenWeight: z.int().check(z.gte(0), z.lte(100)),
    shiftedAt: z.string(),
    confirmedAt: z.string(),
    bakes: z.array(
      z.strictObject({
        startedAt: z.string(),
        endedAt: z.string(),
        /** When the verdict was decided: the evaluation after the bake's late datapoints; absent from older records. */
        decidedAt: z.optional(z.string()),
        verdict: canaryVerdictSchema,
        sample: sampleSummarySchema,
      }),
    ),
  }),
);
export type CanaryStepRecord = z.output<typeof canaryStepRecordSchema>;

/** The canary's progress, carried through the loop by the state machine. */
export const canaryStateSchema = deferred(() =>
  z.strictObject({
    steps: z.array(z.int().check(z.gte(1), z.lte(100))).check(z.minLength(1)),
    stepIndex: nonNegativeInt,
    greenWeight: z.int().check(z.gte(0), z.lte(100)),
    inconclusiveCount: nonNegativeInt,
    /** When the current bake started (set by the bake task). */
    bakeStartedAt: z.nullable(z.string()),
    /** When the current bake ended (set by its first evaluation): the window's end, and the start of the data wait. */
    bakeEndedAt: z.nullable(z.string()),
    /** The load balancer's own 5xx rate, measured before the first shift. */
    baseline: z.nullable(loadBalancerBaselineSchema),
    verdict: z.nullable(canaryVerdictSchema),
    history: z.array(canaryStepRecordSchema),
  }),
);
export type CanaryState = z.output<typeof canaryStateSchema>;

/** The rollback types, from the decision tree. */
export const rollbackTypeSchema = z.enum(['none', 'traffic', 'database', 'full']);
export type RollbackType = z.output<typeof rollbackTypeSchema>;

export const rollbackDecisionSchema = deferred(() =>
  z.strictObject({
    type: rollbackTypeSchema,
    /** How the database part runs: not at all, after the Chairman confirms, or at once (autoDatabaseRollback). */
    database: z.enum(['none', 'confirm', 'auto']),
    why: z.string(),
  }),
);
export type RollbackDecision = z.output<typeof rollbackDecisionSchema>;

export const timelineEntrySchema = deferred(() =>
  z.strictObject({
    at: z.string(),
    action: z.string(),
    result: z.enum(['ok', 'failed', 'skipped', 'info']),
    detail: z.string(),
  }),
);
export type TimelineEntry = z.output<typeof timelineEntrySchema>;

/** "Time until weight effective": from the rollback's trigger to the listener confirmed back at 100 % live. */
export const weightEffectiveSchema = deferred(() =>
  z.strictObject({
    /** When the trigger was detected; null when nothing recorded it (the figure is then null, never estimated). */
    triggerAt: z.nullable(z.string()),
    /** What triggerAt is: the alarm listener's receipt of an alarm, the Chairman's request, the state machine's record. */
    triggerSource: z.string(),
    /** The earliest re-read of the listener seen showing live 100 / green 0; null while there was none. */
    confirmedAt: z.nullable(z.string()),
    /** confirmedAt − triggerAt, in seconds with millisecond precision; null when either is unknown. */
    timeUntilWeightEffectiveSeconds: z.nullable(nonNegativeNumber),
    /** Why the figure is null; null when it is known. */
    unknownBecause: z.nullable(z.string()),
  }),
);
export type WeightEffective = z.output<typeof weightEffectiveSchema>;

/**
 * A database restore, restore first and swap last: CHECKING (pre-checks, nothing touched), RESTORING (the snapshot
 * under `temporaryIdentifier`), FENCING (production's security groups swapped for the fence), RENAMING (production →
 * preserved, temporary → original), then AVAILABLE; RECOVERING (a failed swap undone) and CLEANING_UP (the temporary
 * copy deleted) end in FAILED.
 */
export const databaseRestoreProgressSchema = deferred(() =>
  z.strictObject({
    status: z.enum([
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
    originalIdentifier: z.string(),
    preservedIdentifier: z.string(),
    temporaryIdentifier: z.string(),
    snapshotIdentifier: z.string(),
    reason: z.optional(z.string()),
    /** FAILED by a pre-check: nothing was created or changed. */
    refused: z.optional(z.boolean()),
    /** Why a failed restore is being undone (RECOVERING, CLEANING_UP), for the final FAILED reason. */
    failure: z.optional(z.string()),
    /** The post-restore ModifyDB* (settings a restore cannot take) was sent. */
    restoreModified: z.optional(z.boolean()),
    /** The restored copy's resource id, recorded before the swap: the one that must end up under the original name. */
    restoredResourceId: z.optional(z.string()),
    /** The fence on production: its original groups, so that it can be undone. */
    fence: z.optional(
      z.strictObject({
        securityGroupId: z.string(),
        originalSecurityGroupIds: z.array(z.string()),
        fencedAt: z.string(),
        unfencedAt: z.optional(z.string()),
      }),
    ),
    /** The renames: the endpoint is down from startedAt until completedAt (as seen by the polls). */
    swap: z.optional(
      z.strictObject({
        startedAt: z.string(),
        temporaryRenamedAt: z.optional(z.string()),
        completedAt: z.optional(z.string()),
        endpointDownSeconds: z.optional(nonNegativeNumber),
      }),
    ),
    /** What the swap breaks that the configuration acknowledged: to be redone by hand. */
    followUps: z.optional(z.array(z.string())),
  }),
);
export type DatabaseRestoreState = z.output<typeof databaseRestoreProgressSchema>;

/** The rollback as it is being carried out; its timeline is the record the Chairman and the report get. */
export const rollbackStateSchema = deferred(() =>
  z.strictObject({
    trigger: rollbackTriggerSchema,
    phase: deploymentPhaseSchema,
    reason: z.string(),
    detectedAt: z.string(),
    /** Set by the coordinator's begin step; absent from the minimal record the ASL builds when begin failed. */
    weightEffective: z.optional(weightEffectiveSchema),
    decision: z.nullable(rollbackDecisionSchema),
    timeline: z.array(timelineEntrySchema),
    /** Progress of a database restore, opaque to the state machine except `status` and `polls`. */
    database: z.nullable(databaseRestoreProgressSchema),
  }),
);
export type RollbackState = z.output<typeof rollbackStateSchema>;
