import type { ProbeFailureRule } from '../../shared/probe-timing';

// The rule and its timing check live in shared (the stack checks the timing at synth); re-exported so nothing moves.
export { DEFAULT_PROBE_FAILURE_RULE, type ProbeFailureRule, probeTimingProblem } from '../../shared/probe-timing';

export interface ProbeOutcome {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly passed: boolean;
}

/** The failed run that meets the rule, oldest first; undefined while green is not judged down. */
export function failedRun(outcomes: readonly ProbeOutcome[], rule: ProbeFailureRule): ProbeOutcome[] | undefined {
  const run: ProbeOutcome[] = [];
  for (const outcome of outcomes) {
    if (outcome.passed) {
      run.length = 0;
      continue;
    }
    run.push(outcome);
    if (run.length >= rule.failures) return run.slice(-rule.failures);
  }
  return undefined;
}
