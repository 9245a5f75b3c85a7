import type { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

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
}
