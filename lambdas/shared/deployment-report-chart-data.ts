import { bakeMinuteRows } from './bake-minutes';
import { type CanaryThresholds, canaryThresholdsSchema } from './cutover-contracts';
import type { DeploymentReport } from './deployment-report-schema';
import { parse } from './validation';

/**
 * The numbers of the deployment's timeline chart, from the report alone: green's weight, error rate and p95 on one
 * time axis (seconds since the deployment started), the thresholds, and marks for verdicts, alarms, the rollback and
 * the promotion. deployment-report-chart.ts draws them. Pure.
 */

export interface WeightPoint {
  readonly seconds: number;
  readonly at: string;
  readonly greenWeight: number;
  /** `start`: green carries nothing when the deployment starts; `shift`/`rollback`: a confirmed listener change. */
  readonly kind: 'start' | 'shift' | 'rollback';
}

/** One of green's minutes during a bake, at the minute's start; null: the minute had no data for it. */
export interface MinutePoint {
  readonly seconds: number;
  readonly at: string;
  readonly stepIndex: number;
  readonly bake: number;
  readonly greenWeight: number;
  readonly value: number | null;
  /** Green's requests in the minute. */
  readonly requests: number | null;
}

/** One bake's verdict at the time it was decided, with its numbers over the whole bake (null: no data). */
export interface VerdictPoint {
  readonly seconds: number;
  readonly at: string;
  readonly stepIndex: number;
  readonly bake: number;
  readonly greenWeight: number;
  readonly decision: string;
  readonly trigger: string | null;
  readonly errorRatePercent: number | null;
  readonly p95LatencyMs: number | null;
}

export interface ChartMark {
  readonly seconds: number;
  readonly at: string;
  readonly kind: 'verdict' | 'alarm' | 'trigger' | 'rollback-start' | 'traffic-back' | 'promotion';
  /** Short, drawn on the chart. */
  readonly label: string;
  /** Long, in the table under the chart. */
  readonly detail: string;
}

export interface ChartThresholds {
  readonly errorRatePercent: number;
  readonly promoteErrorRatePercent: number;
  readonly p95LatencyMs: number;
  /** Where the numbers come from. */
  readonly source: string;
}

export interface ChartData {
  readonly title: string;
  readonly startedAt: string;
  /** End of the time axis: the deployment's end, or the last event when that is later. */
  readonly axisSeconds: number;
  readonly weight: readonly WeightPoint[];
  /** Green's weight at the end; null when a rollback never had traffic confirmed back. */
  readonly finalGreenWeight: number | null;
  /** Green's error rate (%) per minute of each judged bake. */
  readonly errorRate: readonly MinutePoint[];
  /** Green's p95 latency (ms) per minute of each judged bake. */
  readonly p95: readonly MinutePoint[];
  readonly verdicts: readonly VerdictPoint[];
  readonly thresholds: ChartThresholds;
  readonly marks: readonly ChartMark[];
  /** What the chart could not place (an instant that is not one), in words. */
  readonly notes: readonly string[];
}

export interface ReportChartOptions {
  /** The thresholds the deployment ran with. @default those the report records, else the schema's defaults */
  readonly thresholds?: Partial<CanaryThresholds>;
}

const MINUTE_SECONDS = 60;

const DEFAULTS_SOURCE =
  'defaults of canaryThresholdsSchema (lambdas/shared/cutover-contracts.ts): the report does not record the configured thresholds';

export function reportChartData(report: DeploymentReport, options: ReportChartOptions = {}): ChartData {
  const start = Date.parse(report.outcome.startedAt);
  const notes: string[] = [];
  const secondsOf = (at: string | null | undefined, what: string): number | null => {
    const value = at ? Date.parse(at) : Number.NaN;
    if (Number.isNaN(value) || Number.isNaN(start)) {
      notes.push(`${what}: no valid instant recorded (${at ?? 'none'}), not on the chart`);
      return null;
    }
    return (value - start) / 1000;
  };

  const weight: WeightPoint[] = [{ seconds: 0, at: report.outcome.startedAt, greenWeight: 0, kind: 'start' }];
  let trafficBack: { at: string } | null = null;
  for (const row of report.metrics.weightEffective) {
    // An unconfirmed rollback gets its own note below.
    if (row.kind === 'rollback' && row.confirmedAt === null) continue;
    const seconds = secondsOf(row.confirmedAt, `${row.kind} to ${row.greenWeight} % confirmed`);
    if (seconds === null || row.confirmedAt === null) continue;
    weight.push({ seconds, at: row.confirmedAt, greenWeight: row.greenWeight, kind: row.kind });
    if (row.kind === 'rollback') trafficBack = { at: row.confirmedAt };
  }
  weight.sort((a, b) => a.seconds - b.seconds);
  const rollback = report.outcome.rollback;
  const finalGreenWeight = rollback !== null && trafficBack === null ? null : (weight.at(-1)?.greenWeight ?? 0);

  const errorRate: MinutePoint[] = [];
  const p95: MinutePoint[] = [];
  const verdicts: VerdictPoint[] = [];
  const marks: ChartMark[] = [];
  const mark = (at: string | null, kind: ChartMark['kind'], label: string, detail: string) => {
    const seconds = secondsOf(at, label);
    if (seconds !== null && at !== null) marks.push({ seconds, at, kind, label, detail });
  };
  for (const row of report.evidence.verdicts) {
    const what = `verdict of step ${row.stepIndex + 1}, bake ${row.bake}`;
    const base = { stepIndex: row.stepIndex, bake: row.bake, greenWeight: row.greenWeight };
    const minutes = row.sample.perMinute === null ? [] : bakeMinuteRows(row.sample.perMinute);
    if (minutes.length === 0) notes.push(`${what}: green's minutes not recorded, only the verdict's numbers drawn`);
    for (const minute of minutes) {
      const seconds = secondsOf(minute.at, `a minute of the ${what}`);
      if (seconds === null) continue;
      const point = { ...base, seconds, at: minute.at, requests: minute.requests };
      errorRate.push({ ...point, value: minute.errorRatePercent });
      p95.push({ ...point, value: minute.p95LatencyMs });
    }
    // The decision time; a record from before it was kept has only the bake's end.
    if (row.decidedAt === null) notes.push(`${what}: decision time not recorded, drawn at the bake's end`);
    const at = row.decidedAt ?? row.endedAt;
    const seconds = secondsOf(at, what);
    if (seconds === null) continue;
    const { decision, trigger, errorRatePercent, p95LatencyMs, reasons } = row.verdict;
    verdicts.push({ ...base, seconds, at, decision, trigger, errorRatePercent, p95LatencyMs });
    const label = `${decision} at ${row.greenWeight} %${trigger === null ? '' : ` (${trigger})`}`;
    mark(at, 'verdict', label, reasons.join('; '));
    const alarms = row.sample.alarmsInAlarm;
    if (alarms.length > 0) mark(at, 'alarm', 'alarm', `in ALARM: ${alarms.join(', ')}`);
    if (decision === 'promote') mark(at, 'promotion', 'promoted', `green promoted at ${row.greenWeight} %`);
  }

  if (rollback !== null) {
    const figure = report.metrics.weightEffective.find((row) => row.kind === 'rollback');
    // The report's rollback phase starts at the rollback record's detectedAt.
    const detectedAt = report.metrics.phases.find((phase) => phase.phase.startsWith('rollback'))?.startedAt ?? null;
    const triggerAt = figure?.requestedAt ?? detectedAt;
    mark(triggerAt, 'trigger', `trigger ${rollback.trigger}`, rollback.reason);
    // An alarm that cut a bake short has no verdict: its mark is the rollback's trigger.
    if (rollback.alarmName !== null) {
      const detail = `${rollback.alarmName} in ALARM triggered the rollback (${rollback.trigger})`;
      mark(triggerAt, 'alarm', `alarm ${rollback.alarmName}`, detail);
    }
    const type = `${rollback.type ?? 'type not decided'} rollback during ${rollback.phase}`;
    mark(detectedAt, 'rollback-start', 'rollback', type);
    if (trafficBack === null) {
      notes.push(`traffic back on the live side was not confirmed: ${figure?.unknownBecause ?? 'not recorded'}`);
    } else {
      const after = figure?.seconds == null ? '' : `, ${figure.seconds} s after the trigger`;
      mark(trafficBack.at, 'traffic-back', 'traffic back', `listener confirmed 100 % live${after}`);
    }
  }
  marks.sort((a, b) => a.seconds - b.seconds);

  const recorded = report.evidence.thresholds;
  const resolved = parse(canaryThresholdsSchema, options.thresholds ?? recorded ?? {});
  const source =
    options.thresholds !== undefined
      ? 'configured for this deployment'
      : recorded !== null
        ? 'configured for this deployment, as recorded in the report'
        : DEFAULTS_SOURCE;
  const ends = [
    report.outcome.durationSeconds ?? 0,
    ...weight.map((p) => p.seconds),
    ...errorRate.map((p) => p.seconds + MINUTE_SECONDS),
    ...verdicts.map((p) => p.seconds),
    ...marks.map((m) => m.seconds),
  ];
  const trigger = rollback === null ? '' : `, trigger ${rollback.trigger}`;
  return {
    title: `Release ${report.outcome.release.version}: ${report.outcome.status}${trigger}`,
    startedAt: report.outcome.startedAt,
    axisSeconds: Math.max(60, ...ends),
    weight,
    finalGreenWeight,
    errorRate,
    p95,
    verdicts,
    thresholds: {
      errorRatePercent: resolved.errorRatePercent,
      promoteErrorRatePercent: resolved.promoteErrorRatePercent,
      p95LatencyMs: resolved.p95LatencyMs,
      source,
    },
    marks,
    notes,
  };
}
