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

/**
 * An SDK client built by its first use, then kept for the module's life like any other. Constructing a client costs
 * at every cold start (its configuration is resolved, its middleware stack assembled), so an agent builds at load only
 * the clients every request needs; one that some actions call (the verifier's S3 client writes the report only) is
 * built by the first request that calls it. The stand-in is an instance of the client's class (`instanceof` holds,
 * aws-sdk-client-mock's prototype stubs answer) and forwards every property to the real client.
 */
export function deferredClient<Client extends object, Args extends unknown[]>(
  ClientClass: new (...args: Args) => Client,
  ...args: Args
): Client {
  let client: Client | undefined;
  const real = (): Client => {
    client ??= new ClientClass(...args);
    return client;
  };
  return new Proxy(Object.create(ClientClass.prototype) as Client, {
    get(_standIn, property) {
      const value: unknown = Reflect.get(real(), property);
      return typeof value === 'function' ? value.bind(real()) : value;
    },
    set: (_standIn, property, value) => Reflect.set(real(), property, value),
    has: (_standIn, property) => Reflect.has(real(), property),
  });
}
