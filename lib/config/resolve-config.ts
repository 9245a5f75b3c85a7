import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as v from 'valibot';
import { parseApproverArn } from '../../lambdas/shared/approvers';
import { type ListenerArnParts, parseListenerArn, parseTargetGroupArn } from '../../lambdas/shared/arns';
import {
  METRICS_MAX_WAIT_BOUND_SECONDS,
  METRICS_MAX_WAIT_MIN_SECONDS,
} from '../../lambdas/shared/config/blue-green-orchestrator';
import type { DatabaseConfig } from '../../lambdas/shared/config/database';
import { type HealthChecksConfig, worstCaseHealthCheckMs } from '../../lambdas/shared/config/pre-deployment-validator';
import { type CanaryThresholds, canaryThresholdsSchema } from '../../lambdas/shared/cutover-contracts';
import { APPROVAL_TIMEOUT_BOUNDS, BAKE_TIME_BOUNDS } from '../../lambdas/shared/deployment-request';
import { lockKeyFor } from '../../lambdas/shared/state-table';
import type { DatabaseRestoreResources, DeploymentCrewProps, EcsApplication } from '../deployment-crew-props';
import { type ResolvedPostDeployment, resolvePostDeployment } from './post-deployment';

export {
  type ResolvedPostDeployment,
  type ResolvedProbes,
  resolvePostDeployment,
  SMOKE_SUITE_BUDGET_SECONDS,
} from './post-deployment';

/** The validator function has 90 s (its tasks 100 s): health checks get 75 s of it. */
export const VALIDATOR_HEALTH_BUDGET_SECONDS = 75;
/** Bakes one canary can run (steps × (1 + inconclusive allowance)): bounds the history carried in the state. */
export const MAX_BAKES = 30;
/** The post-promotion watch: over 0, at most a day (the old side's tasks cost money while they stay warm). */
export const BLUE_RETENTION_MAX_SECONDS = 24 * 3600;

/** The props with every default applied and every rule checked: what the agents' constructs are built from. */
export interface ResolvedCrewConfig {
  /** Partition, region and account of the application (the listener's). */
  readonly where: ListenerArnParts;
  readonly listenerArn: string;
  readonly targetGroupArns: readonly string[];
  /** Partition key of the deployment lock. */
  readonly lockKey: string;
  readonly database: DatabaseConfig;
  readonly healthChecks: HealthChecksConfig;
  readonly approvalTimeoutSeconds: number;
  readonly snapshotPollSeconds: number;
  readonly snapshotMaxPolls: number;
  readonly canarySteps: number[];
  readonly bakeSeconds: number;
  readonly inconclusiveAllowance: number;
  /** How long a verdict waits for a bake's late datapoints. */
  readonly metricsMaxWaitSeconds: number;
  readonly thresholds: CanaryThresholds;
  readonly greenReadyTimeoutSeconds: number;
  readonly migrationTimeoutSeconds: number;
  readonly databaseRollbackApprovalTimeoutSeconds: number;
  readonly databaseRestoreTimeoutSeconds: number;
  readonly eventBusName: string;
  readonly logRetention: logs.RetentionDays;
  readonly databaseMaxConnections: number;
  readonly databaseRestore: DatabaseRestoreResources;
  readonly ecs: EcsApplication;
  /** Null without a migration: releases with a schema change are then refused at intake. */
  readonly migrationCommand: string[] | null;
  readonly extraAlarmNames: readonly string[];
  readonly autoDatabaseRollback: boolean;
  readonly scaleDownGreenAfterRollback: boolean;
  /** IAM role and user ARNs that may answer approvals and override, all in the listener's account. */
  readonly approvers: readonly string[];
  readonly postDeployment: ResolvedPostDeployment;
  /** The post-promotion watch: the old side stays warm and the alarms and probes keep watching this long. */
  readonly blueRetentionSeconds: number;
}

/** Checks the props before anything is synthesized: a wrong value is a synth error naming the prop. */
export function resolveConfig(props: DeploymentCrewProps): ResolvedCrewConfig {
  const listener = parseListenerArn(props.listenerArn);
  checkTargets(props, listener);
  const database = resolveDatabase(props);
  const healthChecks = resolveHealthChecks(props);
  if (props.chairmanEmails.length === 0) throw new Error('chairmanEmails: at least one address is needed');
  checkApprovers(props.approvers, listener);

  const approvalTimeoutSeconds = (props.approvalTimeout ?? Duration.hours(24)).toSeconds();
  checkApprovalBounds('approvalTimeout', approvalTimeoutSeconds);
  const snapshotPollSeconds = (props.snapshotPollInterval ?? Duration.seconds(30)).toSeconds();
  const snapshotTimeoutSeconds = (props.snapshotTimeout ?? Duration.hours(2)).toSeconds();
  if (snapshotPollSeconds < 5 || snapshotTimeoutSeconds < snapshotPollSeconds) {
    throw new Error('snapshotPollInterval/snapshotTimeout: poll at least every 5 s and wait at least one interval');
  }

  const canarySteps = [...(props.canary?.steps ?? [10, 50, 100])];
  const increasing = canarySteps.every((step, index) => index === 0 || step > (canarySteps[index - 1] ?? 0));
  if (
    canarySteps.length === 0 ||
    !increasing ||
    canarySteps.some((step) => !Number.isInteger(step) || step < 1 || step > 100) ||
    canarySteps.at(-1) !== 100
  ) {
    throw new Error(`canary.steps: increasing whole percentages from 1 to 100, ending at 100; got [${canarySteps}]`);
  }
  const bakeSeconds = (props.canary?.bakeTime ?? Duration.seconds(300)).toSeconds();
  if (bakeSeconds < BAKE_TIME_BOUNDS.minSeconds || bakeSeconds > BAKE_TIME_BOUNDS.maxSeconds) {
    throw new Error(
      `canary.bakeTime: between ${BAKE_TIME_BOUNDS.minSeconds} and ${BAKE_TIME_BOUNDS.maxSeconds} seconds`,
    );
  }
  const metricsMaxWaitSeconds = (props.canary?.metricsMaxWait ?? Duration.minutes(5)).toSeconds();
  if (metricsMaxWaitSeconds < METRICS_MAX_WAIT_MIN_SECONDS || metricsMaxWaitSeconds > METRICS_MAX_WAIT_BOUND_SECONDS) {
    throw new Error(
      `canary.metricsMaxWait: between ${METRICS_MAX_WAIT_MIN_SECONDS} and ${METRICS_MAX_WAIT_BOUND_SECONDS} seconds`,
    );
  }
  const thresholds = v.safeParse(canaryThresholdsSchema, { ...props.thresholds });
  if (!thresholds.success) throw new Error(`thresholds: ${thresholds.issues.map((issue) => issue.message).join('; ')}`);
  if (thresholds.output.promoteErrorRatePercent > thresholds.output.errorRatePercent) {
    throw new Error('thresholds: promoteErrorRatePercent cannot be above errorRatePercent');
  }
  const inconclusiveAllowance = props.canary?.inconclusiveAllowance ?? 2;
  if (!Number.isInteger(inconclusiveAllowance) || inconclusiveAllowance < 0) {
    throw new Error('canary.inconclusiveAllowance: a whole number, 0 or more');
  }
  if (canarySteps.length * (1 + inconclusiveAllowance) > MAX_BAKES) {
    throw new Error(
      `canary: ${canarySteps.length} steps × (1 + ${inconclusiveAllowance} inconclusive) bakes is more than ${MAX_BAKES}`,
    );
  }
  if (props.ecs.passRoleArns.length === 0) {
    throw new Error('ecs.passRoleArns: name the task and execution roles of the application task definition');
  }
  checkRestoreResources(props, database);
  const databaseRollbackApprovalTimeoutSeconds = (
    props.databaseRollbackApprovalTimeout ?? Duration.hours(1)
  ).toSeconds();
  checkApprovalBounds('databaseRollbackApprovalTimeout', databaseRollbackApprovalTimeoutSeconds);

  return {
    where: listener,
    listenerArn: props.listenerArn,
    targetGroupArns: [...props.targetGroupArns],
    lockKey: lockKeyFor(props.listenerArn),
    database,
    healthChecks,
    approvalTimeoutSeconds,
    snapshotPollSeconds,
    snapshotMaxPolls: Math.ceil(snapshotTimeoutSeconds / snapshotPollSeconds),
    canarySteps,
    bakeSeconds,
    inconclusiveAllowance,
    metricsMaxWaitSeconds,
    thresholds: thresholds.output,
    greenReadyTimeoutSeconds: (props.greenReadyTimeout ?? Duration.minutes(20)).toSeconds(),
    migrationTimeoutSeconds: (props.migration?.timeout ?? Duration.minutes(30)).toSeconds(),
    databaseRollbackApprovalTimeoutSeconds,
    databaseRestoreTimeoutSeconds: (props.databaseRestoreTimeout ?? Duration.hours(3)).toSeconds(),
    eventBusName: props.eventBusName ?? 'default',
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    databaseMaxConnections: props.databaseMaxConnections,
    databaseRestore: props.databaseRestore,
    ecs: props.ecs,
    migrationCommand: props.migration ? [...props.migration.command] : null,
    extraAlarmNames: [...(props.extraAlarmNames ?? [])],
    autoDatabaseRollback: props.autoDatabaseRollback ?? false,
    scaleDownGreenAfterRollback: props.scaleDownGreenAfterRollback ?? false,
    approvers: [...props.approvers],
    postDeployment: resolvePostDeployment(props.postDeployment),
    blueRetentionSeconds: resolveBlueRetention(props.blueRetention),
  };
}

function resolveBlueRetention(blueRetention: Duration | undefined): number {
  // Fractions kept, so that the error names the prop (Duration's own would not).
  const seconds = (blueRetention ?? Duration.minutes(60)).toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > BLUE_RETENTION_MAX_SECONDS) {
    throw new Error(`blueRetention: whole seconds, more than 0 and at most ${BLUE_RETENTION_MAX_SECONDS} (24 h)`);
  }
  return seconds;
}

/** Approvers: IAM roles or users of the stack's (the listener's) account and partition, each once. */
function checkApprovers(approvers: readonly string[], listener: ListenerArnParts): void {
  if (approvers.length === 0) throw new Error('approvers: name at least one IAM role or user who may answer');
  for (const arn of approvers) {
    const approver = parseApproverArn(arn);
    if (approver === undefined) {
      throw new Error(
        `approvers: ${arn} is not an IAM role or user ARN (arn:${listener.partition}:iam::${listener.account}:role/NAME ` +
          `or arn:${listener.partition}:iam::${listener.account}:user/NAME; a session ARN counts as its role)`,
      );
    }
    if (approver.account !== listener.account || approver.partition !== listener.partition) {
      throw new Error(`approvers: ${arn} is not in the stack's account ${listener.account} (${listener.partition})`);
    }
  }
  if (new Set(approvers).size !== approvers.length) throw new Error('approvers: an ARN is listed twice');
}

function checkTargets(props: DeploymentCrewProps, listener: ListenerArnParts): void {
  if (props.targetGroupArns.length !== 2) {
    throw new Error(`targetGroupArns: exactly two target groups are needed, got ${props.targetGroupArns.length}`);
  }
  if (props.targetGroupArns[0] === props.targetGroupArns[1]) {
    throw new Error('targetGroupArns: the two target groups must differ');
  }
  for (const group of props.targetGroupArns.map(parseTargetGroupArn)) {
    if (group.region !== listener.region || group.account !== listener.account) {
      throw new Error(`targetGroupArns: ${group.fullName} is not in the listener's account and region`);
    }
  }
  const bound = new Set(props.ecs.services.map((service) => service.targetGroupArn));
  if (props.ecs.services.length !== 2 || !props.targetGroupArns.every((arn) => bound.has(arn))) {
    throw new Error('ecs.services: bind exactly one ECS service to each of the two targetGroupArns');
  }
  if (props.ecs.services[0]?.serviceName === props.ecs.services[1]?.serviceName) {
    throw new Error('ecs.services: the two target groups need two different services');
  }
}

function resolveDatabase(props: DeploymentCrewProps): DatabaseConfig {
  const { instanceIdentifier, clusterIdentifier } = props.database;
  if ((instanceIdentifier === undefined) === (clusterIdentifier === undefined)) {
    throw new Error('database: set exactly one of instanceIdentifier or clusterIdentifier');
  }
  const database: DatabaseConfig =
    instanceIdentifier !== undefined
      ? { kind: 'instance', identifier: instanceIdentifier }
      : { kind: 'cluster', identifier: clusterIdentifier ?? '' };
  if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(database.identifier)) {
    throw new Error(`database: ${database.identifier} is not a valid RDS identifier`);
  }
  if (!Number.isInteger(props.databaseMaxConnections) || props.databaseMaxConnections < 1) {
    throw new Error('databaseMaxConnections: a positive integer (the database max_connections) is needed');
  }
  return database;
}

function resolveHealthChecks(props: DeploymentCrewProps): HealthChecksConfig {
  if (props.healthEndpoints.length === 0) {
    throw new Error('healthEndpoints: at least one production endpoint is needed');
  }
  for (const check of [...props.healthEndpoints, ...(props.externalDependencies ?? [])]) {
    if (!/^https?:\/\//.test(check.url)) {
      throw new Error(`health check ${check.name}: url must be http(s): ${check.url}`);
    }
  }
  const healthChecks: HealthChecksConfig = {
    endpoints: props.healthEndpoints.map((endpoint) => ({ ...endpoint })),
    dependencies: (props.externalDependencies ?? []).map((dependency) => ({ ...dependency })),
    retries: props.healthCheckRetries ?? 2,
  };
  // Checks run in parallel: the slowest one (every attempt timing out, with back-off) must fit the function's time.
  const healthCheckMs = worstCaseHealthCheckMs(healthChecks);
  if (healthCheckMs > VALIDATOR_HEALTH_BUDGET_SECONDS * 1000) {
    throw new Error(
      `healthEndpoints/externalDependencies: the slowest check can take ${Math.ceil(healthCheckMs / 1000)} s ` +
        `(timeoutMs × (healthCheckRetries + 1) plus back-off); keep it under ${VALIDATOR_HEALTH_BUDGET_SECONDS} s`,
    );
  }
  return healthChecks;
}

function checkRestoreResources(props: DeploymentCrewProps, database: DatabaseConfig): void {
  const restore = props.databaseRestore;
  if (restore.parameterGroupNames.length === 0) {
    throw new Error('databaseRestore.parameterGroupNames: name the parameter group(s) the database uses');
  }
  // Every cluster has a cluster parameter group and every instance an option group: a restore re-uses them, and
  // refuses (before changing anything) any group it may not use.
  if (database.kind === 'cluster' && (restore.clusterParameterGroupNames ?? []).length === 0) {
    throw new Error(
      'databaseRestore.clusterParameterGroupNames: name the DB cluster parameter group the cluster uses (a restore re-uses it)',
    );
  }
  if (database.kind === 'instance' && (restore.optionGroupNames ?? []).length === 0) {
    throw new Error(
      'databaseRestore.optionGroupNames: name the option group the instance uses (default:<engine>-<major> when none was chosen)',
    );
  }
}

function checkApprovalBounds(prop: string, seconds: number): void {
  if (seconds < APPROVAL_TIMEOUT_BOUNDS.minSeconds || seconds > APPROVAL_TIMEOUT_BOUNDS.maxSeconds) {
    throw new Error(
      `${prop}: must be between ${APPROVAL_TIMEOUT_BOUNDS.minSeconds} and ${APPROVAL_TIMEOUT_BOUNDS.maxSeconds} seconds`,
    );
  }
}
