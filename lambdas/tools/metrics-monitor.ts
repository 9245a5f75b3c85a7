import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type Dimension,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { DatabaseKind } from '../shared/contracts';
import type { CanarySample, MinuteSample } from '../shared/cutover-contracts';
import { ConfigurationError, InvalidInputError, TransientAwsError } from '../shared/errors';

/**
 * metrics_monitor: what a target group of the blue-green pair did during a bake window, read from CloudWatch in one
 * GetMetricData request (paginated), plus the state of the watched alarms.
 *
 * ALB metrics come in 1-minute periods and only while requests flow, so a minute without a RequestCount datapoint is
 * a minute without data (null error rate), not a healthy minute. The window is widened to whole minutes: CloudWatch
 * rounds the start down to the minute anyway, and aligning the end as well makes the whole-window p95 a single period.
 */

export const METRIC_PERIOD_SECONDS = 60;
/** GetMetricData takes at most 500 queries and returns 100,800 datapoints per page; a bake is far below either. */
export const MAX_WINDOW_SECONDS = 24 * 60 * 60;
/** DescribeAlarms accepts at most 100 alarm names per call. */
export const ALARM_NAMES_PER_CALL = 100;

/** Query ids (must match ^[a-z][a-zA-Z0-9_]*$). */
export const QUERY_IDS = {
  requests: 'requests',
  errors: 'errors5xx',
  p95: 'p95Minute',
  p95Window: 'p95Window',
  dbConnections: 'dbConnections',
} as const;

export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

export interface MetricsMonitorConfig {
  /** `app/<name>/<id>`, from parseListenerArn. */
  readonly loadBalancerFullName: string;
  readonly database: { readonly kind: DatabaseKind; readonly identifier: string };
  /** The database's max_connections, the denominator of the DB connections threshold. */
  readonly dbMaxConnections: number;
}

/** One side's traffic per minute over a window (used for the live side after a traffic rollback). */
export interface SideTraffic {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly minutes: MinuteSample[];
  readonly requests: number;
  readonly errors: number;
  /** errors / requests * 100 over the window; null without requests. */
  readonly errorRatePercent: number | null;
}

export interface MetricsMonitor {
  sample(greenTargetGroupFullName: string, window: TimeWindow, watchedAlarms: readonly string[]): Promise<CanarySample>;
  liveErrorRate(liveTargetGroupFullName: string, window: TimeWindow): Promise<SideTraffic>;
}

export function createMetricsMonitor(client: CloudWatchClient, config: MetricsMonitorConfig): MetricsMonitor {
  if (!LOAD_BALANCER_FULL_NAME.test(config.loadBalancerFullName)) {
    throw new ConfigurationError(
      `'${config.loadBalancerFullName}' is not a load balancer full name (app/<name>/<id>); derive it with parseListenerArn`,
    );
  }
  if (config.database.identifier === '') throw new ConfigurationError('the database identifier is empty');
  if (!Number.isInteger(config.dbMaxConnections) || config.dbMaxConnections <= 0) {
    throw new ConfigurationError(`dbMaxConnections must be a positive integer, got ${config.dbMaxConnections}`);
  }
  return new CloudWatchMetricsMonitor(client, config);
}

// ---------------------------------------------------------------------------------------------------------------
// Pure parts.

const LOAD_BALANCER_FULL_NAME = /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const TARGET_GROUP_FULL_NAME = /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const MINUTE_MS = METRIC_PERIOD_SECONDS * 1000;

/** The window as it is queried: whole minutes, start rounded down, end rounded up. */
export interface AlignedWindow {
  readonly startTime: Date;
  readonly endTime: Date;
  /** Start of every minute in [startTime, endTime). */
  readonly minuteStarts: readonly Date[];
  /** endTime - startTime in seconds, a multiple of 60: the period of the whole-window p95. */
  readonly windowSeconds: number;
}

export function alignWindow(window: TimeWindow): AlignedWindow {
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) throw new InvalidInputError('the metrics window has an invalid date');
  if (end <= start) {
    throw new InvalidInputError(
      `the metrics window ends (${window.end.toISOString()}) before it starts (${window.start.toISOString()})`,
    );
  }
  const startMs = Math.floor(start / MINUTE_MS) * MINUTE_MS;
  const endMs = Math.ceil(end / MINUTE_MS) * MINUTE_MS;
  const windowSeconds = (endMs - startMs) / 1000;
  if (windowSeconds > MAX_WINDOW_SECONDS) {
    throw new InvalidInputError(`the metrics window is ${windowSeconds} s long; at most ${MAX_WINDOW_SECONDS} s`);
  }
  const minuteStarts: Date[] = [];
  for (let at = startMs; at < endMs; at += MINUTE_MS) minuteStarts.push(new Date(at));
  return { startTime: new Date(startMs), endTime: new Date(endMs), minuteStarts, windowSeconds };
}

export interface Datapoint {
  readonly timestamp: Date;
  readonly value: number;
}

export interface MinuteSeries {
  readonly requests: readonly Datapoint[];
  readonly errors: readonly Datapoint[];
  /** TargetResponseTime p95 per minute, in seconds as CloudWatch reports it. */
  readonly p95Seconds: readonly Datapoint[];
}

/** Seconds → milliseconds, rounded to the microsecond (so 0.5 s is exactly 500 ms). */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1_000_000) / 1000;
}

/** errors / requests * 100, multiplied first so that whole percentages stay exact (7 of 100 is 7, not 7.000…1). */
export function errorRatePercent(errors: number, requests: number): number | null {
  return requests > 0 ? (errors * 100) / requests : null;
}

function byMinute(points: readonly Datapoint[]): Map<number, number> {
  const map = new Map<number, number>();
  for (const point of points) map.set(Math.floor(point.timestamp.getTime() / MINUTE_MS) * MINUTE_MS, point.value);
  return map;
}

/**
 * One MinuteSample per minute start, in order. A minute without a RequestCount datapoint (or with 0) has no data:
 * error rate null. A minute with requests but no 5xx datapoint had 0 errors (ALB publishes no zero counts). Should a
 * 5xx count arrive without its RequestCount (the two are published separately), the errors count as requests, so
 * they are never hidden. Datapoints outside the minutes are ignored.
 */
export function alignMinutes(minuteStarts: readonly Date[], series: MinuteSeries): MinuteSample[] {
  const requests = byMinute(series.requests);
  const errors = byMinute(series.errors);
  const p95 = byMinute(series.p95Seconds);
  return minuteStarts.map((minute) => {
    const key = minute.getTime();
    const errorCount = errors.get(key) ?? 0;
    const requestCount = Math.max(requests.get(key) ?? 0, errorCount);
    const p95Seconds = p95.get(key);
    return {
      at: minute.toISOString(),
      requests: requestCount,
      errors: errorCount,
      errorRatePercent: errorRatePercent(errorCount, requestCount),
      p95LatencyMs: p95Seconds === undefined ? null : secondsToMs(p95Seconds),
    };
  });
}

/** Sums of a window's minutes. */
export function summarizeMinutes(minutes: readonly MinuteSample[]): {
  requests: number;
  errors: number;
  errorRatePercent: number | null;
} {
  const requests = minutes.reduce((sum, m) => sum + m.requests, 0);
  const errors = minutes.reduce((sum, m) => sum + m.errors, 0);
  return { requests, errors, errorRatePercent: errorRatePercent(errors, requests) };
}

function albDimensions(loadBalancerFullName: string, targetGroupFullName: string): Dimension[] {
  return [
    { Name: 'LoadBalancer', Value: loadBalancerFullName },
    { Name: 'TargetGroup', Value: targetGroupFullName },
  ];
}

function albQuery(id: string, metricName: string, stat: string, period: number, dimensions: Dimension[]) {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: dimensions },
      Period: period,
      Stat: stat,
    },
    ReturnData: true,
  } satisfies MetricDataQuery;
}

/** The per-minute traffic queries of one target group. */
export function trafficQueries(loadBalancerFullName: string, targetGroupFullName: string): MetricDataQuery[] {
  const dimensions = albDimensions(loadBalancerFullName, targetGroupFullName);
  return [
    albQuery(QUERY_IDS.requests, 'RequestCount', 'Sum', METRIC_PERIOD_SECONDS, dimensions),
    albQuery(QUERY_IDS.errors, 'HTTPCode_Target_5XX_Count', 'Sum', METRIC_PERIOD_SECONDS, dimensions),
    albQuery(QUERY_IDS.p95, 'TargetResponseTime', 'p95', METRIC_PERIOD_SECONDS, dimensions),
  ];
}

/** Everything the canary verdict needs: green's traffic, its whole-window p95 and the database's connections. */
export function canaryQueries(
  config: MetricsMonitorConfig,
  greenTargetGroupFullName: string,
  windowSeconds: number,
): MetricDataQuery[] {
  const dimensions = albDimensions(config.loadBalancerFullName, greenTargetGroupFullName);
  return [
    ...trafficQueries(config.loadBalancerFullName, greenTargetGroupFullName),
    albQuery(QUERY_IDS.p95Window, 'TargetResponseTime', 'p95', windowSeconds, dimensions),
    {
      Id: QUERY_IDS.dbConnections,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/RDS',
          MetricName: 'DatabaseConnections',
          Dimensions: [
            {
              Name: config.database.kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier',
              Value: config.database.identifier,
            },
          ],
        },
        Period: METRIC_PERIOD_SECONDS,
        Stat: 'Maximum',
      },
      ReturnData: true,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------

function assertTargetGroupFullName(value: string): void {
  if (!TARGET_GROUP_FULL_NAME.test(value)) {
    throw new InvalidInputError(
      `'${value}' is not a target group full name (targetgroup/<name>/<id>); derive it with parseTargetGroupArn`,
    );
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

class CloudWatchMetricsMonitor implements MetricsMonitor {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly config: MetricsMonitorConfig,
  ) {}

  async sample(
    greenTargetGroupFullName: string,
    window: TimeWindow,
    watchedAlarms: readonly string[],
  ): Promise<CanarySample> {
    assertTargetGroupFullName(greenTargetGroupFullName);
    const aligned = alignWindow(window);
    const series = await this.getMetricData(
      canaryQueries(this.config, greenTargetGroupFullName, aligned.windowSeconds),
      aligned,
    );
    const alarmsInAlarm = await this.alarmsInAlarm(watchedAlarms);
    const minutes = alignMinutes(aligned.minuteStarts, {
      requests: series.get(QUERY_IDS.requests) ?? [],
      errors: series.get(QUERY_IDS.errors) ?? [],
      p95Seconds: series.get(QUERY_IDS.p95) ?? [],
    });
    // One period covers the window; should CloudWatch still split it, the worst p95 is the safe reading.
    const p95Window = series.get(QUERY_IDS.p95Window) ?? [];
    const dbConnections = series.get(QUERY_IDS.dbConnections) ?? [];
    return {
      windowStart: aligned.startTime.toISOString(),
      windowEnd: aligned.endTime.toISOString(),
      minutes,
      p95LatencyMs: p95Window.length === 0 ? null : secondsToMs(Math.max(...p95Window.map((p) => p.value))),
      dbConnectionsMax: dbConnections.length === 0 ? null : Math.max(...dbConnections.map((p) => p.value)),
      dbMaxConnections: this.config.dbMaxConnections,
      alarmsInAlarm,
    };
  }

  async liveErrorRate(liveTargetGroupFullName: string, window: TimeWindow): Promise<SideTraffic> {
    assertTargetGroupFullName(liveTargetGroupFullName);
    const aligned = alignWindow(window);
    const series = await this.getMetricData(
      trafficQueries(this.config.loadBalancerFullName, liveTargetGroupFullName),
      aligned,
    );
    const minutes = alignMinutes(aligned.minuteStarts, {
      requests: series.get(QUERY_IDS.requests) ?? [],
      errors: series.get(QUERY_IDS.errors) ?? [],
      p95Seconds: series.get(QUERY_IDS.p95) ?? [],
    });
    return {
      windowStart: aligned.startTime.toISOString(),
      windowEnd: aligned.endTime.toISOString(),
      minutes,
      ...summarizeMinutes(minutes),
    };
  }

  /** Runs the queries over the aligned window, following NextToken; datapoints by query id. */
  private async getMetricData(queries: MetricDataQuery[], aligned: AlignedWindow): Promise<Map<string, Datapoint[]>> {
    const series = new Map<string, Datapoint[]>(queries.map((q) => [q.Id ?? '', []]));
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: aligned.startTime,
          EndTime: aligned.endTime,
          ScanBy: 'TimestampAscending',
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        assertUsable(result);
        const points = series.get(result.Id ?? '');
        if (points === undefined) continue;
        const timestamps = result.Timestamps ?? [];
        const values = result.Values ?? [];
        timestamps.forEach((timestamp, i) => {
          const value = values[i];
          if (value !== undefined && Number.isFinite(value)) points.push({ timestamp, value });
        });
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    return series;
  }

  /** Names of the watched alarms that are in ALARM; a watched alarm that does not exist is a configuration error. */
  private async alarmsInAlarm(watchedAlarms: readonly string[]): Promise<string[]> {
    const names = [...new Set(watchedAlarms)];
    const states = new Map<string, string>();
    for (const chunk of chunks(names, ALARM_NAMES_PER_CALL)) {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(
          new DescribeAlarmsCommand({
            AlarmNames: chunk,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            MaxRecords: ALARM_NAMES_PER_CALL,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName !== undefined) states.set(alarm.AlarmName, alarm.StateValue ?? 'UNKNOWN');
        }
        nextToken = page.NextToken;
      } while (nextToken !== undefined && nextToken !== '');
    }
    const missing = names.filter((name) => !states.has(name));
    if (missing.length > 0) {
      throw new ConfigurationError(`watched alarms not found in CloudWatch: ${missing.join(', ')}`);
    }
    return names.filter((name) => states.get(name) === 'ALARM');
  }
}

function assertUsable(result: MetricDataResult): void {
  const messages = (result.Messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ');
  const detail = messages === '' ? '' : `: ${messages}`;
  if (result.StatusCode === 'InternalError') {
    throw new TransientAwsError(`GetMetricData query '${result.Id ?? '?'}' failed with InternalError${detail}`);
  }
  if (result.StatusCode === 'Forbidden') {
    throw new ConfigurationError(`GetMetricData query '${result.Id ?? '?'}' is forbidden${detail}`);
  }
}
