import type { MetadataBearer } from '@smithy/types';
import type { AwsStub } from 'aws-sdk-client-mock';
import { errorNameOf, notModelled } from './errors';

/** Every call made to the simulated services, as `Service:Command summary`, with ` -> ErrorName` when it failed. */
export class CallLog {
  readonly calls: string[] = [];

  /** Logs the call, runs it, and marks the entry with the error's name when it fails. Always async. */
  async run<T>(entry: string, handler: () => T | Promise<T>): Promise<T> {
    const index = this.calls.push(entry) - 1;
    try {
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
