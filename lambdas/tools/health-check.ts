import pRetry from 'p-retry';

/**
 * health_check_tool: one HTTP GET against one URL, with a per-attempt timeout and a bounded number of retries.
 * It never throws for an unhealthy target: the outcome (status, latency, attempts, error) is data for the caller.
 */

export const HEALTH_CHECK_USER_AGENT = 'deployment-crew-health-check';

export interface HttpCheckTarget {
  readonly name: string;
  readonly url: string;
  /** The HTTP status that counts as healthy; anything else (including a redirect) is a failed attempt. */
  readonly expectedStatus: number;
  /** Budget for one attempt, until the response headers arrive. */
  readonly timeoutMs: number;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpCheckOptions {
  /** Extra attempts after the first failed one (0 = a single attempt). */
  readonly retries: number;
  /** Delay before the first retry; doubles for each further retry. */
  readonly minBackoffMs: number;
  /** Defaults to the global `fetch`. */
  readonly fetchImpl?: FetchLike;
}

export interface HttpCheckResult {
  readonly ok: boolean;
  /** Status of the last attempt; null when it got no response (timeout, DNS failure, connection refused). */
  readonly httpStatus: number | null;
  /** Latency of the last attempt in milliseconds. */
  readonly latencyMs: number;
  /** Latency of every attempt in order, in milliseconds. */
  readonly attemptLatenciesMs: readonly number[];
  readonly attempts: number;
  /** Why the last attempt failed; absent when `ok`. */
  readonly error?: string;
}

interface AttemptOutcome {
  readonly ok: boolean;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly error?: string;
}

/** Thrown inside p-retry for a failed attempt; a plain Error subclass so that p-retry retries it (it aborts on TypeError). */
class FailedAttempt extends Error {
  constructor(readonly outcome: AttemptOutcome) {
    super(outcome.error ?? 'health check attempt failed');
    this.name = 'FailedAttempt';
  }
}

/** Runs the check, retrying any failed attempt up to `options.retries` times with exponential backoff. */
export async function checkHttp(target: HttpCheckTarget, options: HttpCheckOptions): Promise<HttpCheckResult> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const latencies: number[] = [];
  let last: AttemptOutcome | undefined;

  try {
    last = await pRetry(
      async () => {
        const outcome = await attempt(target, fetchImpl);
        latencies.push(outcome.latencyMs);
        last = outcome;
        if (!outcome.ok) throw new FailedAttempt(outcome);
        return outcome;
      },
      { retries: options.retries, minTimeout: options.minBackoffMs, factor: 2, randomize: false },
    );
  } catch (error) {
    if (!(error instanceof FailedAttempt)) throw error;
  }

  // `last` is always set: the first attempt either resolved or threw a FailedAttempt after setting it.
  const outcome = last ?? { ok: false, httpStatus: null, latencyMs: 0, error: 'no attempt was made' };
  return {
    ok: outcome.ok,
    httpStatus: outcome.httpStatus,
    latencyMs: outcome.latencyMs,
    attemptLatenciesMs: latencies,
    attempts: latencies.length,
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  };
}

async function attempt(target: HttpCheckTarget, fetchImpl: FetchLike): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetchImpl(target.url, {
      method: 'GET',
      redirect: 'manual',
      headers: { 'user-agent': HEALTH_CHECK_USER_AGENT, accept: '*/*' },
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    const latencyMs = elapsed();
    // The body is not needed; cancelling it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status === target.expectedStatus) return { ok: true, httpStatus: response.status, latencyMs };
    return {
      ok: false,
      httpStatus: response.status,
      latencyMs,
      error: `HTTP ${response.status}, expected ${target.expectedStatus}`,
    };
  } catch (error) {
    return { ok: false, httpStatus: null, latencyMs: elapsed(), error: describeFetchError(error, target.timeoutMs) };
  }
}

/** A short reason for a request that got no response, e.g. `connect ECONNREFUSED 127.0.0.1:8080`. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    if (error.name === 'AbortError') return 'aborted';
    const cause: unknown = error.cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return typeof code === 'string' && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
    }
    return error.message;
  }
  return String(error);
}
