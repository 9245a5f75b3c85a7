import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { INTAKE_CONFIG, type IntakeConfig } from '../../lambdas/shared/config/deployment-intake';
import { RESTORE_SWAP_RESERVE_POLLS } from '../../lambdas/shared/config/rollback-coordinator';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import {
  GREEN_POLL_SECONDS,
  LOCK_TTL_MARGIN_SECONDS,
  MIGRATION_POLL_SECONDS,
  pollsWithin,
  RESTORE_POLL_SECONDS,
  ROLLBACK_VERIFY_SECONDS,
} from '../config/time-budget';

/**
 * Properties of the intake function.
 */
export interface DeploymentIntakeAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The state machine's TimeoutSeconds: the lock outlives it by a margin. */
  readonly executionTimeoutSeconds: number;
}

/**
 * The intake: validates the execution input before the lock is taken, and hands the rest of the workflow its
 * settings. It calls no AWS API, so its role holds nothing but its own log group.
 */
export class DeploymentIntakeAgent extends AgentFunction {
  constructor(scope: Construct, id: string, props: DeploymentIntakeAgentProps) {
    super(scope, id, {
      logRetention: props.config.logRetention,
      agent: 'deployment-intake',
      description: 'DeploymentCrew: validates the execution input before anything is touched',
      environment: INTAKE_CONFIG.environment(intakeConfigFor(props.config, props.executionTimeoutSeconds)),
      timeout: Duration.seconds(10),
      memorySize: 256,
      invokedSynchronouslyBy: 'Step Functions',
    });
  }
}

/** The settings every execution starts with; the input may change only the approval timeout and the bake time. */
export function intakeConfigFor(config: ResolvedCrewConfig, executionTimeoutSeconds: number): IntakeConfig {
  return {
    defaultApprovalTimeoutSeconds: config.approvalTimeoutSeconds,
    defaultBakeSeconds: config.bakeSeconds,
    lockTtlSeconds: executionTimeoutSeconds + LOCK_TTL_MARGIN_SECONDS,
    migrationConfigured: config.migrationCommand !== null,
    settings: {
      snapshotPollSeconds: config.snapshotPollSeconds,
      snapshotMaxPolls: config.snapshotMaxPolls,
      greenPollSeconds: GREEN_POLL_SECONDS,
      greenMaxPolls: pollsWithin(config.greenReadyTimeoutSeconds, GREEN_POLL_SECONDS),
      migrationPollSeconds: MIGRATION_POLL_SECONDS,
      migrationMaxPolls: pollsWithin(config.migrationTimeoutSeconds, MIGRATION_POLL_SECONDS),
      canarySteps: config.canarySteps,
      rollbackVerifySeconds: ROLLBACK_VERIFY_SECONDS,
      databaseRollbackApprovalTimeoutSeconds: config.databaseRollbackApprovalTimeoutSeconds,
      restorePollSeconds: RESTORE_POLL_SECONDS,
      restoreMaxPolls:
        pollsWithin(config.databaseRestoreTimeoutSeconds, RESTORE_POLL_SECONDS) + RESTORE_SWAP_RESERVE_POLLS,
      scaleDownGreenAfterRollback: config.scaleDownGreenAfterRollback,
      blueRetentionSeconds: config.blueRetentionSeconds,
    },
  };
}
