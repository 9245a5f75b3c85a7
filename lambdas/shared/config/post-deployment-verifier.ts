import * as v from 'valibot';
import { parseListenerArn } from '../arns';
import { canaryThresholdsSchema } from '../cutover-contracts';
import { smokeSuiteSchema } from '../smoke-suite';
import { httpUrl, issuePath, nonEmptyString, nonNegativeInt, positiveInt, record, strictObject } from '../validation';
import { MIN_LOGS_WINDOW_MINUTES, simulationContextEntrySchema } from '../verification';
import { compressedJsonEnvironmentVariable } from './environment';

/**
 * The PostDeploymentVerifier's configuration, one JSON env var (POST_DEPLOYMENT_VERIFIER_CONFIG) built by its
 * construct. ARNs and names the stack only knows as tokens (the table, the coordinator's role) are plain strings
 * here: the tools check their shape when they run.
 */

/** What a failed monitoring check means: fail the deployment, or let it succeed with the gaps recorded as risks. */
export const onMissingMonitoringSchema = v.picklist(['fail', 'record-risk']);
export type OnMissingMonitoring = v.InferOutput<typeof onMissingMonitoringSchema>;

const verifierConfigObjectSchema = strictObject({
  /** The smoke suite, run against the test listener before traffic and against production after 100 %. */
  suite: smokeSuiteSchema,
  /** Production's base URL (scheme, host, port). */
  productionUrl: httpUrl,
  /** A second listener that forwards to green only; null: no pre-traffic smoke. */
  testListenerUrl: v.optional(v.nullable(httpUrl), null),
  /** Sent with every pre-traffic step (e.g. a header a listener rule pins to green). */
  extraHeaders: v.optional(record(v.string(), v.string()), {}),
  monitoring: strictObject({
    /** The pipeline's alarms: each must exist, have actions enabled and not lack data. */
    alarmNames: v.array(nonEmptyString),
    dashboardName: nonEmptyString,
    /** The application's log groups: each must have received events within the window. */
    logGroupNames: v.optional(v.array(nonEmptyString), []),
    logsRecentWithinMinutes: v.optional(
      v.pipe(v.number(), v.safeInteger(), v.minValue(MIN_LOGS_WINDOW_MINUTES)),
      MIN_LOGS_WINDOW_MINUTES,
    ),
    onMissing: v.optional(onMissingMonitoringSchema, 'fail'),
  }),
  dryRun: strictObject({
    /** The ECS cluster of both services. */
    clusterName: nonEmptyString,
    /** The RollbackCoordinator's role (a token at synth: the tool checks the ARN's shape). */
    coordinatorRoleArn: nonEmptyString,
    /** What the coordinator calls in a rollback, simulated on its role; the actions of rollbackResources are added. */
    rollbackActions: v.pipe(v.array(nonEmptyString), v.minLength(1)),
    /**
     * Per action, the resources it is simulated on (an action not listed is simulated on `*`). Actions with the same
     * resources may share one key, comma-separated (`rds:DescribeDBInstances,rds:ModifyDBInstance`): Lambda's 4 KB of
     * environment is tight, and action names hold no comma. A resource without `arn:` is in the listener's partition,
     * region and account: `rds:db:shop` is `arn:<partition>:rds:<region>:<account>:db:shop`.
     */
    rollbackResources: v.pipe(
      v.optional(record(v.string(), v.pipe(v.array(nonEmptyString), v.minLength(1))), {}),
      v.transform((byKey) =>
        Object.fromEntries(
          Object.entries(byKey).flatMap(([key, resources]) => key.split(',').map((action) => [action, resources])),
        ),
      ),
    ),
    /** Per action, the condition keys its simulation is given (see rollbackContext in the dry-run request). */
    rollbackContext: v.optional(record(v.string(), v.pipe(v.array(simulationContextEntrySchema), v.minLength(1))), {}),
    minHealthyTargets: positiveInt,
    expectedDesiredCount: positiveInt,
    /** The state machine's wait between the traffic rollback and its verification, for the estimate. */
    rollbackVerifySeconds: nonNegativeInt,
  }),
  /** The prober: its timing, the failure rule, and the alarm listener it reports "green is down" to. */
  probe: strictObject({
    /** Milliseconds between the starts of two probe rounds. */
    intervalMs: v.pipe(v.number(), v.safeInteger(), v.minValue(1_000)),
    rule: strictObject({
      /** Consecutive failed rounds that take green off traffic. */
      failures: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10)),
      /** The detection goal the timing was checked against at synth. */
      withinMs: positiveInt,
    }),
    /** The alarm listener (RollbackTrigger) function: a token at synth, a name when the function reads it. */
    rollbackTriggerFunctionName: nonEmptyString,
  }),
  /** Where the deployment report goes (the report store's settings) and what it links to. */
  report: strictObject({
    bucketName: nonEmptyString,
    region: nonEmptyString,
    /** SSE-KMS with the bucket's key; without it SSE-S3. */
    kmsKeyArn: v.optional(nonEmptyString),
    /** URLs carry the stack's region, a token in an environment-agnostic stack: checked as https only. */
    dashboards: v.array(strictObject({ name: nonEmptyString, url: v.pipe(v.string(), v.startsWith('https://')) })),
  }),
  /**
   * The stack's canary thresholds, as the orchestrator and the alarms have them: the report records them as what the
   * verdicts were judged against, and its chart draws them.
   */
  thresholds: canaryThresholdsSchema,
  listenerArn: nonEmptyString,
  tableName: nonEmptyString,
  lockKey: nonEmptyString,
});
export const postDeploymentVerifierConfigSchema = v.pipe(
  verifierConfigObjectSchema,
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return expandRollbackGrants(dataset.value);
    } catch (error) {
      addIssue({
        message: error instanceof Error ? error.message : String(error),
        path: issuePath(dataset.value, ['listenerArn']),
      });
      return NEVER;
    }
  }),
);
export type PostDeploymentVerifierConfig = v.InferOutput<typeof postDeploymentVerifierConfigSchema>;
export type PostDeploymentVerifierConfigInput = v.InferInput<typeof postDeploymentVerifierConfigSchema>;

/** `POST_DEPLOYMENT_VERIFIER_CONFIG`: written by the stack, read by the PostDeploymentVerifier on its cold start. */
export const POST_DEPLOYMENT_VERIFIER_CONFIG = compressedJsonEnvironmentVariable(
  'POST_DEPLOYMENT_VERIFIER_CONFIG',
  postDeploymentVerifierConfigSchema,
);

/**
 * The compact dry run as written by the stack (see rollbackResources), read back with full ARNs and every action.
 * Throws when a relative resource needs the listener's account and the listener ARN cannot be read.
 */
function expandRollbackGrants<Config extends { listenerArn: string; dryRun: DryRunGrants }>(config: Config): Config {
  const { rollbackActions, rollbackResources } = config.dryRun;
  const relative = Object.values(rollbackResources).some((resources) => resources.some((r) => isRelative(r)));
  let where: { partition: string; region: string; account: string } | undefined;
  if (relative) where = parseListenerArn(config.listenerArn);
  const absolute = (resource: string): string => {
    if (!isRelative(resource) || where === undefined) return resource;
    const [service, ...rest] = resource.split(':');
    return `arn:${where.partition}:${service}:${where.region}:${where.account}:${rest.join(':')}`;
  };
  return {
    ...config,
    dryRun: {
      ...config.dryRun,
      rollbackActions: [...new Set([...rollbackActions, ...Object.keys(rollbackResources)])],
      rollbackResources: Object.fromEntries(
        Object.entries(rollbackResources).map(([action, resources]) => [action, resources.map(absolute)]),
      ),
    },
  };
}

interface DryRunGrants {
  readonly rollbackActions: string[];
  readonly rollbackResources: Record<string, string[]>;
}

function isRelative(resource: string): boolean {
  return resource !== '*' && !resource.startsWith('arn:');
}
