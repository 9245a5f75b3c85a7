import { parseArgs } from 'node:util';

/** The command line of `npm run rehearse`, parsed with node:util's strict parser. */

export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'list'; readonly json: boolean }
  | {
      readonly kind: 'run';
      /** The scenario's name or path; undefined: the default scenario. */
      readonly scenario: string | undefined;
      /** A CloudWatch GetMetricData export that replaces the scenario's traffic. */
      readonly replay: string | undefined;
      readonly json: boolean;
    };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: npm run rehearse -- [options]

Runs the real state machine and agents offline against a simulated production and prints what they would do.

Options:
  --scenario <name|path>  the scenario to rehearse (a name from --list or a JSON file); default: the happy path
  --replay <file>         drive green's traffic from a CloudWatch GetMetricData export instead of the scenario's;
                          the scenario (default the happy path) gives the rest, its expectation is not checked
  --json                  print exactly one JSON document on stdout instead of the timeline and summary
                          (through npm, add -s: npm run -s rehearse -- --json, or npm prints its banner there too)
  --list                  list the shipped scenarios
  --help                  show this help

Exit codes: 0 the outcome is what the scenario expects (with --replay: the rehearsal ran), 1 it is not, 2 a bad
scenario file or bad arguments.`;

/** @throws UsageError on an unknown option, a missing value or a stray argument */
export function parseCommand(argv: readonly string[]): CliCommand {
  let values: { scenario?: string; replay?: string; json?: boolean; list?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        replay: { type: 'string' },
        json: { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return { kind: 'help' };
  const json = values.json === true;
  if (values.list === true) return { kind: 'list', json };
  for (const name of ['scenario', 'replay'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} needs a value`);
  }
  return { kind: 'run', scenario: values.scenario, replay: values.replay, json };
}
