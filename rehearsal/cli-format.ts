import { styleText } from 'node:util';
import type { RehearsalResult } from './rehearse';
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

/** Widths that fit every agent and action the ASL names today; a longer one only pushes its own line. */
const WIDTH = { clock: 7, phase: 14, agent: 22, action: 19 } as const;

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
export function formatEntry(entry: TimelineEntry, paint: Paint): string {
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
  const columns = [
    paint('dim', clockOf(entry.seconds).padStart(WIDTH.clock)),
    paint(PHASE_COLOUR[entry.phase], entry.phase.padEnd(WIDTH.phase)),
    entry.agent.padEnd(WIDTH.agent),
    entry.action.padEnd(WIDTH.action),
    `${`${entry.greenWeight}`.padStart(3)} %`,
  ];
  return `${columns.join(' ')}${marks.length === 0 ? '' : `  ${marks.join('  ')}`}`.trimEnd();
}

export function formatHeader(title: string, description: string, paint: Paint): string {
  const lines = [paint('bold', `Rehearsal: ${title}`), description];
  lines.push(paint('dim', 'Simulated production, virtual clock; no AWS call leaves this process.'), '');
  const head = [
    'time'.padStart(WIDTH.clock),
    'phase'.padEnd(WIDTH.phase),
    'agent'.padEnd(WIDTH.agent),
    'action'.padEnd(WIDTH.action),
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

export interface SummaryInput {
  readonly result: RehearsalResult;
  /** Where the chart was written, or null when the run left no report. */
  readonly chart: string | null;
  /** Null when no expectation applies (a replay without a scenario). */
  readonly expectation: Expectation | null;
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
  if (result.rollback === null) {
    lines.push(row('Rollback', 'none'));
  } else {
    const { type, trigger, reactionSeconds } = result.rollback;
    lines.push(row('Rollback', paint('red', `${type ?? 'type undecided'} on ${trigger}`)));
    lines.push(
      row(
        'Reaction',
        reactionSeconds === null
          ? 'unknown (the report has no confirmed weight change back)'
          : `${reactionSeconds} s from the trigger to traffic back on the old side`,
      ),
    );
  }
  lines.push(
    row('Transitions', `${result.transitions} (Step Functions Standard: $${result.costUsd.toFixed(4)})`),
    row('Simulated time', clockOf(result.simulatedSeconds)),
    row('Report', result.reportKeys.length === 0 ? 'none written' : result.reportKeys.join(', ')),
    row('Chart', chart ?? 'none (no report)'),
  );
  if (expectation === null) {
    lines.push(row('Expectation', 'none (a replay without --scenario shows what would happen)'));
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
