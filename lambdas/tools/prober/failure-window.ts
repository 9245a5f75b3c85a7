/**
 * When probes say green is down: `failures` consecutive failed probes, the first and the last within `withinMs`.
 * A pass resets the run. Pure, so the rule is tested at its edges.
 */
export interface ProbeFailureRule {
  /** Consecutive failed probes that take green off traffic. @default 3 */
  readonly failures: number;
  /** The run must fit in this window. @default 15000 */
  readonly withinMs: number;
}

export const DEFAULT_PROBE_FAILURE_RULE: ProbeFailureRule = { failures: 3, withinMs: 15_000 };

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
    // Keep the run inside the window: older failures fall out, the consecutive ones stay.
    while (run.length > 0 && outcome.at - (run[0]?.at ?? outcome.at) > rule.withinMs) run.shift();
    if (run.length >= rule.failures) return run.slice(-rule.failures);
  }
  return undefined;
}
