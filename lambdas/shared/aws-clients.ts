import type { SdkClientLimits } from './sdk-budget';

/**
 * Settings for every AWS SDK client of the agents: a hung connection must fail inside the Lambda's time (and be
 * retried by the SDK, then by the state machine) instead of eating the whole timeout.
 */
export const AWS_CLIENT_CONFIG = awsClientConfig({
  maxAttempts: 3,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
});

/**
 * Client settings from explicit limits, for a function whose timeout the stack checks against them
 * (sdk-budget.ts). `throwOnRequestTimeout`: without it the SDK's node handler only logs a warning when
 * `requestTimeout` passes and lets the request hang on.
 */
export function awsClientConfig(limits: SdkClientLimits) {
  return {
    maxAttempts: limits.maxAttempts,
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  } as const;
}
