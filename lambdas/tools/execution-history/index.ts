import { type HistoryEvent, paginateGetExecutionHistory, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * execution_history: how many state transitions an execution has used so far, from its history. Step Functions bills
 * a Standard workflow per state transition, retries included: every state entered counts, and every task attempt
 * beyond a state's first (a retry re-schedules the task within the same state). Waiting on a task token or in a Wait
 * state costs nothing. Read while the execution still runs, the count stops at the reading task.
 */

export interface TransitionCount {
  readonly transitions: number;
  /** States entered (the `*StateEntered` events). */
  readonly statesEntered: number;
  /** Task attempts beyond each task state's first. */
  readonly retries: number;
  readonly events: number;
}

const SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);

/** Pure: the count from the history's events, oldest first. */
export function countTransitions(events: readonly Pick<HistoryEvent, 'type'>[]): TransitionCount {
  let statesEntered = 0;
  let taskStatesEntered = 0;
  let scheduled = 0;
  for (const { type } of events) {
    if (type === undefined) continue;
    if (type.endsWith('StateEntered')) statesEntered += 1;
    if (type === 'TaskStateEntered') taskStatesEntered += 1;
    if (SCHEDULED.has(type)) scheduled += 1;
  }
  const retries = Math.max(0, scheduled - taskStatesEntered);
  return { transitions: statesEntered + retries, statesEntered, retries, events: events.length };
}

export interface ExecutionHistory {
  countTransitions(executionArn: string): Promise<TransitionCount>;
}

export function createExecutionHistory(client: SFNClient): ExecutionHistory {
  return {
    async countTransitions(executionArn) {
      const events: Pick<HistoryEvent, 'type'>[] = [];
      // 1,000 per page, without the events' data: at most 25 pages for the 25,000-event limit.
      for await (const page of paginateGetExecutionHistory(
        { client, pageSize: 1000 },
        { executionArn, maxResults: 1000, includeExecutionData: false },
      )) {
        for (const event of page.events ?? []) events.push({ type: event.type });
      }
      return countTransitions(events);
    },
  };
}
