import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import type { DeploymentReport } from '../lambdas/shared/deployment-report';
import { type CliCommand, parseCommand, USAGE, UsageError } from './cli-args';
import {
  columnsFitting,
  type Expectation,
  formatEntry,
  formatHeader,
  formatList,
  formatSummary,
  painter,
} from './cli-format';
import type { RehearsalOptions, RehearsalResult } from './rehearse';

/**
 * `npm run rehearse`: parse the command line, load the scenario (and a replay), run one rehearsal, print it live,
 * write its chart, and answer with the exit code. Its collaborators come in as `CliDeps` so this file stays the
 * CLI's behaviour only; `cli.ts` wires the real ones.
 */

export const EXIT = { asExpected: 0, notAsExpected: 1, badInput: 2 } as const;

export interface LoadedScenario {
  readonly name: string;
  readonly file: string;
}

export interface CliDeps<S> {
  readonly defaultScenario: string;
  readonly loadScenario: (nameOrPath: string) => S & LoadedScenario;
  readonly describeScenario: (scenario: S & LoadedScenario) => string;
  readonly listScenarios: () => readonly { name: string; description: string }[];
  readonly rehearsalOptionsOf: (scenario: S) => RehearsalOptions;
  readonly checkExpectation: (scenario: S, result: RehearsalResult) => Expectation;
  /** True for the scenario loader's or the replay's own error (a bad file), whose message names the field. */
  readonly isScenarioError: (error: unknown) => boolean;
  readonly replayOptionsOf: (file: string) => RehearsalOptions['world'];
  readonly renderReportChart: (report: DeploymentReport) => string;
  /** Every agent and action the timeline can print (cli-format's printableSteps): the columns fit them all. */
  readonly printableSteps: readonly { readonly agent: string; readonly action: string }[];
  readonly runRehearsal: (options: RehearsalOptions) => Promise<RehearsalResult>;
}

export interface CliIo {
  /** Writes one line to stdout: the only way anything reaches it. */
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly colour: boolean;
  /** Where `.rehearsal/` goes. */
  readonly cwd: string;
}

type RunCommand = Extract<CliCommand, { kind: 'run' }>;

interface Prepared<S> {
  readonly scenario: S & LoadedScenario;
  readonly options: RehearsalOptions;
  /** What the header calls the run, and the chart's file name (without extension, made safe). */
  readonly title: string;
  readonly description: string;
  readonly replay: string | null;
  /**
   * Why the scenario's expectation does not judge this run, or null when it does. A replay never is: the
   * expectation describes the scenario's own traffic, and the export replaced it (docs/replay.md).
   */
  readonly expectationNotChecked: string | null;
}

function prepare<S>(command: RunCommand, deps: CliDeps<S>): Prepared<S> {
  const scenario = deps.loadScenario(command.scenario ?? deps.defaultScenario);
  const options = deps.rehearsalOptionsOf(scenario);
  const description = deps.describeScenario(scenario);
  if (command.replay === undefined) {
    return { scenario, options, title: scenario.name, description, replay: null, expectationNotChecked: null };
  }
  const replayed = deps.replayOptionsOf(command.replay);
  const replay = `replay-${basename(command.replay, extname(command.replay))}`;
  const borrowed = command.scenario === undefined;
  return {
    scenario,
    // The export replaces the scenario's traffic; everything else (approvals, faults, settings) stays.
    options: { ...options, world: { ...options.world, ...replayed } },
    title: borrowed ? replay : `${scenario.name}-${replay}`,
    description: borrowed
      ? `Green's traffic replayed from ${command.replay}; everything else as in ${scenario.name}.`
      : `${description} Traffic replayed from ${command.replay}.`,
    replay: command.replay,
    expectationNotChecked: borrowed
      ? 'a replay without --scenario shows what would happen'
      : `the traffic came from ${command.replay}, ${scenario.name}'s expectation is for its own`,
  };
}

function writeChart(html: string, title: string, io: CliIo): string {
  const folder = join(io.cwd, '.rehearsal');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${title.replace(/[^A-Za-z0-9._-]+/g, '-')}.html`);
  writeFileSync(file, html);
  return relative(io.cwd, file);
}

function jsonDocument(
  { scenario, replay, expectationNotChecked }: Prepared<unknown>,
  result: RehearsalResult,
  expectation: Expectation | null,
  chart: string | null,
) {
  return {
    scenario: { name: scenario.name, file: scenario.file, replay },
    status: result.status,
    error: result.error,
    cause: result.cause,
    greenWeights: result.greenWeights,
    rollback: result.rollback,
    transitions: result.transitions,
    costUsd: result.costUsd,
    simulatedSeconds: result.simulatedSeconds,
    report: result.report,
    reportKeys: result.reportKeys,
    chart,
    expectation,
    expectationNotChecked,
    timeline: result.timeline,
  };
}

async function rehearse<S>(command: RunCommand, io: CliIo, deps: CliDeps<S>): Promise<number> {
  let prepared: Prepared<S>;
  try {
    prepared = prepare(command, deps);
  } catch (error) {
    // A bad scenario or export is the user's input; anything else is a fault of the rehearsal itself.
    if (!deps.isScenarioError(error)) throw error;
    io.err(`rehearse: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.badInput;
  }
  const { scenario, options, title } = prepared;
  const paint = painter(io.colour && !command.json);
  const columns = columnsFitting(deps.printableSteps);
  if (!command.json) io.out(formatHeader(title, prepared.description, paint, columns));
  const result = await deps.runRehearsal({
    ...options,
    onEntry: command.json ? undefined : (entry) => io.out(formatEntry(entry, paint, columns)),
  });
  const notChecked = prepared.expectationNotChecked;
  const judged = notChecked === null ? deps.checkExpectation(scenario, result) : { notChecked };
  const expectation = 'notChecked' in judged ? null : judged;
  let chart: string | null = null;
  let chartFailed = false;
  if (result.report !== null) {
    try {
      chart = writeChart(deps.renderReportChart(result.report), title, io);
    } catch (error) {
      chartFailed = true;
      io.err(`rehearse: the chart was not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (command.json) io.out(JSON.stringify(jsonDocument(prepared, result, expectation, chart)));
  else io.out(formatSummary({ result, chart, expectation: judged }, paint));
  return chartFailed || expectation?.met === false ? EXIT.notAsExpected : EXIT.asExpected;
}

/**
 * Runs the CLI once; resolves to its exit code. The collaborators load only once the arguments are good: the
 * agents and SDK clients behind them take a while, which `--help` and a typo should not wait for.
 */
export async function main<S>(argv: readonly string[], io: CliIo, load: () => Promise<CliDeps<S>>): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`rehearse: ${error.message}\n\n${USAGE}`);
    return EXIT.badInput;
  }
  if (command.kind === 'help') {
    io.out(USAGE);
    return EXIT.asExpected;
  }
  const deps = await load();
  if (command.kind === 'list') {
    const scenarios = deps.listScenarios();
    io.out(command.json ? JSON.stringify(scenarios) : formatList(scenarios));
    return EXIT.asExpected;
  }
  try {
    return await rehearse(command, io, deps);
  } catch (error) {
    io.err(`rehearse: the rehearsal itself failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    return EXIT.notAsExpected;
  }
}
