import { z } from 'zod';
import { canaryThresholdsSchema, sideSchema } from '../cutover-contracts';
import { databaseConfigSchema } from './database';
import { jsonEnvironmentVariable } from './environment';

/** The orchestrator's configuration, one JSON env var (ORCHESTRATOR_CONFIG) built by the construct. */
export const orchestratorConfigSchema = z.strictObject({
  listenerArn: z.string(),
  /** The two sides as configured; which is live is read from the listener. */
  sides: z.array(sideSchema).length(2),
  clusterName: z.string(),
  taskDefinitionFamily: z.string(),
  /** Null when the stack has no migration (schema changes are then refused at intake). */
  migrationCommand: z.array(z.string()).min(1).nullable(),
  thresholds: canaryThresholdsSchema,
  inconclusiveAllowance: z.int().nonnegative(),
  database: databaseConfigSchema,
  dbMaxConnections: z.int().positive(),
  /** Alarms that judge green: per target group (the group's own alarms), plus shared ones (database, extra). */
  alarms: z.strictObject({
    byTargetGroup: z.record(z.string(), z.array(z.string())),
    shared: z.array(z.string()),
  }),
  /** ALB metrics arrive with a delay: the verdict's window ends this long before "now". */
  metricsLagSeconds: z.int().nonnegative(),
  tableName: z.string(),
  lockKey: z.string(),
});
export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>;

/** `ORCHESTRATOR_CONFIG`: written by the stack, read by the BlueGreenOrchestrator on its cold start. */
export const ORCHESTRATOR_CONFIG = jsonEnvironmentVariable('ORCHESTRATOR_CONFIG', orchestratorConfigSchema);
