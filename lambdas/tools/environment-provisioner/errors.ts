import type { Failure } from '@aws-sdk/client-ecs';
import { DeploymentCrewError } from '../../shared/errors';

export const GREEN_PROVISIONING_FAILED = 'GreenProvisioningFailed';
export const REFUSED_TO_SCALE_DOWN_LIVE = 'RefusedToScaleDownLive';
export const MIGRATION_FAILED = 'MigrationFailed';

/** Green could not be prepared or watched: a missing or misconfigured service, task definition or target group. */
export class GreenProvisioningFailedError extends DeploymentCrewError {
  constructor(message: string) {
    super(GREEN_PROVISIONING_FAILED, message);
  }
}

/**
 * A service of the pair is driven by another deployment controller than ECS rolling updates (CODE_DEPLOY, EXTERNAL,
 * an ECS-native BLUE_GREEN/LINEAR/CANARY strategy, or load balancer `advancedConfiguration`): ECS or CodeDeploy would
 * move the listener itself and race the pipeline. Its name stays GreenProvisioningFailed on purpose: the state
 * machine routes that name already (RecordGreenProvisioningFailed → the GreenProvisioningFailed Fail state), and a new
 * name would end as InternalError until the ASL learns it. `instanceof EcsControllerConflictError` tells them apart.
 */
export class EcsControllerConflictError extends GreenProvisioningFailedError {}

/** A scale-down that could take capacity away from live traffic was refused; nothing was changed. */
export class RefusedToScaleDownLiveError extends DeploymentCrewError {
  constructor(message: string) {
    super(REFUSED_TO_SCALE_DOWN_LIVE, message);
  }
}

/** The migration task could not be started or could not be found again. (A migration that ran and failed is data.) */
export class MigrationFailedError extends DeploymentCrewError {
  constructor(message: string) {
    super(MIGRATION_FAILED, message);
  }
}

/** ECS/ELB errors that no retry fixes: they end the step with the step's error name. Anything else propagates. */
export const FATAL_AWS_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'ClientException',
  'ClusterNotFoundException',
  'InvalidParameterException',
  'LimitExceededException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'ServiceNotActiveException',
  'ServiceNotFoundException',
  'UnsupportedFeatureException',
  'BlockedException',
  'TargetGroupNotFoundException',
]);

/** Builds the error a step ends with; each step has its own error name. */
export type Fail = (message: string) => DeploymentCrewError;
export const failProvisioning: Fail = (message) => new GreenProvisioningFailedError(message);
export const failMigration: Fail = (message) => new MigrationFailedError(message);
export const refuseScaleDown: Fail = (message) => new RefusedToScaleDownLiveError(message);

export function describeFailures(failures: readonly Failure[]): string {
  return failures
    .map(
      (failure) =>
        `${failure.arn ?? 'unknown'}: ${failure.reason ?? 'no reason'}${failure.detail ? ` (${failure.detail})` : ''}`,
    )
    .join('; ');
}
