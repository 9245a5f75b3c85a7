import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { type ListenerArnParts, parseListenerArn } from '../lambdas/shared/arns';
import { swapBreakSchema } from '../lambdas/shared/config/rollback-coordinator';
import { describeZodError } from '../lambdas/shared/validation';
import type { DeploymentCrewProps } from './deployment-crew-props';

/**
 * The `deploymentCrew` block of cdk.json context (or `-c deploymentCrew='{...}'`): plain JSON, durations in
 * seconds. Unknown keys are errors so that a misspelt setting does not silently fall back to its default.
 */
const httpCheckSchema = z.strictObject({
  name: z.string().min(1).max(64),
  url: z.url({ protocol: /^https?$/ }),
  expectedStatus: z.int().min(100).max(599).optional(),
  timeoutMs: z.int().min(100).max(30000).optional(),
});

export const contextConfigSchema = z.strictObject({
  stackName: z.string().min(1).default('DeploymentCrew'),
  listenerArn: z.string(),
  targetGroupArns: z.array(z.string()).length(2),
  database: z.union([
    z.strictObject({ instanceIdentifier: z.string().min(1) }),
    z.strictObject({ clusterIdentifier: z.string().min(1) }),
  ]),
  healthEndpoints: z.array(httpCheckSchema).min(1),
  externalDependencies: z.array(httpCheckSchema.extend({ critical: z.boolean().optional() })).default([]),
  healthCheckRetries: z.int().min(0).max(5).optional(),
  chairmanEmails: z.array(z.email()).min(1),
  approvers: z.array(z.string().min(1)).min(1),
  approvalTimeoutSeconds: z.int().positive().optional(),
  snapshotPollSeconds: z.int().positive().optional(),
  snapshotTimeoutSeconds: z.int().positive().optional(),
  eventBusName: z.string().min(1).optional(),
  ecs: z.strictObject({
    clusterName: z.string().min(1),
    services: z.array(z.strictObject({ targetGroupArn: z.string(), serviceName: z.string().min(1) })).length(2),
    taskDefinitionFamily: z.string().min(1),
    passRoleArns: z.array(z.string().startsWith('arn:')).min(1),
  }),
  databaseMaxConnections: z.int().positive(),
  databaseRestore: z.strictObject({
    subnetGroupName: z.string().min(1),
    parameterGroupNames: z.array(z.string().min(1)).min(1),
    optionGroupNames: z.array(z.string().min(1)).optional(),
    clusterParameterGroupNames: z.array(z.string().min(1)).optional(),
    kmsKeyArn: z.string().startsWith('arn:').optional(),
    fenceSecurityGroupId: z.string().startsWith('sg-').optional(),
    acknowledgedBreaks: z.array(swapBreakSchema).optional(),
    keepTemporaryCopyOnFailure: z.boolean().optional(),
    monitoringRoleArn: z.string().startsWith('arn:').optional(),
  }),
  migration: z
    .strictObject({ command: z.array(z.string().min(1)).min(1), timeoutSeconds: z.int().positive().optional() })
    .optional(),
  canary: z
    .strictObject({
      steps: z.array(z.int().min(1).max(100)).min(1).optional(),
      bakeSeconds: z.int().positive().optional(),
      inconclusiveAllowance: z.int().min(0).max(10).optional(),
      metricsMaxWaitSeconds: z.int().nonnegative().optional(),
    })
    .optional(),
  thresholds: z
    .strictObject({
      errorRatePercent: z.number().positive().optional(),
      errorRateBreachPeriods: z.int().positive().optional(),
      promoteErrorRatePercent: z.number().positive().optional(),
      p95LatencyMs: z.number().positive().optional(),
      dbConnectionsPercent: z.number().positive().max(100).optional(),
      loadBalancerErrorBaselinePercent: z.number().nonnegative().max(100).optional(),
    })
    .optional(),
  extraAlarmNames: z.array(z.string().min(1)).optional(),
  autoDatabaseRollback: z.boolean().optional(),
  scaleDownGreenAfterRollback: z.boolean().optional(),
  greenReadyTimeoutSeconds: z.int().positive().optional(),
  databaseRollbackApprovalTimeoutSeconds: z.int().positive().optional(),
  databaseRestoreTimeoutSeconds: z.int().positive().optional(),
});
export type ContextConfig = z.output<typeof contextConfigSchema>;

export interface AppConfig {
  readonly stackName: string;
  readonly env: { readonly account: string; readonly region: string };
  readonly crew: DeploymentCrewProps;
}

/** Turns the raw context value into stack settings; throws a message naming each wrong field. */
export function parseContextConfig(raw: unknown): AppConfig {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  if (value === undefined) throw new Error('cdk context "deploymentCrew" is missing: see README, Configuration');
  const parsed = contextConfigSchema.safeParse(value);
  if (!parsed.success) throw new Error(`cdk context "deploymentCrew" is invalid: ${describeZodError(parsed.error)}`);
  const config = parsed.data;
  const listener = listenerOf(config.listenerArn);
  const seconds = (value: number | undefined) => (value === undefined ? undefined : Duration.seconds(value));

  return {
    stackName: config.stackName,
    // The stack lives where the application's listener lives.
    env: { account: listener.account, region: listener.region },
    crew: {
      listenerArn: config.listenerArn,
      targetGroupArns: config.targetGroupArns,
      database: config.database,
      healthEndpoints: config.healthEndpoints,
      externalDependencies: config.externalDependencies,
      healthCheckRetries: config.healthCheckRetries,
      chairmanEmails: config.chairmanEmails,
      approvers: config.approvers,
      approvalTimeout: seconds(config.approvalTimeoutSeconds),
      snapshotPollInterval: seconds(config.snapshotPollSeconds),
      snapshotTimeout: seconds(config.snapshotTimeoutSeconds),
      eventBusName: config.eventBusName,
      ecs: config.ecs,
      databaseMaxConnections: config.databaseMaxConnections,
      databaseRestore: config.databaseRestore,
      migration:
        config.migration === undefined
          ? undefined
          : { command: config.migration.command, timeout: seconds(config.migration.timeoutSeconds) },
      canary:
        config.canary === undefined
          ? undefined
          : {
              steps: config.canary.steps,
              bakeTime: seconds(config.canary.bakeSeconds),
              inconclusiveAllowance: config.canary.inconclusiveAllowance,
              metricsMaxWait: seconds(config.canary.metricsMaxWaitSeconds),
            },
      thresholds: config.thresholds,
      extraAlarmNames: config.extraAlarmNames,
      autoDatabaseRollback: config.autoDatabaseRollback,
      scaleDownGreenAfterRollback: config.scaleDownGreenAfterRollback,
      greenReadyTimeout: seconds(config.greenReadyTimeoutSeconds),
      databaseRollbackApprovalTimeout: seconds(config.databaseRollbackApprovalTimeoutSeconds),
      databaseRestoreTimeout: seconds(config.databaseRestoreTimeoutSeconds),
    },
  };
}

/** The listener ARN is checked here, not by the schema, but its error names the field like the schema's do. */
function listenerOf(arn: string): ListenerArnParts {
  try {
    return parseListenerArn(arn);
  } catch (error) {
    throw new Error(`cdk context "deploymentCrew" is invalid: listenerArn: ${(error as Error).message}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`cdk context "deploymentCrew" is not valid JSON: ${(error as Error).message}`);
  }
}
