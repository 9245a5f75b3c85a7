import * as v from 'valibot';
import { backupMetadataSchema } from './contracts';
import { sidesSchema } from './cutover-contracts';
import { errorMessage, errorName } from './errors';
import { nonEmptyString, nonNegativeInt, nonNegativeNumber, positiveInt, record, strictObject } from './validation';

/**
 * What the PostDeploymentVerifier's checks take and return: the monitoring check (monitoring_setup) and the rollback
 * dry-run (rollback_test). The stack and the state machine read these shapes, so add fields freely and rename none.
 * Both tools answer with checks, each with its evidence in words, and never crash on a refused call: a role that may
 * not read something is itself a finding.
 */

// ---------------------------------------------------------------------------------------------------------------
// Monitoring check

/**
 * CloudWatch Logs updates a stream's `lastEventTimestamp` and `lastIngestionTime` "on an eventual consistency basis,
 * typically in less than an hour" (LogStream, CloudWatch Logs API reference). A shorter window would report a group
 * that receives events every second as silent.
 */
export const MIN_LOGS_WINDOW_MINUTES = 60;

export const monitoringCheckRequestSchema = strictObject({
  /** The pipeline's alarms (metric or composite): each must exist, have actions enabled and not lack data. */
  alarmNames: v.array(nonEmptyString),
  dashboardName: nonEmptyString,
  /** The application's log groups: each must have received events within the window. */
  logGroupNames: v.array(nonEmptyString),
  logsRecentWithinMinutes: v.optional(
    v.pipe(v.number(), v.safeInteger(), v.minValue(MIN_LOGS_WINDOW_MINUTES)),
    MIN_LOGS_WINDOW_MINUTES,
  ),
});
export type MonitoringCheckRequest = v.InferOutput<typeof monitoringCheckRequestSchema>;
export type MonitoringCheckRequestInput = v.InferInput<typeof monitoringCheckRequestSchema>;

export const monitoringCheckKindSchema = v.picklist(['alarm', 'dashboard', 'log-group']);
export type MonitoringCheckKind = v.InferOutput<typeof monitoringCheckKindSchema>;

export const monitoringCheckSchema = strictObject({
  kind: monitoringCheckKindSchema,
  name: v.string(),
  ok: v.boolean(),
  evidence: v.string(),
});
export type MonitoringCheck = v.InferOutput<typeof monitoringCheckSchema>;

export const monitoringCheckResultSchema = strictObject({
  checkedAt: v.string(),
  /** Every check ok. Whether a failure fails the deployment or is recorded as a risk is the caller's choice. */
  ok: v.boolean(),
  checks: v.array(monitoringCheckSchema),
  /** In words, for the report: every failed check, and what is ok but worth knowing (an alarm in ALARM). */
  risks: v.array(v.string()),
});
export type MonitoringCheckResult = v.InferOutput<typeof monitoringCheckResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Rollback dry-run

/** IAM action names as policies write them: `elasticloadbalancing:ModifyListener`. */
const iamActionSchema = v.pipe(v.string(), v.regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, 'an IAM action: <service>:<Action>'));

/** What the estimate takes from the state machine (see estimateRollbackSeconds in lambdas/tools/rollback-test). */
export const rollbackEstimateSettingsSchema = strictObject({
  /** The state machine's wait between RollbackTraffic and VerifyTrafficRollback (`$.settings.rollbackVerifySeconds`). */
  rollbackVerifySeconds: nonNegativeInt,
  /**
   * Per rollback task (RollbackTraffic, VerifyTrafficRollback): the state transition, the Lambda invocation and the
   * task's calls other than the listener's. A configured figure, not measured by the dry run.
   */
  taskOverheadSeconds: v.optional(nonNegativeNumber, 2),
});
export type RollbackEstimateSettings = v.InferOutput<typeof rollbackEstimateSettingsSchema>;

/** The IAM simulator's ContextKeyType values (ContextEntry, IAM API reference). */
export const contextKeyTypeSchema = v.picklist([
  'string',
  'stringList',
  'numeric',
  'numericList',
  'boolean',
  'booleanList',
  'ip',
  'ipList',
  'binary',
  'binaryList',
  'date',
  'dateList',
]);

/** A condition key's value for the simulation, as SimulatePrincipalPolicy's ContextEntries take it. */
export const simulationContextEntrySchema = strictObject({
  ContextKeyName: nonEmptyString,
  ContextKeyValues: v.pipe(v.array(v.string()), v.minLength(1)),
  ContextKeyType: contextKeyTypeSchema,
});
export type SimulationContextEntry = v.InferOutput<typeof simulationContextEntrySchema>;

export const rollbackDryRunRequestSchema = v.pipe(
  strictObject({
    listenerArn: nonEmptyString,
    /** As resolved before the cutover: `live` is the side a rollback returns to (at 0 % after promotion). */
    sides: sidesSchema,
    /** The ECS cluster of both services. */
    clusterName: nonEmptyString,
    /** The old side's target group must have at least this many healthy targets. */
    minHealthyTargets: positiveInt,
    /** The old side's service must still desire and run at least this many tasks (warm for a fast rollback). */
    expectedDesiredCount: positiveInt,
    /** The deployment's verified backup: it must still be available. */
    snapshot: backupMetadataSchema,
    coordinatorRoleArn: v.pipe(v.string(), v.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN')),
    /** The actions the RollbackCoordinator's role needs for a rollback. */
    rollbackActions: v.pipe(v.array(iamActionSchema), v.minLength(1)),
    /**
     * The resources each action is simulated on, by action. An action not listed is simulated on `*`, which is right
     * only for actions without resource-level permissions: a statement scoped to ARNs does not match `*`.
     */
    rollbackResources: v.optional(record(iamActionSchema, v.pipe(v.array(nonEmptyString), v.minLength(1))), {}),
    /**
     * The condition keys each action's allow statements test (iam:PassedToService, kms:ViaService, aws:ResourceTag/…),
     * by action: without them a conditioned allow simulates as implicitDeny, reported as not proven.
     */
    rollbackContext: v.optional(
      record(iamActionSchema, v.pipe(v.array(simulationContextEntrySchema), v.minLength(1))),
      {},
    ),
    estimate: rollbackEstimateSettingsSchema,
  }),
  v.check(
    (request) => Object.keys(request.rollbackResources).every((a) => request.rollbackActions.includes(a)),
    'rollbackResources names an action that is not in rollbackActions',
  ),
  v.check(
    (request) => Object.keys(request.rollbackContext).every((a) => request.rollbackActions.includes(a)),
    'rollbackContext names an action that is not in rollbackActions',
  ),
);
export type RollbackDryRunRequest = v.InferOutput<typeof rollbackDryRunRequestSchema>;
export type RollbackDryRunRequestInput = v.InferInput<typeof rollbackDryRunRequestSchema>;

export const rollbackCheckNameSchema = v.picklist([
  'old-side-targets',
  'old-side-service',
  'listener-reapply',
  'listener-unchanged',
  'snapshot',
  'coordinator-permissions',
]);
export type RollbackCheckName = v.InferOutput<typeof rollbackCheckNameSchema>;

export const rollbackCheckSchema = strictObject({
  name: rollbackCheckNameSchema,
  ok: v.boolean(),
  evidence: v.string(),
});
export type RollbackCheck = v.InferOutput<typeof rollbackCheckSchema>;

/** The estimate's terms, so the report can show how the number came about. */
export const rollbackEstimateSchema = strictObject({
  modifyListenerSeconds: nonNegativeNumber,
  confirmationReads: positiveInt,
  describeListenersSeconds: nonNegativeNumber,
  confirmationWaitSeconds: nonNegativeNumber,
  rollbackVerifySeconds: nonNegativeNumber,
  tasks: positiveInt,
  taskOverheadSeconds: nonNegativeNumber,
  /** The sum of the terms, rounded up to whole seconds. */
  totalSeconds: nonNegativeInt,
});
export type RollbackEstimate = v.InferOutput<typeof rollbackEstimateSchema>;

/**
 * When the dry run read the listener and when its ModifyListener was accepted. A rollback written between the two is
 * overwritten by the re-applied read: the caller compares this with the rollback requests it knows of.
 */
export const listenerRewriteSchema = strictObject({ readAt: v.string(), acceptedAt: v.string() });
export type ListenerRewrite = v.InferOutput<typeof listenerRewriteSchema>;

export const rollbackDryRunResultSchema = strictObject({
  checkedAt: v.string(),
  /** Every check ok. */
  ready: v.boolean(),
  checks: v.array(rollbackCheckSchema),
  /** Null when the listener could not be read and re-written: no rollback could run, so there is nothing to time. */
  estimatedRollbackSeconds: v.nullable(nonNegativeInt),
  estimate: v.nullable(rollbackEstimateSchema),
  /** Null unless ModifyListener was accepted (see listenerRewriteSchema). */
  listenerRewrite: v.nullable(listenerRewriteSchema),
});
export type RollbackDryRunResult = v.InferOutput<typeof rollbackDryRunResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// How a check reads a failed AWS call

/** Names AWS services give a call the caller's role may not make (query protocols, JSON protocols, EC2-style). */
export const PERMISSION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
]);

export function isPermissionError(error: unknown): boolean {
  const name = errorName(error);
  return name !== undefined && PERMISSION_ERROR_NAMES.has(name);
}

/**
 * The evidence of a refused call (a permission error, or one of the `notFound` names) for a failed check; anything
 * else is rethrown as it is: throttling and server errors for the state machine's retry (the handler maps them to
 * TransientAwsError), the rest because they are bugs, not findings.
 */
export function refusalEvidence(error: unknown, notFound: readonly string[] = []): string {
  const name = errorName(error) ?? 'Error';
  if (isPermissionError(error)) return `not allowed: ${name}: ${errorMessage(error)}`;
  if (notFound.includes(name)) return `not found: ${name}: ${errorMessage(error)}`;
  throw error;
}
