import type { MetadataBearer } from '@smithy/types';
import type { AwsStub } from 'aws-sdk-client-mock';
import { awsError, errorNameOf, notModelled, throttlingError } from './errors';

/**
 * A fault injected into one simulated operation (`Service:Command` as the call log names it, e.g.
 * `ELB:ModifyListener`), raised before the simulation handles the call, so nothing changes when it fires.
 */
export interface OperationFault {
  readonly operation: string;
  /**
   * `throttle`: the first `times` calls fail with a retryable ThrottlingException (what the SDK raises once its own
   * retries are spent); `fail`: the first `times` calls (every call when unset) fail with `error`; `failFrom`: every
   * call from the `fromCall`-th on fails with `error`.
   */
  readonly kind: 'throttle' | 'fail' | 'failFrom';
  /** @default 1 for `throttle`, every call for `fail` */
  readonly times?: number;
  /** The first failing call of `failFrom`, counted from 1. @default 1 */
  readonly fromCall?: number;
  /** The AWS error name of `fail`/`failFrom`, raised as a non-retryable client error. @default 'ValidationError' */
  readonly error?: string;
}

function faultFor(fault: OperationFault, call: number): Error | null {
  switch (fault.kind) {
    case 'throttle':
      return call <= (fault.times ?? 1) ? throttlingError() : null;
    case 'fail':
      return fault.times === undefined || call <= fault.times ? injected(fault) : null;
    case 'failFrom':
      return call >= (fault.fromCall ?? 1) ? injected(fault) : null;
  }
}

function injected(fault: OperationFault): Error {
  return awsError(fault.error ?? 'ValidationError', `injected fault on ${fault.operation}`);
}

/** Every call made to the simulated services, as `Service:Command summary`, with ` -> ErrorName` when it failed. */
export class CallLog {
  readonly calls: string[] = [];
  private readonly callsPerOperation = new Map<string, number>();

  constructor(private readonly faults: readonly OperationFault[] = []) {}

  /** Logs the call, runs it, and marks the entry with the error's name when it fails. Always async. */
  async run<T>(entry: string, handler: () => T | Promise<T>): Promise<T> {
    const index = this.calls.push(entry) - 1;
    const operation = entry.split(' ')[0] ?? entry;
    const call = (this.callsPerOperation.get(operation) ?? 0) + 1;
    this.callsPerOperation.set(operation, call);
    try {
      for (const fault of this.faults) {
        const error = fault.operation === operation ? faultFor(fault, call) : null;
        if (error !== null) throw error;
      }
      return await handler();
    } catch (error) {
      this.calls[index] = `${entry} -> ${errorNameOf(error)}`;
      throw error;
    }
  }
}

/**
 * Makes every command without its own `on(...)` handler fail loudly, naming the command. (`on(Command)` behaviours
 * take precedence over this default.)
 */
export function rejectUnmodelled<TInput extends object, TOutput extends MetadataBearer, TConfiguration>(
  mock: AwsStub<TInput, TOutput, TConfiguration>,
  service: string,
  log: CallLog,
): void {
  mock.send.callsFake((command) =>
    log.run(`${service}:${command.constructor.name}`, () => {
      throw notModelled(service, command.constructor.name);
    }),
  );
}
