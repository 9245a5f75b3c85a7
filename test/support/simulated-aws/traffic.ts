import type { VirtualClock } from './clock';
import { SIM, SIM_ALARMS } from './constants';

/**
 * The traffic the listener sends to blue (live) and green, minute by minute, derived from the weights the listener
 * had during each minute, and the CloudWatch alarms of lib/cutover-alarms.ts evaluated over it.
 *
 * Nothing is stored per minute ahead of time: a minute's numbers are computed from the weight timeline (every
 * successful ModifyListener, stamped with the virtual clock) the first time they are asked for once the minute is
 * complete, and cached (weights only ever change at the current time, so a complete minute never changes). Minutes
 * before the simulation started are live-only minutes at live's rates.
 */

export interface TrafficAt {
  /** Green's share of the listener in % during the minute (the share that carried most of its requests). */
  readonly greenWeight: number;
  /** Whole virtual minutes since the minute in which green first got traffic (0 in that minute). */
  readonly minute: number;
}

export interface TrafficModel {
  /** Requests per minute through the whole listener; default 6000. */
  readonly requestsPerMinute?: number;
  /** Green's 5xx %, given its weight and the virtual minute since green first got traffic; default () => 0.2. */
  readonly greenErrorRatePercent?: (at: TrafficAt) => number;
  /** Green's p95 TargetResponseTime in ms; default 180. */
  readonly greenP95Ms?: (at: TrafficAt) => number;
  /** Live's 5xx %; default 0.1. */
  readonly liveErrorRatePercent?: number;
  /** Live's p95 in ms; default 150. */
  readonly liveP95Ms?: number;
  /** DatabaseConnections (Maximum) per minute; default 120. Before green ever got traffic: greenWeight 0, minute 0. */
  readonly dbConnections?: (at: TrafficAt) => number;
  /**
   * Green publishes no ALB datapoints at all (e.g. no requests reach it): 'always' or only at these weights. Live's
   * share is not changed by it.
   */
  readonly greenNoData?: 'always' | readonly number[];
  /** Green publishes no ALB datapoints before this many minutes since it first got traffic (a slow start). */
  readonly greenNoDataForMinutes?: number;
}

/** One target group's ALB numbers for one minute. */
export interface GroupMinute {
  readonly requests: number;
  readonly errors: number;
  readonly p95Ms: number;
}

export interface MinuteTraffic {
  /** Start of the minute, ms since the epoch. */
  readonly start: number;
  readonly greenWeight: number;
  /** Null before green ever got traffic. */
  readonly minute: number | null;
  /** Null: the group published no datapoints in this minute (no requests). */
  readonly live: GroupMinute | null;
  readonly green: GroupMinute | null;
  readonly dbConnections: number;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly name: string;
  readonly value: AlarmStateValue;
  readonly reason: string;
  /** End of the last period evaluated (ms), null when no period has completed yet. */
  readonly evaluatedAt: number | null;
}

export interface AlarmDefinition {
  readonly name: string;
  readonly namespace: 'AWS/ApplicationELB' | 'AWS/RDS';
  readonly metricName: string;
  readonly targetGroupArn: string | null;
  readonly threshold: number;
  readonly evaluationPeriods: number;
}

/** The stack's alarms with its default thresholds (errors > 5 % in 2 of 2, p95 > 500 ms, DB > 80 % of 400). */
export const ALARM_DEFINITIONS: readonly AlarmDefinition[] = [
  ...(
    [
      [SIM_ALARMS.blueErrorRate, SIM_ALARMS.blueP95Latency, SIM.blueTargetGroupArn],
      [SIM_ALARMS.greenErrorRate, SIM_ALARMS.greenP95Latency, SIM.greenTargetGroupArn],
    ] as const
  ).flatMap(([errorRate, p95, targetGroupArn]): AlarmDefinition[] => [
    {
      name: errorRate,
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      targetGroupArn,
      threshold: 5,
      evaluationPeriods: 2,
    },
    {
      name: p95,
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      targetGroupArn,
      threshold: 0.5,
      evaluationPeriods: 1,
    },
  ]),
  {
    name: SIM_ALARMS.dbConnections,
    namespace: 'AWS/RDS',
    metricName: 'DatabaseConnections',
    targetGroupArn: null,
    threshold: (SIM.dbMaxConnections * 80) / 100,
    evaluationPeriods: 1,
  },
];

export const MINUTE_MS = 60_000;

export function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

interface WeightChange {
  readonly at: number;
  /** Green's share of the traffic in %. */
  readonly share: number;
}

export class TrafficHistory {
  private readonly timeline: WeightChange[] = [];
  private readonly cache = new Map<number, MinuteTraffic>();
  private readonly requestsPerMinute: number;

  constructor(
    private readonly clock: VirtualClock,
    private readonly model: TrafficModel,
    private readonly alarmsEnabled: boolean,
  ) {
    this.requestsPerMinute = model.requestsPerMinute ?? 6000;
    if (!Number.isFinite(this.requestsPerMinute) || this.requestsPerMinute < 0) {
      throw new Error(`traffic model: requestsPerMinute must be >= 0, got ${this.requestsPerMinute}`);
    }
  }

  /** A weight change that reached the listener now. */
  recordWeights(blueWeight: number, greenWeight: number): void {
    const total = blueWeight + greenWeight;
    this.timeline.push({ at: this.clock.nowMs(), share: total === 0 ? 0 : (greenWeight * 100) / total });
  }

  /** The minute starting at `start` (ms, a whole minute), or undefined while it is not complete. */
  minuteAt(start: number): MinuteTraffic | undefined {
    if (start % MINUTE_MS !== 0) throw new Error(`traffic: ${new Date(start).toISOString()} is not a whole minute`);
    if (start + MINUTE_MS > this.clock.nowMs()) return undefined;
    const cached = this.cache.get(start);
    if (cached !== undefined) return cached;
    const computed = this.compute(start);
    this.cache.set(start, computed);
    return computed;
  }

  /** Complete minutes whose start is in [from, to), in order. */
  minutesIn(from: number, to: number): MinuteTraffic[] {
    const minutes: MinuteTraffic[] = [];
    for (let start = Math.ceil(from / MINUTE_MS) * MINUTE_MS; start < to; start += MINUTE_MS) {
      const minute = this.minuteAt(start);
      if (minute !== undefined) minutes.push(minute);
    }
    return minutes;
  }

  /** The alarms' states now (stateless evaluation over the last complete periods, like CloudWatch's M of N). */
  alarmStates(): Map<string, AlarmState> {
    const lastComplete = floorToMinute(this.clock.nowMs()) - MINUTE_MS;
    const states = new Map<string, AlarmState>();
    for (const alarm of ALARM_DEFINITIONS) states.set(alarm.name, this.evaluate(alarm, lastComplete));
    return states;
  }

  private evaluate(alarm: AlarmDefinition, lastComplete: number): AlarmState {
    const evaluatedAt = lastComplete + MINUTE_MS;
    if (!this.alarmsEnabled) {
      return { name: alarm.name, value: 'OK', reason: 'alarms disabled in this simulation', evaluatedAt };
    }
    const values: string[] = [];
    let breaching = 0;
    for (let i = alarm.evaluationPeriods - 1; i >= 0; i -= 1) {
      const minute = this.minuteAt(lastComplete - i * MINUTE_MS);
      const value = minute === undefined ? null : metricValue(alarm, minute);
      // Missing data is not breaching.
      if (value !== null && value > alarm.threshold) breaching += 1;
      values.push(value === null ? 'missing' : String(value));
    }
    const inAlarm = breaching >= alarm.evaluationPeriods;
    return {
      name: alarm.name,
      value: inAlarm ? 'ALARM' : 'OK',
      reason:
        `Threshold Crossed: ${breaching} of the last ${alarm.evaluationPeriods} datapoints [${values.join(', ')}] ` +
        `were greater than the threshold (${alarm.threshold})`,
      evaluatedAt,
    };
  }

  private shareAt(ms: number): number {
    let share = 0;
    for (const change of this.timeline) {
      if (change.at > ms) break;
      share = change.share;
    }
    return share;
  }

  private compute(start: number): MinuteTraffic {
    const end = start + MINUTE_MS;
    // Segments of constant share inside the minute.
    const segments: { duration: number; share: number }[] = [];
    let cursor = start;
    let share = this.shareAt(start);
    for (const change of this.timeline) {
      if (change.at <= start) continue;
      if (change.at >= end) break;
      segments.push({ duration: change.at - cursor, share });
      cursor = change.at;
      share = change.share;
    }
    segments.push({ duration: end - cursor, share });

    const total = Math.round(this.requestsPerMinute);
    const greenExact = segments.reduce(
      (sum, s) => sum + (this.requestsPerMinute * (s.duration / MINUTE_MS) * s.share) / 100,
      0,
    );
    const greenRequests = Math.min(total, Math.round(greenExact));
    let dominant = { weight: 0, carried: 0 };
    for (const s of segments) {
      const carried = s.duration * s.share;
      if (carried > 0 && carried >= dominant.carried) dominant = { weight: s.share, carried };
    }
    const greenWeight = Math.round(dominant.weight * 1000) / 1000;

    const first = this.timeline.find((change) => change.share > 0);
    const minute =
      first === undefined || start < floorToMinute(first.at) ? null : (start - floorToMinute(first.at)) / MINUTE_MS;
    const at: TrafficAt = { greenWeight, minute: minute ?? 0 };

    const noData = this.model.greenNoData;
    const greenSilent =
      noData === 'always' ||
      (Array.isArray(noData) && noData.includes(greenWeight)) ||
      (this.model.greenNoDataForMinutes !== undefined && at.minute < this.model.greenNoDataForMinutes);
    const green =
      greenRequests === 0 || greenSilent
        ? null
        : groupMinute(greenRequests, this.model.greenErrorRatePercent?.(at) ?? 0.2, this.model.greenP95Ms?.(at) ?? 180);
    const liveRequests = total - greenRequests;
    const live =
      liveRequests === 0
        ? null
        : groupMinute(liveRequests, this.model.liveErrorRatePercent ?? 0.1, this.model.liveP95Ms ?? 150);
    return { start, greenWeight, minute, live, green, dbConnections: this.model.dbConnections?.(at) ?? 120 };
  }
}

function groupMinute(requests: number, errorRatePercent: number, p95Ms: number): GroupMinute {
  if (!(errorRatePercent >= 0 && errorRatePercent <= 100)) {
    throw new Error(`traffic model: an error rate must be 0-100 %, got ${errorRatePercent}`);
  }
  if (!(p95Ms >= 0)) throw new Error(`traffic model: a p95 must be >= 0 ms, got ${p95Ms}`);
  return { requests, errors: Math.round((requests * errorRatePercent) / 100), p95Ms };
}

/** The alarm's metric for one minute, in the alarm's unit; null when the metric has no datapoint. */
function metricValue(alarm: AlarmDefinition, minute: MinuteTraffic): number | null {
  if (alarm.targetGroupArn === null) return minute.dbConnections;
  const group = alarm.targetGroupArn === SIM.greenTargetGroupArn ? minute.green : minute.live;
  if (group === null) return null;
  if (alarm.metricName === 'TargetResponseTime') return group.p95Ms / 1000;
  // IF(requests > 0, 100 * errors / requests, 0)
  return group.requests > 0 ? (100 * group.errors) / group.requests : 0;
}
