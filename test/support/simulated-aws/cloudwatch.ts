import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type Dimension,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricAlarm,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { type CallLog, rejectUnmodelled } from './call-log';
import type { VirtualClock } from './clock';
import { BLUE_TARGET_GROUP, GREEN_TARGET_GROUP, LOAD_BALANCER_FULL_NAME, SIM } from './constants';
import { assertOnlyKeys, awsError, notModelled } from './errors';
import { ALARM_DEFINITIONS, floorToMinute, type MinuteTraffic, type TrafficHistory } from './traffic';

/**
 * CloudWatch of the simulated production: GetMetricData over the traffic history (the ALB metrics of both target
 * groups and the database's connections, with the statistics the metrics monitor asks for) and DescribeAlarms over
 * the alarms of lib/cutover-alarms.ts. A query for any other metric, statistic or dimension fails as not modelled
 * (real CloudWatch would answer an empty series, hiding the mistake).
 */

type Output<T> = Omit<T, '$metadata'>;

/** Extracts one datapoint from a minute, or null when the metric published none in that minute. */
type Extractor = (minute: MinuteTraffic) => number | null;
type Aggregate = 'sum' | 'max';

interface ResolvedQuery {
  readonly extract: Extractor;
  readonly aggregate: Aggregate;
}

export class SimulatedCloudWatch {
  private client: CloudWatchClient | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly log: CallLog,
    private readonly traffic: TrafficHistory,
  ) {}

  cloudWatchClient(): CloudWatchClient {
    if (this.client !== undefined) return this.client;
    const client = new CloudWatchClient({
      region: SIM.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const mock = mockClient(client);
    rejectUnmodelled(mock, 'CloudWatch', this.log);
    mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      const window = `${input.StartTime?.toISOString() ?? '?'}..${input.EndTime?.toISOString() ?? '?'}`;
      const ids = (input.MetricDataQueries ?? []).map((query) => query.Id ?? '?').join(',');
      return this.log.run(`CloudWatch:GetMetricData ${window} ${ids}`, () => this.getMetricData(input));
    });
    mock
      .on(DescribeAlarmsCommand)
      .callsFake((input: DescribeAlarmsCommandInput) =>
        this.log.run(`CloudWatch:DescribeAlarms ${(input.AlarmNames ?? []).join(',')}`, () =>
          this.describeAlarms(input),
        ),
      );
    this.client = client;
    return client;
  }

  private getMetricData(input: GetMetricDataCommandInput): Output<GetMetricDataCommandOutput> {
    assertOnlyKeys('CloudWatch', 'GetMetricData', input, ['MetricDataQueries', 'StartTime', 'EndTime', 'ScanBy']);
    const start = input.StartTime?.getTime();
    const end = input.EndTime?.getTime();
    if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end) || end <= start) {
      throw awsError('InvalidParameterValue', 'The parameter StartTime must be before EndTime.');
    }
    const queries = input.MetricDataQueries ?? [];
    if (queries.length === 0 || queries.length > 500) {
      throw awsError('InvalidParameterValue', 'MetricDataQueries must hold 1-500 queries');
    }
    const ascending = input.ScanBy === 'TimestampAscending';
    const results: MetricDataResult[] = [];
    for (const query of queries) {
      const result = this.run(query, start, end);
      if (query.ReturnData === false) continue;
      if (!ascending) {
        result.Timestamps?.reverse();
        result.Values?.reverse();
      }
      results.push(result);
    }
    return { MetricDataResults: results, Messages: [] };
  }

  /** One query over [start, end): buckets of `Period` from the start rounded down to the minute. */
  private run(query: MetricDataQuery, start: number, end: number): MetricDataResult {
    const id = query.Id ?? '';
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw awsError('ValidationError', `invalid query id '${id}'`);
    const stat = query.MetricStat;
    if (stat === undefined || query.Expression !== undefined) {
      throw notModelled('CloudWatch', `GetMetricData query '${id}' without a MetricStat (metric math)`);
    }
    const period = stat.Period ?? 0;
    if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) {
      throw notModelled('CloudWatch', `GetMetricData query '${id}' with a period of ${period} s (ALB publishes 60 s)`);
    }
    const resolved = resolveQuery(
      id,
      stat.Metric?.Namespace,
      stat.Metric?.MetricName,
      stat.Metric?.Dimensions ?? [],
      stat.Stat,
    );
    const timestamps: Date[] = [];
    const values: number[] = [];
    const periodMs = period * 1000;
    for (let bucket = floorToMinute(start); bucket < end; bucket += periodMs) {
      const points = this.traffic
        .minutesIn(bucket, Math.min(bucket + periodMs, end))
        .map(resolved.extract)
        .filter((value): value is number => value !== null);
      if (points.length === 0) continue;
      timestamps.push(new Date(bucket));
      values.push(resolved.aggregate === 'sum' ? points.reduce((a, b) => a + b, 0) : Math.max(...points));
    }
    return {
      Id: id,
      Label: stat.Metric?.MetricName ?? id,
      Timestamps: timestamps,
      Values: values,
      StatusCode: 'Complete',
    };
  }

  private describeAlarms(input: DescribeAlarmsCommandInput): Output<DescribeAlarmsCommandOutput> {
    assertOnlyKeys('CloudWatch', 'DescribeAlarms', input, ['AlarmNames', 'AlarmTypes', 'MaxRecords']);
    const names = input.AlarmNames ?? [];
    if (names.length === 0) throw notModelled('CloudWatch', 'DescribeAlarms without AlarmNames');
    if (names.length > 100) throw awsError('ValidationError', 'at most 100 alarm names per call');
    if (input.AlarmTypes !== undefined && !input.AlarmTypes.includes('MetricAlarm')) return { MetricAlarms: [] };
    const states = this.traffic.alarmStates();
    const alarms: MetricAlarm[] = [];
    for (const name of names) {
      const definition = ALARM_DEFINITIONS.find((alarm) => alarm.name === name);
      const state = states.get(name);
      if (definition === undefined || state === undefined) continue;
      alarms.push({
        AlarmName: name,
        AlarmArn: `arn:aws:cloudwatch:${SIM.region}:${SIM.account}:alarm:${name}`,
        StateValue: state.value,
        StateReason: state.reason,
        StateUpdatedTimestamp: new Date(state.evaluatedAt ?? this.clock.nowMs()),
        Namespace: definition.namespace,
        MetricName: definition.metricName,
        Threshold: definition.threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: definition.evaluationPeriods,
        DatapointsToAlarm: definition.evaluationPeriods,
        Period: 60,
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
      });
    }
    return { MetricAlarms: alarms, CompositeAlarms: [] };
  }
}

function dimensionMap(dimensions: readonly Dimension[]): Map<string, string> {
  return new Map(dimensions.map((dimension) => [dimension.Name ?? '', dimension.Value ?? '']));
}

function resolveQuery(
  id: string,
  namespace: string | undefined,
  metricName: string | undefined,
  dimensions: readonly Dimension[],
  stat: string | undefined,
): ResolvedQuery {
  const what = `${namespace ?? '?'} ${metricName ?? '?'} ${stat ?? '?'} {${dimensions
    .map((dimension) => `${dimension.Name ?? '?'}=${dimension.Value ?? '?'}`)
    .join(', ')}}`;
  const unknown = () => notModelled('CloudWatch', `GetMetricData query '${id}': ${what}`);
  const byName = dimensionMap(dimensions);
  if (byName.size !== dimensions.length) throw unknown();

  if (namespace === 'AWS/RDS') {
    if (metricName !== 'DatabaseConnections' || stat !== 'Maximum') throw unknown();
    if (byName.size !== 1 || byName.get('DBInstanceIdentifier') !== SIM.databaseIdentifier) throw unknown();
    return { extract: (minute) => minute.dbConnections, aggregate: 'max' };
  }
  if (namespace !== 'AWS/ApplicationELB') throw unknown();
  if (byName.size !== 2 || byName.get('LoadBalancer') !== LOAD_BALANCER_FULL_NAME) throw unknown();
  const targetGroup = byName.get('TargetGroup');
  const side =
    targetGroup === GREEN_TARGET_GROUP.fullName ? 'green' : targetGroup === BLUE_TARGET_GROUP.fullName ? 'live' : null;
  if (side === null) throw unknown();
  const group = (minute: MinuteTraffic) => minute[side];
  switch (`${metricName ?? ''} ${stat ?? ''}`) {
    case 'RequestCount Sum':
      return { extract: (minute) => group(minute)?.requests ?? null, aggregate: 'sum' };
    case 'HTTPCode_Target_5XX_Count Sum':
      // ALB publishes no zero counts.
      return {
        extract: (minute) => {
          const errors = group(minute)?.errors ?? 0;
          return errors > 0 ? errors : null;
        },
        aggregate: 'sum',
      };
    case 'TargetResponseTime p95':
      // Per minute the modelled p95; over a longer period the highest per-minute p95 (an upper bound of the true p95).
      return {
        extract: (minute) => {
          const p95 = group(minute)?.p95Ms;
          return p95 === undefined ? null : p95 / 1000;
        },
        aggregate: 'max',
      };
    default:
      throw unknown();
  }
}
