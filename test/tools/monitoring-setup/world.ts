import {
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetDashboardCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import type { MonitoringCheckRequestInput } from '../../../lambdas/shared/verification';
import { createMonitoringCheck } from '../../../lambdas/tools/monitoring-setup';

/** The mocked CloudWatch and CloudWatch Logs clients and the tool on top of them, at a fixed time. */

export const cloudwatch = mockClient(CloudWatchClient);
export const logs = mockClient(CloudWatchLogsClient);
export const NOW = new Date('2026-11-24T12:00:00.000Z');
export const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

export const tool = createMonitoringCheck({
  cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
  logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
  clock: () => NOW,
});

const DASHBOARD_BODY = JSON.stringify({ widgets: [{ type: 'metric' }, { type: 'alarm' }] });

export function metricAlarm(name: string, overrides: Partial<MetricAlarm> = {}): MetricAlarm {
  return {
    AlarmName: name,
    ActionsEnabled: true,
    AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:chairman'],
    StateValue: 'OK',
    StateUpdatedTimestamp: minutesAgo(30),
    ...overrides,
  };
}

export function compositeAlarm(name: string, overrides: Partial<CompositeAlarm> = {}): CompositeAlarm {
  return {
    AlarmName: name,
    ActionsEnabled: true,
    StateValue: 'OK',
    StateUpdatedTimestamp: minutesAgo(5),
    ...overrides,
  };
}

/** A client error as AWS sends it when the role may not make the call. */
export function denied<T>(
  ServiceException: new (options: {
    name: string;
    $fault: 'client';
    message: string;
    $metadata: { httpStatusCode: number };
  }) => T,
  name: string,
): T {
  return new ServiceException({
    name,
    $fault: 'client',
    message: 'not authorized',
    $metadata: { httpStatusCode: 403 },
  });
}

export function request(overrides: Partial<MonitoringCheckRequestInput> = {}): MonitoringCheckRequestInput {
  return {
    alarmNames: [],
    dashboardName: 'orders-deployments',
    logGroupNames: [],
    logsRecentWithinMinutes: 60,
    ...overrides,
  };
}

export const alarmInputs = (): DescribeAlarmsCommandInput[] =>
  cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);

/** Fresh mocks for every test of the file; the dashboard exists with two widgets. */
export function useMonitoringWorld(): void {
  beforeEach(() => {
    cloudwatch.reset();
    logs.reset();
    cloudwatch.on(GetDashboardCommand).resolves({ DashboardName: 'orders-deployments', DashboardBody: DASHBOARD_BODY });
  });
}
