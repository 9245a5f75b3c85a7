/**
 * Errors shaped the way the tools inspect AWS SDK errors: `name`, `$fault`, `$metadata.httpStatusCode`, and
 * `$retryable` only on errors the SDK would retry (lambdas/shared/errors.ts treats any `$retryable` as transient).
 */

export interface AwsErrorOptions {
  readonly fault?: 'client' | 'server';
  readonly status?: number;
  readonly throttling?: boolean;
  readonly extra?: Record<string, unknown>;
}

export function awsError(name: string, message: string, options: AwsErrorOptions = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, {
    $fault: options.fault ?? 'client',
    $metadata: { httpStatusCode: options.status ?? 400 },
    ...(options.throttling === true ? { $retryable: { throttling: true } } : {}),
    ...options.extra,
  });
}

export function throttlingError(): Error {
  return awsError('ThrottlingException', 'Rate exceeded', { throttling: true });
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
