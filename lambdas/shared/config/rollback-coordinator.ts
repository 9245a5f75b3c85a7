import * as z from 'zod/mini';
import { nonEmptyString, nonNegativeInt, positiveInt } from '../validation';
import { databaseConfigSchema } from './database';
import { jsonEnvironmentVariable } from './environment';

/**
 * What a database rollback's swap silently breaks: read replicas stay on the preserved copy, RDS Proxy targets and
 * Aurora custom endpoints keep pointing at it, and IAM database authentication policies name the old DbiResourceId.
 * The restore refuses each one unless the configuration acknowledges it by name.
 */
export const swapBreakSchema = z.enum(['READ_REPLICAS', 'RDS_PROXY', 'CUSTOM_ENDPOINTS', 'IAM_DB_AUTH']);
export type SwapBreak = z.output<typeof swapBreakSchema>;

/** How a database rollback runs: the fence, what it may break, what it keeps, which key and role it may use. */
/**
 * Restore steps kept, beyond the configured restore timeout, for the fence, the two renames and, should they fail,
 * putting production back (each RDS rename takes minutes): the fence never starts without them.
 */
export const RESTORE_SWAP_RESERVE_POLLS = 30;

export const restoreSettingsSchema = z.strictObject({
  /** A security group with no ingress, put on production before the renames; none: the rollback is refused. */
  fenceSecurityGroupId: z.optional(z.string()),
  acknowledgedBreaks: z.array(swapBreakSchema),
  /** A restored copy that failed before the swap is kept for inspection instead of deleted. */
  keepTemporaryCopyOnFailure: z.boolean(),
  /** The KMS key the snapshot must be encrypted with (the role is granted exactly this one). */
  kmsKeyArn: z.optional(z.string()),
  /** The Enhanced Monitoring role the restored copy may be given (iam:PassRole is granted on it only). */
  monitoringRoleArn: z.optional(z.string()),
  /** Snapshots this stack made start with this; no other snapshot is restored. */
  snapshotPrefix: z.string(),
  /** The last restore step at which production may be fenced; the RESTORE_SWAP_RESERVE_POLLS after it are the swap's. */
  lastFencePoll: positiveInt,
});
export type RestoreSettings = z.output<typeof restoreSettingsSchema>;

/** The coordinator's configuration, one JSON env var (COORDINATOR_CONFIG) built by the construct. */
export const coordinatorConfigSchema = z.strictObject({
  listenerArn: z.string(),
  clusterName: z.string(),
  database: databaseConfigSchema,
  autoDatabaseRollback: z.boolean(),
  /** The live side's error rate must be back under this after a traffic rollback. */
  errorRatePercent: z.number().check(z.positive()),
  /** The database groups a restore may use (its role is scoped to exactly these). */
  allowedRestoreResources: z.strictObject({
    subnetGroups: z.array(z.string()),
    parameterGroups: z.array(z.string()),
    optionGroups: z.array(z.string()),
    clusterParameterGroups: z.array(z.string()),
  }),
  restore: restoreSettingsSchema,
  metricsLagSeconds: nonNegativeInt,
  /** Length of the window over which the live side's errors are checked after a traffic rollback. */
  verifyWindowSeconds: positiveInt,
  tableName: z.string(),
  lockKey: z.string(),
  region: z.string(),
  /** The bus the rollback's events go to (docs/deployment-events.md). */
  eventBusName: nonEmptyString,
});
export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;

/** `COORDINATOR_CONFIG`: written by the stack, read by the RollbackCoordinator on its cold start. */
export const COORDINATOR_CONFIG = jsonEnvironmentVariable('COORDINATOR_CONFIG', coordinatorConfigSchema);
