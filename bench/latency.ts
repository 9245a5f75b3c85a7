import { setTimeout as sleepFor } from 'node:timers/promises';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  MetadataBearer,
} from '@smithy/types';

/**
 * Simulated AWS API latency for the reaction benchmark: a middleware at the top of a real SDK client's stack (the
 * `initialize` step, above serialization, signing, retries and the local service that answers) makes every `send`
 * take at least `latencyMs`, and records when each call started and ended. The local service's own time (dynalite,
 * the simulated ELB) counts inside those milliseconds, as AWS's own work is inside its latency; our code's time
 * between calls is not padded.
 */

export interface AwsCall {
  /** The name given when the latency was injected (`DynamoDB`, `ELB`, …). */
  readonly service: string;
  /** The SDK command without `Command` (`GetItem`, `ModifyListener`, …). */
  readonly operation: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly failed: boolean;
}

export interface CallRecorderOptions {
  readonly latencyMs: number;
  /** Milliseconds on a monotonic clock. @default performance.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Every call made through the clients it was injected into, while enabled (setup calls are neither padded nor kept). */
export class CallRecorder {
  readonly calls: AwsCall[] = [];
  enabled = true;
  readonly latencyMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;

  constructor(options: CallRecorderOptions) {
    if (!(options.latencyMs >= 0)) throw new Error(`latency must be >= 0 ms, got ${options.latencyMs}`);
    this.latencyMs = options.latencyMs;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => sleepFor(ms));
  }

  reset(): void {
    this.calls.length = 0;
  }
}

type Middleware = (
  next: InitializeHandler<object, MetadataBearer>,
  context: HandlerExecutionContext,
) => InitializeHandler<object, MetadataBearer>;

/** Any SDK client (a DynamoDBDocumentClient shares its DynamoDBClient's stack: inject into the latter once). */
interface ClientWithStack {
  readonly middlewareStack: {
    add(
      middleware: Middleware,
      options: { step: 'initialize'; priority: 'high'; name: string; override: boolean },
    ): void;
  };
}

export function injectLatency(client: ClientWithStack, service: string, recorder: CallRecorder): void {
  const middleware: Middleware = (next, context) => async (args: InitializeHandlerArguments<object>) => {
    if (!recorder.enabled) return next(args);
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const startMs = recorder.now();
    let failed = false;
    try {
      return await next(args);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const own = recorder.now() - startMs;
      if (own < recorder.latencyMs) await recorder.sleep(recorder.latencyMs - own);
      recorder.calls.push({ service, operation, startMs, endMs: recorder.now(), failed });
    }
  };
  client.middlewareStack.add(middleware, {
    step: 'initialize',
    priority: 'high',
    name: `benchLatency${service}`,
    override: true,
  });
}

/**
 * The calls that ended before `operation` started, grouped into rounds one after another: calls that overlap in time
 * (sent in parallel) are one round. `rounds.length` is the number of round trips the operation waited for.
 */
export function roundsBefore(calls: readonly AwsCall[], operation: string): AwsCall[][] | null {
  const target = calls.find((call) => call.operation === operation);
  if (target === undefined) return null;
  const before = calls.filter((call) => call.endMs <= target.startMs).sort((a, b) => a.startMs - b.startMs);
  const rounds: AwsCall[][] = [];
  let roundEnd = Number.NEGATIVE_INFINITY;
  for (const call of before) {
    const current = rounds.at(-1);
    if (current !== undefined && call.startMs < roundEnd) {
      current.push(call);
      roundEnd = Math.max(roundEnd, call.endMs);
    } else {
      rounds.push([call]);
      roundEnd = call.endMs;
    }
  }
  return rounds;
}
