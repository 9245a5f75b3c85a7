import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import {
  bakeInProgress,
  type CurrentState,
  currentState,
  type EventView,
  latestGreenWeight,
  latestReport,
  latestVerdict,
  numberAt,
  objectAt,
  parseJsonObject,
  type RecentHistory,
  type ReportLocation,
  reportOf,
  timelineOf,
  type VerdictView,
} from './execution-history';
import { columns, formatDuration, formatTime, isoSeconds, oneLine } from './format';
import type { LockRollbackRequest, LockView } from './lock-view';

/**
 * `crew status`: the document (`--json`) and the lines people read, built from what the command read (pure). The
 * document is also what `status --watch` returns at the end. No field carries a task token: the lock and the
 * approvals are read without theirs, and the history's events are reduced to their time, state and a sentence.
 */

/** How many of the newest events the status shows. */
export const EVENTS_SHOWN = 8;

export interface ApprovalView {
  readonly kind: string;
  readonly requestedAt: string | null;
  /** When the approval task times out. */
  readonly deadline: string | null;
  /** The deadline has passed (the item is not marked EXPIRED until someone answers or Step Functions times out). */
  readonly expired: boolean;
}

export interface LockSummary {
  readonly holder: string;
  readonly lockState: string;
  readonly heldByThisDeployment: boolean;
  readonly acquiredAt: string | null;
  readonly escalatedAt: string | null;
}

export interface BakeView {
  readonly stepIndex: number | null;
  readonly greenWeight: number | null;
  readonly startedAt: string;
  readonly seconds: number | null;
  readonly endsAt: string | null;
  /** bakeStartedAt + bake seconds − now, at least 0; null when the bake's length is unknown. */
  readonly secondsLeft: number | null;
}

export interface StatusDocument {
  readonly deployment: string;
  readonly executionArn: string;
  readonly asOf: string;
  readonly execution: {
    readonly status: string;
    readonly startedAt: string | null;
    readonly stoppedAt: string | null;
    readonly elapsedSeconds: number | null;
    readonly error: string | null;
    readonly cause: string | null;
  };
  /** The lock's phase while this deployment holds the lock; the execution's status otherwise. */
  readonly phase: string;
  readonly phaseSource: 'lock' | 'execution';
  readonly lock: LockSummary | null;
  readonly greenWeight: number | null;
  readonly sides: { readonly live: string | null; readonly green: string | null } | null;
  readonly verdict: VerdictView | null;
  readonly bake: BakeView | null;
  readonly rollbackRequest: LockRollbackRequest | null;
  readonly approvals: readonly ApprovalView[];
  readonly currentState: CurrentState | null;
  /** The newest events worth showing, oldest first. */
  readonly events: readonly EventView[];
  readonly report: ReportLocation | null;
  /** How much of the history was read (newest first, bounded): what is older is not reflected. */
  readonly historyRead: { readonly events: number; readonly complete: boolean };
}

export interface StatusInputs {
  readonly deployment: string;
  readonly execution: DescribeExecutionCommandOutput;
  readonly lock: LockView | undefined;
  readonly approvals: readonly ApprovalView[];
  readonly history: RecentHistory;
  readonly now: Date;
}

const isoOf = (date: Date | undefined): string | null => (date === undefined ? null : isoSeconds(date));

function bakeOf(inputs: StatusInputs, held: LockView | undefined): BakeView | null {
  const bake = bakeInProgress(inputs.history.events);
  if (bake === null || inputs.execution.status !== 'RUNNING') return null;
  // The lock's bakeStartedAt is this bake's once startBake stored it, i.e. not older than BakeStep's entry.
  const entered = bake.enteredAt === null ? Number.NaN : Date.parse(bake.enteredAt);
  const stored = held?.bakeStartedAt ? Date.parse(held.bakeStartedAt) : Number.NaN;
  const start = Number.isFinite(stored) && !(stored < entered) ? stored : entered;
  if (!Number.isFinite(start)) return null;
  const ends = bake.bakeSeconds === null ? null : start + bake.bakeSeconds * 1000;
  return {
    stepIndex: bake.stepIndex,
    greenWeight: bake.greenWeight,
    startedAt: isoSeconds(new Date(start)),
    seconds: bake.bakeSeconds,
    endsAt: ends === null ? null : isoSeconds(new Date(ends)),
    secondsLeft: ends === null ? null : Math.max(0, Math.round((ends - inputs.now.getTime()) / 1000)),
  };
}

export function buildStatus(inputs: StatusInputs): StatusDocument {
  const { execution, lock, history, now } = inputs;
  const held = lock !== undefined && lock.holder === inputs.deployment ? lock : undefined;
  const events = history.events;
  const output = parseJsonObject(execution.output);
  const started = execution.startDate;
  const end = execution.stopDate ?? now;
  return {
    deployment: inputs.deployment,
    executionArn: execution.executionArn ?? '',
    asOf: isoSeconds(now),
    execution: {
      status: execution.status ?? 'UNKNOWN',
      startedAt: isoOf(started),
      stoppedAt: isoOf(execution.stopDate),
      elapsedSeconds: started === undefined ? null : Math.round((end.getTime() - started.getTime()) / 1000),
      error: execution.error ?? null,
      cause: execution.cause === undefined ? null : oneLine(execution.cause, 240),
    },
    phase: held === undefined ? (execution.status ?? 'UNKNOWN') : (held.phase ?? 'VALIDATION'),
    phaseSource: held === undefined ? 'execution' : 'lock',
    lock:
      lock === undefined
        ? null
        : {
            holder: lock.holder,
            lockState: lock.lockState,
            heldByThisDeployment: held !== undefined,
            acquiredAt: held?.acquiredAt ?? null,
            escalatedAt: held?.escalatedAt ?? null,
          },
    greenWeight: held?.greenWeight ?? latestGreenWeight(events) ?? numberAt(objectAt(output, 'canary'), 'greenWeight'),
    sides:
      held === undefined || (held.liveService === null && held.greenService === null)
        ? null
        : { live: held.liveService, green: held.greenService },
    verdict: latestVerdict(events, output),
    bake: bakeOf(inputs, held),
    rollbackRequest: held?.rollback ?? null,
    approvals: inputs.approvals,
    currentState: execution.status === 'RUNNING' ? currentState(events) : null,
    events: timelineOf(events, EVENTS_SHOWN),
    report: reportOf(output) ?? latestReport(events),
    historyRead: { events: events.length, complete: history.complete },
  };
}

const percent = (value: number | null): string => (value === null ? 'no data' : `${value} %`);

/** `[#######-------------]`: the part of the bake that has passed. */
export function progressBar(bake: BakeView, width = 20): string {
  if (bake.seconds === null || bake.secondsLeft === null || bake.seconds <= 0) return '';
  const done = Math.min(width, Math.round(((bake.seconds - bake.secondsLeft) / bake.seconds) * width));
  return `[${'#'.repeat(done)}${'-'.repeat(width - done)}] `;
}

export function bakeLine(bake: BakeView): string {
  const step = bake.stepIndex === null ? 'bake' : `step ${bake.stepIndex + 1}`;
  const left =
    bake.secondsLeft === null
      ? `started ${formatTime(bake.startedAt)} (length unknown)`
      : bake.secondsLeft === 0
        ? `bake time over, waiting for the evaluation`
        : `${formatDuration(bake.secondsLeft)} left of ${formatDuration(bake.seconds ?? 0)} (ends ${formatTime(bake.endsAt)})`;
  return `${step} at ${percent(bake.greenWeight)} green: ${progressBar(bake)}${left}`;
}

function verdictLine(verdict: VerdictView): string {
  const numbers =
    `error rate ${percent(verdict.errorRatePercent)}, p95 ${verdict.p95LatencyMs === null ? 'no data' : `${verdict.p95LatencyMs} ms`}, ` +
    `DB connections ${percent(verdict.dbConnectionsPercent)}`;
  const flags = [
    ...(verdict.inconclusive ? ['inconclusive'] : []),
    ...(verdict.pendingMinutes !== null && verdict.pendingMinutes > 0 ? [`${verdict.pendingMinutes} min pending`] : []),
  ];
  const at = verdict.greenWeight === null ? '' : ` at ${verdict.greenWeight} %`;
  const when = verdict.at === null ? '' : ` (${formatTime(verdict.at)})`;
  return `${verdict.decision}${at}${when}: ${numbers}${flags.length === 0 ? '' : `; ${flags.join(', ')}`}`;
}

function executionLine(document: StatusDocument): string {
  const { execution } = document;
  const elapsed = execution.elapsedSeconds === null ? '' : ` (${formatDuration(execution.elapsedSeconds)})`;
  if (execution.status === 'RUNNING') return `RUNNING since ${formatTime(execution.startedAt)}${elapsed}`;
  const error = execution.error === null ? '' : `: ${execution.error}`;
  return `${execution.status}${error} at ${formatTime(execution.stoppedAt)}${elapsed}`;
}

function reportLine(report: ReportLocation): string {
  if (report.json !== null) return report.json;
  return `not written${report.summary === null ? '' : ` (${report.summary})`}`;
}

export function renderStatus(document: StatusDocument): string[] {
  const rows: string[][] = [['execution', executionLine(document)]];
  if (document.execution.cause !== null) rows.push(['cause', document.execution.cause]);
  const lock = document.lock;
  const lockSince = lock?.lockState === 'ESCALATED' ? (lock.escalatedAt ?? lock.acquiredAt) : lock?.acquiredAt;
  const phaseNote =
    document.phaseSource === 'lock'
      ? ` (lock ${lock?.lockState ?? '?'} since ${formatTime(lockSince)})`
      : lock === null
        ? ''
        : ` (the lock is ${lock.lockState} by ${lock.holder})`;
  rows.push(['phase', `${document.phase}${phaseNote}`]);
  if (lock?.heldByThisDeployment === true && lock.lockState === 'ESCALATED') {
    rows.push(['next', 'production needs a person: follow the runbook, then crew unlock --force']);
  }
  if (document.currentState !== null) {
    rows.push(['state', `${document.currentState.name} since ${formatTime(document.currentState.since)}`]);
  }
  if (document.greenWeight !== null || document.sides !== null) {
    const sides =
      document.sides === null ? '' : ` (live ${document.sides.live ?? '?'}, green ${document.sides.green ?? '?'})`;
    rows.push(['green', `${percent(document.greenWeight)}${sides}`]);
  }
  rows.push(['verdict', document.verdict === null ? 'none yet' : verdictLine(document.verdict)]);
  if (document.bake !== null) rows.push(['bake', bakeLine(document.bake)]);
  const rollback = document.rollbackRequest;
  if (rollback !== null) {
    rows.push([
      'rollback',
      `requested (${rollback.trigger}) by ${rollback.requestedBy} at ${formatTime(rollback.requestedAt)}: ${oneLine(rollback.reason)}`,
    ]);
  }
  for (const approval of document.approvals) {
    const expiry = approval.expired ? 'expired' : 'expires';
    rows.push([
      'approval',
      `${approval.kind} waiting since ${formatTime(approval.requestedAt)}, ${expiry} ${formatTime(approval.deadline)}`,
    ]);
  }
  if (document.report !== null) rows.push(['report', reportLine(document.report)]);

  const events = columns(document.events.map((event) => [formatTime(event.at), event.state ?? '-', event.what]));
  const bounded = document.historyRead.complete ? '' : `, from the newest ${document.historyRead.events}`;
  return [
    `Deployment ${document.deployment} (as of ${document.asOf})`,
    ...columns(rows).map((line) => `  ${line}`),
    '',
    `Last events${bounded}:`,
    ...(events.length === 0 ? ['  (none)'] : events.map((line) => `  ${line}`)),
  ];
}
