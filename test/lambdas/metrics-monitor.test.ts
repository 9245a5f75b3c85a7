import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  alignMinutes,
  alignWindow,
  createMetricsMonitor,
  errorRatePercent,
  type MetricsMonitorConfig,
  secondsToMs,
} from '../../lambdas/tools/metrics-monitor';
import { crewRejection } from '../support/errors';

const LB = 'app/shop/50dc6c495c0c9188';
const GREEN = 'targetgroup/shop-green/8a067e2d6bc24d73';
const BLUE = 'targetgroup/shop-blue/73e2d6bc24d8a067';
const config: MetricsMonitorConfig = {
  loadBalancerFullName: LB,
  database: { kind: 'instance', identifier: 'shop-db' },
  dbMaxConnections: 200,
};

/** A 5-minute bake that does not start on a minute: queried as 10:00 to 10:06. */
const window = { start: new Date('2026-11-24T10:00:20.000Z'), end: new Date('2026-11-24T10:05:20.000Z') };
const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 10, minute));

const cloudwatch = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'eu-west-1' });
const monitor = createMetricsMonitor(client, config);

function series(id: string, points: [minute: number, value: number][]): MetricDataResult {
  return {
    Id: id,
    StatusCode: 'Complete',
    Timestamps: points.map(([minute]) => at(minute)),
    Values: points.map(([, value]) => value),
  };
}

function metricInputs(): GetMetricDataCommandInput[] {
  return cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
}

function alarmInputs(): DescribeAlarmsCommandInput[] {
  return cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
}

const albDimensions = (targetGroup: string) => [
  { Name: 'LoadBalancer', Value: LB },
  { Name: 'TargetGroup', Value: targetGroup },
];

const albQuery = (id: string, metric: string, stat: string, period: number, targetGroup = GREEN) => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: albDimensions(targetGroup) },
    Period: period,
    Stat: stat,
  },
  ReturnData: true,
});

beforeEach(() => {
  cloudwatch.reset();
});

describe('alignWindow', () => {
  it('widens the window to whole minutes', () => {
    // Prepare
    // Act
    const aligned = alignWindow(window);

    // Assess
    expect(aligned.startTime).toEqual(at(0));
    expect(aligned.endTime).toEqual(at(6));
    expect(aligned.windowSeconds).toBe(360);
    expect(aligned.minuteStarts).toEqual([at(0), at(1), at(2), at(3), at(4), at(5)]);
  });

  it('keeps a window that is already on whole minutes', () => {
    // Prepare
    // Act
    const aligned = alignWindow({ start: at(0), end: at(5) });

    // Assess
    expect(aligned.windowSeconds).toBe(300);
    expect(aligned.minuteStarts).toHaveLength(5);
  });

  it.each([
    ['ends before it starts', { start: at(5), end: at(0) }],
    ['is empty', { start: at(5), end: at(5) }],
    ['has an invalid date', { start: new Date('nope'), end: at(5) }],
    ['is longer than a day', { start: at(0), end: new Date(at(0).getTime() + 25 * 3600_000) }],
  ])('refuses a window that %s', (_, bad) => {
    // Prepare
    // Act
    const align = () => alignWindow(bad);

    // Assess
    expect(align).toThrow(expect.objectContaining({ name: 'InvalidInput' }));
  });
});

describe('alignMinutes', () => {
  it('builds one row per minute, with nulls where no requests flowed', () => {
    // Prepare
    const minutes = [at(0), at(1), at(2), at(3)];

    // Act
    const rows = alignMinutes(minutes, {
      requests: [
        { timestamp: at(0), value: 200 },
        { timestamp: at(1), value: 50 },
        { timestamp: at(3), value: 0 },
        { timestamp: at(9), value: 999 },
      ],
      errors: [{ timestamp: at(0), value: 3 }],
      p95Seconds: [
        { timestamp: at(0), value: 0.25 },
        { timestamp: at(1), value: 0.5 },
      ],
    });

    // Assess
    expect(rows).toEqual([
      { at: '2026-11-24T10:00:00.000Z', requests: 200, errors: 3, errorRatePercent: 1.5, p95LatencyMs: 250 },
      { at: '2026-11-24T10:01:00.000Z', requests: 50, errors: 0, errorRatePercent: 0, p95LatencyMs: 500 },
      { at: '2026-11-24T10:02:00.000Z', requests: 0, errors: 0, errorRatePercent: null, p95LatencyMs: null },
      { at: '2026-11-24T10:03:00.000Z', requests: 0, errors: 0, errorRatePercent: null, p95LatencyMs: null },
    ]);
  });

  it('never hides 5xx that arrived before their RequestCount', () => {
    // Prepare
    // Act
    const [row] = alignMinutes([at(0)], {
      requests: [],
      errors: [{ timestamp: at(0), value: 4 }],
      p95Seconds: [],
    });

    // Assess
    expect(row).toMatchObject({ requests: 4, errors: 4, errorRatePercent: 100 });
  });

  it('matches datapoints to the minute they fall in', () => {
    // Prepare
    // Act
    const [row] = alignMinutes([at(2)], {
      requests: [{ timestamp: new Date(at(2).getTime() + 30_000), value: 10 }],
      errors: [],
      p95Seconds: [],
    });

    // Assess
    expect(row?.requests).toBe(10);
  });
});

describe('unit conversions', () => {
  it.each([
    [0.5, 500],
    [0.1234567, 123.457],
    [1.1, 1100],
    [0, 0],
  ])('converts %s s to %s ms', (seconds, ms) => {
    // Prepare
    // Act
    const converted = secondsToMs(seconds);

    // Assess
    expect(converted).toBe(ms);
  });

  it.each<[number, number, number | null]>([
    [7, 100, 7],
    [5, 100, 5],
    [1, 3, 100 / 3],
    [0, 10, 0],
    [0, 0, null],
  ])('%s errors in %s requests is %s %', (errors, requests, expected) => {
    // Prepare
    // Act
    const rate = errorRatePercent(errors, requests);

    // Assess
    expect(rate).toBe(expected);
  });
});

describe('sample', () => {
  it('asks CloudWatch for exactly the canary metrics over the aligned window', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    await monitor.sample(GREEN, window, []);

    // Assess
    expect(metricInputs()).toStrictEqual([
      {
        MetricDataQueries: [
          albQuery('requests', 'RequestCount', 'Sum', 60),
          albQuery('errors5xx', 'HTTPCode_Target_5XX_Count', 'Sum', 60),
          albQuery('p95Minute', 'TargetResponseTime', 'p95', 60),
          albQuery('p95Window', 'TargetResponseTime', 'p95', 360),
          {
            Id: 'dbConnections',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/RDS',
                MetricName: 'DatabaseConnections',
                Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'shop-db' }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
            ReturnData: true,
          },
        ],
        StartTime: at(0),
        EndTime: at(6),
        ScanBy: 'TimestampAscending',
      },
    ]);
    for (const query of metricInputs()[0]?.MetricDataQueries ?? []) expect(query.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    expect(alarmInputs()).toHaveLength(0);
  });

  it('uses the cluster dimension for an Aurora or Multi-AZ DB cluster', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const clusterMonitor = createMetricsMonitor(client, {
      ...config,
      database: { kind: 'cluster', identifier: 'shop-cluster' },
    });

    // Act
    await clusterMonitor.sample(GREEN, window, []);

    // Assess
    const db = metricInputs()[0]?.MetricDataQueries?.find((q) => q.Id === 'dbConnections');
    expect(db?.MetricStat?.Metric?.Dimensions).toStrictEqual([{ Name: 'DBClusterIdentifier', Value: 'shop-cluster' }]);
  });

  it('turns the results into a canary sample', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        series('requests', [
          [0, 100],
          [1, 120],
          [3, 80],
        ]),
        series('errors5xx', [[1, 6]]),
        series('p95Minute', [
          [0, 0.21],
          [1, 0.333],
          [3, 0.2],
        ]),
        series('p95Window', [[0, 0.3]]),
        series('dbConnections', [
          [0, 40],
          [1, 120],
          [2, 90],
        ]),
      ],
    });

    // Act
    const sample = await monitor.sample(GREEN, window, []);

    // Assess
    expect(sample).toEqual({
      windowStart: '2026-11-24T10:00:00.000Z',
      windowEnd: '2026-11-24T10:06:00.000Z',
      minutes: [
        { at: '2026-11-24T10:00:00.000Z', requests: 100, errors: 0, errorRatePercent: 0, p95LatencyMs: 210 },
        { at: '2026-11-24T10:01:00.000Z', requests: 120, errors: 6, errorRatePercent: 5, p95LatencyMs: 333 },
        { at: '2026-11-24T10:02:00.000Z', requests: 0, errors: 0, errorRatePercent: null, p95LatencyMs: null },
        { at: '2026-11-24T10:03:00.000Z', requests: 80, errors: 0, errorRatePercent: 0, p95LatencyMs: 200 },
        { at: '2026-11-24T10:04:00.000Z', requests: 0, errors: 0, errorRatePercent: null, p95LatencyMs: null },
        { at: '2026-11-24T10:05:00.000Z', requests: 0, errors: 0, errorRatePercent: null, p95LatencyMs: null },
      ],
      p95LatencyMs: 300,
      dbConnectionsMax: 120,
      dbMaxConnections: 200,
      alarmsInAlarm: [],
    });
  });

  it('reports no whole-window p95 and no DB connections when CloudWatch has none', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const sample = await monitor.sample(GREEN, window, []);

    // Assess
    expect(sample.p95LatencyMs).toBeNull();
    expect(sample.dbConnectionsMax).toBeNull();
    expect(sample.minutes.every((m) => m.errorRatePercent === null)).toBe(true);
  });

  it('follows NextToken and merges the pages', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { ...series('requests', [[0, 10]]), StatusCode: 'PartialData' },
          { ...series('p95Minute', [[0, 0.1]]), StatusCode: 'PartialData' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          series('requests', [[1, 20]]),
          series('errors5xx', [[1, 2]]),
          series('p95Minute', [[1, 0.2]]),
          series('p95Window', [[0, 0.18]]),
        ],
      });

    // Act
    const sample = await monitor.sample(GREEN, window, []);

    // Assess
    const inputs = metricInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[0]?.NextToken).toBeUndefined();
    expect(inputs[1]).toStrictEqual({ ...inputs[0], NextToken: 'page-2' });
    expect(sample.minutes.slice(0, 2)).toEqual([
      { at: '2026-11-24T10:00:00.000Z', requests: 10, errors: 0, errorRatePercent: 0, p95LatencyMs: 100 },
      { at: '2026-11-24T10:01:00.000Z', requests: 20, errors: 2, errorRatePercent: 10, p95LatencyMs: 200 },
    ]);
    expect(sample.p95LatencyMs).toBe(180);
  });

  it.each([
    ['InternalError', 'TransientAwsError'],
    ['Forbidden', 'ConfigurationError'],
  ] as const)('fails a query with status %s as %s', async (status, errorName) => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'requests', StatusCode: status, Messages: [{ Code: 'X', Value: 'from the test' }] }],
    });

    // Act
    const error = await crewRejection(monitor.sample(GREEN, window, []));

    // Assess
    expect(error.name).toBe(errorName);
    expect(error.message).toContain("'requests'");
    expect(error.message).toContain('from the test');
  });

  it('refuses a target group ARN where a full name is expected, before calling CloudWatch', async () => {
    // Prepare
    const arn = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${GREEN}`;

    // Act
    const error = await crewRejection(monitor.sample(arn, window, []));

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(metricInputs()).toHaveLength(0);
  });

  it('lists the watched alarms in ALARM, metric and composite alike', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'green-5xx', StateValue: 'ALARM' },
        { AlarmName: 'green-p95', StateValue: 'OK' },
        { AlarmName: 'db-connections', StateValue: 'INSUFFICIENT_DATA' },
      ],
      CompositeAlarms: [{ AlarmName: 'green-health', StateValue: 'ALARM' }],
    });

    // Act
    const sample = await monitor.sample(GREEN, window, ['green-5xx', 'green-p95', 'db-connections', 'green-health']);

    // Assess
    expect(sample.alarmsInAlarm).toEqual(['green-5xx', 'green-health']);
    expect(alarmInputs()).toStrictEqual([
      {
        AlarmNames: ['green-5xx', 'green-p95', 'db-connections', 'green-health'],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
      },
    ]);
  });

  it('asks for the alarms in chunks of 100 names and follows NextToken', async () => {
    // Prepare
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
      const requested = input.AlarmNames ?? [];
      const half = input.NextToken === undefined ? requested.slice(0, 60) : requested.slice(60);
      return {
        MetricAlarms: half.map((name) => ({ AlarmName: name, StateValue: name === 'alarm-120' ? 'ALARM' : 'OK' })),
        ...(input.NextToken === undefined && requested.length > 60 ? { NextToken: `more-${requested[0]}` } : {}),
      };
    });

    // Act
    const sample = await monitor.sample(GREEN, window, names);

    // Assess
    expect(sample.alarmsInAlarm).toEqual(['alarm-120']);
    expect(alarmInputs().map((input) => [input.AlarmNames?.length, input.NextToken])).toEqual([
      [100, undefined],
      [100, 'more-alarm-000'],
      [50, undefined],
    ]);
    expect(alarmInputs()[2]?.AlarmNames?.[0]).toBe('alarm-100');
  });

  it('refuses to certify a window while a watched alarm does not exist', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'green-5xx', StateValue: 'OK' }] });

    // Act
    const error = await crewRejection(monitor.sample(GREEN, window, ['green-5xx', 'green-p95']));

    // Assess
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toContain('green-p95');
  });
});

describe('liveErrorRate', () => {
  it("reads the live side's traffic minutes and sums them", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        series('requests', [
          [0, 300],
          [1, 100],
        ]),
        series('errors5xx', [[1, 4]]),
      ],
    });

    // Act
    const live = await monitor.liveErrorRate(BLUE, window);

    // Assess
    expect(metricInputs()).toStrictEqual([
      {
        MetricDataQueries: [
          albQuery('requests', 'RequestCount', 'Sum', 60, BLUE),
          albQuery('errors5xx', 'HTTPCode_Target_5XX_Count', 'Sum', 60, BLUE),
          albQuery('p95Minute', 'TargetResponseTime', 'p95', 60, BLUE),
        ],
        StartTime: at(0),
        EndTime: at(6),
        ScanBy: 'TimestampAscending',
      },
    ]);
    expect(live).toMatchObject({
      windowStart: '2026-11-24T10:00:00.000Z',
      windowEnd: '2026-11-24T10:06:00.000Z',
      requests: 400,
      errors: 4,
      errorRatePercent: 1,
    });
    expect(live.minutes).toHaveLength(6);
    expect(live.minutes[1]).toMatchObject({ requests: 100, errors: 4, errorRatePercent: 4 });
  });

  it('has no error rate when the live side had no requests', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const live = await monitor.liveErrorRate(BLUE, window);

    // Assess
    expect(live.errorRatePercent).toBeNull();
    expect(live.requests).toBe(0);
  });
});

describe('createMetricsMonitor', () => {
  it.each<[string, MetricsMonitorConfig]>([
    ['a load balancer ARN', { ...config, loadBalancerFullName: `arn:aws:elasticloadbalancing:eu-west-1:1:${LB}` }],
    ['zero max connections', { ...config, dbMaxConnections: 0 }],
    ['an empty database identifier', { ...config, database: { kind: 'instance', identifier: '' } }],
  ])('refuses %s', (_, bad) => {
    // Prepare
    // Act
    const create = () => createMetricsMonitor(client, bad);

    // Assess
    expect(create).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
  });
});
