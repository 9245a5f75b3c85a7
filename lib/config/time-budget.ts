import { METRICS_RETRY_MIN_SECONDS } from '../../lambdas/shared/config/blue-green-orchestrator';
import { RESTORE_SWAP_RESERVE_POLLS } from '../../lambdas/shared/config/rollback-coordinator';
import { APPROVAL_TIMEOUT_BOUNDS, BAKE_TIME_BOUNDS } from '../../lambdas/shared/deployment-request';
import type { ResolvedCrewConfig } from './resolve-config';

/** Margin between the execution's time limit and the lock's TTL, so a running execution never loses its lock. */
export const LOCK_TTL_MARGIN_SECONDS = 3600;
/** ALB metrics arrive about a minute late: verdicts look at windows that end this long ago. */
export const METRICS_LAG_SECONDS = 60;
export { METRICS_EXPECTED_DELAY_SECONDS } from '../../lambdas/shared/config/blue-green-orchestrator';
/** The load balancer's own 5xx rate is measured over this many minutes before the first shift. */
export const BASELINE_MINUTES = 15;
export const GREEN_POLL_SECONDS = 30;
export const MIGRATION_POLL_SECONDS = 30;
export const RESTORE_POLL_SECONDS = 60;
export const ROLLBACK_VERIFY_SECONDS = 120;
/**
 * The PostDeploymentVerifier's Lambda timeout: the prober runs up to about 14 minutes per invocation (it re-invokes
 * itself for longer bakes and the post-promotion watch), and one run holds the whole smoke suite.
 */
export const VERIFIER_TIMEOUT_SECONDS = 900;
/** The verifier's runs outside the bakes: the pre-traffic suite, and the production suite with its checks. */
const VERIFIER_RUNS = 2;
/** Headroom for the tasks between the long waits (Lambda calls, short Waits). */
const PIPELINE_OVERHEAD_SECONDS = 3600;

/** How many polls of `pollSeconds` fit in `timeoutSeconds` (at least one). */
export function pollsWithin(timeoutSeconds: number, pollSeconds: number): number {
  return Math.max(1, Math.ceil(timeoutSeconds / pollSeconds));
}

/** The longest an execution can take with this configuration, every wait at its bound. */
export function longestExecutionSeconds(config: ResolvedCrewConfig): number {
  return (
    APPROVAL_TIMEOUT_BOUNDS.maxSeconds +
    config.snapshotMaxPolls * config.snapshotPollSeconds +
    config.greenReadyTimeoutSeconds +
    config.migrationTimeoutSeconds +
    config.canarySteps.length *
      (1 + config.inconclusiveAllowance) *
      (BAKE_TIME_BOUNDS.maxSeconds + config.metricsMaxWaitSeconds + 2 * METRICS_RETRY_MIN_SECONDS) +
    VERIFIER_RUNS * VERIFIER_TIMEOUT_SECONDS +
    // The execution stays open through the post-promotion watch, where a rollback is still a traffic switch.
    config.blueRetentionSeconds +
    config.databaseRollbackApprovalTimeoutSeconds +
    config.databaseRestoreTimeoutSeconds +
    RESTORE_SWAP_RESERVE_POLLS * RESTORE_POLL_SECONDS +
    PIPELINE_OVERHEAD_SECONDS
  );
}

/**
 * The longest an execution can take with this configuration must fit in the state machine's TimeoutSeconds (the
 * ASL's single source) and so in the lock's TTL (TimeoutSeconds plus a margin): an execution timed out mid-cutover
 * would leave production half shifted, and one timed out in the watch would leave the old side warm.
 */
export function checkTimeBudget(config: ResolvedCrewConfig, executionTimeoutSeconds: number): void {
  const hours = (value: number) => `${(value / 3600).toFixed(1)} h`;
  const worstCase = longestExecutionSeconds(config);
  if (worstCase > executionTimeoutSeconds) {
    throw new Error(
      `the longest possible deployment (${hours(worstCase)}: approval, backup, green, migration, every bake at its ` +
        "maximum, smoke suites, post-promotion watch, database rollback) exceeds the state machine's limit of " +
        `${hours(executionTimeoutSeconds)}; shorten the timeouts, the canary or blueRetention`,
    );
  }
}
