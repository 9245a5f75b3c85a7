import { z } from 'zod';
import { canaryThresholdsSchema, sideSchema } from '../shared/cutover-contracts';

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
  database: z.strictObject({ kind: z.enum(['instance', 'cluster']), identifier: z.string() }),
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
