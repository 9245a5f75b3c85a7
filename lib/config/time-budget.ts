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
/** How the ASL names the PostDeploymentVerifier: its synchronous tasks are counted from the definition. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder (DefinitionSubstitutions), not a template.
const VERIFIER_RESOURCE = '${PostDeploymentVerifierFunctionArn}';

interface AslTask {
  readonly Type?: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly { readonly MaxAttempts?: number; readonly MaxDelaySeconds?: number }[];
}

/**
 * The longest the verifier's synchronous tasks can hold an execution: each task's TimeoutSeconds once per attempt
 * (every retrier's attempts, as if each attempt ran to its timeout before failing) plus the retries' longest delays.
 * All of them are counted, though a path runs at most one report: a bound, not an estimate. The prober's asynchronous
 * starts hold nothing.
 */
export function verifierTaskSeconds(definitionText: string): number {
  const states = Object.values((JSON.parse(definitionText) as { States: Record<string, AslTask> }).States);
  return states
    .filter((state) => state.Type === 'Task' && state.Resource === VERIFIER_RESOURCE)
    .reduce((sum, state) => {
      const retries = (state.Retry ?? []).reduce((total, retrier) => total + (retrier.MaxAttempts ?? 3), 0);
      const delays = (state.Retry ?? []).reduce(
        (total, retrier) => total + (retrier.MaxAttempts ?? 3) * (retrier.MaxDelaySeconds ?? 120),
        0,
      );
      return sum + (state.TimeoutSeconds ?? 60) * (1 + retries) + delays;
    }, 0);
}
/** Headroom for the tasks between the long waits (Lambda calls, short Waits). */
const PIPELINE_OVERHEAD_SECONDS = 3600;

/** How many polls of `pollSeconds` fit in `timeoutSeconds` (at least one). */
export function pollsWithin(timeoutSeconds: number, pollSeconds: number): number {
  return Math.max(1, Math.ceil(timeoutSeconds / pollSeconds));
}

/** The longest an execution can take with this configuration, every wait at its bound. */
export function longestExecutionSeconds(config: ResolvedCrewConfig, verifierSeconds: number): number {
  return (
    APPROVAL_TIMEOUT_BOUNDS.maxSeconds +
    config.snapshotMaxPolls * config.snapshotPollSeconds +
    config.greenReadyTimeoutSeconds +
    config.migrationTimeoutSeconds +
    config.canarySteps.length *
      (1 + config.inconclusiveAllowance) *
      (BAKE_TIME_BOUNDS.maxSeconds + config.metricsMaxWaitSeconds + 2 * METRICS_RETRY_MIN_SECONDS) +
    verifierSeconds +
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
export function checkTimeBudget(
  config: ResolvedCrewConfig,
  definition: { readonly text: string; readonly timeoutSeconds: number },
): void {
  const executionTimeoutSeconds = definition.timeoutSeconds;
  const hours = (value: number) => `${(value / 3600).toFixed(1)} h`;
  const worstCase = longestExecutionSeconds(config, verifierTaskSeconds(definition.text));
  if (worstCase > executionTimeoutSeconds) {
    throw new Error(
      `the longest possible deployment (${hours(worstCase)}: approval, backup, green, migration, every bake at its ` +
        "maximum, the verifier's tasks with their retries, post-promotion watch, database rollback) exceeds the state machine's limit of " +
        `${hours(executionTimeoutSeconds)}; shorten the timeouts, the canary or blueRetention`,
    );
  }
}
