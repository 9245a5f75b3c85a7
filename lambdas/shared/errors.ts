/**
 * Errors that cross the Lambda → Step Functions boundary. Step Functions matches `Retry`/`Catch` on the error's
 * `name` (the Lambda runtime reports it as `errorType`), so every name here is part of the state machine's contract:
 * renaming one means changing `statemachine/deployment-crew.asl.json` too.
 */
export class DeploymentCrewError extends Error {
  /** Event code for the Chairman and EventBridge (DEPLOY-001 …), when the failure has one. */
  readonly code: string | undefined;

  constructor(name: string, message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.code = options?.code;
  }
}

/** The execution input (or an agent request) does not match its schema. Never retried. */
export class InvalidInputError extends DeploymentCrewError {
  constructor(message: string) {
    super('InvalidInput', message);
  }
}

/** A production health check or a critical external dependency failed before anything was changed (DEPLOY-001). */
export class PreDeploymentValidationFailedError extends DeploymentCrewError {
  constructor(message: string) {
    super('PreDeploymentValidationFailed', message, { code: 'DEPLOY-001' });
  }
}

/** The database backup could not be created, did not become available, or failed verification. */
export class BackupFailedError extends DeploymentCrewError {
  constructor(message: string) {
    super('BackupFailed', message);
  }
}

/**
 * The database is in a state that refuses the operation for now (an automated backup or a modification is running).
 * The state machine retries it with long intervals; after the last retry it ends as a BackupFailed.
 */
export class DatabaseBusyError extends DeploymentCrewError {
  constructor(message: string) {
    super('DatabaseBusy', message);
  }
}

/**
 * An AWS call failed in a way that is worth retrying (throttling, 5xx, network). The SDK has already retried it;
 * the state machine's `Retry` on this name adds backoff at the workflow level, where waiting costs nothing.
 */
export class TransientAwsError extends DeploymentCrewError {
  constructor(message: string, cause?: unknown) {
    super('TransientAwsError', message, { cause });
  }
}

/**
 * A rollback was requested (an alarm through the alarm listener, or the Chairman's override) while a cutover step
 * was about to run or running. The step refuses to move traffic further; the state machine goes to the
 * RollbackCoordinator.
 */
export class RollbackRequestedError extends DeploymentCrewError {
  constructor(message: string) {
    super('RollbackRequested', message);
  }
}

/** The stack handed a Lambda a configuration it cannot use (a deployment bug, not an input error). */
export class ConfigurationError extends DeploymentCrewError {
  constructor(message: string) {
    super('ConfigurationError', message);
  }
}

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

interface SdkErrorShape {
  name?: string;
  message?: string;
  $retryable?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True for AWS SDK errors that a later attempt can succeed on: throttling, server faults, dropped connections. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdkError = error as SdkErrorShape;
  if (sdkError.name !== undefined && THROTTLING_NAMES.has(sdkError.name)) return true;
  if (sdkError.$retryable !== undefined) return true;
  if (sdkError.$fault === 'server') return true;
  const status = sdkError.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'TimeoutError'].includes(sdkError.name ?? '');
}

/**
 * Maps an error escaping a handler to the name the state machine retries or catches: our own errors keep theirs,
 * transient AWS errors become `TransientAwsError`, anything else keeps its own name (and is not retried).
 */
export function toWorkflowError(error: unknown): Error {
  if (error instanceof DeploymentCrewError) return error;
  if (isTransientAwsError(error)) {
    const sdkError = error as SdkErrorShape;
    return new TransientAwsError(`${sdkError.name ?? 'AWS error'}: ${sdkError.message ?? ''}`.trim(), error);
  }
  if (error instanceof Error) return error;
  return new Error(String(error));
}

/** The error's `name` when it has a string one (AWS SDK errors name their exception type), else undefined. */
export function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** The error's message, or the thrown value as a string when it is not an Error. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The call's result, or undefined when it fails with the error named `notFound`; any other failure propagates. */
export async function unlessNotFound<T>(notFound: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (errorName(error) === notFound) return undefined;
    throw error;
  }
}
