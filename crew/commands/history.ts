import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import type { CommandResult, CrewContext } from '../context';
import { fromAwsError } from '../errors';
import {
  parseJsonObject,
  type ReportLocation,
  readRecentHistory,
  reportOf,
  rollbackTypeShown,
  stateDataOf,
} from '../execution-history';
import { columns, formatDuration, isoSeconds } from '../format';

/**
 * `crew history`: the stack's deployments, newest first (ListExecutions, paginated up to `limit`). For each finished
 * one, DescribeExecution gives the error name and, on success, the output with the report's location. A failed,
 * stopped or timed-out execution has no output: the state it ended with is read from the newest few events of its
 * history (one GetExecutionHistory page of TAIL_EVENTS events; the Fail state's input is the whole state), for the
 * rollback type (`$.rollback.decision.type`) and the report. So at most `limit` DescribeExecution calls and `limit`
 * one-page history reads; a running execution needs neither.
 */

/** ListExecutions returns at most 1,000 per page. */
const LIST_PAGE_MAX = 1000;
/** The newest events read of an execution that did not succeed: ExecutionFailed, then the Fail state's entry. */
export const TAIL_EVENTS = 5;
/** Describe calls in flight at once: well under Step Functions' API rate, quicker than one by one. */
const CONCURRENCY = 4;

export interface HistoryEntry {
  readonly deployment: string;
  readonly executionArn: string;
  readonly status: string;
  /** The execution's error name (e.g. DeploymentRolledBack), when it did not succeed. */
  readonly error: string | null;
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  /** To the stop, or to now while running. */
  readonly durationSeconds: number | null;
  /**
   * `none` | `traffic` | `database` | `full`: the coordinator's decision; `none` also when no rollback ran (a success, or
   * a stop before any traffic moved). Null when unknown: running, or the state it ended with could not be read.
   */
  readonly rollbackType: string | null;
  readonly report: ReportLocation | null;
}

async function listExecutions(context: CrewContext, stateMachineArn: string, limit: number) {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const page = await context.clients.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: Math.min(limit - executions.length, LIST_PAGE_MAX),
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      executions.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } catch (error) {
      throw fromAwsError(error, context.region);
    }
  } while (nextToken !== undefined && executions.length < limit);
  return executions.slice(0, limit);
}

/** The whole state the execution ended with, from the newest events that carry one. */
async function endStateOf(context: CrewContext, executionArn: string): Promise<Record<string, unknown> | null> {
  const { events } = await readRecentHistory(context, executionArn, { pageSize: TAIL_EVENTS, maxPages: 1 });
  for (const event of events) {
    const state = stateDataOf(event);
    if (state !== null && 'deployment' in state) return state;
  }
  return null;
}

async function entryOf(context: CrewContext, item: ExecutionListItem, now: Date): Promise<HistoryEntry> {
  const executionArn = item.executionArn ?? '';
  const base = {
    deployment: item.name ?? '?',
    executionArn,
    status: item.status ?? 'UNKNOWN',
    startedAt: item.startDate === undefined ? null : isoSeconds(item.startDate),
    stoppedAt: item.stopDate === undefined ? null : isoSeconds(item.stopDate),
    durationSeconds:
      item.startDate === undefined
        ? null
        : Math.round(((item.stopDate ?? now).getTime() - item.startDate.getTime()) / 1000),
  };
  if (item.status === 'RUNNING') return { ...base, error: null, rollbackType: null, report: null };
  let described: DescribeExecutionCommandOutput;
  try {
    described = await context.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    throw fromAwsError(error, context.region);
  }
  if (described.status === 'SUCCEEDED') {
    return { ...base, error: null, rollbackType: 'none', report: reportOf(parseJsonObject(described.output)) };
  }
  const state = await endStateOf(context, executionArn);
  return {
    ...base,
    status: described.status ?? base.status,
    error: described.error ?? null,
    rollbackType: state === null ? null : rollbackTypeShown(state),
    report: reportOf(state),
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function row(entry: HistoryEntry): string[] {
  const outcome = entry.error === null ? entry.status : `${entry.status} (${entry.error})`;
  const duration =
    entry.durationSeconds === null
      ? '?'
      : `${formatDuration(entry.durationSeconds)}${entry.status === 'RUNNING' ? ' so far' : ''}`;
  const rollback = entry.status === 'RUNNING' ? '-' : (entry.rollbackType ?? '?');
  const report = entry.report === null ? '-' : (entry.report.json ?? 'not written');
  return [entry.startedAt ?? '?', entry.deployment, outcome, duration, rollback, report];
}

export async function history(context: CrewContext, options: { limit: number }): Promise<CommandResult> {
  const { stateMachineArn } = await context.stack();
  const executions = await listExecutions(context, stateMachineArn, options.limit);
  const now = context.now();
  const entries = await mapLimited(executions, CONCURRENCY, (item) => entryOf(context, item, now));
  const human =
    entries.length === 0
      ? [`No deployments yet in stack ${context.stackName}.`]
      : columns([['STARTED', 'DEPLOYMENT', 'OUTCOME', 'DURATION', 'ROLLBACK', 'REPORT'], ...entries.map(row)]);
  return { json: { deployments: entries }, human };
}
