import * as z from 'zod/mini';
import { backupMetadataSchema } from './contracts';
import { sidesSchema } from './cutover-contracts';
import { errorMessage, errorName } from './errors';
import { deferred, nonEmptyString, nonNegativeInt, nonNegativeNumber, positiveInt } from './validation';

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

export const monitoringCheckRequestSchema = deferred(() =>
  z.strictObject({
    /** The pipeline's alarms (metric or composite): each must exist, have actions enabled and not lack data. */
    alarmNames: z.array(nonEmptyString),
    dashboardName: nonEmptyString,
    /** The application's log groups: each must have received events within the window. */
    logGroupNames: z.array(nonEmptyString),
    logsRecentWithinMinutes: z._default(z.int().check(z.gte(MIN_LOGS_WINDOW_MINUTES)), MIN_LOGS_WINDOW_MINUTES),
  }),
);
export type MonitoringCheckRequest = z.output<typeof monitoringCheckRequestSchema>;
export type MonitoringCheckRequestInput = z.input<typeof monitoringCheckRequestSchema>;

export const monitoringCheckKindSchema = z.enum(['alarm', 'dashboard', 'log-group']);
export type MonitoringCheckKind = z.output<typeof monitoringCheckKindSchema>;

export const monitoringCheckSchema = deferred(() =>
  z.strictObject({
    kind: monitoringCheckKindSchema,
    name: z.string(),
    ok: z.boolean(),
    evidence: z.string(),
  }),
);
export type MonitoringCheck = z.output<typeof monitoringCheckSchema>;

export const monitoringCheckResultSchema = deferred(() =>
  z.strictObject({
    checkedAt: z.string(),
    /** Every check ok. Whether a failure fails the deployment or is recorded as a risk is the caller's choice. */
    ok: z.boolean(),
    checks: z.array(monitoringCheckSchema),
    /** In words, for the report: every failed check, and what is ok but worth knowing (an alarm in ALARM). */
    risks: z.array(z.string()),
  }),
);
export type MonitoringCheckResult = z.output<typeof monitoringCheckResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Rollback dry-run

/** IAM action names as policies write them: `elasticloadbalancing:ModifyListener`. */
const iamActionSchema = z.string().check(z.regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, 'an IAM action: <service>:<Action>'));

/** What the estimate takes from the state machine (see estimateRollbackSeconds in lambdas/tools/rollback-test). */
export const rollbackEstimateSettingsSchema = z.strictObject({
  /** The state machine's wait between RollbackTraffic and VerifyTrafficRollback (`$.settings.rollbackVerifySeconds`). */
  rollbackVerifySeconds: nonNegativeInt,
  /**
   * Per rollback task (RollbackTraffic, VerifyTrafficRollback): the state transition, the Lambda invocation and the
   * task's calls other than the listener's. A configured figure, not measured by the dry run.
   */
  taskOverheadSeconds: z._default(nonNegativeNumber, 2),
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
export const simulationContextEntrySchema = deferred(() =>
  z.strictObject({
    ContextKeyName: nonEmptyString,
    ContextKeyValues: z.array(z.string()).check(z.minLength(1)),
    ContextKeyType: contextKeyTypeSchema,
  }),
);
export type SimulationContextEntry = z.output<typeof simulationContextEntrySchema>;

export const rollbackDryRunRequestSchema = deferred(() =>
  z
    .strictObject({
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
      coordinatorRoleArn: z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN')),
      /** The actions the RollbackCoordinator's role needs for a rollback. */
      rollbackActions: z.array(iamActionSchema).check(z.minLength(1)),
      /**
       * The resources each action is simulated on, by action. An action not listed is simulated on `*`, which is right
       * only for actions without resource-level permissions: a statement scoped to ARNs does not match `*`.
       */
      rollbackResources: z._default(z.record(iamActionSchema, z.array(nonEmptyString).check(z.minLength(1))), {}),
      /**
       * The condition keys each action's allow statements test (iam:PassedToService, kms:ViaService, aws:ResourceTag/…),
       * by action: without them a conditioned allow simulates as implicitDeny, reported as not proven.
       */
      rollbackContext: z._default(
        z.record(iamActionSchema, z.array(simulationContextEntrySchema).check(z.minLength(1))),
        {},
      ),
      estimate: rollbackEstimateSettingsSchema,
    })
    .check(
      z.refine((request) => Object.keys(request.rollbackResources).every((a) => request.rollbackActions.includes(a)), {
        message: 'rollbackResources names an action that is not in rollbackActions',
      }),
      z.refine((request) => Object.keys(request.rollbackContext).every((a) => request.rollbackActions.includes(a)), {
        message: 'rollbackContext names an action that is not in rollbackActions',
      }),
    ),
);
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

export const rollbackCheckSchema = deferred(() =>
  z.strictObject({
    name: rollbackCheckNameSchema,
    ok: z.boolean(),
    evidence: z.string(),
  }),
);
export type RollbackCheck = z.output<typeof rollbackCheckSchema>;

/** The estimate's terms, so the report can show how the number came about. */
export const rollbackEstimateSchema = z.strictObject({
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
export type RollbackEstimate = z.output<typeof rollbackEstimateSchema>;

/**
 * When the dry run read the listener and when its ModifyListener was accepted. A rollback written between the two is
 * overwritten by the re-applied read: the caller compares this with the rollback requests it knows of.
 */
export const listenerRewriteSchema = deferred(() => z.strictObject({ readAt: z.string(), acceptedAt: z.string() }));
export type ListenerRewrite = z.output<typeof listenerRewriteSchema>;

export const rollbackDryRunResultSchema = deferred(() =>
  z.strictObject({
    checkedAt: z.string(),
    /** Every check ok. */
    ready: z.boolean(),
    checks: z.array(rollbackCheckSchema),
    /** Null when the listener could not be read and re-written: no rollback could run, so there is nothing to time. */
    estimatedRollbackSeconds: z.nullable(nonNegativeInt),
    estimate: z.nullable(rollbackEstimateSchema),
    /** Null unless ModifyListener was accepted (see listenerRewriteSchema). */
    listenerRewrite: z.nullable(listenerRewriteSchema),
  }),
);
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
