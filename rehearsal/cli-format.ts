import { styleText } from 'node:util';
import type { RehearsalResult, RehearsalRollback } from './rehearse';
import type * as Timeline from './timeline';
import type { Phase, TimelineEntry } from './timeline';

/**
 * What `npm run rehearse` prints for a human: a header, one timeline line per step as it happens, and a summary.
 * Pure text: colour comes from the painter, so piped output and NO_COLOR get the same lines without escapes.
 */

type StyleFormat = Parameters<typeof styleText>[0];
export type Paint = (format: StyleFormat, text: string) => string;

/** The stream check is done once by the caller (TTY and NO_COLOR), so styleText must not redo it. */
export function painter(colour: boolean): Paint {
  return colour ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
}

export interface Expectation {
  readonly met: boolean;
  readonly mismatches: readonly string[];
}

/** Simulated time since the start: `mm:ss`, or `h:mm:ss` from the first hour on. */
export function clockOf(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}`
    : `${String(minutes).padStart(2, '0')}:${rest}`;
}

const PHASE_COLOUR: Readonly<Record<Phase, StyleFormat>> = {
  start: 'blue',
  validation: 'cyan',
  provisioning: 'magenta',
  cutover: 'yellow',
  'post-promotion': 'green',
  rollback: 'red',
  end: 'bold',
};

/** The widths of the agent and action columns. */
export interface Columns {
  readonly agent: number;
  readonly action: number;
}

const WIDTH = { clock: 7, phase: 14 } as const;
/** The narrowest the columns get: the header's words and the common names fit. */
export const DEFAULT_COLUMNS: Columns = { agent: 22, action: 19 };

type Step = Pick<TimelineEntry, 'agent' | 'action'>;

/**
 * Every agent and action the timeline can print: the recorder's own line for each state of the ASL (its Task
 * actions and the names it gives task tokens and the watch), and the end's. Asked of the recorder rather than
 * listed here, so a renamed or added action cannot outgrow its column. Takes the module, which loads the CDK.
 */
export function printableSteps(timeline: Pick<typeof Timeline, 'STATES' | 'timelineRecorder'>): Step[] {
  const at = new Date(0);
  const recorder = timeline.timelineRecorder({ now: () => at, startedAt: at, greenWeight: () => 0 });
  const events = [
    ...[...timeline.STATES.keys()].map((name) => ({ type: 'StateCaught', state: { name } })),
    { type: 'ExecutionSucceeded' },
    { type: 'ExecutionFailed' },
  ];
  for (const event of events) recorder.onEvent(event as unknown as Parameters<typeof recorder.onEvent>[0]);
  return recorder.entries.map(({ agent, action }) => ({ agent, action }));
}

/** Columns as wide as the longest agent and action of `steps`, never narrower than the defaults. */
export function columnsFitting(steps: readonly Step[]): Columns {
  return {
    agent: Math.max(DEFAULT_COLUMNS.agent, ...steps.map((step) => step.agent.length)),
    action: Math.max(DEFAULT_COLUMNS.action, ...steps.map((step) => step.action.length)),
  };
}

/** Pads to `width`; a longer text (none the run prints, see columnsFitting) is cut with an ellipsis. */
function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function percent(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} %`;
}

function decisionFormat(entry: TimelineEntry): StyleFormat {
  const decision = entry.decision ?? '';
  if (entry.outcome === 'failed' || /rollback:|FAILED|NOT ready|missing/.test(decision)) return ['bold', 'red'];
  if (entry.outcome === 'caught') return 'yellow';
  if (/^(promote|SUCCEEDED|smoke passed|rollback ready|monitoring ok)/.test(decision)) return 'green';
  if (/^(wait|rebake|inconclusive)/.test(decision)) return 'yellow';
  return 'bold';
}

/** One timeline line: time, phase, agent, action, green's weight, the verdict's numbers when known, the decision. */
export function formatEntry(entry: TimelineEntry, paint: Paint, columns: Columns = DEFAULT_COLUMNS): string {
  const numbers = [
    entry.errorRatePercent === null ? null : `err ${percent(entry.errorRatePercent)}`,
    entry.p95LatencyMs === null ? null : `p95 ${Math.round(entry.p95LatencyMs)} ms`,
    entry.dbConnectionsPercent === null ? null : `db ${Math.round(entry.dbConnectionsPercent)} %`,
  ].filter((part): part is string => part !== null);
  const marks = [
    entry.outcome === 'ok' ? null : paint(entry.outcome === 'failed' ? 'red' : 'yellow', `[${entry.outcome}]`),
    numbers.length === 0 ? null : numbers.join('  '),
    entry.decision === null ? null : paint(decisionFormat(entry), entry.decision),
  ].filter((part): part is string => part !== null);
  const cells = [
    paint('dim', clockOf(entry.seconds).padStart(WIDTH.clock)),
    paint(PHASE_COLOUR[entry.phase], entry.phase.padEnd(WIDTH.phase)),
    cell(entry.agent, columns.agent),
    cell(entry.action, columns.action),
    `${`${entry.greenWeight}`.padStart(3)} %`,
  ];
  return `${cells.join(' ')}${marks.length === 0 ? '' : `  ${marks.join('  ')}`}`.trimEnd();
}

export function formatHeader(
  title: string,
  description: string,
  paint: Paint,
  columns: Columns = DEFAULT_COLUMNS,
): string {
  const lines = [paint('bold', `Rehearsal: ${title}`), description];
  lines.push(paint('dim', 'Simulated production, virtual clock; no AWS call leaves this process.'), '');
  const head = [
    'time'.padStart(WIDTH.clock),
    'phase'.padEnd(WIDTH.phase),
    'agent'.padEnd(columns.agent),
    'action'.padEnd(columns.action),
    'green',
  ];
  lines.push(paint('dim', head.join(' ')));
  return lines.join('\n');
}

/** A cause is often a JSON document several lines long: one line of it is enough here, `--json` has it whole. */
function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What was decided, and whether its database part was done: `full decided on X; database not restored: …`. */
function decidedRollback({ type, trigger, databaseRestored }: RehearsalRollback): string {
  if (type === null) return `type undecided on ${trigger}`;
  if (databaseRestored === true) return `${type} on ${trigger}; database restored`;
  if (databaseRestored === false) {
    return `${type} decided on ${trigger}; database not restored${type === 'full' ? ': traffic only' : ''}`;
  }
  return `${type} on ${trigger}`;
}

/**
 * The rollback's rows. A failed one (escalated) says so and whether traffic was confirmed back; the reaction only
 * where traffic was to move (a database-only rollback, or none, moves no traffic).
 */
function rollbackRows(result: RehearsalResult, rollback: RehearsalRollback, paint: Paint): [string, string][] {
  const failed = result.report?.outcome.status === 'ROLLBACK_FAILED' || result.error === 'RollbackFailed';
  const movesTraffic = rollback.type === null || rollback.type === 'traffic' || rollback.type === 'full';
  const rows: [string, string][] = [];
  if (failed) {
    rows.push(['Rollback', paint(['bold', 'red'], `FAILED: ${decidedRollback(rollback)}`)]);
    rows.push(['Escalated', 'the lock is kept ESCALATED: production must be put right by hand (runbook)']);
  } else {
    rows.push(['Rollback', paint('red', decidedRollback(rollback))]);
  }
  if (!movesTraffic) return rows;
  const { reactionSeconds } = rollback;
  if (reactionSeconds !== null) {
    rows.push(['Reaction', `${reactionSeconds} s from the trigger to traffic back on the old side`]);
  } else if (failed) {
    const last = result.greenWeights.at(-1);
    const weight = last === undefined ? 'none applied' : `${last} %`;
    rows.push(['Traffic', paint('red', `not confirmed back on the old side (green's last applied weight: ${weight})`)]);
  } else {
    rows.push(['Reaction', 'unknown (the report has no confirmed weight change back)']);
  }
  return rows;
}

export interface SummaryInput {
  readonly result: RehearsalResult;
  /** Where the chart was written, or null when the run left no report. */
  readonly chart: string | null;
  /** The scenario's verdict on the run, or why it does not judge it (a replay). */
  readonly expectation: Expectation | { readonly notChecked: string };
}

export function formatSummary({ result, chart, expectation }: SummaryInput, paint: Paint): string {
  const row = (label: string, value: string) => `  ${label.padEnd(16)}${value}`;
  const outcome =
    result.status === 'SUCCEEDED'
      ? paint(['bold', 'green'], 'SUCCEEDED')
      : paint(['bold', 'red'], `FAILED${result.error === null ? '' : ` (${result.error})`}`);
  const lines = ['', paint('bold', 'Summary'), row('Outcome', outcome)];
  if (result.status === 'FAILED' && result.cause !== null) lines.push(row('Cause', oneLine(result.cause)));
  lines.push(row('Green weights', result.greenWeights.length === 0 ? 'none applied' : result.greenWeights.join(' → ')));
  if (result.rollback === null) lines.push(row('Rollback', 'none'));
  else lines.push(...rollbackRows(result, result.rollback, paint).map(([label, value]) => row(label, value)));
  lines.push(
    row('Transitions', `${result.transitions} (Step Functions Standard: $${result.costUsd.toFixed(4)})`),
    row('Simulated time', clockOf(result.simulatedSeconds)),
    // Keys in the simulated report bucket (nothing is written to disk but the chart): said so, not a local path.
    row(
      'Report',
      result.reportKeys.length === 0
        ? 'none written'
        : `in the simulated S3 bucket: ${result.reportKeys.map((key) => key.split('/').at(-1)).join(', ')} under ${result.reportKeys[0]?.split('/').slice(0, -1).join('/')}/`,
    ),
    row('Chart', chart ?? 'none (no report)'),
  );
  if ('notChecked' in expectation) {
    lines.push(row('Expectation', `not checked: ${expectation.notChecked}`));
  } else if (expectation.met) {
    lines.push(row('Expectation', paint('green', 'met')));
  } else {
    lines.push(row('Expectation', paint(['bold', 'red'], 'NOT met')));
    for (const mismatch of expectation.mismatches) lines.push(`    - ${mismatch}`);
  }
  return lines.join('\n');
}

export function formatList(scenarios: readonly { name: string; description: string }[]): string {
  const width = Math.max(0, ...scenarios.map((scenario) => scenario.name.length));
  return scenarios.map((scenario) => `${scenario.name.padEnd(width)} — ${scenario.description}`).join('\n');
}
