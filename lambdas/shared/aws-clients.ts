/**
 * Settings for every AWS SDK client of the agents: a hung connection must fail inside the Lambda's time (and be
 * retried by the SDK, then by the state machine) instead of eating the whole timeout.
 */
export const AWS_CLIENT_CONFIG = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
} as const;
