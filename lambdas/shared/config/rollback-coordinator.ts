import * as v from 'valibot';
import { nonEmptyString, nonNegativeInt, positiveInt, strictObject } from '../validation';
import { databaseConfigSchema } from './database';
import { jsonEnvironmentVariable } from './environment';

/**
 * What a database rollback's swap silently breaks: read replicas stay on the preserved copy, RDS Proxy targets and
 * Aurora custom endpoints keep pointing at it, and IAM database authentication policies name the old DbiResourceId.
 * The restore refuses each one unless the configuration acknowledges it by name.
 */
export const swapBreakSchema = v.picklist(['READ_REPLICAS', 'RDS_PROXY', 'CUSTOM_ENDPOINTS', 'IAM_DB_AUTH']);
export type SwapBreak = v.InferOutput<typeof swapBreakSchema>;

/** How a database rollback runs: the fence, what it may break, what it keeps, which key and role it may use. */
/**
 * Restore steps kept, beyond the configured restore timeout, for the fence, the two renames and, should they fail,
 * putting production back (each RDS rename takes minutes): the fence never starts without them.
 */
export const RESTORE_SWAP_RESERVE_POLLS = 30;

export const restoreSettingsSchema = strictObject({
  /** A security group with no ingress, put on production before the renames; none: the rollback is refused. */
  fenceSecurityGroupId: v.optional(v.string()),
  acknowledgedBreaks: v.array(swapBreakSchema),
  /** A restored copy that failed before the swap is kept for inspection instead of deleted. */
  keepTemporaryCopyOnFailure: v.boolean(),
  /** The KMS key the snapshot must be encrypted with (the role is granted exactly this one). */
  kmsKeyArn: v.optional(v.string()),
  /** The Enhanced Monitoring role the restored copy may be given (iam:PassRole is granted on it only). */
  monitoringRoleArn: v.optional(v.string()),
  /** Snapshots this stack made start with this; no other snapshot is restored. */
  snapshotPrefix: v.string(),
  /** The last restore step at which production may be fenced; the RESTORE_SWAP_RESERVE_POLLS after it are the swap's. */
  lastFencePoll: positiveInt,
});
export type RestoreSettings = v.InferOutput<typeof restoreSettingsSchema>;

/** The coordinator's configuration, one JSON env var (COORDINATOR_CONFIG) built by the construct. */
export const coordinatorConfigSchema = strictObject({
  listenerArn: v.string(),
  clusterName: v.string(),
  database: databaseConfigSchema,
  autoDatabaseRollback: v.boolean(),
  /** The live side's error rate must be back under this after a traffic rollback. */
  errorRatePercent: v.pipe(v.number(), v.finite(), v.gtValue(0)),
  /** The database groups a restore may use (its role is scoped to exactly these). */
  allowedRestoreResources: strictObject({
    subnetGroups: v.array(v.string()),
    parameterGroups: v.array(v.string()),
    optionGroups: v.array(v.string()),
    clusterParameterGroups: v.array(v.string()),
  }),
  restore: restoreSettingsSchema,
  metricsLagSeconds: nonNegativeInt,
  /** Length of the window over which the live side's errors are checked after a traffic rollback. */
  verifyWindowSeconds: positiveInt,
  tableName: v.string(),
  lockKey: v.string(),
  region: v.string(),
  /** The bus the rollback's events go to (docs/deployment-events.md). */
  eventBusName: nonEmptyString,
});
export type CoordinatorConfig = v.InferOutput<typeof coordinatorConfigSchema>;

/** `COORDINATOR_CONFIG`: written by the stack, read by the RollbackCoordinator on its cold start. */
export const COORDINATOR_CONFIG = jsonEnvironmentVariable('COORDINATOR_CONFIG', coordinatorConfigSchema);
