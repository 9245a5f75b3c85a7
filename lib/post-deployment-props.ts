import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { SmokeStepInput } from '../lambdas/shared/smoke-suite';

/**
 * The PostDeploymentVerifier's props: the smoke suite, the production and test URLs, monitoring, the prober and the
 * verifier's VPC placement (part of DeploymentCrewProps, `postDeployment`).
 */

/**
 * How the prober watches green while it takes traffic (every bake, and the post-promotion watch): the suite's steps
 * marked `probe: true`, sent together once per interval, published at 1-second resolution.
 */
export interface ProbeSettings {
  /**
   * Time between the starts of two probe rounds (at least 1 s).
   * @default Duration.seconds(5)
   */
  readonly interval?: Duration;
  /**
   * Consecutive failed rounds that take green off traffic (1 to 10; a passing round resets the count).
   * @default 3
   */
  readonly failuresToRollback?: number;
  /**
   * The longest from green's first failed round to the decision: checked at synth against the interval, the count
   * and the probe steps' `maxLatencyMs` (a hanging green makes each round last its ceiling).
   * @default Duration.seconds(15)
   */
  readonly detectWithin?: Duration;
}

/**
 * Where the PostDeploymentVerifier runs when the load balancer it smokes and probes is internal.
 */
export interface VerifierVpcPlacement {
  /** The VPC that reaches the load balancer (an imported one is enough: nothing is created in it). */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets the function's interfaces go in; they need a route to the load balancer and to the AWS APIs the
   * verifier calls (NAT or VPC endpoints).
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Security groups of the function's interfaces (the load balancer's must admit them).
   * @default - a new group allowing all outbound traffic
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * What the PostDeploymentVerifier checks: the smoke suite (before traffic through a test listener, and after 100 %
 * against production), the monitoring a release relies on, and a rollback dry run.
 */
export interface PostDeploymentSettings {
  /**
   * The smoke suite: HTTP steps grouped by flow (authentication, crud, integrations), each with its expected status,
   * JSON assertions and latency ceiling (see lambdas/shared/smoke-suite.ts). Secret header values are named by their
   * full Secrets Manager ARN (with its six-character suffix): the verifier may read exactly those secrets.
   */
  readonly smokeSuite: readonly SmokeStepInput[];
  /** Production's base URL (scheme, host, port), e.g. `https://shop.example.com`. */
  readonly productionUrl: string;
  /**
   * Base URL of a second listener that forwards to green only: the suite runs there before any production traffic.
   * @default - none: no pre-traffic smoke
   */
  readonly testListenerUrl?: string;
  /**
   * Headers sent with every pre-traffic step (e.g. one a listener rule pins to green).
   * @default - none
   */
  readonly greenHeaders?: Readonly<Record<string, string>>;
  /**
   * The application's log groups: each must have received events recently.
   * @default - none
   */
  readonly logGroupNames?: readonly string[];
  /**
   * How recent a log group's last event must be (at least 60 minutes: CloudWatch Logs updates it late).
   * @default Duration.minutes(60)
   */
  readonly logsRecentWithin?: Duration;
  /**
   * What missing monitoring means: fail the deployment, or succeed with the gaps recorded as risks.
   * @default 'fail'
   */
  readonly onMissingMonitoring?: 'fail' | 'record-risk';
  /**
   * Healthy targets the old side must still have for the rollback dry run to be ready.
   * @default 1
   */
  readonly minHealthyTargets?: number;
  /**
   * Tasks the old side's service must still desire and run (kept warm) for the dry run to be ready.
   * @default 1
   */
  readonly expectedDesiredCount?: number;
  /**
   * The customer-managed KMS keys (full key ARNs) the suite's secrets are encrypted with: the verifier may decrypt
   * with exactly these, and only through Secrets Manager (kms:ViaService).
   * @default - none: the secrets use the AWS managed key aws/secretsmanager
   */
  readonly secretsKmsKeyArns?: readonly string[];
  /**
   * The prober's timing and failure rule. The suite needs at least one step marked `probe: true`.
   * @default - every 5 s, 3 consecutive failures, decided within 15 s
   */
  readonly probes?: ProbeSettings;
  /**
   * VPC placement of the verifier, for an internal load balancer.
   * @default - not in a VPC
   */
  readonly vpc?: VerifierVpcPlacement;
}
