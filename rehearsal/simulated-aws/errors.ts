/**
 * Errors shaped the way the SDK's retry decision (@smithy/core retry: service-error-classification) and the tools
 * (lambdas/shared/errors.ts) read AWS SDK errors: `name`, `$fault`, `$metadata.httpStatusCode`, and `$retryable` only
 * where the service model marks the error retryable (none of the simulated services' errors is: the SDK classifies
 * throttling by name or status 429, transient errors by name, status 500/502/503/504 or a Node error code).
 */

export interface AwsErrorOptions {
  readonly fault?: 'client' | 'server';
  readonly status?: number;
  readonly extra?: Record<string, unknown>;
}

export function awsError(name: string, message: string, options: AwsErrorOptions = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, {
    $fault: options.fault ?? 'client',
    $metadata: { httpStatusCode: options.status ?? 400 },
    ...options.extra,
  });
}

/** What AWS answers a throttled call with: HTTP 400, a client fault, retried by the SDK because of its name. */
export function throttlingError(): Error {
  return awsError('ThrottlingException', 'Rate exceeded');
}

/**
 * What the SDK's node HTTP handler rejects with when a request outlives `requestTimeout` (with
 * `throwOnRequestTimeout`, as lambdas/shared/aws-clients.ts sets it): no `$fault`, no `$metadata`, retried by the SDK
 * as transient because of its name and code.
 */
export function requestTimeoutError(timeoutMs: number): Error {
  const error = new Error(
    `@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${timeoutMs} ms requestTimeout.`,
  );
  error.name = 'TimeoutError';
  return Object.assign(error, { code: 'ETIMEDOUT' });
}

/** What a call the simulation does not model fails with: loudly, never with an undefined answer. */
export class NotModelledError extends Error {
  constructor(service: string, what: string) {
    super(`the simulated production does not model ${service} ${what}`);
    this.name = 'NotModelledBySimulation';
  }
}

export function notModelled(service: string, what: string): NotModelledError {
  return new NotModelledError(service, what);
}

/** Input keys outside `allowed` (with a defined value) fail as not modelled. */
export function assertOnlyKeys(service: string, command: string, input: object, allowed: readonly string[]): void {
  const extra = Object.entries(input)
    .filter(([key, value]) => value !== undefined && !allowed.includes(key))
    .map(([key]) => key);
  if (extra.length > 0) throw notModelled(service, `${command} with ${extra.join(', ')}`);
}

export function errorNameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
