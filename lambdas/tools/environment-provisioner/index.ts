/**
 * environment_provisioner: prepares the idle ("green") ECS service of the blue-green pair for a release, watches it
 * become ready, runs the release's migration as a one-off task, and scales green down afterwards.
 *
 * Safety rules, enforced here and not left to callers:
 * - both services must be driven by ECS rolling updates only (preflight, and again in provisionGreen): a CodeDeploy
 *   or external controller, an ECS-native blue/green, linear or canary strategy, or load balancer
 *   advancedConfiguration would let ECS move the listener and race the pipeline;
 * - the live service is only ever read: no UpdateService is sent for it, and every call that writes refuses when the
 *   two sides name the same service or target group, or when the service named green is registered in live's target
 *   group;
 * - green's new task definition is a copy of the live revision (every registrable field, and its tags except the
 *   reserved `aws:` ones) with the release image in the container that serves the target group and in every other
 *   container built from the release's repository, so green differs from live in the release and nothing else;
 * - the migration task runs on on-demand capacity, never Fargate Spot (see migrationPlacement).
 *
 * Retries (the state machine retries tasks): RegisterTaskDefinition is not idempotent, every call registers a new
 * revision. provisionGreen therefore first checks green's current task definition and reuses it when it is an ACTIVE
 * revision of our family with exactly the definition we would register; a retry after a successful UpdateService then
 * neither registers again nor restarts green's rollout. A retry that lands between RegisterTaskDefinition and
 * UpdateService registers one extra, unused revision (harmless; revisions are free and can be deregistered).
 * RunTask is made idempotent with a clientToken derived from the deployment (see migrationClientToken).
 */

export {
  EcsControllerConflictError,
  GREEN_PROVISIONING_FAILED,
  GreenProvisioningFailedError,
  MIGRATION_FAILED,
  MigrationFailedError,
  REFUSED_TO_SCALE_DOWN_LIVE,
  RefusedToScaleDownLiveError,
} from './errors';
export {
  CLIENT_TOKEN_MAX_LENGTH,
  evaluateMigrationTask,
  MIGRATION_STARTED_BY,
  type MigrationOutcome,
  migrationClientToken,
} from './migration';
export { createEnvironmentProvisioner } from './provisioner';
export { evaluateGreenReadiness, evaluateRollout, type Readiness, type RolloutView } from './readiness';
export {
  copyableTags,
  imageRepository,
  REGISTRABLE_TASK_DEFINITION_FIELDS,
  type RegistrableField,
  type RegistrableTaskDefinition,
  type Registration,
  registrableCopyOf,
  releaseTaskDefinitionInput,
  sameRegistration,
} from './task-definition';
export type {
  EnvironmentProvisioner,
  EnvironmentProvisionerOptions,
  ProvisionGreenInput,
  ScaleDownGreenInput,
  ScaleDownResult,
  StartMigrationInput,
} from './types';
