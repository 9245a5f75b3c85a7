/**
 * What the simulated ALB, its two target groups and the database publish for one minute, given the traffic model
 * (the scenario's knobs) and how the listener split the minute's requests. The numbers follow what AWS counts:
 *
 * - a target group's RequestCount holds every request the load balancer routed to it, including those it answered
 *   itself because the target refused the connection, timed out or hung;
 * - HTTPCode_Target_5XX_Count holds only 5xx a target sent; the load balancer's own 502/503/504 are in
 *   HTTPCode_ELB_5XX_Count, which exists per load balancer only, and refused or timed-out connections are in the
 *   group's TargetConnectionErrorCount;
 * - TargetResponseTime covers only requests a target answered;
 * - HealthyHostCount is published every minute for a group with registered targets, with or without traffic.
 */

export interface TrafficAt {
  /** Green's share of the listener in % during the minute (the share that carried most of its requests). */
  readonly greenWeight: number;
  /** Whole virtual minutes since the minute in which green first got traffic (0 in that minute). */
  readonly minute: number;
}

/** A crashing or hanging green, in % of the requests routed to it. The load balancer answers these itself. */
export interface GreenCrash {
  /** Connection refused (tasks crashed): 502, counted as a TargetConnectionErrorCount. */
  readonly refusedPercent?: number;
  /** Connection timed out (tasks stuck): 504, counted as a TargetConnectionErrorCount. */
  readonly timeoutPercent?: number;
  /** Connected, then no response before the idle timeout: 504, in HTTPCode_ELB_5XX_Count only. */
  readonly hangPercent?: number;
}

/** A minute as `lateMinutes` sees it. */
export interface LateMinute {
  readonly start: Date;
  readonly greenWeight: number;
  /** Null before green ever got traffic. */
  readonly minute: number | null;
}

export interface TrafficModel {
  /** Requests per minute through the whole listener; default 6000. */
  readonly requestsPerMinute?: number;
  /** Green's target 5xx in % of the requests its targets answered; default () => 0.2. */
  readonly greenErrorRatePercent?: (at: TrafficAt) => number;
  /** Green's p95 TargetResponseTime in ms; default 180. */
  readonly greenP95Ms?: (at: TrafficAt) => number;
  /** Live's target 5xx in %; default 0.1. */
  readonly liveErrorRatePercent?: number;
  /** Live's p95 in ms; default 150. */
  readonly liveP95Ms?: number;
  /**
   * 5xx the load balancer answers itself for live's requests (a keep-alive race, a rejected request), in % of the
   * load balancer's requests; default 0.05 (below the alarms' configured baseline of 0.1 %).
   */
  readonly loadBalancerBaselineErrorPercent?: number;
  /** Green crashes or hangs; default never. */
  readonly greenCrash?: (at: TrafficAt) => GreenCrash | null;
  /**
   * Green's HealthyHostCount; default 3 (its desired count) less the share of tasks that crash or hang. Green
   * publishes it from the minute it first got traffic (the simulation cannot see its targets register before).
   */
  readonly greenHealthyHosts?: (at: TrafficAt) => number;
  /** Live's HealthyHostCount; default 3. */
  readonly liveHealthyHosts?: (at: TrafficAt) => number;
  /** DatabaseConnections (Maximum) per minute; default 120. Before green ever got traffic: greenWeight 0, minute 0. */
  readonly dbConnections?: (at: TrafficAt) => number;
  /**
   * The database is an Aurora cluster `SIM.databaseIdentifier`: its connections are published for the writer
   * (DBClusterIdentifier + Role=WRITER) instead of per instance; default 'instance'.
   */
  readonly databaseKind?: 'instance' | 'cluster';
  /**
   * Green publishes no ALB datapoints at all (e.g. no requests reach it): 'always' or only at these weights. Live's
   * share is not changed by it.
   */
  readonly greenNoData?: 'always' | readonly number[];
  /** Green publishes no ALB datapoints before this many minutes since it first got traffic (a slow start). */
  readonly greenNoDataForMinutes?: number;
  /**
   * How long after a minute ends its datapoints can be read (GetMetricData and the alarms); default
   * DEFAULT_PUBLISH_DELAY_SECONDS.
   */
  readonly publishDelaySeconds?: number;
  /** Extra delay in seconds for some minutes (e.g. the last minute of a bake); default none. */
  readonly lateMinutes?: (minute: LateMinute) => number;
}

/** ALB publishes each minute about a minute after it ends. */
export const DEFAULT_PUBLISH_DELAY_SECONDS = 90;
/** The desired count of both services once provisioned. */
export const DEFAULT_HEALTHY_HOSTS = 3;

/** One target group's ALB numbers for one minute. */
export interface GroupMinute {
  /** RequestCount: every request routed to the group, including those the load balancer answered itself. */
  readonly requests: number;
  /** HTTPCode_Target_5XX_Count. */
  readonly targetErrors: number;
  /** TargetConnectionErrorCount. */
  readonly connectionErrors: number;
  /** 5xx the load balancer answered itself for the group's requests (part of its HTTPCode_ELB_5XX_Count). */
  readonly loadBalancerErrors: number;
  /** Requests a target answered: those TargetResponseTime covers. */
  readonly answered: number;
  /** p95 TargetResponseTime of the answered requests. */
  readonly p95Ms: number;
}

export interface MinuteTraffic {
  /** Start of the minute, ms since the epoch. */
  readonly start: number;
  readonly greenWeight: number;
  /** Null before green ever got traffic. */
  readonly minute: number | null;
  /** Null: the group published no request datapoints in this minute (no requests). */
  readonly live: GroupMinute | null;
  readonly green: GroupMinute | null;
  /** HealthyHostCount per group; null: not published (no registered targets). */
  readonly healthyHosts: { readonly live: number | null; readonly green: number | null };
  /** The load balancer's RequestCount and HTTPCode_ELB_5XX_Count (both groups together). */
  readonly loadBalancer: { readonly requests: number; readonly errors: number };
  readonly dbConnections: number;
  /** When the minute's datapoints can be read, ms since the epoch. */
  readonly publishedAt: number;
}

export const MINUTE_MS = 60_000;

export function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** How the listener split one minute, as TrafficHistory derived it from the weight timeline. */
export interface MinuteSplit {
  readonly start: number;
  readonly totalRequests: number;
  readonly greenRequests: number;
  readonly greenWeight: number;
  readonly minute: number | null;
}

function percent(name: string, value: number): number {
  if (!(value >= 0 && value <= 100)) throw new Error(`traffic model: ${name} must be 0-100 %, got ${value}`);
  return value;
}

function countOf(requests: number, name: string, value: number | undefined): number {
  return Math.round((requests * percent(name, value ?? 0)) / 100);
}

function groupMinute(
  requests: number,
  errorRatePercent: number,
  p95Ms: number,
  loadBalancerAnswered: { readonly connection: number; readonly other: number },
): GroupMinute {
  if (!(p95Ms >= 0)) throw new Error(`traffic model: a p95 must be >= 0 ms, got ${p95Ms}`);
  const connectionErrors = Math.min(requests, loadBalancerAnswered.connection);
  const loadBalancerErrors = Math.min(requests, connectionErrors + loadBalancerAnswered.other);
  const answered = requests - loadBalancerErrors;
  return {
    requests,
    targetErrors: countOf(answered, 'an error rate', errorRatePercent),
    connectionErrors,
    loadBalancerErrors,
    answered,
    p95Ms,
  };
}

/** The minute's numbers from its split and the model (pure: the same split always gives the same minute). */
export function computeMinute(model: TrafficModel, split: MinuteSplit): MinuteTraffic {
  const at: TrafficAt = { greenWeight: split.greenWeight, minute: split.minute ?? 0 };
  const noData = model.greenNoData;
  const greenSilent =
    noData === 'always' ||
    (Array.isArray(noData) && noData.includes(split.greenWeight)) ||
    (model.greenNoDataForMinutes !== undefined && at.minute < model.greenNoDataForMinutes);

  const crash = split.greenRequests > 0 ? (model.greenCrash?.(at) ?? null) : null;
  const refused = countOf(split.greenRequests, 'refusedPercent', crash?.refusedPercent);
  const timedOut = countOf(split.greenRequests, 'timeoutPercent', crash?.timeoutPercent);
  const hung = countOf(split.greenRequests, 'hangPercent', crash?.hangPercent);
  const green =
    split.greenRequests === 0 || greenSilent
      ? null
      : groupMinute(split.greenRequests, model.greenErrorRatePercent?.(at) ?? 0.2, model.greenP95Ms?.(at) ?? 180, {
          connection: refused + timedOut,
          other: hung,
        });

  const liveRequests = split.totalRequests - split.greenRequests;
  const baseline = countOf(
    split.totalRequests,
    'loadBalancerBaselineErrorPercent',
    model.loadBalancerBaselineErrorPercent ?? 0.05,
  );
  const live =
    liveRequests === 0
      ? null
      : groupMinute(liveRequests, model.liveErrorRatePercent ?? 0.1, model.liveP95Ms ?? 150, {
          connection: 0,
          other: baseline,
        });

  const failingPercent = (crash?.refusedPercent ?? 0) + (crash?.timeoutPercent ?? 0) + (crash?.hangPercent ?? 0);
  const greenHealthy = (): number =>
    model.greenHealthyHosts?.(at) ?? Math.round((DEFAULT_HEALTHY_HOSTS * Math.max(0, 100 - failingPercent)) / 100);

  const delaySeconds =
    (model.publishDelaySeconds ?? DEFAULT_PUBLISH_DELAY_SECONDS) +
    (model.lateMinutes?.({ start: new Date(split.start), greenWeight: split.greenWeight, minute: split.minute }) ?? 0);
  if (!(delaySeconds >= 0)) throw new Error(`traffic model: a publish delay must be >= 0 s, got ${delaySeconds}`);

  return {
    start: split.start,
    greenWeight: split.greenWeight,
    minute: split.minute,
    live,
    green,
    healthyHosts: {
      live: model.liveHealthyHosts?.(at) ?? DEFAULT_HEALTHY_HOSTS,
      green: split.minute === null || greenSilent ? null : greenHealthy(),
    },
    loadBalancer: {
      requests: (live?.requests ?? 0) + (green?.requests ?? 0),
      errors: (live?.loadBalancerErrors ?? 0) + (green?.loadBalancerErrors ?? 0),
    },
    dbConnections: model.dbConnections?.(at) ?? 120,
    publishedAt: split.start + MINUTE_MS + Math.round(delaySeconds * 1000),
  };
}
