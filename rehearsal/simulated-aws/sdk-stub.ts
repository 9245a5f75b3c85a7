import { StandardRetryStrategy } from '@smithy/core/retry';
import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  HandlerExecutionContext,
  MetadataBearer,
  StandardRetryBackoffStrategy,
} from '@smithy/types';
import { AWS_CLIENT_CONFIG } from '../../lambdas/shared/aws-clients';
import { type CallLog, operationName } from './call-log';
import { SIM } from './constants';
import { notModelled } from './errors';

/**
 * Simulated AWS services answer from inside the SDK client: a terminal middleware in the `deserialize` step (below
 * the retry middleware of `finalizeRequest`, above the deserializer) hands the command's input to the simulation and
 * returns its answer without HTTP. Serialization, signing and the SDK's own retry strategy run as they do against
 * AWS, so a simulated ThrottlingException is retried by the SDK before the tool sees it, and every attempt is one
 * CallLog entry. (aws-sdk-client-mock replaces `client.send` and would skip all of that.)
 */

/** A command class: the registry key is its name, which the SDK also puts in the context as `commandName`. */
interface CommandClass<TInput extends object> {
  readonly name: string;
  new (...args: never[]): { readonly input: TInput };
}

type Handler = (input: never) => unknown;

export interface SimulatedClient {
  /** The subset of aws-sdk-client-mock's API the simulations use: one handler per command. */
  on<TInput extends object>(
    command: CommandClass<TInput>,
  ): { callsFake(handler: (input: TInput) => unknown): SimulatedClient };
}

/** The stack's view of any SDK client: enough to add a middleware. */
interface ClientWithStack {
  readonly middlewareStack: {
    add(
      middleware: (next: DeserializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) => unknown,
      options: { step: 'deserialize'; priority: 'high'; name: string; override: boolean },
    ): void;
  };
}

/**
 * The SDK's backoff formula (a random share of `min(base × 2^retry, 20 s)`, base 1 s for throttling, 50 ms
 * otherwise) divided by this: the decisions (which errors, how many attempts, the retry quota) stay the SDK's, the
 * waits are real time, so a rehearsal with throttles must not sleep seconds.
 */
export const SIMULATED_BACKOFF_DIVISOR = 100;
const MAX_RETRY_DELAY_MS = 20_000;

class ShortenedBackoff implements StandardRetryBackoffStrategy {
  private base = 50;

  setDelayBase(delayBase: number): void {
    this.base = delayBase;
  }

  computeNextBackoffDelay(retry: number): number {
    return Math.floor(
      (Math.random() * Math.min(this.base * 2 ** retry, MAX_RETRY_DELAY_MS)) / SIMULATED_BACKOFF_DIVISOR,
    );
  }
}

/**
 * What the simulated clients are built with: the agents' own attempts (AWS_CLIENT_CONFIG) through the SDK's standard
 * strategy, with the shortened backoff, offline credentials and the simulated region.
 */
export function simulatedClientConfig() {
  return {
    region: SIM.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: AWS_CLIENT_CONFIG.maxAttempts,
    retryStrategy: new StandardRetryStrategy({
      maxAttempts: AWS_CLIENT_CONFIG.maxAttempts,
      backoff: new ShortenedBackoff(),
    }),
  };
}

/** The operations each simulated client answers, filled as the simulation registers its handlers. */
const modelled = new WeakMap<object, Set<string>>();

/**
 * The operations the simulation installed into `client` answers (`Service:Command` as the call log names them),
 * in the order they were registered; none for a client no simulation was installed into. A fault can only fire on
 * one of these: the scenario loader refuses any other.
 */
export function modelledOperationsOf(client: object): readonly string[] {
  return [...(modelled.get(client) ?? [])];
}

/**
 * Installs the simulation into `client`. A command without a handler fails loudly (NotModelledBySimulation, logged
 * as `Service:CommandName`), never with an undefined answer.
 */
export function simulateClient(client: ClientWithStack, service: string, log: CallLog): SimulatedClient {
  const handlers = new Map<string, Handler>();
  const operations = new Set<string>();
  modelled.set(client, operations);
  client.middlewareStack.add(
    (_next, context) =>
      async (args: DeserializeHandlerArguments<object>): Promise<DeserializeHandlerOutput<MetadataBearer>> => {
        const commandName = context.commandName ?? 'UnknownCommand';
        const handler = handlers.get(commandName);
        const result =
          handler === undefined
            ? await log.run(`${service}:${commandName}`, () => {
                throw notModelled(service, commandName);
              })
            : await (handler as (input: object) => unknown)(args.input);
        // The retry middleware adds `attempts` and `totalRetryDelay` on the way out.
        const output = { ...(result as object), $metadata: { httpStatusCode: 200 } };
        return { output, response: {} };
      },
    { step: 'deserialize', priority: 'high', name: `simulated${service}Service`, override: true },
  );
  const simulated: SimulatedClient = {
    on: (command) => ({
      callsFake: (handler) => {
        handlers.set(command.name, handler as Handler);
        operations.add(operationName(service, command.name));
        return simulated;
      },
    }),
  };
  return simulated;
}
