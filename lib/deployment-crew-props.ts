import type { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { SwapBreak } from '../lambdas/shared/config/rollback-coordinator';
import type { PostDeploymentSettings } from './post-deployment-props';
import type { ReleaseStartSettings } from './release-start-props';

export type { PostDeploymentSettings, ProbeSettings, VerifierVpcPlacement } from './post-deployment-props';

/**
 * The application's existing database. Exactly one of the two identifiers is set.
 */
export interface DatabaseTarget {
  /**
   * Identifier of an RDS DB instance (backed up with CreateDBSnapshot).
   * @default - none; set `clusterIdentifier` instead
   */
  readonly instanceIdentifier?: string;
  /**
   * Identifier of an Aurora DB cluster (backed up with CreateDBClusterSnapshot).
   * @default - none; set `instanceIdentifier` instead
   */
  readonly clusterIdentifier?: string;
}

/**
 * An HTTP endpoint of production that must answer before a deployment starts.
 */
export interface HealthEndpoint {
  /** Name shown in the dependency matrix, e.g. `api`. */
  readonly name: string;
  /** Absolute http(s) URL, called with GET. */
  readonly url: string;
  /**
   * HTTP status that means healthy.
   * @default 200
   */
  readonly expectedStatus?: number;
  /**
   * Time allowed for one attempt, in milliseconds.
   * @default 3000
   */
  readonly timeoutMs?: number;
}

/**
 * An external service the application depends on (Supabase, Stripe, the e-mail service, …).
 */
export interface ExternalDependency extends HealthEndpoint {
  /**
   * Whether a failure aborts the deployment (critical) or only warns in the report.
   * @default true
   */
  readonly critical?: boolean;
}

/**
 * The database groups a restore re-uses. A database rollback restores the snapshot with the original's settings;
 * the RollbackCoordinator's role may use exactly these groups, and the restore refuses (before changing anything)
 * when the database has moved to others.
 */
export interface DatabaseRestoreResources {
  /** DB subnet group of the database. */
  readonly subnetGroupName: string;
  /** DB parameter groups: the instance's, or each Aurora member's. */
  readonly parameterGroupNames: readonly string[];
  /**
   * Option groups: the instance's, or an Aurora MySQL cluster's (Aurora PostgreSQL has none).
   * @default - none
   */
  readonly optionGroupNames?: readonly string[];
  /**
   * DB cluster parameter groups (Aurora only).
   * @default - none
   */
  readonly clusterParameterGroupNames?: readonly string[];
  /**
   * The KMS key the database's snapshots are encrypted with: the restore is granted kms:CreateGrant/DescribeKey on
   * it, and refuses (before anything changes) a snapshot encrypted with another key. Without a KMS client the
   * restore cannot tell the AWS managed aws/rds key from a customer managed one: give either.
   * @default - none: a database rollback of an encrypted snapshot is refused
   */
  readonly kmsKeyArn?: string;
  /**
   * A security group (in the database's VPC) with no inbound rules. A database rollback puts it on production, in
   * place of its own groups (recorded, and put back if the swap fails), before renaming it away, so that no client
   * keeps writing to it.
   * @default - none: every database rollback is refused
   */
  readonly fenceSecurityGroupId?: string;
  /**
   * What the swap breaks that you accept and will redo by hand (the record and the Chairman's message list it):
   * READ_REPLICAS (they stay on the preserved copy), RDS_PROXY (its target stays the preserved copy),
   * CUSTOM_ENDPOINTS (Aurora, they stay on the preserved cluster), IAM_DB_AUTH (rds-db:connect policies name the old
   * DbiResourceId). Any other such dependency refuses the database rollback.
   * @default - none
   */
  readonly acknowledgedBreaks?: readonly SwapBreak[];
  /**
   * Keep the restored copy (`<id>-rb-new-<hash>`) when the restore fails before the swap, for inspection.
   * @default false - it is deleted; production is untouched either way
   */
  readonly keepTemporaryCopyOnFailure?: boolean;
  /**
   * The Enhanced Monitoring role of the database (iam:PassRole is granted on it only, for the restored copy).
   * @default - none: a database with Enhanced Monitoring is refused
   */
  readonly monitoringRoleArn?: string;
}

/**
 * The ECS side of the application: one service per target group, in one cluster.
 */
export interface EcsApplication {
  /** Name of the ECS cluster running both services. */
  readonly clusterName: string;
  /**
   * The service registered in each target group. Must cover exactly the two `targetGroupArns`.
   */
  readonly services: readonly EcsServiceBinding[];
  /**
   * Task definition family new revisions are registered in (copied from the live revision, with the release image).
   */
  readonly taskDefinitionFamily: string;
  /**
   * ARNs of the task role and execution role the application's task definitions use: registering a revision that
   * names them needs iam:PassRole on exactly these.
   */
  readonly passRoleArns: readonly string[];
}

/**
 * A target group and the ECS service whose tasks it routes to.
 */
export interface EcsServiceBinding {
  /** Target group ARN (one of `targetGroupArns`). */
  readonly targetGroupArn: string;
  /** ECS service name. */
  readonly serviceName: string;
}

/**
 * The database migration run when a release changes the schema.
 */
export interface MigrationSettings {
  /** Command run in the release image's load-balanced container, e.g. `["npm", "run", "migrate"]`. */
  readonly command: readonly string[];
  /**
   * Longest time the migration task may run.
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
}

/**
 * The canary: how traffic moves to green and how long each step bakes.
 */
export interface CanarySettings {
  /**
   * Green's share of traffic at each step, increasing, ending at 100.
   * @default [10, 50, 100]
   */
  readonly steps?: readonly number[];
  /**
   * Bake time per step; an execution may ask for another value (60 s to 1 h).
   * @default Duration.seconds(300)
   */
  readonly bakeTime?: Duration;
  /**
   * Inconclusive verdicts (no data) tolerated in one deployment before it rolls back; each one re-bakes the step.
   * @default 2
   */
  readonly inconclusiveAllowance?: number;
  /**
   * How long a verdict waits after a bake for the bake's last minutes to get their datapoints (ALB publishes them
   * late). Past it, a window still partial is inconclusive: never a promotion. 150 s (the bake's last minute ends up
   * to 60 s after the bake, its datapoints come about 90 s later) to 15 minutes.
   * @default Duration.minutes(5)
   */
  readonly metricsMaxWait?: Duration;
}

/**
 * Thresholds of the canary verdict and of the alarms.
 */
export interface RollbackThresholds {
  /**
   * Green's 5xx rate (percent of requests) above which …
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * … for this many consecutive 1-minute periods, the deployment rolls back.
   * @default 2
   */
  readonly errorRateBreachPeriods?: number;
  /**
   * The last step is promoted only below this error rate (percent).
   * @default 1
   */
  readonly promoteErrorRatePercent?: number;
  /**
   * p95 target response time (ms) above which the deployment rolls back (and below which it may be promoted).
   * @default 500
   */
  readonly p95LatencyMs?: number;
  /**
   * DB connections above this share (percent) of `databaseMaxConnections` roll the deployment back.
   * @default 80
   */
  readonly dbConnectionsPercent?: number;
  /**
   * The load balancer's own 5xx (percent of its requests) that green's error-rate alarm excuses: the rest is blamed
   * on green. The canary verdict measures the real rate before the first shift instead.
   * @default 0.1
   */
  readonly loadBalancerErrorBaselinePercent?: number;
}

/**
 * Properties of the DeploymentCrew construct. The application's resources are named, never created: the listener,
 * target groups and database belong to the application, and every execution is bound to them by the stack.
 */
export interface DeploymentCrewProps {
  /**
   * ARN of the ALB listener whose default action forwards to the two target groups with weights.
   * Also the key of the deployment lock: one deployment at a time per listener.
   */
  readonly listenerArn: string;
  /**
   * ARNs of the two target groups. Which one is live is read from the listener at run time: the roles swap with
   * every deployment. Must be exactly two, in the listener's account and region.
   */
  readonly targetGroupArns: readonly string[];
  /** The application's database, snapshotted and verified before anything changes. */
  readonly database: DatabaseTarget;
  /** Production endpoints that must be healthy (always critical). At least one. */
  readonly healthEndpoints: readonly HealthEndpoint[];
  /**
   * External dependencies checked into the dependency status matrix.
   * @default - none
   */
  readonly externalDependencies?: readonly ExternalDependency[];
  /**
   * Extra attempts per health check after a failed one.
   * @default 2
   */
  readonly healthCheckRetries?: number;
  /** E-mail addresses of the Chairman (and deputies), subscribed to the notification topic. At least one. */
  readonly chairmanEmails: readonly string[];
  /**
   * Who may answer approvals and override a deployment: IAM role or user ARNs in the stack's account, at least one.
   * An assumed-role session counts as its role. Each gets the function URLs (`lambda:InvokeFunctionUrl`, and
   * `lambda:InvokeFunction` only through the URL) in the functions' resource policies; anyone else is refused (403).
   */
  readonly approvers: readonly string[];
  /**
   * How long the Chairman has to answer an approval request; an execution may ask for another value within bounds.
   * @default Duration.hours(24)
   */
  readonly approvalTimeout?: Duration;
  /**
   * Time between two checks of the database snapshot's status.
   * @default Duration.seconds(30)
   */
  readonly snapshotPollInterval?: Duration;
  /**
   * Longest time to wait for the snapshot to become available before the deployment fails with BackupFailed.
   * @default Duration.hours(2)
   */
  readonly snapshotTimeout?: Duration;
  /** The ECS services behind the two target groups. */
  readonly ecs: EcsApplication;
  /**
   * The database's `max_connections`: DB connection saturation is measured against it.
   */
  readonly databaseMaxConnections: number;
  /** The groups a database restore re-uses (scopes the RollbackCoordinator's RDS permissions). */
  readonly databaseRestore: DatabaseRestoreResources;
  /**
   * The migration run for releases with `schemaChange: true`; without it such releases are refused.
   * @default - no migrations
   */
  readonly migration?: MigrationSettings;
  /**
   * Canary steps and bake time.
   * @default - steps [10, 50, 100], 300 s bake, 2 inconclusive verdicts allowed
   */
  readonly canary?: CanarySettings;
  /**
   * Rollback thresholds.
   * @default - 5 % errors for 2 minutes, promote under 1 %, p95 500 ms, DB connections 80 %
   */
  readonly thresholds?: RollbackThresholds;
  /**
   * Names of further CloudWatch alarms (in this account and region) that roll a deployment back when in ALARM.
   * @default - none
   */
  readonly extraAlarmNames?: readonly string[];
  /**
   * Restore the database without waiting for the Chairman's confirmation when a rollback needs it.
   * A restore loses every write since the snapshot.
   * @default false
   */
  readonly autoDatabaseRollback?: boolean;
  /**
   * Scale green to zero after a rollback (otherwise it stays up at 0 % traffic for inspection).
   * @default false
   */
  readonly scaleDownGreenAfterRollback?: boolean;
  /**
   * Longest time for green to become healthy (deployment completed, every target healthy).
   * @default Duration.minutes(20)
   */
  readonly greenReadyTimeout?: Duration;
  /**
   * How long the Chairman has to confirm a database restore during a rollback; no answer means no restore.
   * @default Duration.hours(1)
   */
  readonly databaseRollbackApprovalTimeout?: Duration;
  /**
   * Longest time for a database restore (rename, restore, available).
   * @default Duration.hours(3)
   */
  readonly databaseRestoreTimeout?: Duration;
  /**
   * Name of the EventBridge bus that receives the pipeline's events.
   * @default 'default'
   */
  readonly eventBusName?: string;
  /**
   * Retention of the Lambda and state machine log groups.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
  /**
   * The PostDeploymentVerifier's smoke suite, probes, monitoring check and rollback dry run.
   */
  readonly postDeployment: PostDeploymentSettings;
  /**
   * How long the old side stays warm (at 0 %) after promotion while the alarms and probes keep watching green: the
   * post-promotion watch, during which a rollback is a fast traffic switch. Whole seconds, over 0, at most 24 h.
   * @default Duration.minutes(60)
   */
  readonly blueRetention?: Duration;
  /**
   * Starting deployments from EventBridge: the `Release Candidate Ready` event's source and bus, and an optional
   * rule on ECR pushes (docs/release-candidate-event.md).
   * @default - `Release Candidate Ready` from `deployment-crew.release` on the crew's bus; pushes start nothing
   */
  readonly releaseStart?: ReleaseStartSettings;
}
