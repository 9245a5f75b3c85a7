import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { DatabaseKind } from '../../shared/contracts';
import type { CanarySample, LoadBalancerBaseline, MinuteSample } from '../../shared/cutover-contracts';
import { ConfigurationError, InvalidInputError, TransientAwsError } from '../../shared/errors';
import { errorRatePercent } from '../../shared/green-errors';
import { attributeMinutes, type Datapoint, summarizeMinutes } from './minutes';
import { canaryQueries, loadBalancerQueries, QUERY_IDS, trafficQueries } from './queries';
import { type AlignedWindow, alignWindow, secondsToMs, type TimeWindow } from './window';

/**
 * metrics_monitor: what a target group of the blue-green pair did during a bake window, read from CloudWatch in one
 * GetMetricData request (paginated), plus the state of the watched alarms.
 *
 * Green's errors are its target 5xx, its connection errors and the load balancer's own 5xx above the baseline
 * measured before the first shift (lambdas/shared/green-errors.ts): a green that crashes or hangs makes the load
 * balancer answer 502/503/504 itself, which green's own 5xx count never shows. ALB metrics come per minute, only
 * while requests flow, and late: a minute with traffic but no datapoint yet is pending, never a healthy minute.
 */

export { attributeMinutes, type Datapoint, type MinuteSeries, summarizeMinutes } from './minutes';
export { canaryQueries, databaseConnectionsQuery, loadBalancerQueries, QUERY_IDS, trafficQueries } from './queries';
export type { TimeWindow } from './window';
export { type AlignedWindow, alignWindow, MAX_WINDOW_SECONDS, METRIC_PERIOD_SECONDS, secondsToMs } from './window';
export { errorRatePercent };

/** DescribeAlarms accepts at most 100 alarm names per call. */
export const ALARM_NAMES_PER_CALL = 100;

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
  /** errors / requests * 100 over the window's complete minutes; null without requests. */
  readonly errorRatePercent: number | null;
}

export interface SampleRequest {
  /** `targetgroup/<name>/<id>` of green. */
  readonly greenTargetGroupFullName: string;
  readonly window: TimeWindow;
  readonly watchedAlarms: readonly string[];
  /** The load balancer's own 5xx rate not blamed on green. */
  readonly baseline: LoadBalancerBaseline;
  /** Minutes that have not ended by now cannot have their datapoints yet. */
  readonly now: Date;
}

export interface LiveErrorRateOptions {
  /**
   * The load balancer's own 5xx rate not blamed on the live side, in %.
   * @default 0 - every load-balancer 5xx is the live side's (it carries all traffic after a rollback)
   */
  readonly baselinePercent?: number;
  /**
   * Minutes that have not ended by then have no datapoints yet.
   * @default - the current time
   */
  readonly now?: Date;
}

export interface MetricsMonitor {
  /** The load balancer's requests and own 5xx over a window (before the first shift). */
  baseline(window: TimeWindow, now: Date): Promise<LoadBalancerBaseline>;
  sample(request: SampleRequest): Promise<CanarySample>;
  /** The names among `alarmNames` that are in ALARM now (metric and composite alarms; an unknown name is an error). */
  alarmsInAlarm(alarmNames: readonly string[]): Promise<string[]>;
  /** The live side's errors after a rollback: every 5xx the load balancer makes above baseline is live's then. */
  liveErrorRate(
    liveTargetGroupFullName: string,
    window: TimeWindow,
    options?: LiveErrorRateOptions,
  ): Promise<SideTraffic>;
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

const LOAD_BALANCER_FULL_NAME = /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const TARGET_GROUP_FULL_NAME = /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;

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

const sumOf = (points: readonly Datapoint[]) => points.reduce((total, point) => total + point.value, 0);

class CloudWatchMetricsMonitor implements MetricsMonitor {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly config: MetricsMonitorConfig,
  ) {}

  async baseline(window: TimeWindow, now: Date): Promise<LoadBalancerBaseline> {
    const aligned = alignWindow(window);
    // One period over the whole window: two sums.
    const series = await this.getMetricData(
      loadBalancerQueries(this.config.loadBalancerFullName, aligned.windowSeconds),
      aligned,
    );
    const requests = sumOf(series.get(QUERY_IDS.elbRequests) ?? []);
    const errors = sumOf(series.get(QUERY_IDS.elbErrors) ?? []);
    return {
      windowStart: aligned.startTime.toISOString(),
      windowEnd: aligned.endTime.toISOString(),
      requests,
      errors,
      errorRatePercent: errorRatePercent(errors, requests) ?? 0,
      measuredAt: now.toISOString(),
    };
  }

  async sample(request: SampleRequest): Promise<CanarySample> {
    assertTargetGroupFullName(request.greenTargetGroupFullName);
    const aligned = alignWindow(request.window);
    const series = await this.getMetricData(
      canaryQueries(this.config, request.greenTargetGroupFullName, aligned.windowSeconds),
      aligned,
    );
    const alarmsInAlarm = await this.alarmsInAlarm(request.watchedAlarms);
    const minutes = attributeMinutes(aligned.minuteStarts, this.minuteSeries(series), {
      baselinePercent: request.baseline.errorRatePercent,
      expectTraffic: request.baseline.requests > 0,
      now: request.now,
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
      baselinePercent: request.baseline.errorRatePercent,
      alarmsInAlarm,
    };
  }

  async liveErrorRate(
    liveTargetGroupFullName: string,
    window: TimeWindow,
    options: LiveErrorRateOptions = {},
  ): Promise<SideTraffic> {
    assertTargetGroupFullName(liveTargetGroupFullName);
    const aligned = alignWindow(window);
    const series = await this.getMetricData(
      trafficQueries(this.config.loadBalancerFullName, liveTargetGroupFullName),
      aligned,
    );
    const minutes = attributeMinutes(aligned.minuteStarts, this.minuteSeries(series), {
      baselinePercent: options.baselinePercent ?? 0,
      expectTraffic: false,
      now: options.now ?? new Date(),
    });
    return {
      windowStart: aligned.startTime.toISOString(),
      windowEnd: aligned.endTime.toISOString(),
      minutes,
      ...summarizeMinutes(minutes),
    };
  }

  private minuteSeries(series: Map<string, Datapoint[]>) {
    return {
      requests: series.get(QUERY_IDS.requests) ?? [],
      targetErrors: series.get(QUERY_IDS.targetErrors) ?? [],
      connectionErrors: series.get(QUERY_IDS.connectionErrors) ?? [],
      loadBalancerErrors: series.get(QUERY_IDS.elbErrors) ?? [],
      loadBalancerRequests: series.get(QUERY_IDS.elbRequests) ?? [],
      p95Seconds: series.get(QUERY_IDS.p95) ?? [],
      healthyHosts: series.get(QUERY_IDS.healthyHosts) ?? [],
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
  async alarmsInAlarm(watchedAlarms: readonly string[]): Promise<string[]> {
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
