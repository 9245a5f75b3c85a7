import { z } from 'zod';
import { backupMetadataSchema } from './contracts';
import { sidesSchema } from './cutover-contracts';
import { errorMessage, errorName } from './errors';

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

export const monitoringCheckRequestSchema = z.strictObject({
  /** The pipeline's alarms (metric or composite): each must exist, have actions enabled and not lack data. */
  alarmNames: z.array(z.string().min(1)),
  dashboardName: z.string().min(1),
  /** The application's log groups: each must have received events within the window. */
  logGroupNames: z.array(z.string().min(1)),
  logsRecentWithinMinutes: z.int().min(MIN_LOGS_WINDOW_MINUTES).default(MIN_LOGS_WINDOW_MINUTES),
});
export type MonitoringCheckRequest = z.output<typeof monitoringCheckRequestSchema>;
export type MonitoringCheckRequestInput = z.input<typeof monitoringCheckRequestSchema>;

export const monitoringCheckKindSchema = z.enum(['alarm', 'dashboard', 'log-group']);
export type MonitoringCheckKind = z.output<typeof monitoringCheckKindSchema>;

export const monitoringCheckSchema = z.strictObject({
  kind: monitoringCheckKindSchema,
  name: z.string(),
  ok: z.boolean(),
  evidence: z.string(),
});
export type MonitoringCheck = z.output<typeof monitoringCheckSchema>;

export const monitoringCheckResultSchema = z.strictObject({
  checkedAt: z.string(),
  /** Every check ok. Whether a failure fails the deployment or is recorded as a risk is the caller's choice. */
  ok: z.boolean(),
  checks: z.array(monitoringCheckSchema),
  /** In words, for the report: every failed check, and what is ok but worth knowing (an alarm in ALARM). */
  risks: z.array(z.string()),
});
export type MonitoringCheckResult = z.output<typeof monitoringCheckResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Rollback dry-run

/** IAM action names as policies write them: `elasticloadbalancing:ModifyListener`. */
const iamActionSchema = z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, 'an IAM action: <service>:<Action>');

/** What the estimate takes from the state machine (see estimateRollbackSeconds in lambdas/tools/rollback-test). */
export const rollbackEstimateSettingsSchema = z.strictObject({
  /** The state machine's wait between RollbackTraffic and VerifyTrafficRollback (`$.settings.rollbackVerifySeconds`). */
  rollbackVerifySeconds: z.int().nonnegative(),
  /**
   * Per rollback task (RollbackTraffic, VerifyTrafficRollback): the state transition, the Lambda invocation and the
   * task's calls other than the listener's. A configured figure, not measured by the dry run.
   */
  taskOverheadSeconds: z.number().nonnegative().default(2),
});
export type RollbackEstimateSettings = z.output<typeof rollbackEstimateSettingsSchema>;

/** The IAM simulator's ContextKeyType values (ContextEntry, IAM API reference). */
export const contextKeyTypeSchema = z.enum([
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
export const simulationContextEntrySchema = z.strictObject({
  ContextKeyName: z.string().min(1),
  ContextKeyValues: z.array(z.string()).min(1),
  ContextKeyType: contextKeyTypeSchema,
});
export type SimulationContextEntry = z.output<typeof simulationContextEntrySchema>;

export const rollbackDryRunRequestSchema = z
  .strictObject({
    listenerArn: z.string().min(1),
    /** As resolved before the cutover: `live` is the side a rollback returns to (at 0 % after promotion). */
    sides: sidesSchema,
    /** The ECS cluster of both services. */
    clusterName: z.string().min(1),
    /** The old side's target group must have at least this many healthy targets. */
    minHealthyTargets: z.int().positive(),
    /** The old side's service must still desire and run at least this many tasks (warm for a fast rollback). */
    expectedDesiredCount: z.int().positive(),
    /** The deployment's verified backup: it must still be available. */
    snapshot: backupMetadataSchema,
    coordinatorRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN'),
    /** The actions the RollbackCoordinator's role needs for a rollback. */
    rollbackActions: z.array(iamActionSchema).min(1),
    /**
     * The resources each action is simulated on, by action. An action not listed is simulated on `*`, which is right
     * only for actions without resource-level permissions: a statement scoped to ARNs does not match `*`.
     */
    rollbackResources: z.record(iamActionSchema, z.array(z.string().min(1)).min(1)).default({}),
    /**
     * The condition keys each action's allow statements test (iam:PassedToService, kms:ViaService, aws:ResourceTag/…),
     * by action: without them a conditioned allow simulates as implicitDeny, reported as not proven.
     */
    rollbackContext: z.record(iamActionSchema, z.array(simulationContextEntrySchema).min(1)).default({}),
    estimate: rollbackEstimateSettingsSchema,
  })
  .refine((request) => Object.keys(request.rollbackResources).every((a) => request.rollbackActions.includes(a)), {
    message: 'rollbackResources names an action that is not in rollbackActions',
  })
  .refine((request) => Object.keys(request.rollbackContext).every((a) => request.rollbackActions.includes(a)), {
    message: 'rollbackContext names an action that is not in rollbackActions',
  });
export type RollbackDryRunRequest = z.output<typeof rollbackDryRunRequestSchema>;
export type RollbackDryRunRequestInput = z.input<typeof rollbackDryRunRequestSchema>;

export const rollbackCheckNameSchema = z.enum([
  'old-side-targets',
  'old-side-service',
  'listener-reapply',
  'listener-unchanged',
  'snapshot',
  'coordinator-permissions',
]);
export type RollbackCheckName = z.output<typeof rollbackCheckNameSchema>;

export const rollbackCheckSchema = z.strictObject({
  name: rollbackCheckNameSchema,
  ok: z.boolean(),
  evidence: z.string(),
});
export type RollbackCheck = z.output<typeof rollbackCheckSchema>;

/** The estimate's terms, so the report can show how the number came about. */
export const rollbackEstimateSchema = z.strictObject({
  modifyListenerSeconds: z.number().nonnegative(),
  confirmationReads: z.int().positive(),
  describeListenersSeconds: z.number().nonnegative(),
  confirmationWaitSeconds: z.number().nonnegative(),
  rollbackVerifySeconds: z.number().nonnegative(),
  tasks: z.int().positive(),
  taskOverheadSeconds: z.number().nonnegative(),
  /** The sum of the terms, rounded up to whole seconds. */
  totalSeconds: z.int().nonnegative(),
});
export type RollbackEstimate = z.output<typeof rollbackEstimateSchema>;

/**
 * When the dry run read the listener and when its ModifyListener was accepted. A rollback written between the two is
 * overwritten by the re-applied read: the caller compares this with the rollback requests it knows of.
 */
export const listenerRewriteSchema = z.strictObject({ readAt: z.string(), acceptedAt: z.string() });
export type ListenerRewrite = z.output<typeof listenerRewriteSchema>;

export const rollbackDryRunResultSchema = z.strictObject({
  checkedAt: z.string(),
  /** Every check ok. */
  ready: z.boolean(),
  checks: z.array(rollbackCheckSchema),
  /** Null when the listener could not be read and re-written: no rollback could run, so there is nothing to time. */
  estimatedRollbackSeconds: z.int().nonnegative().nullable(),
  estimate: rollbackEstimateSchema.nullable(),
  /** Null unless ModifyListener was accepted (see listenerRewriteSchema). */
  listenerRewrite: listenerRewriteSchema.nullable(),
});
export type RollbackDryRunResult = z.output<typeof rollbackDryRunResultSchema>;

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
