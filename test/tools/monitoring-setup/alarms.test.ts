import {
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { isTransientAwsError } from '../../../lambdas/shared/errors';
import { rejection, serviceThrottling } from '../../support/errors';
import {
  alarmInputs,
  cloudwatch,
  compositeAlarm,
  denied,
  metricAlarm,
  minutesAgo,
  request,
  tool,
  useMonitoringWorld,
} from './world';

/** The pipeline's alarms: they exist, their actions are enabled, they have data. */

useMonitoringWorld();

describe('alarms', () => {
  it('asks DescribeAlarms for 100 names a call, metric and composite, following NextToken', async () => {
    // Prepare
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
      const chunk = input.AlarmNames ?? [];
      if (chunk[0] === 'alarm-000' && input.NextToken === undefined) {
        return { MetricAlarms: chunk.slice(0, 60).map((n) => metricAlarm(n)), NextToken: 'page-2' };
      }
      if (chunk[0] === 'alarm-000') return { CompositeAlarms: chunk.slice(60).map((n) => compositeAlarm(n)) };
      return { MetricAlarms: chunk.map((n) => metricAlarm(n)) };
    });

    // Act
    const result = await tool.check(request({ alarmNames: [...names, 'alarm-000'] }));

    // Assess
    const base = { AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 };
    expect(alarmInputs()).toStrictEqual([
      { AlarmNames: names.slice(0, 100), ...base },
      { AlarmNames: names.slice(0, 100), ...base, NextToken: 'page-2' },
      { AlarmNames: names.slice(100), ...base },
    ]);
    const alarmChecks = result.checks.filter((check) => check.kind === 'alarm');
    expect(alarmChecks.map((check) => check.name)).toStrictEqual(names);
    expect(alarmChecks.every((check) => check.ok)).toBe(true);
    expect(result.ok).toBe(true);
    expect(result.risks).toStrictEqual([]);
  });

  it('passes an alarm that exists, has its actions enabled and has data, saying since when', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm('green-5xx')] });

    // Act
    const result = await tool.check(request({ alarmNames: ['green-5xx'] }));

    // Assess
    expect(result.checks[0]).toStrictEqual({
      kind: 'alarm',
      name: 'green-5xx',
      ok: true,
      evidence: 'metric alarm in OK for 30 min (since 2026-11-24T11:30:00.000Z), actions enabled, 1 alarm action',
    });
  });

  it('fails a missing alarm, one with actions disabled and one stuck in INSUFFICIENT_DATA, saying for how long', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm('p95', { ActionsEnabled: false }),
        metricAlarm('db-connections', {
          StateValue: 'INSUFFICIENT_DATA',
          StateUpdatedTimestamp: minutesAgo(185),
          StateReason: 'Insufficient Data: 3 datapoints were unknown.',
        }),
      ],
      CompositeAlarms: [compositeAlarm('rollback', { ActionsEnabled: false, AlarmActions: [] })],
    });

    // Act
    const result = await tool.check(request({ alarmNames: ['p95', 'db-connections', 'rollback', 'gone'] }));

    // Assess
    expect(result.ok).toBe(false);
    expect(result.checks.filter((check) => check.kind === 'alarm')).toStrictEqual([
      {
        kind: 'alarm',
        name: 'p95',
        ok: false,
        evidence: 'metric alarm: its actions are disabled (ActionsEnabled is false); 1 alarm action',
      },
      {
        kind: 'alarm',
        name: 'db-connections',
        ok: false,
        evidence:
          'metric alarm: it has been in INSUFFICIENT_DATA for 3 h 5 min (since 2026-11-24T08:55:00.000Z), so it ' +
          'cannot go into ALARM (Insufficient Data: 3 datapoints were unknown.); 1 alarm action',
      },
      {
        kind: 'alarm',
        name: 'rollback',
        ok: false,
        evidence: 'composite alarm: its actions are disabled (ActionsEnabled is false); 0 alarm actions',
      },
      { kind: 'alarm', name: 'gone', ok: false, evidence: 'no metric or composite alarm by this name exists' },
    ]);
    expect(result.risks).toHaveLength(4);
    expect(result.risks[3]).toBe('alarm gone: no metric or composite alarm by this name exists');
  });

  it('records an alarm in ALARM as a risk, not as missing monitoring', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm('green-5xx', {
          StateValue: 'ALARM',
          StateUpdatedTimestamp: minutesAgo(2),
          StateReason: 'Threshold Crossed',
        }),
      ],
    });

    // Act
    const result = await tool.check(request({ alarmNames: ['green-5xx'] }));

    // Assess
    expect(result.ok).toBe(true);
    expect(result.risks).toStrictEqual([
      'alarm green-5xx is in ALARM for 2 min (since 2026-11-24T11:58:00.000Z): Threshold Crossed',
    ]);
  });

  it('fails every alarm check with the error when DescribeAlarms is not allowed, and goes on', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).rejects(denied(CloudWatchServiceException, 'AccessDenied'));

    // Act
    const result = await tool.check(request({ alarmNames: ['a', 'b'] }));

    // Assess
    const evidence = 'DescribeAlarms not allowed: AccessDenied: not authorized';
    expect(result.checks).toStrictEqual([
      { kind: 'alarm', name: 'a', ok: false, evidence },
      { kind: 'alarm', name: 'b', ok: false, evidence },
      { kind: 'dashboard', name: 'orders-deployments', ok: true, evidence: 'exists with 2 widgets' },
    ]);
  });

  it('lets throttling propagate for the state machine to retry', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).rejects(serviceThrottling(CloudWatchServiceException, 'Throttling'));

    // Act
    const error = await rejection(tool.check(request({ alarmNames: ['a'] })));

    // Assess
    expect(error.name).toBe('Throttling');
    expect(isTransientAwsError(error)).toBe(true);
  });

  it('makes no DescribeAlarms call without alarm names', async () => {
    // Act
    const result = await tool.check(request());

    // Assess
    expect(alarmInputs()).toStrictEqual([]);
    expect(result.checks.map((check) => check.kind)).toStrictEqual(['dashboard']);
  });
});
