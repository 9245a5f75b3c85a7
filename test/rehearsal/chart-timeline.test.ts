import { beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../lambdas/shared/deployment-report';
import { type ChartData, renderReportChart, reportChartData } from '../../lambdas/shared/deployment-report-chart';
import { runRehearsal } from '../../rehearsal/rehearse';
import { loadScenario, rehearsalOptionsOf } from '../../rehearsal/scenario';
import { SIM_ALARMS } from '../../rehearsal/simulated-aws/constants';
import type { TimelineEntry } from '../../rehearsal/timeline';

/**
 * The report's chart checked against what happened, not against the report it is drawn from: a rehearsal's own
 * timeline (each step of the execution as it ran, in simulated seconds since the start, with green's weight on the
 * listener after it and what it decided) is the record. Timeline seconds are whole; the chart's are exact.
 */

let report: DeploymentReport;
let data: ChartData;
let timeline: readonly TimelineEntry[];

beforeAll(async () => {
  const result = await runRehearsal(rehearsalOptionsOf(loadScenario('error-rate-breach-at-50')));
  if (result.report === null) throw new Error(`the rehearsal wrote no report: ${result.error}`);
  report = result.report;
  data = reportChartData(report);
  timeline = result.timeline;
}, 60_000);

const whole = (seconds: number) => Math.round(seconds);

/** The timeline's entries where green's weight on the listener changed, with the new weight. */
function weightChanges(): [number, number][] {
  return timeline.flatMap((entry, index): [number, number][] =>
    entry.greenWeight === (timeline[index - 1]?.greenWeight ?? 0) ? [] : [[entry.seconds, entry.greenWeight]],
  );
}

/** The timeline's verdicts: the evaluations that decided (a `wait` only waits for late datapoints). */
function decisions(): TimelineEntry[] {
  return timeline.filter((entry) => entry.state === 'EvaluateStep' && !/^wait/.test(entry.decision ?? 'wait'));
}

describe('the chart of a rehearsed error-rate breach at 50 %, against the rehearsal timeline', () => {
  it('steps green to each weight at the second the timeline shows the listener changed', () => {
    // Prepare
    const changes = weightChanges();

    // Act
    const drawn = data.weight.map((point): [number, number] => [whole(point.seconds), point.greenWeight]);

    // Assess
    expect(changes.map(([, weight]) => weight)).toEqual([10, 50, 0]);
    expect(drawn).toEqual([[0, 0], ...changes]);
    expect(data.finalGreenWeight).toBe(0);
  });

  it('marks each verdict at the second it was decided, with the numbers the verdict had', () => {
    // Prepare
    const decided = decisions();

    // Act
    const verdicts = data.verdicts.map((v) => [
      whole(v.seconds),
      `${v.decision}${v.trigger === null ? '' : ` (${v.trigger})`}`,
      v.errorRatePercent,
      v.p95LatencyMs,
    ]);
    const marks = data.marks.filter((mark) => mark.kind === 'verdict').map((mark) => whole(mark.seconds));

    // Assess: the bake ended at 330 s, but its datapoints came late and the verdict was decided later.
    expect(decided.map((entry) => entry.decision)).toEqual(['advance']);
    expect(verdicts).toEqual(
      decided.map((entry) => [entry.seconds, entry.decision, entry.errorRatePercent, entry.p95LatencyMs]),
    );
    expect(marks).toEqual(decided.map((entry) => entry.seconds));
    const bakeEnd = timeline.find((entry) => entry.state === 'BakeStep');
    expect(decided[0]?.seconds).toBeGreaterThan(bakeEnd?.seconds ?? Number.POSITIVE_INFINITY);
  });

  it('marks the alarm that interrupted the 50 % bake, by name, at the second the bake was cut short', () => {
    // Prepare
    const interrupted = timeline.find((entry) => entry.state === 'BakeStep' && entry.outcome === 'caught');

    // Act
    const alarms = data.marks.filter((mark) => mark.kind === 'alarm');

    // Assess
    expect(interrupted?.decision).toBe('AlarmTriggered caught');
    expect(alarms.map((mark) => [whole(mark.seconds), mark.label])).toEqual([
      [interrupted?.seconds, `alarm ${SIM_ALARMS.greenErrorRate}`],
    ]);
  });

  it('marks the trigger, the rollback and traffic back at the seconds of the timeline', () => {
    // Prepare
    const begin = timeline.find((entry) => entry.state === 'BeginRollback');
    const [, , back] = weightChanges();

    // Act
    const at = (kind: string) => data.marks.filter((mark) => mark.kind === kind).map((mark) => whole(mark.seconds));

    // Assess
    expect(begin?.decision).toBe('rollback: ERROR_RATE → traffic');
    expect(at('trigger')).toEqual([back?.[0]]);
    expect(at('rollback-start')).toEqual([begin?.seconds]);
    expect(at('traffic-back')).toEqual([back?.[0]]);
    expect(data.marks.find((mark) => mark.kind === 'rollback-start')?.detail).toBe('traffic rollback during CUTOVER');
  });

  it("draws green's error rate and p95 per minute over the judged bake, as the simulation served them", () => {
    // Prepare: the 10 % bake runs from the shift's probes to the bake's end.
    const bakeStart = timeline.find((entry) => entry.state === 'StartBakeProbes')?.seconds ?? Number.NaN;
    const bakeEnd = timeline.find((entry) => entry.state === 'BakeStep')?.seconds ?? Number.NaN;

    // Act
    const minutes = data.errorRate.map((point) => whole(point.seconds));
    const served = data.errorRate.filter((point) => point.seconds >= bakeStart && (point.requests ?? 0) > 0);

    // Assess: every whole minute the bake touched, a minute apart; 0.2 % of green's requests failed (the scenario).
    const first = Math.floor(bakeStart / 60) * 60;
    const count = Math.ceil(bakeEnd / 60) - Math.floor(bakeStart / 60);
    expect(minutes).toEqual(Array.from({ length: count }, (_, index) => first + index * 60));
    expect(data.p95.map((point) => whole(point.seconds))).toEqual(minutes);
    expect(served.length).toBeGreaterThanOrEqual(count - 1);
    for (const point of served) expect(point.value).toBeCloseTo(0.2, 1);
    for (const point of data.p95.filter((p) => p.value !== null)) expect(point.value).toBeLessThan(500);
  });

  it('draws every point of its data, and the thresholds the report records', () => {
    // Act
    const html = renderReportChart(report);
    const points = [...html.matchAll(/data-series="([\w-]+)" data-seconds="([^"]+)"/g)].map(([, series]) => series);

    // Assess
    const known = (list: readonly { value: number | null }[]) => list.filter((p) => p.value !== null).length;
    expect(points.filter((series) => series === 'weight')).toHaveLength(data.weight.length);
    expect(points.filter((series) => series === 'error-rate')).toHaveLength(known(data.errorRate));
    expect(points.filter((series) => series === 'p95')).toHaveLength(known(data.p95));
    expect(points.filter((series) => series === 'verdict-error-rate')).toHaveLength(data.verdicts.length);
    expect(data.thresholds.source).toMatch(/recorded in the report/);
    expect(html).toContain(`rollback above ${data.thresholds.errorRatePercent} %`);
  });
});
