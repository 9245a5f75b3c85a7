import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { GreenEnvironment, Migration, Side } from '../../shared/cutover-contracts';

/** The tool's interface: what callers pass and get back (index.ts describes the rules it enforces). */

export interface EnvironmentProvisionerOptions {
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly clusterName: string;
  /** Family green's task definitions are registered in. */
  readonly taskDefinitionFamily: string;
  readonly clock?: () => Date;
}

export interface ProvisionGreenInput {
  readonly live: Side;
  readonly green: Side;
  readonly image: string;
  readonly deploymentName: string;
}

export interface ScaleDownGreenInput {
  readonly green: Side;
  readonly live: Side;
  /** Green's weight on the listener, from a fresh read by the caller; anything but 0 is refused. */
  readonly greenWeight: number;
}

export interface ScaleDownResult {
  readonly scaledDownAt: string;
  readonly previousDesiredCount: number;
  /** True when there was nothing to do (desired count already 0, or the service no longer exists). */
  readonly alreadyScaledDown: boolean;
}

export interface StartMigrationInput {
  readonly env: GreenEnvironment;
  readonly green: Side;
  readonly command: readonly string[];
  readonly deploymentName: string;
}

export interface EnvironmentProvisioner {
  /**
   * Read-only pre-flight (DescribeServices of both): refuses, before anything changes, a pair that is not two distinct
   * ACTIVE services, or a service that ECS or CodeDeploy would deploy itself, moving the listener and racing the
   * pipeline (deployment controller CODE_DEPLOY or EXTERNAL, deploymentConfiguration.strategy other than ROLLING, load
   * balancer advancedConfiguration). Throws EcsControllerConflictError (error name GreenProvisioningFailed) for the
   * latter, GreenProvisioningFailed for the rest. provisionGreen runs the same checks again before it writes.
   */
  preflight(live: Side, green: Side): Promise<void>;
  /** Registers (or reuses) the release's task definition and rolls green onto it at live's size. */
  provisionGreen(input: ProvisionGreenInput): Promise<GreenEnvironment>;
  /** One readiness poll: rollout state plus target health in green's target group. */
  checkGreen(green: Side, env: GreenEnvironment): Promise<GreenEnvironment>;
  /** Sets green's desired count to 0, refusing anything that could take capacity from live traffic. */
  scaleDownGreen(input: ScaleDownGreenInput): Promise<ScaleDownResult>;
  /** Starts the migration as a one-off task of green's task definition, in green's network. */
  startMigration(input: StartMigrationInput): Promise<Migration>;
  /** One migration poll. */
  checkMigration(migration: Migration, containerName: string): Promise<Migration>;
}
