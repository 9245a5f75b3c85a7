import { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { parseListenerArn } from '../lambdas/shared/arns';
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
  approvalTimeoutSeconds: z.int().positive().optional(),
  snapshotPollSeconds: z.int().positive().optional(),
  snapshotTimeoutSeconds: z.int().positive().optional(),
  eventBusName: z.string().min(1).optional(),
});
export type ContextConfig = z.output<typeof contextConfigSchema>;

export interface AppConfig {
  readonly stackName: string;
  readonly env: { readonly account: string; readonly region: string };
  readonly crew: DeploymentCrewProps;
}

/** Turns the raw context value into stack settings; throws a message naming each wrong field. */
export function parseContextConfig(raw: unknown): AppConfig {
  const value = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (value === undefined) throw new Error('cdk context "deploymentCrew" is missing: see README, Configuration');
  const parsed = contextConfigSchema.safeParse(value);
  if (!parsed.success) throw new Error(`cdk context "deploymentCrew" is invalid: ${describeZodError(parsed.error)}`);
  const config = parsed.data;
  const listener = parseListenerArn(config.listenerArn);
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
      approvalTimeout: seconds(config.approvalTimeoutSeconds),
      snapshotPollInterval: seconds(config.snapshotPollSeconds),
      snapshotTimeout: seconds(config.snapshotTimeoutSeconds),
      eventBusName: config.eventBusName,
    },
  };
}
