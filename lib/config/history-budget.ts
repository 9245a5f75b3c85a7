import { METRICS_RETRY_MIN_SECONDS } from '../../lambdas/shared/config/blue-green-orchestrator';
import { RESTORE_SWAP_RESERVE_POLLS } from '../../lambdas/shared/config/rollback-coordinator';
import { type HistoryEstimate, type LoopBound, type LoopFigure, worstCaseHistoryEvents } from './history-graph';
import type { ResolvedCrewConfig } from './resolve-config';
import { GREEN_POLL_SECONDS, MIGRATION_POLL_SECONDS, pollsWithin, RESTORE_POLL_SECONDS } from './time-budget';

/**
 * A Standard execution fails at its 25,000th history event, whatever its Catch says ("Avoid reaching the history
 * quota", Step Functions developer guide). Configurations are refused well below it: the margin holds the retries
 * that the estimate does not multiply into every loop pass (see `worstCaseHistoryEvents`).
 */
export const AWS_HISTORY_EVENT_QUOTA = 25_000;
export const HISTORY_EVENT_LIMIT = 20_000;

/**
 * The bound of every loop the ASL has, keyed by the loop's header (the state through which the loop is entered).
 * The counts are the ones the intake writes into `$.settings` and the orchestrator enforces; a loop that is not
 * listed here fails the check, so a new loop in the ASL cannot slip past the budget.
 */
export function loopBoundsFor(config: ResolvedCrewConfig): Readonly<Record<string, LoopBound>> {
  const bound = (label: string, verb: string, passes: number, fix: string): LoopBound => ({ label, verb, passes, fix });
  return {
    WaitForDatabaseSnapshot: bound(
      'snapshot wait loop',
      'polls',
      config.snapshotMaxPolls,
      'raise snapshotPollInterval or lower snapshotTimeout',
    ),
    WaitForGreen: bound(
      'green readiness loop',
      'polls',
      pollsWithin(config.greenReadyTimeoutSeconds, GREEN_POLL_SECONDS),
      `lower greenReadyTimeout (green is polled every ${GREEN_POLL_SECONDS} s)`,
    ),
    WaitForMigration: bound(
      'migration wait loop',
      'polls',
      pollsWithin(config.migrationTimeoutSeconds, MIGRATION_POLL_SECONDS),
      `lower migration.timeout (the migration is polled every ${MIGRATION_POLL_SECONDS} s)`,
    ),
    ShiftTraffic: bound('canary step loop', 'shifts', config.canarySteps.length, 'use fewer canary.steps'),
    // RouteVerdict "rebake" → StartBakeProbes → BakeStep: a new prober and a new bake at the same weight.
    StartBakeProbes: bound(
      'canary bake loop',
      'bakes',
      1 + config.inconclusiveAllowance,
      'lower canary.inconclusiveAllowance',
    ),
    // RouteVerdict "wait" → WaitForMetrics → EvaluateStep: re-evaluations at least METRICS_RETRY_MIN_SECONDS apart,
    // until metricsMaxWait after the bake.
    EvaluateStep: bound(
      'metrics wait loop',
      'evaluates',
      1 + Math.ceil(config.metricsMaxWaitSeconds / METRICS_RETRY_MIN_SECONDS),
      'lower canary.metricsMaxWait',
    ),
    WaitForDatabaseRestore: bound(
      'database restore wait loop',
      'polls',
      // The restore's own steps, and those kept for the swap and putting production back.
      pollsWithin(config.databaseRestoreTimeoutSeconds, RESTORE_POLL_SECONDS) + RESTORE_SWAP_RESERVE_POLLS,
      `lower databaseRestoreTimeout (the restore is polled every ${RESTORE_POLL_SECONDS} s)`,
    ),
  };
}

/**
 * Refuses, at synth, a configuration whose longest execution could reach Step Functions' history quota: the
 * execution would then fail without its Catch running, with the deployment lock held and traffic half shifted.
 */
export function checkHistoryBudget(config: ResolvedCrewConfig, definition: { readonly text: string }): HistoryEstimate {
  const estimate = worstCaseHistoryEvents(JSON.parse(definition.text), loopBoundsFor(config));
  if (estimate.events > HISTORY_EVENT_LIMIT) {
    const [largest] = [...estimate.loops].sort((a, b) => share(b) - share(a));
    const count = (value: number) => value.toLocaleString('en-US');
    const loop = largest
      ? `: the ${largest.label} ${largest.header} ${largest.verb} ${count(largest.totalPasses)} times × ` +
        `${largest.eventsPerPass} events; ${largest.fix}`
      : '';
    throw new Error(
      `worst case ${count(estimate.events)} history events (limit ${count(HISTORY_EVENT_LIMIT)}; Step Functions ` +
        `fails an execution at ${count(AWS_HISTORY_EVENT_QUOTA)} with no Catch)${loop}`,
    );
  }
  return estimate;
}

const share = (loop: LoopFigure) => loop.totalPasses * loop.eventsPerPass;
