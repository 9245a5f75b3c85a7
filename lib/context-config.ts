import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import * as v from 'valibot';
import { type ListenerArnParts, parseListenerArn } from '../lambdas/shared/arns';
import { onMissingMonitoringSchema } from '../lambdas/shared/config/post-deployment-verifier';
import { swapBreakSchema } from '../lambdas/shared/config/rollback-coordinator';
import { smokeSuiteSchema } from '../lambdas/shared/smoke-suite';
import {
  describeIssues,
  httpUrl,
  nonNegativeInt,
  positiveInt,
  record,
  strictObject,
} from '../lambdas/shared/validation';
import type { DeploymentCrewProps, PostDeploymentSettings, VerifierVpcPlacement } from './deployment-crew-props';

/**
 * The `deploymentCrew` block of cdk.json context (or `-c deploymentCrew='{...}'`): plain JSON, durations in
 * seconds. Unknown keys are errors so that a misspelt setting does not silently fall back to its default.
 */
const httpCheckSchema = strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  url: httpUrl,
  expectedStatus: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(599))),
  timeoutMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(30000))),
});

/**
 * Where the verifier runs for an internal load balancer, by ID: imported without lookups (the synth stays offline).
 * The stack turns it into constructs (vpcPlacementFrom): parsing has no scope to create them in.
 */
export const vpcPlacementSchema = strictObject({
  vpcId: v.pipe(v.string(), v.regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC ID (vpc-…)')),
  availabilityZones: v.pipe(
    v.array(v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone name'))),
    v.minLength(1),
  ),
  subnetIds: v.pipe(
    v.array(v.pipe(v.string(), v.regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet ID (subnet-…)'))),
    v.minLength(1),
  ),
  securityGroupIds: v.optional(
    v.pipe(v.array(v.pipe(v.string(), v.regex(/^sg-[0-9a-f]{8,17}$/, 'a security group ID (sg-…)'))), v.minLength(1)),
  ),
});
export type VpcPlacement = v.InferOutput<typeof vpcPlacementSchema>;

const postDeploymentSchema = strictObject({
  smokeSuite: smokeSuiteSchema,
  productionUrl: httpUrl,
  testListenerUrl: v.optional(httpUrl),
  greenHeaders: v.optional(record(v.string(), v.string())),
  logGroupNames: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  logsRecentWithinSeconds: v.optional(positiveInt),
  onMissingMonitoring: v.optional(onMissingMonitoringSchema),
  minHealthyTargets: v.optional(positiveInt),
  expectedDesiredCount: v.optional(positiveInt),
  secretsKmsKeyArns: v.optional(v.array(v.pipe(v.string(), v.startsWith('arn:')))),
  probes: v.optional(
    strictObject({
      intervalSeconds: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0))),
      failuresToRollback: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10))),
      detectWithinSeconds: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0))),
    }),
  ),
  vpc: v.optional(vpcPlacementSchema),
});

export const contextConfigSchema = strictObject({
  stackName: v.optional(v.pipe(v.string(), v.minLength(1)), 'DeploymentCrew'),
  listenerArn: v.string(),
  targetGroupArns: v.pipe(v.array(v.string()), v.length(2)),
  database: v.union([
    strictObject({ instanceIdentifier: v.pipe(v.string(), v.minLength(1)) }),
    strictObject({ clusterIdentifier: v.pipe(v.string(), v.minLength(1)) }),
  ]),
  healthEndpoints: v.pipe(v.array(httpCheckSchema), v.minLength(1)),
  externalDependencies: v.optional(
    v.array(strictObject({ ...httpCheckSchema.entries, critical: v.optional(v.boolean()) })),
    [],
  ),
  healthCheckRetries: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(5))),
  chairmanEmails: v.pipe(v.array(v.pipe(v.string(), v.rfcEmail())), v.minLength(1)),
  approvers: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
  approvalTimeoutSeconds: v.optional(positiveInt),
  snapshotPollSeconds: v.optional(positiveInt),
  snapshotTimeoutSeconds: v.optional(positiveInt),
  eventBusName: v.optional(v.pipe(v.string(), v.minLength(1))),
  ecs: strictObject({
    clusterName: v.pipe(v.string(), v.minLength(1)),
    services: v.pipe(
      v.array(strictObject({ targetGroupArn: v.string(), serviceName: v.pipe(v.string(), v.minLength(1)) })),
      v.length(2),
    ),
    taskDefinitionFamily: v.pipe(v.string(), v.minLength(1)),
    passRoleArns: v.pipe(v.array(v.pipe(v.string(), v.startsWith('arn:'))), v.minLength(1)),
  }),
  databaseMaxConnections: positiveInt,
  databaseRestore: strictObject({
    subnetGroupName: v.pipe(v.string(), v.minLength(1)),
    parameterGroupNames: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
    optionGroupNames: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
    clusterParameterGroupNames: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
    kmsKeyArn: v.optional(v.pipe(v.string(), v.startsWith('arn:'))),
    fenceSecurityGroupId: v.optional(v.pipe(v.string(), v.startsWith('sg-'))),
    acknowledgedBreaks: v.optional(v.array(swapBreakSchema)),
    keepTemporaryCopyOnFailure: v.optional(v.boolean()),
    monitoringRoleArn: v.optional(v.pipe(v.string(), v.startsWith('arn:'))),
  }),
  migration: v.optional(
    strictObject({
      command: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
      timeoutSeconds: v.optional(positiveInt),
    }),
  ),
  canary: v.optional(
    strictObject({
      steps: v.optional(
        v.pipe(v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100))), v.minLength(1)),
      ),
      bakeSeconds: v.optional(positiveInt),
      inconclusiveAllowance: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(10))),
      metricsMaxWaitSeconds: v.optional(nonNegativeInt),
    }),
  ),
  thresholds: v.optional(
    strictObject({
      errorRatePercent: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0))),
      errorRateBreachPeriods: v.optional(positiveInt),
      promoteErrorRatePercent: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0))),
      p95LatencyMs: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0))),
      dbConnectionsPercent: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(100))),
      loadBalancerErrorBaselinePercent: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(100))),
    }),
  ),
  extraAlarmNames: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  autoDatabaseRollback: v.optional(v.boolean()),
  scaleDownGreenAfterRollback: v.optional(v.boolean()),
  greenReadyTimeoutSeconds: v.optional(positiveInt),
  databaseRollbackApprovalTimeoutSeconds: v.optional(positiveInt),
  databaseRestoreTimeoutSeconds: v.optional(positiveInt),
  postDeployment: postDeploymentSchema,
  blueRetentionSeconds: v.optional(positiveInt),
  /** Checked further by the construct (lib/release-start-rules.ts), whose errors name these fields too. */
  releaseStart: v.optional(
    strictObject({
      source: v.optional(v.pipe(v.string(), v.minLength(1))),
      eventBusName: v.optional(v.pipe(v.string(), v.minLength(1))),
      ecrPush: v.optional(
        strictObject({
          repositoryName: v.pipe(v.string(), v.minLength(1)),
          tagPattern: v.pipe(v.string(), v.minLength(1)),
          schemaChange: v.optional(v.boolean()),
        }),
      ),
    }),
  ),
});
export type ContextConfig = v.InferOutput<typeof contextConfigSchema>;

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
  const parsed = v.safeParse(contextConfigSchema, value);
  if (!parsed.success) throw new Error(`cdk context "deploymentCrew" is invalid: ${describeIssues(parsed.issues)}`);
  const config = parsed.output;
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
  const written = value as v.InferInput<typeof contextConfigSchema>;
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
