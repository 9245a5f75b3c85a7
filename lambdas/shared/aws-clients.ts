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
 * built by the first request that calls it. The stand-in is an instance of the client's class (`instanceof` holds:
 * the SDK's paginators check it) and forwards every operation to the real client, so that a method read twice is the
 * same function and a spy or a mock installed on the stand-in is installed on the client.
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
  // A method read from the stand-in runs on the real client: one bound copy per method, as stable as the method.
  const bound = new WeakMap<(...args: unknown[]) => unknown, unknown>();
  return new Proxy(Object.create(ClientClass.prototype) as Client, {
    get(_standIn, property) {
      const target = real();
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!bound.has(method)) bound.set(method, method.bind(target));
      return bound.get(method);
    },
    set: (_standIn, property, value) => Reflect.set(real(), property, value),
    has: (_standIn, property) => Reflect.has(real(), property),
    defineProperty: (_standIn, property, descriptor) => Reflect.defineProperty(real(), property, descriptor),
    deleteProperty: (_standIn, property) => Reflect.deleteProperty(real(), property),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor(_standIn, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), property);
      // A proxy may not report a property its target lacks as non-configurable; the stand-in has none of its own.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  });
}
