import { z } from 'zod';
import { databaseConfigSchema } from './database';
import { jsonEnvironmentVariable } from './environment';

/** The coordinator's configuration, one JSON env var (COORDINATOR_CONFIG) built by the construct. */
export const coordinatorConfigSchema = z.strictObject({
  listenerArn: z.string(),
  clusterName: z.string(),
  database: databaseConfigSchema,
  autoDatabaseRollback: z.boolean(),
  /** The live side's error rate must be back under this after a traffic rollback. */
  errorRatePercent: z.number().positive(),
  /** The database groups a restore may use (its role is scoped to exactly these). */
  allowedRestoreResources: z.strictObject({
    subnetGroups: z.array(z.string()),
    parameterGroups: z.array(z.string()),
    optionGroups: z.array(z.string()),
    clusterParameterGroups: z.array(z.string()),
  }),
  metricsLagSeconds: z.int().nonnegative(),
  /** Length of the window over which the live side's errors are checked after a traffic rollback. */
  verifyWindowSeconds: z.int().positive(),
  tableName: z.string(),
  lockKey: z.string(),
  region: z.string(),
});
export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;

/** `COORDINATOR_CONFIG`: written by the stack, read by the RollbackCoordinator on its cold start. */
export const COORDINATOR_CONFIG = jsonEnvironmentVariable('COORDINATOR_CONFIG', coordinatorConfigSchema);
