import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { z } from 'zod';
import { type ListenerArnParts, parseListenerArn } from '../lambdas/shared/arns';
import { onMissingMonitoringSchema } from '../lambdas/shared/config/post-deployment-verifier';
import { swapBreakSchema } from '../lambdas/shared/config/rollback-coordinator';
import { smokeSuiteSchema } from '../lambdas/shared/smoke-suite';
import { describeZodError } from '../lambdas/shared/validation';
import type { DeploymentCrewProps, PostDeploymentSettings, VerifierVpcPlacement } from './deployment-crew-props';

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

/**
 * Where the verifier runs for an internal load balancer, by ID: imported without lookups (the synth stays offline).
 * The stack turns it into constructs (vpcPlacementFrom): parsing has no scope to create them in.
 */
export const vpcPlacementSchema = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC ID (vpc-…)'),
  availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone name')).min(1),
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet ID (subnet-…)')).min(1),
  securityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group ID (sg-…)'))
    .min(1)
    .optional(),
});
export type VpcPlacement = z.output<typeof vpcPlacementSchema>;

const postDeploymentSchema = z.strictObject({
  smokeSuite: smokeSuiteSchema,
  productionUrl: z.url({ protocol: /^https?$/ }),
  testListenerUrl: z.url({ protocol: /^https?$/ }).optional(),
  greenHeaders: z.record(z.string(), z.string()).optional(),
  logGroupNames: z.array(z.string().min(1)).optional(),
  logsRecentWithinSeconds: z.int().positive().optional(),
  onMissingMonitoring: z.optional(onMissingMonitoringSchema),
  minHealthyTargets: z.int().positive().optional(),
  expectedDesiredCount: z.int().positive().optional(),
  secretsKmsKeyArns: z.array(z.string().startsWith('arn:')).optional(),
  probes: z
    .strictObject({
      intervalSeconds: z.number().positive().optional(),
      failuresToRollback: z.int().min(1).max(10).optional(),
      detectWithinSeconds: z.number().positive().optional(),
    })
    .optional(),
  vpc: vpcPlacementSchema.optional(),
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
  postDeployment: postDeploymentSchema,
  blueRetentionSeconds: z.int().positive().optional(),
  /** Checked further by the construct (lib/release-start-rules.ts), whose errors name these fields too. */
  releaseStart: z
    .strictObject({
      source: z.string().min(1).optional(),
      eventBusName: z.string().min(1).optional(),
      ecrPush: z
        .strictObject({
          repositoryName: z.string().min(1),
          tagPattern: z.string().min(1),
          schemaChange: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type ContextConfig = z.output<typeof contextConfigSchema>;

export interface AppConfig {
  readonly stackName: string;
  readonly env: { readonly account: string; readonly region: string };
  /** The construct's props, but `postDeployment.vpc`: constructs need a scope (see `vpcPlacement`). */
  readonly crew: DeploymentCrewProps;
  /** `postDeployment.vpc` as given; the stack makes it `crew.postDeployment.vpc` (vpcPlacementFrom). */
  readonly vpcPlacement: VpcPlacement | undefined;
}

/** Turns the raw context value into stack settings; throws a message naming each wrong field. */
export function parseContextConfig(raw: unknown): AppConfig {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  if (value === undefined) throw new Error('cdk context "deploymentCrew" is missing: see README, Configuration');
  const parsed = contextConfigSchema.safeParse(value);
  if (!parsed.success) throw new Error(`cdk context "deploymentCrew" is invalid: ${describeZodError(parsed.error)}`);
  const config = parsed.data;
  const listener = listenerOf(config.listenerArn);
  const zones = config.postDeployment.vpc?.availabilityZones ?? [];
  const strayZone = zones.find((zone) => !zone.startsWith(listener.region));
  if (strayZone !== undefined) {
    throw new Error(
      `cdk context "deploymentCrew" is invalid: postDeployment.vpc.availabilityZones: ${strayZone} is not in the ` +
        `listener's region ${listener.region}`,
    );
  }
  // The suite as written (the function's environment carries it, and defaults cost bytes); the schema checked it.
  const written = value as z.input<typeof contextConfigSchema>;
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
      postDeployment: postDeploymentProps(config.postDeployment, written.postDeployment.smokeSuite),
      blueRetention: seconds(config.blueRetentionSeconds),
      releaseStart: config.releaseStart,
    },
    vpcPlacement: config.postDeployment.vpc,
  };
}

function postDeploymentProps(
  config: ContextConfig['postDeployment'],
  smokeSuite: PostDeploymentSettings['smokeSuite'],
): PostDeploymentSettings {
  const seconds = (value: number | undefined) => (value === undefined ? undefined : Duration.seconds(value));
  return {
    smokeSuite,
    productionUrl: config.productionUrl,
    testListenerUrl: config.testListenerUrl,
    greenHeaders: config.greenHeaders,
    logGroupNames: config.logGroupNames,
    logsRecentWithin: seconds(config.logsRecentWithinSeconds),
    onMissingMonitoring: config.onMissingMonitoring,
    minHealthyTargets: config.minHealthyTargets,
    expectedDesiredCount: config.expectedDesiredCount,
    secretsKmsKeyArns: config.secretsKmsKeyArns,
    probes:
      config.probes === undefined
        ? undefined
        : {
            interval: seconds(config.probes.intervalSeconds),
            failuresToRollback: config.probes.failuresToRollback,
            detectWithin: seconds(config.probes.detectWithinSeconds),
          },
  };
}

/**
 * The verifier's VPC placement as constructs in `scope`, imported by ID (no lookup, no change to them): the
 * application's security groups are imported immutable, so the stack never adds rules to them.
 */
export function vpcPlacementFrom(scope: Construct, placement: VpcPlacement): VerifierVpcPlacement {
  const imports = new Construct(scope, 'VerifierVpcPlacement');
  return {
    vpc: ec2.Vpc.fromVpcAttributes(imports, 'Vpc', {
      vpcId: placement.vpcId,
      availabilityZones: placement.availabilityZones,
    }),
    subnets: { subnets: placement.subnetIds.map((id) => ec2.Subnet.fromSubnetId(imports, id, id)) },
    securityGroups: placement.securityGroupIds?.map((id) =>
      ec2.SecurityGroup.fromSecurityGroupId(imports, id, id, { mutable: false }),
    ),
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
