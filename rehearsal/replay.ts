import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { object } from '../lambdas/shared/validation';
import { SIM } from './simulated-aws/constants';
import {
  DEFAULT_HEALTHY_HOSTS,
  type GreenCrash,
  MINUTE_MS,
  type TrafficAt,
  type TrafficModel,
} from './simulated-aws/traffic-model';
import type { WorldOptions } from './workflow-world';

/**
 * Replay: drive the simulation's traffic model from a real incident's metrics instead of a formula. The input is the
 * JSON `aws cloudwatch get-metric-data --metric-data-queries file://docs/replay-queries.json` prints; each query's
 * Id says what the series is (REPLAY_QUERIES). Virtual minute m (minutes since green first got traffic) gets the
 * export's numbers of minute m after green's first RequestCount datapoint, as per-request rates, so they hold at
 * whatever weight the rehearsal gives green. Past the export's end the last minute holds.
 */

/** The query Ids a replay file is read by, with the metric each must hold (docs/replay-queries.json makes them). */
export const REPLAY_QUERIES = {
  green_requests: 'RequestCount Sum of the green target group (minute 0 is its first datapoint)',
  green_5xx: 'HTTPCode_Target_5XX_Count Sum of the green target group',
  green_conn_errors: 'TargetConnectionErrorCount Sum of the green target group',
  green_p95: 'TargetResponseTime p95 of the green target group (seconds)',
  lb_requests: 'RequestCount Sum of the load balancer',
  lb_5xx: 'HTTPCode_ELB_5XX_Count Sum of the load balancer',
  db_connections: 'DatabaseConnections Maximum of the instance (or the Aurora writer)',
  green_healthy_hosts: 'HealthyHostCount Minimum of the green target group (optional)',
  blue_requests: 'RequestCount Sum of the live (blue) target group (optional)',
  blue_5xx: 'HTTPCode_Target_5XX_Count Sum of the live (blue) target group (optional)',
  blue_p95: 'TargetResponseTime p95 of the live (blue) target group (optional)',
  blue_healthy_hosts: 'HealthyHostCount Minimum of the live (blue) target group (optional)',
} as const;

export type ReplayQueryId = keyof typeof REPLAY_QUERIES;

/** Without these the verdict's numbers cannot be rebuilt: a missing one would silently read as "no problem". */
export const REQUIRED_REPLAY_IDS: readonly ReplayQueryId[] = [
  'green_requests',
  'green_5xx',
  'green_conn_errors',
  'green_p95',
  'lb_requests',
  'lb_5xx',
  'db_connections',
];

/** Both `aws cloudwatch get-metric-data` timestamp formats: ISO 8601 (the default) or epoch seconds. */
const timestampSchema = v.union([
  v.pipe(
    v.string(),
    v.check((value) => !Number.isNaN(Date.parse(value)), 'not an ISO 8601 timestamp'),
  ),
  v.pipe(v.number(), v.finite()),
]);

const messageSchema = object({ Code: v.optional(v.string()), Value: v.optional(v.string()) });

/** The output of `aws cloudwatch get-metric-data` (unknown fields are ignored). */
export const replayFileSchema = object({
  MetricDataResults: v.array(
    object({
      Id: v.pipe(v.string(), v.minLength(1)),
      Label: v.optional(v.string()),
      Timestamps: v.array(timestampSchema),
      Values: v.array(v.pipe(v.number(), v.finite(), v.minValue(0))),
      StatusCode: v.picklist(['Complete', 'InternalError', 'PartialData', 'Forbidden']),
      Messages: v.optional(v.array(messageSchema)),
    }),
  ),
  Messages: v.optional(v.array(messageSchema)),
  NextToken: v.optional(v.string()),
});

export type ReplayFile = v.InferOutput<typeof replayFileSchema>;

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

export interface ReplayOptions {
  /**
   * The real database's `max_connections`: DB connections are scaled to the simulation's maximum so that their
   * share of the maximum (what the verdict and the alarm judge) is the real one.
   * @default SIM.dbMaxConnections (400) - the values are used as they are
   */
  readonly databaseMaxConnections?: number;
}

/** What a replay file gives the rehearsal, and what the CLI can say about it. */
export interface Replay {
  readonly world: WorldOptions;
  /** Start of minute 0: the export's first minute with a green RequestCount datapoint. */
  readonly firstMinute: Date;
  /** Minutes of green traffic in the export (minute 0 to its last green datapoint); later minutes hold the last. */
  readonly minutes: number;
  /**
   * Minutes in that range with no green RequestCount datapoint: the model cannot make a single minute silent, so they
   * hold the minute before.
   */
  readonly heldMinutes: readonly number[];
  /** The load balancer's own 5xx per request before minute 0, in %; null: the export starts at minute 0. */
  readonly baselinePercent: number | null;
}

/** The traffic model's own default for the load balancer's baseline 5xx, used when the export cannot measure it. */
const MODEL_BASELINE_PERCENT = 0.05;

/** Datapoints by minute index (minute 0 = green's first), per Id. */
type Series = ReadonlyMap<number, number>;

function fail(source: string, message: string): never {
  throw new ReplayError(`replay file ${source}: ${message}`);
}

function messagesOf(messages: readonly { Code?: string; Value?: string }[] | undefined): string {
  const text = (messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ');
  return text === '' ? '' : ` (${text})`;
}

/** Datapoints per Id, in ms since the epoch, sorted by time. The CLI's pagination repeats an Id per page: merged. */
function pointsById(source: string, file: ReplayFile): Map<string, [number, number][]> {
  if (file.NextToken !== undefined) {
    fail(source, 'it is one page of several (NextToken is set); export without --max-items so the CLI reads all');
  }
  const byId = new Map<string, [number, number][]>();
  for (const result of file.MetricDataResults) {
    if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
      fail(source, `query '${result.Id}' has StatusCode ${result.StatusCode}${messagesOf(result.Messages)}`);
    }
    if (result.Timestamps.length !== result.Values.length) {
      fail(
        source,
        `query '${result.Id}' has ${result.Timestamps.length} Timestamps but ${result.Values.length} Values`,
      );
    }
    const points = byId.get(result.Id) ?? [];
    result.Timestamps.forEach((timestamp, i) => {
      const ms = typeof timestamp === 'number' ? timestamp * 1000 : Date.parse(timestamp);
      points.push([ms, result.Values[i] ?? 0]);
    });
    byId.set(result.Id, points);
  }
  const missing = REQUIRED_REPLAY_IDS.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    const what = missing.map((id) => `'${id}' (${REPLAY_QUERIES[id]})`).join(', ');
    fail(source, `no MetricDataResults entry with Id ${what}; export with docs/replay-queries.json`);
  }
  for (const points of byId.values()) points.sort((a, b) => a[0] - b[0]);
  return byId;
}

function minuteSeries(source: string, id: string, points: readonly [number, number][], zeroMs: number): Series {
  const series = new Map<number, number>();
  for (const [ms, value] of points) {
    const minute = Math.floor((ms - zeroMs) / MINUTE_MS);
    if (series.has(minute)) {
      fail(source, `query '${id}' has two datapoints in the minute of ${new Date(ms).toISOString()}: use Period 60`);
    }
    series.set(minute, value);
  }
  return series;
}

/** The value at `minute`: its own, else the last before it, else the first after it; undefined without any. */
export function heldValue(series: Series, minute: number): number | undefined {
  let before: [number, number] | undefined;
  let after: [number, number] | undefined;
  for (const [at, value] of series) {
    if (at <= minute && (before === undefined || at > before[0])) before = [at, value];
    if (at > minute && (after === undefined || at < after[0])) after = [at, value];
  }
  return (before ?? after)?.[1];
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

/** Green's per-request numbers in one minute, as the traffic model takes them. */
interface GreenMinute {
  readonly errorRatePercent: number;
  readonly p95Ms: number | undefined;
  readonly crash: GreenCrash | null;
}

/**
 * Green's minute from its counts: connection errors are refused connections, the load balancer's 5xx above its
 * baseline and green's connection errors are requests green hung on (504 without a connection error), and the target
 * 5xx are a share of the requests green answered (lambdas/shared/green-errors.ts counts them back the same way).
 */
function greenMinute(series: Record<ReplayQueryId, Series>, minute: number, baselinePercent: number): GreenMinute {
  const requests = series.green_requests.get(minute) ?? 0;
  // ALB publishes no zero counts: a count without a datapoint in a minute with requests is 0.
  const refused = Math.min(requests, series.green_conn_errors.get(minute) ?? 0);
  const loadBalancerRequests = series.lb_requests.get(minute) ?? requests;
  const ownErrors = (series.lb_5xx.get(minute) ?? 0) - (baselinePercent * loadBalancerRequests) / 100;
  const hung = Math.min(requests - refused, Math.max(0, ownErrors - refused));
  const answered = requests - refused - hung;
  const targetErrors = series.green_5xx.get(minute) ?? 0;
  const seconds = heldValue(series.green_p95, minute);
  const share = (count: number) => (requests > 0 ? (100 * count) / requests : 0);
  return {
    errorRatePercent: answered > 0 ? Math.min(100, (100 * targetErrors) / answered) : 0,
    p95Ms: seconds === undefined ? undefined : seconds * 1000,
    crash: refused + hung > 0 ? { refusedPercent: share(refused), hangPercent: share(hung) } : null,
  };
}

/** HealthyHostCount scaled to the simulation's desired count: 0 stays 0 (the verdict's rule), any other value >= 1. */
function healthyHosts(series: Series): ((at: TrafficAt) => number) | undefined {
  if (series.size === 0) return undefined;
  const peak = Math.max(...series.values());
  return ({ minute }) => {
    const value = heldValue(series, minute) ?? peak;
    return value <= 0 || peak <= 0 ? 0 : Math.max(1, Math.round((DEFAULT_HEALTHY_HOSTS * value) / peak));
  };
}

/** The replay of a parsed export; `source` names it in errors. */
export function replayOf(json: unknown, source: string, options: ReplayOptions = {}): Replay {
  const parsed = v.safeParse(replayFileSchema, json);
  if (!parsed.success) {
    const [issue] = parsed.issues;
    const path = (issue.path ?? [])
      .map(({ key }) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
      .join('');
    fail(source, `${path === '' ? '(root)' : path.replace(/^\./, '')}: ${issue.message}`);
  }
  const byId = pointsById(source, parsed.output);
  const [first] = byId.get('green_requests') ?? [];
  if (first === undefined) fail(source, `query 'green_requests' has no datapoint: green got no traffic in the export`);
  // Both are published every minute: an empty one is a wrong dimension, which would read as "no problem".
  for (const id of ['lb_requests', 'db_connections'] as const) {
    if ((byId.get(id) ?? []).length === 0) {
      fail(source, `query '${id}' has no datapoint: check its dimension in the queries (${REPLAY_QUERIES[id]})`);
    }
  }
  const zeroMs = Math.floor(first[0] / MINUTE_MS) * MINUTE_MS;
  const series = Object.fromEntries(
    Object.keys(REPLAY_QUERIES).map((id) => [id, minuteSeries(source, id, byId.get(id) ?? [], zeroMs)]),
  ) as Record<ReplayQueryId, Series>;

  const lastMinute = Math.max(...series.green_requests.keys());
  const before = (values: Series) => sum([...values].filter(([minute]) => minute < 0).map(([, value]) => value));
  const baselineRequests = before(series.lb_requests);
  const baselinePercent = baselineRequests > 0 ? (100 * before(series.lb_5xx)) / baselineRequests : null;

  // Minutes without a green datapoint hold the minute before: the model has no knob for one silent minute.
  const minutes: GreenMinute[] = [];
  const heldMinutes: number[] = [];
  for (let minute = 0; minute <= lastMinute; minute++) {
    const previous = minutes[minute - 1];
    if (!series.green_requests.has(minute) && previous !== undefined) {
      heldMinutes.push(minute);
      minutes.push(previous);
    } else {
      minutes.push(greenMinute(series, minute, baselinePercent ?? MODEL_BASELINE_PERCENT));
    }
  }
  const at = (minute: number): GreenMinute =>
    minutes[Math.min(Math.max(0, minute), lastMinute)] ?? fail(source, `no minute ${minute}`);

  const maxConnections = options.databaseMaxConnections ?? SIM.dbMaxConnections;
  if (!(Number.isInteger(maxConnections) && maxConnections > 0)) {
    fail(source, `databaseMaxConnections must be a positive integer, got ${maxConnections}`);
  }
  const requestsPerMinute = median([...series.lb_requests.values()]);
  const blueRequests = sum(series.blue_requests.values());
  const blueP95 = median([...series.blue_p95.values()]);
  const liveHealthyHosts = healthyHosts(series.blue_healthy_hosts);
  const greenHealthyHosts = healthyHosts(series.green_healthy_hosts);

  const traffic: TrafficModel = {
    ...(requestsPerMinute === undefined || requestsPerMinute < 1
      ? {}
      : { requestsPerMinute: Math.round(requestsPerMinute) }),
    greenErrorRatePercent: ({ minute }) => at(minute).errorRatePercent,
    greenP95Ms: ({ minute }) => at(minute).p95Ms ?? 0,
    greenCrash: ({ minute }) => at(minute).crash,
    ...(greenHealthyHosts === undefined ? {} : { greenHealthyHosts }),
    dbConnections: ({ minute }) => {
      const value = heldValue(series.db_connections, minute) ?? 0;
      return Math.round((value * SIM.dbMaxConnections) / maxConnections);
    },
    ...(baselinePercent === null ? {} : { loadBalancerBaselineErrorPercent: Math.min(100, baselinePercent) }),
    // Live's rates are constants in the model: the export's whole-window rate and median p95.
    ...(blueRequests > 0
      ? { liveErrorRatePercent: Math.min(100, (100 * sum(series.blue_5xx.values())) / blueRequests) }
      : {}),
    ...(blueP95 === undefined ? {} : { liveP95Ms: blueP95 * 1000 }),
    ...(liveHealthyHosts === undefined ? {} : { liveHealthyHosts }),
  };
  return {
    world: { traffic },
    firstMinute: new Date(zeroMs),
    minutes: lastMinute + 1,
    heldMinutes,
    baselinePercent,
  };
}

/** The replay of an exported file (see docs/replay.md). */
export function loadReplay(file: string, options: ReplayOptions = {}): Replay {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReplayError(`replay file ${file}: cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReplayError(`replay file ${file}: not JSON (${(error as Error).message})`);
  }
  return replayOf(json, file, options);
}

/** The rehearsal's world for an exported file: `runRehearsal({ world: replayOptionsOf(file) })`. */
export function replayOptionsOf(file: string, options: ReplayOptions = {}): WorldOptions {
  return loadReplay(file, options).world;
}
