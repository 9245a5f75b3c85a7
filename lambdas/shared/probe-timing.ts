/**
 * When probes say green is down: `failures` consecutive failed rounds (a pass resets the run). `withinMs` is the
 * detection goal the probe timing must meet (probeTimingProblem), not a condition on the run: a green that hangs makes
 * each round last its latency ceiling, and rounds that far apart are still consecutive failures. Pure, so that the
 * stack checks the timing at synth with the same code the prober runs.
 */
export interface ProbeFailureRule {
  /** Consecutive failed probes that take green off traffic. @default 3 */
  readonly failures: number;
  /** The first failure to the decision, at most (checked against the probe timing). @default 15000 */
  readonly withinMs: number;
}

export const DEFAULT_PROBE_FAILURE_RULE: ProbeFailureRule = { failures: 3, withinMs: 15_000 };

/**
 * Why a probe timing cannot meet the rule's goal, or undefined: the decision comes at the latest after `failures`
 * rounds, each starting `intervalMs` apart or, when green hangs, as long as its slowest step's ceiling.
 */
export function probeTimingProblem(
  intervalMs: number,
  maxLatencyMs: number,
  rule: ProbeFailureRule,
): string | undefined {
  const round = Math.max(intervalMs, maxLatencyMs);
  const worst = (rule.failures - 1) * round + maxLatencyMs;
  return worst > rule.withinMs
    ? `probes every ${intervalMs} ms with a ${maxLatencyMs} ms ceiling decide after up to ${worst} ms, more than the ` +
        `${rule.withinMs} ms goal: lower the probe steps' maxLatencyMs or the interval`
    : undefined;
}
