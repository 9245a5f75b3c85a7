import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createMetricsMonitor,
  type MetricsMonitorConfig,
  type SampleRequest,
} from '../../../lambdas/tools/metrics-monitor';
import { crewRejection } from '../../support/errors';
import { albQuery, at, BASELINE, BLUE, CONFIG as config, GREEN, LATER, LB, series, WINDOW as window } from './fixtures';

const cloudwatch = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'eu-west-1' });
const monitor = createMetricsMonitor(client, config);

function metricInputs(): GetMetricDataCommandInput[] {
  return cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
}

function alarmInputs(): DescribeAlarmsCommandInput[] {
  return cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
}

/** A sample of green over the window, long after it ended. */
function request(overrides: Partial<SampleRequest> = {}): SampleRequest {
  return { greenTargetGroupFullName: GREEN, window, watchedAlarms: [], baseline: BASELINE, now: LATER, ...overrides };
}

const databaseQuery = (dimensions: { Name: string; Value: string }[]) => ({
  Id: 'dbConnections',
  MetricStat: {
    Metric: { Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', Dimensions: dimensions },
    Period: 60,
    Stat: 'Maximum',
  },
  ReturnData: true,
});

/** Green's and the load balancer's per-minute traffic queries. */
const trafficQueries = (targetGroup: string) => [
  albQuery('requests', 'RequestCount', 'Sum', 60, targetGroup),
  albQuery('targetErrors', 'HTTPCode_Target_5XX_Count', 'Sum', 60, targetGroup),
  albQuery('connectionErrors', 'TargetConnectionErrorCount', 'Sum', 60, targetGroup),
  albQuery('p95Minute', 'TargetResponseTime', 'p95', 60, targetGroup),
  albQuery('elbRequests', 'RequestCount', 'Sum', 60, null),
  albQuery('elbErrors', 'HTTPCode_ELB_5XX_Count', 'Sum', 60, null),
];

beforeEach(() => {
  cloudwatch.reset();
});

describe('sample', () => {
  it('asks CloudWatch for exactly the canary metrics over the aligned window', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    await monitor.sample(request());

    // Assess
    expect(metricInputs()).toStrictEqual([
      {
        MetricDataQueries: [
          ...trafficQueries(GREEN),
          albQuery('p95Window', 'TargetResponseTime', 'p95', 360),
          albQuery('healthyHosts', 'HealthyHostCount', 'Minimum', 60),
          databaseQuery([{ Name: 'DBInstanceIdentifier', Value: 'shop-db' }]),
        ],
        StartTime: at(0),
        EndTime: at(6),
        ScanBy: 'TimestampAscending',
      },
    ]);
    for (const query of metricInputs()[0]?.MetricDataQueries ?? []) expect(query.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    expect(alarmInputs()).toHaveLength(0);
  });

  it("reads a cluster's writer: DBClusterIdentifier with Role=WRITER", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const clusterMonitor = createMetricsMonitor(client, {
      ...config,
      database: { kind: 'cluster', identifier: 'shop-cluster' },
    });

    // Act
    await clusterMonitor.sample(request());

    // Assess
    const db = metricInputs()[0]?.MetricDataQueries?.find((q) => q.Id === 'dbConnections');
    expect(db?.MetricStat?.Metric?.Dimensions).toStrictEqual([
      { Name: 'DBClusterIdentifier', Value: 'shop-cluster' },
      { Name: 'Role', Value: 'WRITER' },
    ]);
  });

  it('turns the results into a canary sample, counting what the load balancer answered itself', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        series('requests', [
          [0, 100],
          [1, 120],
          [3, 80],
        ]),
        series('targetErrors', [[1, 6]]),
        series('connectionErrors', [[3, 40]]),
        series('elbRequests', [
          [0, 1000],
          [1, 1200],
          [2, 900],
          [3, 800],
          [4, 1000],
          [5, 1000],
        ]),
        series('elbErrors', [
          [0, 1],
          [3, 40.8],
        ]),
        series('p95Minute', [
          [0, 0.21],
          [1, 0.333],
          [3, 0.2],
        ]),
        series('p95Window', [[0, 0.3]]),
        series('healthyHosts', [
          [0, 2],
          [1, 2],
          [2, 2],
          [3, 1],
          [4, 2],
          [5, 2],
        ]),
        series('dbConnections', [
          [0, 40],
          [1, 120],
          [2, 90],
        ]),
      ],
    });

    // Act
    const sample = await monitor.sample(request());

    // Assess
    const minute = (index: number, data: string, fields: Record<string, number | null>) => ({
      at: at(index).toISOString(),
      data,
      requests: 0,
      errors: 0,
      targetErrors: 0,
      connectionErrors: 0,
      loadBalancerErrors: 0,
      errorRatePercent: null,
      p95LatencyMs: null,
      healthyHosts: 2,
      ...fields,
    });
    expect(sample).toEqual({
      windowStart: '2026-11-24T10:00:00.000Z',
      windowEnd: '2026-11-24T10:06:00.000Z',
      minutes: [
        minute(0, 'complete', { requests: 100, errorRatePercent: 0, p95LatencyMs: 210 }),
        minute(1, 'complete', { requests: 120, errors: 6, targetErrors: 6, errorRatePercent: 5, p95LatencyMs: 333 }),
        // The load balancer's datapoint is in and green's is not: green got no request in that minute.
        minute(2, 'idle', {}),
        // 40 refused connections; the load balancer's 40.8 5xx are 40 above its 0.1 % baseline: counted once.
        minute(3, 'complete', {
          requests: 80,
          errors: 40,
          connectionErrors: 40,
          loadBalancerErrors: 40,
          errorRatePercent: 50,
          p95LatencyMs: 200,
          healthyHosts: 1,
        }),
        minute(4, 'idle', {}),
        minute(5, 'idle', {}),
      ],
      p95LatencyMs: 300,
      dbConnectionsMax: 120,
      dbMaxConnections: 200,
      baselinePercent: 0.1,
      alarmsInAlarm: [],
    });
  });

  it('leaves the minutes that have not ended yet pending', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('requests', [[4, 100]]), series('elbRequests', [[4, 1000]])],
    });

    // Act
    const sample = await monitor.sample(request({ now: new Date(at(5).getTime() + 20_000) }));

    // Assess
    expect(sample.minutes.map((minute) => minute.data)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'complete',
      'pending',
    ]);
  });

  it('reports no whole-window p95 and no DB connections when CloudWatch has none', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const sample = await monitor.sample(request());

    // Assess
    expect(sample.p95LatencyMs).toBeNull();
    expect(sample.dbConnectionsMax).toBeNull();
    expect(sample.minutes.every((m) => m.errorRatePercent === null && m.data === 'pending')).toBe(true);
  });

  it('follows NextToken and merges the pages', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { ...series('requests', [[0, 10]]), StatusCode: 'PartialData' },
          { ...series('elbRequests', [[0, 100]]), StatusCode: 'PartialData' },
          { ...series('p95Minute', [[0, 0.1]]), StatusCode: 'PartialData' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          series('requests', [[1, 20]]),
          series('elbRequests', [[1, 200]]),
          series('targetErrors', [[1, 2]]),
          series('p95Minute', [[1, 0.2]]),
          series('p95Window', [[0, 0.18]]),
        ],
      });

    // Act
    const sample = await monitor.sample(request());

    // Assess
    const inputs = metricInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[0]?.NextToken).toBeUndefined();
    expect(inputs[1]).toStrictEqual({ ...inputs[0], NextToken: 'page-2' });
    expect(sample.minutes.slice(0, 2)).toMatchObject([
      {
        at: '2026-11-24T10:00:00.000Z',
        data: 'complete',
        requests: 10,
        errors: 0,
        errorRatePercent: 0,
        p95LatencyMs: 100,
      },
      {
        at: '2026-11-24T10:01:00.000Z',
        data: 'complete',
        requests: 20,
        errors: 2,
        errorRatePercent: 10,
        p95LatencyMs: 200,
      },
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
    const error = await crewRejection(monitor.sample(request()));

    // Assess
    expect(error.name).toBe(errorName);
    expect(error.message).toContain("'requests'");
    expect(error.message).toContain('from the test');
  });

  it('refuses a target group ARN where a full name is expected, before calling CloudWatch', async () => {
    // Prepare
    const arn = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${GREEN}`;

    // Act
    const error = await crewRejection(monitor.sample(request({ greenTargetGroupFullName: arn })));

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
    const sample = await monitor.sample(
      request({ watchedAlarms: ['green-5xx', 'green-p95', 'db-connections', 'green-health'] }),
    );

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
    const sample = await monitor.sample(request({ watchedAlarms: names }));

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
    const error = await crewRejection(monitor.sample(request({ watchedAlarms: ['green-5xx', 'green-p95'] })));

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
        series('elbRequests', [
          [0, 300],
          [1, 100],
        ]),
        series('targetErrors', [[1, 4]]),
      ],
    });

    // Act
    const live = await monitor.liveErrorRate(BLUE, window, { now: LATER });

    // Assess
    expect(metricInputs()).toStrictEqual([
      {
        MetricDataQueries: trafficQueries(BLUE),
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

describe('baseline', () => {
  it("sums the load balancer's requests and own 5xx over the window, in one period", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series('elbRequests', [[0, 120_000]]), series('elbErrors', [[0, 60]])],
    });

    // Act
    const baseline = await monitor.baseline({ start: at(0), end: at(15) }, LATER);

    // Assess
    expect(metricInputs()).toStrictEqual([
      {
        MetricDataQueries: [
          albQuery('elbRequests', 'RequestCount', 'Sum', 900, null),
          albQuery('elbErrors', 'HTTPCode_ELB_5XX_Count', 'Sum', 900, null),
        ],
        StartTime: at(0),
        EndTime: at(15),
        ScanBy: 'TimestampAscending',
      },
    ]);
    expect(baseline).toEqual({
      windowStart: at(0).toISOString(),
      windowEnd: at(15).toISOString(),
      requests: 120_000,
      errors: 60,
      errorRatePercent: 0.05,
      measuredAt: LATER.toISOString(),
    });
  });

  it('excuses nothing when the load balancer carried no traffic', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const baseline = await monitor.baseline({ start: at(0), end: at(15) }, LATER);

    // Assess
    expect(baseline).toMatchObject({ requests: 0, errors: 0, errorRatePercent: 0 });
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
