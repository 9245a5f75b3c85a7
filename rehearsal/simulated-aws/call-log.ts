import { AWS_CLIENT_CONFIG } from '../../lambdas/shared/aws-clients';
import { awsError, errorNameOf, requestTimeoutError, throttlingError } from './errors';

/**
 * A fault injected into one simulated operation (`Service:Command` as the call log names it, e.g.
 * `ELB:ModifyListener`), raised before the simulation handles the call, so nothing changes when it fires. Calls are
 * counted per SDK attempt: the simulated clients run the SDK's own retries (sdk-stub.ts), so a fault the SDK retries
 * (throttle, hang) is absorbed when it fires fewer times than the client's attempts.
 */
export interface OperationFault {
  readonly operation: string;
  /**
   * `throttle`: the first `times` calls fail with a ThrottlingException; `fail`: the first `times` calls (every call
   * when unset) fail with `error`; `failFrom`: every call from the `fromCall`-th on fails with `error`; `hang`: the
   * first `times` calls never answer, so they fail with the SDK's TimeoutError (the clock does not move: the timeout
   * is the HTTP handler's, in real time on AWS); `staleRead`: after each successful write, the next `times` reads
   * still answer what was there before the write (eventual consistency; only for STALE_READ_OPERATIONS).
   */
  readonly kind: 'throttle' | 'fail' | 'failFrom' | 'hang' | 'staleRead';
  /** @default 1 for `throttle`, `hang` and `staleRead`, every call for `fail` */
  readonly times?: number;
  /** The first failing call of `failFrom`, counted from 1. @default 1 */
  readonly fromCall?: number;
  /** The AWS error name of `fail`/`failFrom`, raised as a non-retryable client error. @default 'ValidationError' */
  readonly error?: string;
}

/** An operation as the call log and `faults.operations` name it: `Service:Command` without the SDK's `Command`. */
export function operationName(service: string, commandName: string): string {
  return `${service}:${commandName.replace(/Command$/, '')}`;
}

/** The reads whose simulation models a stale answer (DescribeListeners lags behind ModifyListener). */
export const STALE_READ_OPERATIONS: readonly string[] = ['ELB:DescribeListeners'];

function faultFor(fault: OperationFault, call: number): Error | null {
  switch (fault.kind) {
    case 'throttle':
      return call <= (fault.times ?? 1) ? throttlingError() : null;
    case 'hang':
      return call <= (fault.times ?? 1) ? requestTimeoutError(AWS_CLIENT_CONFIG.requestHandler.requestTimeout) : null;
    case 'fail':
      return fault.times === undefined || call <= fault.times ? injected(fault) : null;
    case 'failFrom':
      return call >= (fault.fromCall ?? 1) ? injected(fault) : null;
    case 'staleRead':
      // Not an error: the simulation asks staleReadsAfterWrite() and answers the old state.
      return null;
  }
}

function injected(fault: OperationFault): Error {
  return awsError(fault.error ?? 'ValidationError', `injected fault on ${fault.operation}`);
}

/** Every call made to the simulated services, as `Service:Command summary`, with ` -> ErrorName` when it failed. */
export class CallLog {
  readonly calls: string[] = [];
  private readonly callsPerOperation = new Map<string, number>();

  constructor(private readonly faults: readonly OperationFault[] = []) {
    for (const fault of faults) {
      if (fault.kind === 'staleRead' && !STALE_READ_OPERATIONS.includes(fault.operation)) {
        const modelled = STALE_READ_OPERATIONS.join(', ');
        throw new Error(`staleRead is modelled only for ${modelled}, not for ${fault.operation}`);
      }
    }
  }

  /** How many reads of `operation` after each write still answer the state before it (0: none). */
  staleReadsAfterWrite(operation: string): number {
    const fault = this.faults.find((candidate) => candidate.kind === 'staleRead' && candidate.operation === operation);
    return fault === undefined ? 0 : (fault.times ?? 1);
  }

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
