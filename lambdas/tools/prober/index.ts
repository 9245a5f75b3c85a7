import { errorName } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { SmokeStep, SmokeStepResult } from '../../shared/smoke-suite';
import type { SmokeRunner, SmokeTarget } from '../test-execution';
import { DEFAULT_PROBE_FAILURE_RULE, failedRun, type ProbeFailureRule, type ProbeOutcome } from './failure-window';
import type { ProbePublisher, ProbeRound } from './types';

export {
  DEFAULT_PROBE_FAILURE_RULE,
  failedRun,
  type ProbeFailureRule,
  type ProbeOutcome,
  probeTimingProblem,
} from './failure-window';
export {
  createProbeLedger,
  type ProbeLedger,
  type ProbeLedgerSummary,
  type ProbeRunRecord,
  probeLedgerKey,
} from './ledger';
export { cloudWatchProbePublisher, PROBE_METRIC } from './publisher';
export type { ProbePublisher, ProbeRound } from './types';

/**
 * prober: while green takes traffic, sends the suite's probe steps to green every few seconds, publishes each round
 * as a high-resolution metric, and stops as soon as the failure rule says green is down (or when its time is up, so
 * that the caller can re-invoke it before its Lambda timeout). It does not move traffic: the caller does, on the
 * same path as an alarm.
 */

export interface ProbeRunOptions {
  readonly steps: readonly SmokeStep[];
  readonly target: SmokeTarget;
  /** Milliseconds between the starts of two rounds. @default 5000 */
  readonly intervalMs?: number;
  /** Stop probing at this instant (ms since the epoch), green still up. */
  readonly untilMs: number;
  readonly rule?: ProbeFailureRule;
  /** Stop early when this says so (the bake ended, a rollback began). */
  readonly shouldStop?: () => Promise<boolean>;
}

export type ProbeVerdict =
  | {
      readonly kind: 'green-down';
      readonly failedRun: readonly ProbeRound[];
      readonly rounds: number;
      readonly publishFailures: number;
    }
  | {
      readonly kind: 'time-up' | 'stopped';
      readonly rounds: number;
      readonly failedRounds: number;
      /** Rounds whose metric could not be published (the judgement does not depend on it). */
      readonly publishFailures: number;
    };

export interface ProberDependencies {
  readonly runner: SmokeRunner;
  readonly publisher: ProbePublisher;
  /** ms since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createProber(dependencies: ProberDependencies) {
  const now = dependencies.now ?? (() => Date.now());
  const sleep = dependencies.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function round(steps: readonly SmokeStep[], target: SmokeTarget): Promise<ProbeRound> {
    const at = new Date(now());
    // The probe steps run together: one round is one look at green, not a sequence.
    const results: SmokeStepResult[] = await Promise.all(
      steps.map((step) => dependencies.runner.runStep(step, target)),
    );
    return {
      at,
      passed: results.every((result) => result.passed),
      latencyMs: Math.max(0, ...results.map((result) => result.latencyMs)),
      failures: results.flatMap((result) => result.failures.map((failure) => `${result.name}: ${failure}`)),
    };
  }

  return async function probe(options: ProbeRunOptions): Promise<ProbeVerdict> {
    const probeSteps = options.steps.filter((step) => step.probe);
    if (probeSteps.length === 0) throw new Error('no smoke step is marked as a probe (probe: true)');
    const rule = options.rule ?? DEFAULT_PROBE_FAILURE_RULE;
    const interval = options.intervalMs ?? 5_000;
    const rounds: ProbeRound[] = [];
    const outcomes: ProbeOutcome[] = [];
    let publishFailures = 0;
    while (now() < options.untilMs) {
      if (await options.shouldStop?.()) {
        return {
          kind: 'stopped',
          rounds: rounds.length,
          failedRounds: rounds.filter((r) => !r.passed).length,
          publishFailures,
        };
      }
      const started = now();
      const result = await round(probeSteps, options.target);
      rounds.push(result);
      outcomes.push({ at: result.at.getTime(), passed: result.passed });
      // Judged first: a metric that cannot be published must not keep a dead green on traffic.
      const run = failedRun(outcomes, rule);
      await dependencies.publisher.publish(result).catch((error: unknown) => {
        publishFailures += 1;
        // Once per run: the dashboard and the probe alarms lose their signal, the judgement does not.
        if (publishFailures === 1) {
          logger.warn('probe results could not be published', { error: errorName(error) ?? String(error) });
        }
      });
      if (run !== undefined) {
        const failed = rounds.filter((r) => run.some((outcome) => outcome.at === r.at.getTime()));
        return { kind: 'green-down', failedRun: failed, rounds: rounds.length, publishFailures };
      }
      const wait = Math.min(interval - (now() - started), options.untilMs - now());
      if (wait > 0) await sleep(wait);
    }
    return {
      kind: 'time-up',
      rounds: rounds.length,
      failedRounds: rounds.filter((r) => !r.passed).length,
      publishFailures,
    };
  };
}
