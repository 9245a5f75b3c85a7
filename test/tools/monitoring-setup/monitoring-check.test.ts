import { DashboardNotFoundError, GetDashboardCommand, ResourceNotFound } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsServiceException,
  DescribeLogStreamsCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { describeAge } from '../../../lambdas/tools/monitoring-setup';
import { crewRejection, fault, rejection } from '../../support/errors';
import { cloudwatch, denied, logs, minutesAgo, NOW, request, tool, useMonitoringWorld } from './world';

/** The dashboard, the log groups, the request and the result. */

useMonitoringWorld();

describe('dashboard', () => {
  it('asks GetDashboard for the dashboard and counts its widgets', async () => {
    // Act
    const result = await tool.check(request());

    // Assess
    expect(cloudwatch.commandCalls(GetDashboardCommand).map((call) => call.args[0].input)).toStrictEqual([
      { DashboardName: 'orders-deployments' },
    ]);
    expect(result.checks).toStrictEqual([
      { kind: 'dashboard', name: 'orders-deployments', ok: true, evidence: 'exists with 2 widgets' },
    ]);
  });

  it.each([
    ['DashboardNotFoundError', () => fault(DashboardNotFoundError, 'Dashboard does not exist')],
    ['ResourceNotFound', () => fault(ResourceNotFound, 'Dashboard does not exist')],
  ])('fails a dashboard that does not exist (%s)', async (name, error) => {
    // Prepare
    cloudwatch.on(GetDashboardCommand).rejects(error());

    // Act
    const result = await tool.check(request());

    // Assess
    expect(result.ok).toBe(false);
    expect(result.checks[0]?.evidence).toBe(`GetDashboard not found: ${name}: Dashboard does not exist`);
    expect(result.risks).toStrictEqual([
      `dashboard orders-deployments: GetDashboard not found: ${name}: Dashboard does not exist`,
    ]);
  });

  it('fails a dashboard without widgets', async () => {
    // Prepare
    cloudwatch.on(GetDashboardCommand).resolves({ DashboardBody: '{"widgets":[]}' });

    // Act
    const result = await tool.check(request());

    // Assess
    expect(result.checks[0]).toMatchObject({ ok: false, evidence: 'exists but has no widgets' });
  });
});

describe('log groups', () => {
  it('asks for the most recent stream of each group, once per group', async () => {
    // Prepare
    logs.on(DescribeLogStreamsCommand).resolves({
      logStreams: [{ logStreamName: 'api/1', lastEventTimestamp: minutesAgo(3).getTime() }],
    });

    // Act
    const result = await tool.check(request({ logGroupNames: ['/ecs/orders', '/ecs/worker', '/ecs/orders'] }));

    // Assess
    expect(logs.commandCalls(DescribeLogStreamsCommand).map((call) => call.args[0].input)).toStrictEqual([
      { logGroupName: '/ecs/orders', orderBy: 'LastEventTime', descending: true, limit: 1 },
      { logGroupName: '/ecs/worker', orderBy: 'LastEventTime', descending: true, limit: 1 },
    ]);
    expect(result.checks[1]).toStrictEqual({
      kind: 'log-group',
      name: '/ecs/orders',
      ok: true,
      evidence: 'latest event 3 min ago (2026-11-24T11:57:00.000Z, stream api/1), within 60 min',
    });
  });

  it('fails a group whose latest event is older than the window', async () => {
    // Prepare
    logs.on(DescribeLogStreamsCommand).resolves({
      logStreams: [{ logStreamName: 'api/1', lastEventTimestamp: minutesAgo(61).getTime() }],
    });

    // Act
    const result = await tool.check(request({ logGroupNames: ['/ecs/orders'] }));

    // Assess
    expect(result.checks[1]).toMatchObject({
      ok: false,
      evidence:
        'no event within the last 60 min: the latest was 1 h 1 min ago (2026-11-24T10:59:00.000Z, stream api/1)',
    });
  });

  it('counts the later of the event time and the ingestion time (events with old timestamps still arrive)', async () => {
    // Prepare
    logs.on(DescribeLogStreamsCommand).resolves({
      logStreams: [
        {
          logStreamName: 'api/1',
          lastEventTimestamp: minutesAgo(300).getTime(),
          lastIngestionTime: minutesAgo(10).getTime(),
        },
      ],
    });

    // Act
    const result = await tool.check(request({ logGroupNames: ['/ecs/orders'], logsRecentWithinMinutes: 90 }));

    // Assess
    expect(result.checks[1]).toMatchObject({ ok: true, evidence: expect.stringContaining('10 min ago') });
  });

  it('fails a group without streams and a group that does not exist, and names each', async () => {
    // Prepare
    logs.on(DescribeLogStreamsCommand, { logGroupName: '/ecs/empty' }).resolves({ logStreams: [] });
    logs
      .on(DescribeLogStreamsCommand, { logGroupName: '/ecs/missing' })
      .rejects(fault(ResourceNotFoundException, 'The specified log group does not exist.'));

    // Act
    const result = await tool.check(request({ logGroupNames: ['/ecs/empty', '/ecs/missing'] }));

    // Assess
    expect(result.checks.slice(1)).toStrictEqual([
      {
        kind: 'log-group',
        name: '/ecs/empty',
        ok: false,
        evidence: 'the log group has no log streams: it never received an event',
      },
      {
        kind: 'log-group',
        name: '/ecs/missing',
        ok: false,
        evidence: 'DescribeLogStreams not found: ResourceNotFoundException: The specified log group does not exist.',
      },
    ]);
    expect(result.ok).toBe(false);
  });

  it('fails a group it may not read, and lets a server error propagate', async () => {
    // Prepare
    logs.on(DescribeLogStreamsCommand).rejects(denied(CloudWatchLogsServiceException, 'AccessDeniedException'));

    // Act
    const refused = await tool.check(request({ logGroupNames: ['/ecs/orders'] }));
    logs
      .on(DescribeLogStreamsCommand)
      .rejects(new ServiceUnavailableException({ message: 'try later', $metadata: { httpStatusCode: 503 } }));
    const error = await rejection(tool.check(request({ logGroupNames: ['/ecs/orders'] })));

    // Assess
    expect(refused.checks[1]).toMatchObject({
      ok: false,
      evidence: 'DescribeLogStreams not allowed: AccessDeniedException: not authorized',
    });
    expect(error.name).toBe('ServiceUnavailableException');
  });
});

describe('the request', () => {
  it('refuses a logs window under an hour (the stream times lag by up to an hour) before any call', async () => {
    // Act
    const error = await crewRejection(
      tool.check(request({ logGroupNames: ['/ecs/orders'], logsRecentWithinMinutes: 15 })),
    );

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain('logsRecentWithinMinutes');
    expect(logs.calls()).toHaveLength(0);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it('defaults the logs window to an hour and stamps the result', async () => {
    // Prepare
    logs.on(DescribeLogStreamsCommand).resolves({ logStreams: [{ lastEventTimestamp: minutesAgo(59).getTime() }] });

    // Act
    const { logsRecentWithinMinutes: _, ...withoutWindow } = request({ logGroupNames: ['/ecs/orders'] });
    const result = await tool.check(withoutWindow);

    // Assess
    expect(result).toMatchObject({ checkedAt: NOW.toISOString(), ok: true, risks: [] });
  });
});

describe('describeAge', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [3_600_000, '1 h'],
    [3_660_000, '1 h 1 min'],
    [86_400_000, '1 d'],
    [90_000_000, '1 d 1 h'],
    [-5_000, '0 s'],
  ])('%i ms is %s', (ms, words) => {
    expect(describeAge(ms)).toBe(words);
  });
});
