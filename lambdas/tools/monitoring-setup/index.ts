import { type CloudWatchClient, GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import * as v from 'valibot';
import { InvalidInputError } from '../../shared/errors';
import { describeIssues } from '../../shared/validation';
import {
  type MonitoringCheck,
  type MonitoringCheckRequestInput,
  type MonitoringCheckResult,
  monitoringCheckRequestSchema,
  refusalEvidence,
} from '../../shared/verification';
import { alarmCheck, alarmRisk, readAlarms } from './alarms';
import { logGroupCheck } from './log-groups';

export { describeAge } from './age';
export { ALARM_NAMES_PER_CALL, type AlarmView, alarmCheck, alarmRisk } from './alarms';

/**
 * monitoring_setup: whether the monitoring a release relies on after promotion is in place. The pipeline's alarms
 * exist, have their actions enabled and are not stuck in INSUFFICIENT_DATA (an alarm without data never fires); the
 * dashboard exists; the application's log groups received events recently. A call the role may not make, or a
 * resource that does not exist, fails its check with the error as evidence; throttling and server errors propagate
 * for the state machine to retry.
 */

export interface MonitoringCheckDeps {
  readonly cloudwatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  /** @default the current time */
  readonly clock?: () => Date;
}

export interface MonitoringCheckTool {
  check(request: MonitoringCheckRequestInput): Promise<MonitoringCheckResult>;
}

/**
 * GetDashboard's error for a missing dashboard: the SDK names it `DashboardNotFoundError`, while its wire code (the
 * Query protocol's, and the docs') is `ResourceNotFound`; which one a client sees depends on the protocol it speaks.
 */
const DASHBOARD_NOT_FOUND = ['DashboardNotFoundError', 'ResourceNotFound', 'ResourceNotFoundException'];

export function createMonitoringCheck(deps: MonitoringCheckDeps): MonitoringCheckTool {
  const clock = deps.clock ?? (() => new Date());

  async function dashboardCheck(dashboardName: string): Promise<MonitoringCheck> {
    const check = (ok: boolean, evidence: string): MonitoringCheck => ({
      kind: 'dashboard',
      name: dashboardName,
      ok,
      evidence,
    });
    let body: string | undefined;
    try {
      body = (await deps.cloudwatch.send(new GetDashboardCommand({ DashboardName: dashboardName }))).DashboardBody;
    } catch (error) {
      return check(false, `GetDashboard ${refusalEvidence(error, DASHBOARD_NOT_FOUND)}`);
    }
    const widgets = widgetCount(body);
    if (widgets === null) return check(true, 'exists; its body is not a JSON dashboard, widgets not counted');
    if (widgets === 0) return check(false, 'exists but has no widgets');
    return check(true, `exists with ${widgets} widget${widgets === 1 ? '' : 's'}`);
  }

  return {
    async check(input) {
      const parsed = v.safeParse(monitoringCheckRequestSchema, input);
      if (!parsed.success) throw new InvalidInputError(`monitoring check: ${describeIssues(parsed.issues)}`);
      const request = parsed.output;
      const alarmNames = [...new Set(request.alarmNames)];
      const checks: MonitoringCheck[] = [];
      const risks: string[] = [];

      if (alarmNames.length > 0) {
        const lookup = await readAlarms(deps.cloudwatch, alarmNames);
        const now = clock();
        for (const name of alarmNames) {
          if (!lookup.readable) {
            checks.push({ kind: 'alarm', name, ok: false, evidence: lookup.evidence });
            continue;
          }
          const alarm = lookup.alarms.get(name);
          checks.push(alarmCheck(name, alarm, now));
          const risk = alarm === undefined ? null : alarmRisk(alarm, now);
          if (risk !== null) risks.push(risk);
        }
      }

      checks.push(await dashboardCheck(request.dashboardName));

      // One at a time: DescribeLogStreams has a low request quota, and the list is short.
      for (const logGroupName of [...new Set(request.logGroupNames)]) {
        checks.push(await logGroupCheck(deps.logs, logGroupName, request.logsRecentWithinMinutes, clock()));
      }

      risks.unshift(...checks.filter((c) => !c.ok).map((c) => `${c.kind} ${c.name}: ${c.evidence}`));
      return { checkedAt: clock().toISOString(), ok: checks.every((c) => c.ok), checks, risks };
    },
  };
}

/** The number of widgets in a dashboard body, or null when the body is not the JSON CloudWatch documents. */
function widgetCount(body: string | undefined): number | null {
  if (body === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const widgets = (parsed as { widgets?: unknown }).widgets;
    if (widgets === undefined) return 0;
    return Array.isArray(widgets) ? widgets.length : null;
  } catch {
    return null;
  }
}
