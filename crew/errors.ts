/**
 * The `crew` CLI's failures: each has a code, a distinct exit code (scripts branch on it), a message that says what
 * happened, and a hint that says what to do. Anything else that escapes a command is an internal error (exit 1).
 */

export const EXIT_CODES = {
  /** A defect of the CLI itself (an error nothing maps): the message is the error's, please report it. */
  INTERNAL: 1,
  /** A command-line mistake: unknown option, missing argument, invalid input (nothing was sent). */
  USAGE: 2,
  NO_CREDENTIALS: 3,
  WRONG_REGION: 4,
  STACK_NOT_FOUND: 5,
  UNKNOWN_DEPLOYMENT: 6,
  NOTHING_WAITING: 7,
  TOKEN_EXPIRED: 8,
  NOT_AN_APPROVER: 9,
  LOCK_HELD: 10,
  /** The request reached the crew and was refused for another reason (already answered, not the deployment in progress). */
  REFUSED: 11,
  /** The operator declined a confirmation (`crew unlock` without `--yes`). */
  ABORTED: 12,
  /** AWS answered with an error the CLI does not map (throttling after retries, a service error). */
  AWS_ERROR: 13,
  /** `crew unlock`: no deployment holds the lock, there is nothing to clear. */
  NOT_LOCKED: 14,
  /** `crew unlock`: the lock changed between the read and the delete (another holder or state); nothing was cleared. */
  LOCK_CHANGED: 15,
} as const;

export type CrewErrorCode = keyof typeof EXIT_CODES;

export class CrewError extends Error {
  override readonly name = 'CrewError';

  constructor(
    readonly code: CrewErrorCode,
    message: string,
    /** What to do about it, in one sentence. */
    readonly hint?: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** The error's `name` (AWS SDK errors name their exception type), if it has one. */
export function nameOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'TokenRefreshRequired',
  'SSOTokenProviderFailure',
]);

/**
 * What an AWS SDK failure means to an operator: no or bad credentials, a region that does not exist or is not
 * enabled, or some other AWS error. A CrewError passes through unchanged.
 */
export function fromAwsError(error: unknown, region: string | undefined): CrewError {
  if (error instanceof CrewError) return error;
  const name = nameOf(error) ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials/i.test(message)) {
    return new CrewError(
      'NO_CREDENTIALS',
      `no usable AWS credentials: ${message}`,
      'configure credentials as for the AWS CLI (aws configure, aws sso login, or AWS_PROFILE)',
    );
  }
  if (name === 'UnknownEndpoint' || /region is missing|ENOTFOUND|getaddrinfo/i.test(message)) {
    return new CrewError(
      'WRONG_REGION',
      region === undefined ? 'no AWS region is configured' : `AWS is not reachable in region '${region}': ${message}`,
      'pass --region <the stack region>, or set AWS_REGION',
    );
  }
  return new CrewError('AWS_ERROR', `${name}: ${message}`);
}
