import {
  type CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { type MonitoringCheck, refusalEvidence } from '../../shared/verification';
import { describeAge } from './age';

/** DescribeAlarms accepts at most 100 alarm names per call (and returns at most 100 records per page). */
export const ALARM_NAMES_PER_CALL = 100;

/** What the check needs of an alarm, metric or composite alike. */
export interface AlarmView {
  readonly name: string;
  readonly type: 'metric' | 'composite';
  readonly actionsEnabled: boolean;
  readonly alarmActions: number;
  readonly state: string;
  readonly stateUpdatedAt: Date | undefined;
  readonly stateReason: string | undefined;
}

/** The alarms by name, or why they could not be read (a refused call: every alarm check fails with it). */
export type AlarmLookup =
  | { readonly readable: true; readonly alarms: ReadonlyMap<string, AlarmView> }
  | { readonly readable: false; readonly evidence: string };

function viewOf(alarm: MetricAlarm | CompositeAlarm, type: AlarmView['type']): AlarmView | undefined {
  if (alarm.AlarmName === undefined) return undefined;
  return {
    name: alarm.AlarmName,
    type,
    // The API always sends it; a missing flag cannot be taken for enabled.
    actionsEnabled: alarm.ActionsEnabled === true,
    alarmActions: alarm.AlarmActions?.length ?? 0,
    state: alarm.StateValue ?? 'UNKNOWN',
    stateUpdatedAt: alarm.StateUpdatedTimestamp,
    stateReason: alarm.StateReason,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** DescribeAlarms by name, 100 names a call, every page; metric and composite alarms. */
export async function readAlarms(client: CloudWatchClient, names: readonly string[]): Promise<AlarmLookup> {
  const alarms = new Map<string, AlarmView>();
  try {
    for (const chunk of chunks(names, ALARM_NAMES_PER_CALL)) {
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new DescribeAlarmsCommand({
            AlarmNames: chunk,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            MaxRecords: ALARM_NAMES_PER_CALL,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        );
        const views = [
          ...(page.MetricAlarms ?? []).map((alarm) => viewOf(alarm, 'metric')),
          ...(page.CompositeAlarms ?? []).map((alarm) => viewOf(alarm, 'composite')),
        ];
        for (const view of views) if (view !== undefined) alarms.set(view.name, view);
        nextToken = page.NextToken;
      } while (nextToken !== undefined && nextToken !== '');
    }
  } catch (error) {
    return { readable: false, evidence: `DescribeAlarms ${refusalEvidence(error)}` };
  }
  return { readable: true, alarms };
}

/** An alarm is ok when it exists, its actions are enabled and it has data to judge (not INSUFFICIENT_DATA). */
export function alarmCheck(name: string, alarm: AlarmView | undefined, now: Date): MonitoringCheck {
  if (alarm === undefined) {
    return { kind: 'alarm', name, ok: false, evidence: 'no metric or composite alarm by this name exists' };
  }
  const since =
    alarm.stateUpdatedAt === undefined
      ? 'for an unknown time'
      : `for ${describeAge(now.getTime() - alarm.stateUpdatedAt.getTime())} (since ${alarm.stateUpdatedAt.toISOString()})`;
  const problems: string[] = [];
  if (!alarm.actionsEnabled) problems.push('its actions are disabled (ActionsEnabled is false)');
  if (alarm.state === 'INSUFFICIENT_DATA') {
    problems.push(
      `it has been in INSUFFICIENT_DATA ${since}, so it cannot go into ALARM` +
        (alarm.stateReason === undefined ? '' : ` (${alarm.stateReason})`),
    );
  }
  const actions = `${alarm.alarmActions} alarm action${alarm.alarmActions === 1 ? '' : 's'}`;
  if (problems.length > 0) {
    return { kind: 'alarm', name, ok: false, evidence: `${alarm.type} alarm: ${problems.join('; ')}; ${actions}` };
  }
  return {
    kind: 'alarm',
    name,
    ok: true,
    evidence: `${alarm.type} alarm in ${alarm.state} ${since}, actions enabled, ${actions}`,
  };
}

/** An alarm in ALARM is monitoring that works, but the report must say it. */
export function alarmRisk(alarm: AlarmView, now: Date): string | null {
  if (alarm.state !== 'ALARM') return null;
  const since =
    alarm.stateUpdatedAt === undefined
      ? ''
      : ` for ${describeAge(now.getTime() - alarm.stateUpdatedAt.getTime())} (since ${alarm.stateUpdatedAt.toISOString()})`;
  return `alarm ${alarm.name} is in ALARM${since}${alarm.stateReason === undefined ? '' : `: ${alarm.stateReason}`}`;
}
