import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type Dimension,
  GetDashboardCommand,
  type GetDashboardCommandInput,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricAlarm,
  type MetricDataQuery,
  type MetricDataResult,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { CallLog } from './call-log';
import type { VirtualClock } from './clock';
import { BLUE_TARGET_GROUP, GREEN_TARGET_GROUP, LOAD_BALANCER_FULL_NAME, SIM } from './constants';
import { assertOnlyKeys, awsError, notModelled } from './errors';
import { mixtureQuantile } from './latency';
import { simulateClient, simulatedClientConfig } from './sdk-stub';
import { floorToMinute, type MinuteTraffic, type TrafficHistory } from './traffic';

/**
 * CloudWatch of the simulated production: GetMetricData over the traffic history (the ALB metrics of both target
 * groups and of the load balancer, and the database's connections, with the statistics the metrics monitor asks for)
 * and DescribeAlarms over the alarms of lib/cutover-alarms.ts. Only published minutes are read (see TrafficHistory).
 * A query for any other metric, statistic or dimension fails as not modelled (real CloudWatch would answer an empty
 * series, hiding the mistake); the one exception is what AWS itself answers empty on purpose: the load balancer's
 * own 5xx asked per target group.
 */

type Output<T> = Omit<T, '$metadata'>;

type Side = 'live' | 'green';

/** How one query reads the published minutes of a period. */
type ResolvedQuery =
  | {
      readonly kind: 'points';
      /** One minute's datapoint, or null when the metric published none in that minute. */
      readonly extract: (minute: MinuteTraffic) => number | null;
      readonly aggregate: 'sum' | 'max' | 'min';
    }
  /** A percentile over every request of the period: from the minutes' latency distributions, by requests. */
  | { readonly kind: 'latency'; readonly side: Side }
  /** No metric has these dimensions: CloudWatch answers an empty series. */
  | { readonly kind: 'empty' };

/** A datapoint the prober published (PutMetricData), as recorded. */
export interface PublishedDatapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly at: string;
  readonly value: number;
}

export class SimulatedCloudWatch {
  private client: CloudWatchClient | undefined;
  /** Dashboards that exist (GetDashboard answers these, ResourceNotFound for any other). */
  readonly dashboards = new Set<string>([SIM.dashboardName]);
  readonly published: PublishedDatapoint[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly log: CallLog,
    private readonly traffic: TrafficHistory,
  ) {}

  cloudWatchClient(): CloudWatchClient {
    if (this.client !== undefined) return this.client;
    const client = new CloudWatchClient(simulatedClientConfig());
    const mock = simulateClient(client, 'CloudWatch', this.log);
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
    mock
      .on(GetDashboardCommand)
      .callsFake((input: GetDashboardCommandInput) =>
        this.log.run(`CloudWatch:GetDashboard ${input.DashboardName ?? '?'}`, () => this.getDashboard(input)),
      );
    mock
      .on(PutMetricDataCommand)
      .callsFake((input: PutMetricDataCommandInput) =>
        this.log.run(`CloudWatch:PutMetricData ${input.Namespace ?? '?'}`, () => this.putMetricData(input)),
      );
    this.client = client;
    return client;
  }

  private getDashboard(input: GetDashboardCommandInput) {
    assertOnlyKeys('CloudWatch', 'GetDashboard', input, ['DashboardName']);
    const name = input.DashboardName ?? '';
    if (!this.dashboards.has(name)) throw awsError('ResourceNotFound', `Dashboard ${name} does not exist`);
    return {
      DashboardName: name,
      DashboardArn: `arn:aws:cloudwatch::${SIM.account}:dashboard/${name}`,
      DashboardBody: JSON.stringify({ widgets: [{ type: 'metric', properties: {} }] }),
    };
  }

  private putMetricData(input: PutMetricDataCommandInput) {
    assertOnlyKeys('CloudWatch', 'PutMetricData', input, ['Namespace', 'MetricData']);
    for (const datum of input.MetricData ?? []) {
      this.published.push({
        namespace: input.Namespace ?? '',
        metricName: datum.MetricName ?? '',
        dimensions: Object.fromEntries((datum.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
        at: datum.Timestamp instanceof Date ? datum.Timestamp.toISOString() : String(datum.Timestamp),
        value: datum.Value ?? Number.NaN,
      });
    }
    return {};
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
      this.traffic.model.databaseKind ?? 'instance',
    );
    const timestamps: Date[] = [];
    const values: number[] = [];
    const periodMs = period * 1000;
    for (let bucket = floorToMinute(start); bucket < end && resolved.kind !== 'empty'; bucket += periodMs) {
      const minutes = this.traffic.publishedMinutesIn(bucket, Math.min(bucket + periodMs, end));
      const value = aggregate(resolved, minutes);
      if (value === null) continue;
      timestamps.push(new Date(bucket));
      values.push(value);
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
      const definition = this.traffic.alarms.find((alarm) => alarm.name === name);
      const state = states.get(name);
      if (definition === undefined || state === undefined) continue;
      alarms.push({
        AlarmName: name,
        AlarmArn: `arn:aws:cloudwatch:${SIM.region}:${SIM.account}:alarm:${name}`,
        StateValue: state.value,
        StateReason: state.reason,
        StateUpdatedTimestamp: new Date(state.evaluatedAt ?? this.clock.nowMs()),
        ...definition.metric,
        // A metric-math alarm has its periods in its queries.
        ...(definition.metric.Metrics === undefined ? { Period: 60 } : {}),
        Threshold: definition.threshold,
        ComparisonOperator: definition.comparison,
        EvaluationPeriods: definition.evaluationPeriods,
        DatapointsToAlarm: definition.evaluationPeriods,
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
      });
    }
    return { MetricAlarms: alarms, CompositeAlarms: [] };
  }
}

/** One period's value from its published minutes; null when none of them has a datapoint. */
function aggregate(resolved: ResolvedQuery, minutes: readonly MinuteTraffic[]): number | null {
  if (resolved.kind === 'empty') return null;
  if (resolved.kind === 'latency') {
    return mixtureQuantile(
      minutes.flatMap((minute) => {
        const group = minute[resolved.side];
        return group === null ? [] : [{ p95Seconds: group.p95Ms / 1000, requests: group.answered }];
      }),
    );
  }
  const points = minutes.map(resolved.extract).filter((value): value is number => value !== null);
  if (points.length === 0) return null;
  if (resolved.aggregate === 'sum') return points.reduce((a, b) => a + b, 0);
  return resolved.aggregate === 'max' ? Math.max(...points) : Math.min(...points);
}

function dimensionMap(dimensions: readonly Dimension[]): Map<string, string> {
  return new Map(dimensions.map((dimension) => [dimension.Name ?? '', dimension.Value ?? '']));
}

/** ALB publishes no zero counts: a count of 0 is no datapoint. */
function count(value: number | undefined): number | null {
  return value === undefined || value === 0 ? null : value;
}

function resolveQuery(
  id: string,
  namespace: string | undefined,
  metricName: string | undefined,
  dimensions: readonly Dimension[],
  stat: string | undefined,
  databaseKind: 'instance' | 'cluster',
): ResolvedQuery {
  const what = `${namespace ?? '?'} ${metricName ?? '?'} ${stat ?? '?'} {${dimensions
    .map((dimension) => `${dimension.Name ?? '?'}=${dimension.Value ?? '?'}`)
    .join(', ')}}`;
  const unknown = (why = '') => notModelled('CloudWatch', `GetMetricData query '${id}': ${what}${why}`);
  const byName = dimensionMap(dimensions);
  if (byName.size !== dimensions.length) throw unknown();

  if (namespace === 'AWS/RDS') {
    if (metricName !== 'DatabaseConnections' || stat !== 'Maximum') throw unknown();
    const writer =
      databaseKind === 'instance'
        ? byName.size === 1 && byName.get('DBInstanceIdentifier') === SIM.databaseIdentifier
        : byName.size === 2 &&
          byName.get('DBClusterIdentifier') === SIM.databaseIdentifier &&
          byName.get('Role') === 'WRITER';
    if (!writer) {
      // Without Role=WRITER a cluster's series is every member's, with READER the readers': never the writer's.
      throw unknown(
        databaseKind === 'instance'
          ? ` (the database is the instance ${SIM.databaseIdentifier})`
          : ` (the database is the cluster ${SIM.databaseIdentifier}; only its writer, Role=WRITER, is modelled)`,
      );
    }
    return { kind: 'points', extract: (minute) => minute.dbConnections, aggregate: 'max' };
  }
  if (namespace !== 'AWS/ApplicationELB') throw unknown();
  if (byName.get('LoadBalancer') !== LOAD_BALANCER_FULL_NAME) throw unknown();
  const metric = `${metricName ?? ''} ${stat ?? ''}`;

  if (byName.size === 1) {
    switch (metric) {
      case 'RequestCount Sum':
        return { kind: 'points', extract: (minute) => count(minute.loadBalancer.requests), aggregate: 'sum' };
      case 'HTTPCode_ELB_5XX_Count Sum':
        return { kind: 'points', extract: (minute) => count(minute.loadBalancer.errors), aggregate: 'sum' };
      default:
        throw unknown();
    }
  }
  if (byName.size !== 2) throw unknown();
  const targetGroup = byName.get('TargetGroup');
  const side: Side | null =
    targetGroup === GREEN_TARGET_GROUP.fullName ? 'green' : targetGroup === BLUE_TARGET_GROUP.fullName ? 'live' : null;
  if (side === null) throw unknown();
  // The load balancer's own 5xx exist per load balancer only: with a TargetGroup the metric does not exist.
  if (metricName === 'HTTPCode_ELB_5XX_Count') return { kind: 'empty' };
  const group = (minute: MinuteTraffic) => minute[side];
  switch (metric) {
    case 'RequestCount Sum':
      return { kind: 'points', extract: (minute) => count(group(minute)?.requests), aggregate: 'sum' };
    case 'HTTPCode_Target_5XX_Count Sum':
      return { kind: 'points', extract: (minute) => count(group(minute)?.targetErrors), aggregate: 'sum' };
    case 'TargetConnectionErrorCount Sum':
      return { kind: 'points', extract: (minute) => count(group(minute)?.connectionErrors), aggregate: 'sum' };
    case 'TargetResponseTime p95':
      return { kind: 'latency', side };
    case 'HealthyHostCount Minimum':
      return { kind: 'points', extract: (minute) => minute.healthyHosts[side], aggregate: 'min' };
    default:
      throw unknown();
  }
}
