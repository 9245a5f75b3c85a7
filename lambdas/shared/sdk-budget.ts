/**
 * How long a function's AWS calls can take at worst, so that the stack can refuse a function timeout that would cut
 * them off: a Lambda killed by its timeout runs no `finally`, and the alarm listener's `finally` is what ends a bake
 * when the listener could not be restored. Both the functions (client settings) and the stack (the check) read this.
 */

/** The bounds of every call made through one AWS SDK client. */
export interface SdkClientLimits {
  /** Attempts per call, the first included (the SDK's `maxAttempts`). */
  readonly maxAttempts: number;
  /** Longest wait for a connection, per attempt. */
  readonly connectionTimeoutMs: number;
  /** Longest a request may take, per attempt, connection included (thrown, not only logged: see aws-clients.ts). */
  readonly requestTimeoutMs: number;
}

/**
 * The SDK's standard retry strategy (@smithy/core 3.x): before retry `n` (0-based) it waits a random share of
 * `min(base × 2^n, 20 s)`, with a base of 1 s for throttling (50 ms otherwise), and up to 5 s longer when the
 * service sent a Retry-After hint.
 */
export const SDK_STANDARD_RETRY = { throttlingBaseMs: 1_000, maxDelayMs: 20_000, retryAfterExtraMs: 5_000 } as const;

/** The longest wait the standard strategy makes before any retry of a call with `maxAttempts` attempts. */
export function sdkBackoffCapMs(maxAttempts: number): number {
  if (maxAttempts <= 1) return 0;
  const lastRetry = maxAttempts - 2;
  return (
    Math.min(SDK_STANDARD_RETRY.throttlingBaseMs * 2 ** lastRetry, SDK_STANDARD_RETRY.maxDelayMs) +
    SDK_STANDARD_RETRY.retryAfterExtraMs
  );
}

export interface SdkBudget {
  /** The most SDK calls one invocation makes, on its longest path. */
  readonly calls: number;
  readonly limits: SdkClientLimits;
  /** Waits of the function's own between calls (the confirming re-reads' backoff). */
  readonly ownWaitsMs?: number;
}

/**
 * Worst-case duration of an invocation's AWS calls: calls × attempts × (request timeout + backoff cap), plus its own
 * waits. Deliberately pessimistic (it charges a backoff to every attempt, the last one too): it only has to be an
 * upper bound.
 */
export function worstCaseDurationMs(budget: SdkBudget): number {
  const { calls, limits } = budget;
  for (const [name, value] of Object.entries({ calls, ...limits, ownWaitsMs: budget.ownWaitsMs ?? 0 })) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${value}`);
  }
  if (!Number.isInteger(limits.maxAttempts) || limits.maxAttempts < 1) {
    throw new Error(`maxAttempts must be a positive integer, got ${limits.maxAttempts}`);
  }
  // The request timeout runs from the start of the request, so it covers the connection too; the larger one bounds.
  const perAttempt =
    Math.max(limits.requestTimeoutMs, limits.connectionTimeoutMs) + sdkBackoffCapMs(limits.maxAttempts);
  return calls * limits.maxAttempts * perAttempt + (budget.ownWaitsMs ?? 0);
}

/** The re-read that confirms a listener change: DescribeListeners may show the old weights for a moment. */
export interface ConfirmationSchedule {
  /** Reads in all, the first included. */
  readonly attempts: number;
  /** Wait before the second read; doubled before each further read … */
  readonly firstDelayMs: number;
  /** … up to this. */
  readonly maxDelayMs: number;
}

export const LISTENER_CONFIRMATION: ConfirmationSchedule = { attempts: 5, firstDelayMs: 250, maxDelayMs: 2_000 };

/** The wait before each re-read: `[250, 500, 1000, 2000]` for the default schedule. */
export function confirmationDelaysMs(schedule: ConfirmationSchedule): number[] {
  return Array.from({ length: Math.max(0, schedule.attempts - 1) }, (_, retry) =>
    Math.min(schedule.firstDelayMs * 2 ** retry, schedule.maxDelayMs),
  );
}
