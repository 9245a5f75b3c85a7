import * as v from 'valibot';
import { canaryThresholdsSchema, rollbackTriggerSchema, sideSchema } from '../cutover-contracts';
import { nonEmptyString, nonNegativeInt, positiveInt, record, strictObject } from '../validation';
import { databaseConfigSchema } from './database';
import { jsonEnvironmentVariable } from './environment';

/** The longest a verdict may wait for late metrics: beyond it, a missing minute is not late but lost. */
export const METRICS_MAX_WAIT_BOUND_SECONDS = 900;
/** A minute's ALB datapoints usually arrive about this long after the minute ends. */
export const METRICS_EXPECTED_DELAY_SECONDS = 90;
/**
 * The shortest wait for late metrics that can ever see the bake's last minute: it ends up to 60 s after the bake,
 * and its datapoints come `METRICS_EXPECTED_DELAY_SECONDS` later.
 */
export const METRICS_MAX_WAIT_MIN_SECONDS = 60 + METRICS_EXPECTED_DELAY_SECONDS;
/** Re-evaluations while waiting for late metrics are at least this far apart (bounds the execution's history). */
export const METRICS_RETRY_MIN_SECONDS = 15;

/** The orchestrator's configuration, one JSON env var (ORCHESTRATOR_CONFIG) built by the construct. */
export const orchestratorConfigSchema = strictObject({
  listenerArn: v.string(),
  /** The two sides as configured; which is live is read from the listener. */
  sides: v.pipe(v.array(sideSchema), v.length(2)),
  clusterName: v.string(),
  taskDefinitionFamily: v.string(),
  /** Null when the stack has no migration (schema changes are then refused at intake). */
  migrationCommand: v.nullable(v.pipe(v.array(v.string()), v.minLength(1))),
  thresholds: canaryThresholdsSchema,
  inconclusiveAllowance: nonNegativeInt,
  database: databaseConfigSchema,
  dbMaxConnections: positiveInt,
  /** Alarms that judge green: per target group (the group's own alarms), plus shared ones (database, extra). */
  alarms: strictObject({
    byTargetGroup: record(v.string(), v.array(v.string())),
    shared: v.array(v.string()),
  }),
  /** ALB metrics arrive late: how the verdict waits for a bake's last minutes, and how it measures the baseline. */
  metrics: strictObject({
    /** After the bake, wait at most this long for its minutes' datapoints; then a partial window is inconclusive. */
    maxWaitSeconds: v.pipe(
      v.pipe(v.number(), v.finite()),
      v.safeInteger(),
      v.minValue(METRICS_MAX_WAIT_MIN_SECONDS),
      v.maxValue(METRICS_MAX_WAIT_BOUND_SECONDS),
    ),
    /** When a minute's datapoints usually arrive after the minute ends: the first re-evaluation is timed by it. */
    expectedDelaySeconds: v.pipe(
      v.number(),
      v.safeInteger(),
      v.minValue(0),
      v.maxValue(METRICS_MAX_WAIT_BOUND_SECONDS),
    ),
    /** The load balancer's own 5xx rate is measured over this many minutes before the first shift. */
    baselineMinutes: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(60)),
  }),
  /** Alarm name → what a rollback it causes is recorded as (extra alarms are absent: ALARM). */
  alarmTriggers: record(v.string(), rollbackTriggerSchema),
  tableName: v.string(),
  lockKey: v.string(),
  /** The bus the orchestrator's phase and traffic events go to. */
  eventBusName: nonEmptyString,
});
export type OrchestratorConfig = v.InferOutput<typeof orchestratorConfigSchema>;

/** `ORCHESTRATOR_CONFIG`: written by the stack, read by the BlueGreenOrchestrator on its cold start. */
export const ORCHESTRATOR_CONFIG = jsonEnvironmentVariable('ORCHESTRATOR_CONFIG', orchestratorConfigSchema);
