import { type AlarmDefinition, alarmDefinitions, breaches } from './alarms';
import type { VirtualClock } from './clock';
import { computeMinute, floorToMinute, MINUTE_MS, type MinuteTraffic, type TrafficModel } from './traffic-model';

/**
 * The traffic the listener sends to blue (live) and green, minute by minute, derived from the weights the listener
 * had during each minute, and the CloudWatch alarms of lib/cutover-alarms.ts evaluated over it.
 *
 * Nothing is stored per minute ahead of time: a minute's numbers are computed from the weight timeline (every
 * successful ModifyListener, stamped with the virtual clock) the first time they are asked for once the minute is
 * complete, and cached (weights only ever change at the current time, so a complete minute never changes). Minutes
 * before the simulation started are live-only minutes at live's rates. A complete minute can be read (GetMetricData,
 * the alarms) only once it is published: its end plus the model's publish delay.
 */

export type { GreenCrash, GroupMinute, LateMinute, MinuteTraffic, TrafficAt, TrafficModel } from './traffic-model';
export { DEFAULT_PUBLISH_DELAY_SECONDS, floorToMinute, MINUTE_MS } from './traffic-model';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly name: string;
  readonly value: AlarmStateValue;
  readonly reason: string;
  /** End of the last period evaluated (ms), null when no period has completed yet. */
  readonly evaluatedAt: number | null;
}

/**
 * Minutes beyond an alarm's evaluation periods that CloudWatch reads so that late datapoints still count: it then
 * evaluates the most recent datapoints it has (its "evaluation range").
 */
const EVALUATION_RANGE_EXTRA_MINUTES = 5;

interface WeightChange {
  readonly at: number;
  /** Green's share of the traffic in %. */
  readonly share: number;
}

export class TrafficHistory {
  readonly alarms: readonly AlarmDefinition[];
  private readonly timeline: WeightChange[] = [];
  private readonly cache = new Map<number, MinuteTraffic>();
  private readonly requestsPerMinute: number;

  constructor(
    private readonly clock: VirtualClock,
    readonly model: TrafficModel,
    private readonly alarmsEnabled: boolean,
  ) {
    this.requestsPerMinute = model.requestsPerMinute ?? 6000;
    if (!Number.isFinite(this.requestsPerMinute) || this.requestsPerMinute < 0) {
      throw new Error(`traffic model: requestsPerMinute must be >= 0, got ${this.requestsPerMinute}`);
    }
    this.alarms = alarmDefinitions(model.databaseKind ?? 'instance');
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

  /** The minute starting at `start` once its datapoints are published, else undefined. */
  publishedMinuteAt(start: number): MinuteTraffic | undefined {
    const minute = this.minuteAt(start);
    return minute !== undefined && minute.publishedAt <= this.clock.nowMs() ? minute : undefined;
  }

  /** Published minutes whose start is in [from, to), in order. */
  publishedMinutesIn(from: number, to: number): MinuteTraffic[] {
    const minutes: MinuteTraffic[] = [];
    for (let start = Math.ceil(from / MINUTE_MS) * MINUTE_MS; start < to; start += MINUTE_MS) {
      const minute = this.publishedMinuteAt(start);
      if (minute !== undefined) minutes.push(minute);
    }
    return minutes;
  }

  /** The alarms' states now (stateless evaluation over the published datapoints, like CloudWatch's M of N). */
  alarmStates(): Map<string, AlarmState> {
    const lastComplete = floorToMinute(this.clock.nowMs()) - MINUTE_MS;
    const states = new Map<string, AlarmState>();
    for (const alarm of this.alarms) states.set(alarm.name, this.evaluate(alarm, lastComplete));
    return states;
  }

  /**
   * The most recent `evaluationPeriods` datapoints published in the evaluation range; fewer than that are filled
   * as missing, and missing is not breaching.
   */
  private evaluate(alarm: AlarmDefinition, lastComplete: number): AlarmState {
    const evaluatedAt = lastComplete + MINUTE_MS;
    if (!this.alarmsEnabled) {
      return { name: alarm.name, value: 'OK', reason: 'alarms disabled in this simulation', evaluatedAt };
    }
    const recent: number[] = [];
    const range = alarm.evaluationPeriods + EVALUATION_RANGE_EXTRA_MINUTES;
    for (let i = 0; i < range && recent.length < alarm.evaluationPeriods; i += 1) {
      const minute = this.publishedMinuteAt(lastComplete - i * MINUTE_MS);
      const value = minute === undefined ? null : alarm.value(minute);
      if (value !== null) recent.push(value);
    }
    const breaching = recent.filter((value) => breaches(alarm, value)).length;
    const values = [
      ...recent.reverse().map(String),
      ...Array<string>(alarm.evaluationPeriods - recent.length).fill('missing'),
    ];
    const relation = alarm.comparison === 'GreaterThanThreshold' ? 'greater' : 'less';
    return {
      name: alarm.name,
      value: breaching >= alarm.evaluationPeriods ? 'ALARM' : 'OK',
      reason:
        `Threshold Crossed: ${breaching} of the last ${alarm.evaluationPeriods} datapoints [${values.join(', ')}] ` +
        `were ${relation} than the threshold (${alarm.threshold})`,
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
    let dominant = { weight: 0, carried: 0 };
    for (const s of segments) {
      const carried = s.duration * s.share;
      if (carried > 0 && carried >= dominant.carried) dominant = { weight: s.share, carried };
    }

    const first = this.timeline.find((change) => change.share > 0);
    const minute =
      first === undefined || start < floorToMinute(first.at) ? null : (start - floorToMinute(first.at)) / MINUTE_MS;
    return computeMinute(this.model, {
      start,
      totalRequests: total,
      greenRequests: Math.min(total, Math.round(greenExact)),
      greenWeight: Math.round(dominant.weight * 1000) / 1000,
      minute,
    });
  }
}
