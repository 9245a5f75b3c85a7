import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { CrewContext } from './context';
import { fromAwsError } from './errors';
import { formatDuration, isoSeconds, oneLine } from './format';

/**
 * The recent end of an execution's history, and what the crew reads from it. A history can grow to 25,000 events,
 * so it is read newest first, a bounded number of pages. Events carry each state's input or output: the state
 * machine's whole state (`$`), from which the canary, the settings and the report location are read. The task
 * events' parameters carry task tokens: nothing here passes parameters (or any raw event) on.
 */

export interface RecentHistory {
  /** Newest first. */
  readonly events: readonly HistoryEvent[];
  /** Whether the whole history was read (the bound was not reached). */
  readonly complete: boolean;
}

export const HISTORY_PAGE_SIZE = 100;
export const HISTORY_MAX_PAGES = 3;

export interface ReadOptions {
  readonly pageSize?: number;
  readonly maxPages?: number;
  /** Stops before the bound once this says the events read so far are enough. */
  readonly enough?: (events: readonly HistoryEvent[]) => boolean;
}

export async function readRecentHistory(
  context: CrewContext,
  executionArn: string,
  options: ReadOptions = {},
): Promise<RecentHistory> {
  const pageSize = options.pageSize ?? HISTORY_PAGE_SIZE;
  const maxPages = options.maxPages ?? HISTORY_MAX_PAGES;
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    try {
      const output = await context.clients.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          reverseOrder: true,
          maxResults: pageSize,
          includeExecutionData: true,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      events.push(...(output.events ?? []));
      nextToken = output.nextToken;
    } catch (error) {
      throw fromAwsError(error, context.region);
    }
    if (nextToken === undefined) return { events, complete: true };
    if (options.enough?.(events) === true) break;
  }
  return { events, complete: false };
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
export const objectAt = (value: unknown, key: string): Json | null => {
  const found = isObject(value) ? value[key] : undefined;
  return isObject(found) ? found : null;
};
export const stringAt = (value: unknown, key: string): string | null => {
  const found = isObject(value) ? value[key] : undefined;
  return typeof found === 'string' ? found : null;
};
export const numberAt = (value: unknown, key: string): number | null => {
  const found = isObject(value) ? value[key] : undefined;
  return typeof found === 'number' && Number.isFinite(found) ? found : null;
};

/** A JSON document (a state's input or output, an execution's output), or null when absent or not an object. */
export function parseJsonObject(text: string | undefined): Json | null {
  if (text === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

const isStateEvent = (type: string | undefined): boolean =>
  type !== undefined && (type.endsWith('StateEntered') || type.endsWith('StateExited'));

/** The state an event belongs to: named on state events, found through `previousEventId` for task events. */
function stateNameOf(event: HistoryEvent, byId: ReadonlyMap<number, HistoryEvent>): string | null {
  let current: HistoryEvent | undefined = event;
  for (let hops = 0; current !== undefined && hops < 10; hops += 1) {
    const name = current.stateEnteredEventDetails?.name ?? current.stateExitedEventDetails?.name;
    if (name !== undefined) return name;
    current = current.previousEventId === undefined ? undefined : byId.get(current.previousEventId);
  }
  return null;
}

/** The state's data an event carries: a state's input on entry, its output on exit, the execution's output. */
export function stateDataOf(event: HistoryEvent): Json | null {
  return parseJsonObject(
    event.stateEnteredEventDetails?.input ??
      event.stateExitedEventDetails?.output ??
      event.executionSucceededEventDetails?.output,
  );
}

/** The first (newest) event whose data gives a value. */
function newest<T>(events: readonly HistoryEvent[], pick: (event: HistoryEvent) => T | null): T | null {
  for (const event of events) {
    const found = pick(event);
    if (found !== null) return found;
  }
  return null;
}

export interface VerdictView {
  readonly at: string | null;
  readonly decision: string;
  readonly errorRatePercent: number | null;
  readonly p95LatencyMs: number | null;
  readonly dbConnectionsPercent: number | null;
  readonly inconclusive: boolean;
  readonly pendingMinutes: number | null;
  readonly reasons: readonly string[];
  /** Green's weight the verdict judged; null when only a later state's copy of the verdict was read. */
  readonly greenWeight: number | null;
}

function verdictOf(canary: Json | null, at: string | null): VerdictView | null {
  const verdict = objectAt(canary, 'verdict');
  const decision = stringAt(verdict, 'decision');
  if (verdict === null || decision === null) return null;
  const reasons = Array.isArray(verdict.reasons) ? verdict.reasons.filter((r) => typeof r === 'string') : [];
  return {
    at,
    decision,
    errorRatePercent: numberAt(verdict, 'errorRatePercent'),
    p95LatencyMs: numberAt(verdict, 'p95LatencyMs'),
    dbConnectionsPercent: numberAt(verdict, 'dbConnectionsPercent'),
    inconclusive: verdict.inconclusive === true,
    pendingMinutes: numberAt(verdict, 'pendingMinutes'),
    reasons: reasons.map((reason) => oneLine(reason)),
    greenWeight: numberAt(canary, 'greenWeight'),
  };
}

/**
 * The newest canary verdict: EvaluateStep's output (`$.canary.verdict`), with its time. Every later state carries the
 * same verdict in its data, so when EvaluateStep's exit is older than the events read (or `state` is the execution's
 * output), the newest carried verdict is taken, without a time.
 */
export function latestVerdict(events: readonly HistoryEvent[], state: Json | null = null): VerdictView | null {
  let carried: VerdictView | null = null;
  for (const event of events) {
    const canary = objectAt(stateDataOf(event), 'canary');
    if (event.type === 'TaskStateExited' && event.stateExitedEventDetails?.name === 'EvaluateStep') {
      const verdict = verdictOf(canary, event.timestamp === undefined ? null : isoSeconds(event.timestamp));
      if (verdict !== null) return verdict;
    }
    carried ??= verdictOf(canary, null);
  }
  carried ??= verdictOf(objectAt(state, 'canary'), null);
  // A later shift may have moved the carried canary's weight on: the weight judged is not known then.
  return carried === null ? null : { ...carried, greenWeight: null };
}

/** Green's weight in the newest state that carries the canary. */
export function latestGreenWeight(events: readonly HistoryEvent[]): number | null {
  return newest(events, (event) => numberAt(objectAt(stateDataOf(event), 'canary'), 'greenWeight'));
}

export interface ReportLocation {
  readonly outcome: string | null;
  /** `s3://<bucket>/reports/<deployment>/report.json`; null when the report could not be written. */
  readonly json: string | null;
  readonly markdown: string | null;
  readonly consoleUrl: string | null;
  readonly summary: string | null;
}

/** `$.deploymentReport`, as WriteReport (or its Describe…NotWritten fallback) left it. */
export function reportOf(state: unknown): ReportLocation | null {
  const report = objectAt(state, 'deploymentReport');
  if (report === null) return null;
  const summary = stringAt(report, 'summary');
  return {
    outcome: stringAt(report, 'outcome'),
    json: stringAt(report, 'json'),
    markdown: stringAt(report, 'markdown'),
    consoleUrl: stringAt(report, 'consoleUrl'),
    summary: summary === null ? null : oneLine(summary, 240),
  };
}

export function latestReport(events: readonly HistoryEvent[]): ReportLocation | null {
  return newest(events, (event) => reportOf(stateDataOf(event)));
}

/** The rollback type the coordinator decided (`$.rollback.decision.type`), null when the state has no rollback. */
export function rollbackTypeOf(state: unknown): string | null {
  return stringAt(objectAt(objectAt(state, 'rollback'), 'decision'), 'type');
}

/**
 * The rollback type a finished execution shows: the decided one; `none` when there was no rollback; `undecided` when
 * a rollback record exists without a decision (the coordinator failed before it decided, e.g. RollbackFailed).
 */
export function rollbackTypeShown(state: unknown): string {
  const rollback = objectAt(state, 'rollback');
  if (rollback === undefined || rollback === null) return 'none';
  return rollbackTypeOf(state) ?? 'undecided';
}

export interface CurrentState {
  readonly name: string;
  readonly since: string | null;
}

/** The state the execution is in: the newest state event, when it is an entry. */
export function currentState(events: readonly HistoryEvent[]): CurrentState | null {
  const latest = events.find((event) => isStateEvent(event.type));
  const name = latest?.stateEnteredEventDetails?.name;
  if (latest === undefined || name === undefined) return null;
  return { name, since: latest.timestamp === undefined ? null : isoSeconds(latest.timestamp) };
}

export interface BakeInProgress {
  readonly enteredAt: string | null;
  readonly bakeSeconds: number | null;
  readonly greenWeight: number | null;
  readonly stepIndex: number | null;
}

/** The bake waiting right now: the execution's newest state event is BakeStep's entry (its input has the settings). */
export function bakeInProgress(events: readonly HistoryEvent[]): BakeInProgress | null {
  const latest = events.find((event) => isStateEvent(event.type));
  if (latest?.type !== 'TaskStateEntered' || latest.stateEnteredEventDetails?.name !== 'BakeStep') return null;
  const input = stateDataOf(latest);
  const canary = objectAt(input, 'canary');
  return {
    enteredAt: latest.timestamp === undefined ? null : isoSeconds(latest.timestamp),
    bakeSeconds: numberAt(objectAt(input, 'settings'), 'bakeSeconds'),
    greenWeight: numberAt(canary, 'greenWeight'),
    stepIndex: numberAt(canary, 'stepIndex'),
  };
}

export interface EventView {
  readonly at: string | null;
  readonly state: string | null;
  readonly what: string;
}

function failure(error: string | undefined, cause: string | undefined): string {
  const message = parseJsonObject(cause);
  const detail = stringAt(message, 'errorMessage') ?? cause ?? '';
  return oneLine(detail === '' ? (error ?? 'unknown error') : `${error ?? 'error'}: ${detail}`);
}

const percent = (value: number | null): string => (value === null ? 'no data' : `${value} %`);

/** What entering a task state means, for the states whose name does not say it well enough. */
const ENTERING: Record<string, string> = {
  ShiftTraffic: 'shifting traffic',
  EvaluateStep: 'evaluating the bake',
  RequestChairmanApproval: "waiting for the Chairman's approval",
  ConfirmDatabaseRollback: 'waiting for the Chairman to confirm the database rollback',
  WatchOldSide: 'watching after promotion (old side kept warm)',
};

/** What one event says, or null for the bookkeeping events a person does not need (choices, task plumbing). */
function describe(event: HistoryEvent, byId: ReadonlyMap<number, HistoryEvent>): string | null {
  const data = (): Json | null => stateDataOf(event);
  switch (event.type) {
    case 'ExecutionStarted':
      return 'execution started';
    case 'ExecutionSucceeded':
      return 'execution succeeded';
    case 'ExecutionFailed':
      return `execution failed: ${failure(event.executionFailedEventDetails?.error, event.executionFailedEventDetails?.cause)}`;
    case 'ExecutionAborted':
      return 'execution stopped (aborted)';
    case 'ExecutionTimedOut':
      return 'execution timed out';
    case 'ExecutionRedriven':
      return 'execution redriven';
    case 'TaskFailed':
      return `failed: ${failure(event.taskFailedEventDetails?.error, event.taskFailedEventDetails?.cause)}`;
    case 'TaskTimedOut': {
      const name = stateNameOf(event, byId);
      if (name === 'BakeStep') return 'bake time over';
      return `timed out: ${failure(event.taskTimedOutEventDetails?.error, event.taskTimedOutEventDetails?.cause)}`;
    }
    case 'TaskStartFailed':
    case 'TaskSubmitFailed':
    case 'LambdaFunctionFailed':
      return `failed: ${failure(
        event.taskStartFailedEventDetails?.error ??
          event.taskSubmitFailedEventDetails?.error ??
          event.lambdaFunctionFailedEventDetails?.error,
        event.taskStartFailedEventDetails?.cause ??
          event.taskSubmitFailedEventDetails?.cause ??
          event.lambdaFunctionFailedEventDetails?.cause,
      )}`;
    case 'TaskStateEntered': {
      const name = event.stateEnteredEventDetails?.name ?? '';
      if (name === 'BakeStep') {
        const bakeSeconds = numberAt(objectAt(data(), 'settings'), 'bakeSeconds');
        const weight = numberAt(objectAt(data(), 'canary'), 'greenWeight');
        return `baking at ${percent(weight)} green${bakeSeconds === null ? '' : ` for ${formatDuration(bakeSeconds)}`}`;
      }
      return ENTERING[name] ?? 'started';
    }
    case 'TaskStateExited': {
      const name = event.stateExitedEventDetails?.name;
      const canary = objectAt(data(), 'canary');
      if (name === 'ShiftTraffic') return `green at ${percent(numberAt(canary, 'greenWeight'))}`;
      if (name === 'EvaluateStep') {
        const verdict = objectAt(canary, 'verdict');
        return (
          `verdict ${stringAt(verdict, 'decision') ?? '?'}: error rate ${percent(numberAt(verdict, 'errorRatePercent'))}, ` +
          `p95 ${numberAt(verdict, 'p95LatencyMs') ?? 'no data'} ms`
        );
      }
      return null;
    }
    case 'WaitStateEntered':
      return 'waiting';
    case 'PassStateEntered':
    case 'ParallelStateEntered':
    case 'MapStateEntered':
      return 'entered';
    case 'FailStateEntered':
      return 'failing';
    case 'SucceedStateEntered':
      return 'succeeding';
    default:
      return null;
  }
}

/** The newest `max` events worth showing, oldest first. */
export function timelineOf(events: readonly HistoryEvent[], max: number): EventView[] {
  const byId = new Map(events.flatMap((event) => (event.id === undefined ? [] : [[event.id, event] as const])));
  const shown: EventView[] = [];
  for (const event of events) {
    if (shown.length >= max) break;
    const what = describe(event, byId);
    if (what === null) continue;
    const state = event.type?.startsWith('Execution') === true ? null : stateNameOf(event, byId);
    shown.push({ at: event.timestamp === undefined ? null : isoSeconds(event.timestamp), state, what });
  }
  return shown.reverse();
}
