import { describe, expect, it } from 'vitest';
import type { BakeMinutes } from '../../lambdas/shared/bake-minutes';
import type { CanaryThresholds, CanaryVerdict, RollbackState } from '../../lambdas/shared/cutover-contracts';
import {
  buildDeploymentReport,
  type DeploymentReport,
  type DeploymentReportInput,
} from '../../lambdas/shared/deployment-report';
import { escapeHtml, renderReportChart, reportChartData } from '../../lambdas/shared/deployment-report-chart';

const START = '2026-11-12T09:00:00.000Z';
const NOW = new Date('2026-11-12T10:05:30.000Z');
const ALARM = 'DeploymentCrew-shop-green-error-rate';
const THRESHOLDS: CanaryThresholds = {
  errorRatePercent: 5,
  errorRateBreachPeriods: 2,
  promoteErrorRatePercent: 1,
  p95LatencyMs: 500,
  dbConnectionsPercent: 80,
  loadBalancerErrorBaselinePercent: 0.1,
};
const HOSTILE = `green 5xx <script>alert("x")</script> & 'more'`;

/** Seconds from the deployment's start to an instant of the fixtures. */
const at = (iso: string) => (Date.parse(iso) - Date.parse(START)) / 1000;

type Step = NonNullable<DeploymentReportInput['canary']>['history'][number];
type RecordedBake = Step['bakes'][number];

/** Green's minutes over a window: a minute apart from the minute the window starts in, none known without data. */
function minutesOf(startedAt: string, endedAt: string, known: boolean): BakeMinutes {
  const first = Math.floor(Date.parse(startedAt) / 60_000);
  const count = Math.ceil(Date.parse(endedAt) / 60_000) - first;
  const each = <T>(value: (index: number) => T) => Array.from({ length: count }, (_, index) => value(index));
  return {
    from: new Date(first * 60_000).toISOString(),
    errorRatePercent: each((index) => (known ? ([0.1, 0.2, 0.3][index % 3] ?? 0) : null)),
    p95LatencyMs: each((index) => (known ? 170 + index : null)),
    requests: each(() => (known ? 200 : 0)),
  };
}

/** A bake as the orchestrator records it: decided 75 s after its end (late datapoints), with its minutes. */
function bake(
  startedAt: string,
  endedAt: string,
  decision: CanaryVerdict['decision'],
  numbers: Partial<CanaryVerdict> = {},
  alarmsInAlarm: string[] = [],
  recorded: { readonly decidedAt?: string | null; readonly minutes?: boolean } = {},
): RecordedBake {
  const verdict: CanaryVerdict = {
    decision,
    trigger: null,
    inconclusive: false,
    reasons: [`within thresholds: ${decision}`],
    errorRatePercent: 0.2,
    p95LatencyMs: 182,
    dbConnectionsPercent: 31,
    pendingMinutes: 0,
    retryAfterSeconds: null,
    ...numbers,
  };
  const sample = {
    windowStart: startedAt,
    windowEnd: endedAt,
    minutes: 5,
    minutesWithData: 5,
    minutesPending: 0,
    requests: 1000,
    errors: 2,
    targetErrors: 2,
    connectionErrors: 0,
    loadBalancerErrors: 0,
    baselinePercent: 0.05,
    healthyHostsMin: 4,
    p95LatencyMs: verdict.p95LatencyMs,
    dbConnectionsMax: 62,
    alarmsInAlarm,
    ...(recorded.minutes === false
      ? {}
      : { perMinute: minutesOf(startedAt, endedAt, verdict.errorRatePercent !== null) }),
  };
  const decidedAt =
    recorded.decidedAt === undefined ? new Date(Date.parse(endedAt) + 75_000).toISOString() : recorded.decidedAt;
  return { startedAt, endedAt, verdict, sample, ...(decidedAt === null ? {} : { decidedAt }) };
}

const STEP_10: Step = {
  stepIndex: 0,
  greenWeight: 10,
  shiftedAt: '2026-11-12T09:25:00.000Z',
  confirmedAt: '2026-11-12T09:25:01.850Z',
  bakes: [bake('2026-11-12T09:25:02.000Z', '2026-11-12T09:30:02.000Z', 'advance')],
};

function report(
  outcome: 'PROMOTED' | 'ROLLED_BACK',
  history: Step[],
  rollback: RollbackState | null,
  thresholds: CanaryThresholds | null = null,
) {
  const side = (name: string) => ({
    targetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`,
    serviceName: name,
  });
  const last = history.at(-1);
  return buildDeploymentReport(
    {
      deployment: {
        name: 'shop-1-4-0',
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:shop-1-4-0',
        startedAt: START,
      },
      release: { version: '1.4.0', image: 'shop:1.4.0', schemaChange: false },
      requestedBy: 'alice@shop.example.com',
      end: {
        outcome,
        at: outcome === 'PROMOTED' ? '2026-11-12T10:05:00.000Z' : '2026-11-12T09:40:00.000Z',
        error: null,
      },
      productionUrl: 'https://shop.example.com/',
      dashboards: [{ name: 'cutover', url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/#dashboards' }],
      validation: null,
      sides: { live: side('shop-blue'), green: side('shop-green'), stickiness: null, resolvedAt: START },
      green: null,
      migration: null,
      canary: {
        steps: [10, 50, 100],
        stepIndex: last?.stepIndex ?? 0,
        greenWeight: last?.greenWeight ?? 0,
        inconclusiveCount: 0,
        bakeStartedAt: null,
        bakeEndedAt: null,
        baseline: null,
        verdict: last?.bakes.at(-1)?.verdict ?? null,
        history,
      },
      rollback,
      smoke: { preTraffic: null, production: null },
      probes: null,
      rollbackDryRun: null,
      stateTransitions: 412,
      thresholds,
      nextStage: 'staging',
      standbyWarmUntil: null,
    },
    NOW,
  );
}

/** 10 → 50 (an inconclusive bake, then a good one) → 100 %, promoted. */
function promotedHistory(): Step[] {
  return [
    STEP_10,
    {
      stepIndex: 1,
      greenWeight: 50,
      shiftedAt: '2026-11-12T09:31:00.000Z',
      confirmedAt: '2026-11-12T09:31:02.200Z',
      bakes: [
        bake('2026-11-12T09:31:03.000Z', '2026-11-12T09:36:03.000Z', 'rebake', {
          inconclusive: true,
          errorRatePercent: null,
          p95LatencyMs: null,
        }),
        bake('2026-11-12T09:37:00.000Z', '2026-11-12T09:42:00.000Z', 'advance', { errorRatePercent: 0.4 }),
      ],
    },
    {
      stepIndex: 2,
      greenWeight: 100,
      shiftedAt: '2026-11-12T09:46:00.000Z',
      confirmedAt: '2026-11-12T09:46:01.500Z',
      bakes: [bake('2026-11-12T09:46:02.000Z', '2026-11-12T09:51:02.000Z', 'promote', { p95LatencyMs: 190 })],
    },
  ];
}

function promoted(): DeploymentReport {
  return report('PROMOTED', promotedHistory(), null);
}

/** 10 → 50 %, where the verdict breaches the error rate with the alarm in ALARM; traffic back 2.4 s later. */
function rolledBack(confirmedAt: string | null = '2026-11-12T09:36:05.900Z'): DeploymentReport {
  const verdict = { trigger: 'ERROR_RATE' as const, errorRatePercent: 7.5, p95LatencyMs: 210, reasons: [HOSTILE] };
  return report(
    'ROLLED_BACK',
    [
      STEP_10,
      {
        stepIndex: 1,
        greenWeight: 50,
        shiftedAt: '2026-11-12T09:31:00.000Z',
        confirmedAt: '2026-11-12T09:31:02.200Z',
        bakes: [
          bake('2026-11-12T09:31:03.000Z', '2026-11-12T09:36:03.000Z', 'rollback', verdict, [ALARM], {
            decidedAt: '2026-11-12T09:36:03.200Z',
          }),
        ],
      },
    ],
    {
      trigger: 'ERROR_RATE',
      phase: 'CUTOVER',
      reason: HOSTILE,
      detectedAt: '2026-11-12T09:36:04.000Z',
      weightEffective: {
        triggerAt: '2026-11-12T09:36:03.500Z',
        triggerSource: 'the alarm listener received the alarm',
        confirmedAt,
        timeUntilWeightEffectiveSeconds: confirmedAt === null ? null : 2.4,
        unknownBecause: confirmedAt === null ? 'the listener never showed live 100 %' : null,
      },
      decision: { type: 'traffic', database: 'none', why: 'no schema change' },
      timeline: [],
      database: null,
    },
  );
}

/** 10 → 50 %, where green's error-rate alarm cuts the 50 % bake short (no verdict): the alarm listener's rollback. */
function alarmInterrupted(): DeploymentReport {
  return report(
    'ROLLED_BACK',
    [STEP_10, { ...STEP_10, stepIndex: 1, greenWeight: 50, confirmedAt: '2026-11-12T09:31:02.200Z', bakes: [] }],
    {
      trigger: 'ERROR_RATE',
      phase: 'CUTOVER',
      reason: `alarm ${ALARM} entered ALARM at 2026-11-12T09:33:00.000Z: Threshold Crossed`,
      detectedAt: '2026-11-12T09:33:00.000Z',
      weightEffective: {
        triggerAt: '2026-11-12T09:33:00.000Z',
        triggerSource: `${ALARM} entered ALARM`,
        confirmedAt: '2026-11-12T09:33:00.400Z',
        timeUntilWeightEffectiveSeconds: 0.4,
        unknownBecause: null,
      },
      decision: { type: 'traffic', database: 'none', why: 'no schema change' },
      timeline: [
        {
          at: '2026-11-12T09:33:00.000Z',
          action: 'trigger',
          result: 'info',
          detail: `ERROR_RATE (${ALARM}) by cloudwatch: alarm ${ALARM} entered ALARM`,
        },
      ],
      database: null,
    },
  );
}

/** Every drawn data point of the page: its series, its seconds and its value. */
function drawnPoints(html: string): [string, number, number | null][] {
  return [...html.matchAll(/data-series="([\w-]+)" data-seconds="([^"]+)" data-value="([^"]+)"/g)].map(
    ([, series, seconds, value]) => [series ?? '', Number(seconds), value === 'null' ? null : Number(value)],
  );
}

describe('reportChartData', () => {
  it("steps green at every confirmed shift, draws green's minutes, marks each verdict when decided and the promotion", () => {
    // Prepare
    const input = promoted();

    // Act
    const data = reportChartData(input);

    // Assess
    expect(data.weight.map((p) => [p.kind, p.seconds, p.greenWeight])).toEqual([
      ['start', 0, 0],
      ['shift', at('2026-11-12T09:25:01.850Z'), 10],
      ['shift', at('2026-11-12T09:31:02.200Z'), 50],
      ['shift', at('2026-11-12T09:46:01.500Z'), 100],
    ]);
    expect(data.finalGreenWeight).toBe(100);
    const decided = input.evidence.verdicts.map((row) => at(row.decidedAt ?? ''));
    expect(decided).toEqual(input.evidence.verdicts.map((row) => at(row.endedAt) + 75));
    expect(data.verdicts.map((p) => [p.seconds, p.decision, p.errorRatePercent, p.p95LatencyMs])).toEqual([
      [decided[0], 'advance', 0.2, 182],
      [decided[1], 'rebake', null, null],
      [decided[2], 'advance', 0.4, 182],
      [decided[3], 'promote', 0.2, 190],
    ]);
    // Every minute of every bake, at the minute's start: 09:25 to 09:30 is six of them.
    expect(data.errorRate.slice(0, 6).map((p) => [p.seconds, p.value, p.requests, p.bake])).toEqual([
      [at('2026-11-12T09:25:00.000Z'), 0.1, 200, 1],
      [at('2026-11-12T09:26:00.000Z'), 0.2, 200, 1],
      [at('2026-11-12T09:27:00.000Z'), 0.3, 200, 1],
      [at('2026-11-12T09:28:00.000Z'), 0.1, 200, 1],
      [at('2026-11-12T09:29:00.000Z'), 0.2, 200, 1],
      [at('2026-11-12T09:30:00.000Z'), 0.3, 200, 1],
    ]);
    expect(data.errorRate).toHaveLength(6 + 6 + 5 + 6);
    expect(data.p95.map((p) => p.seconds)).toEqual(data.errorRate.map((p) => p.seconds));
    expect(data.p95.slice(6, 12).every((p) => p.value === null && p.stepIndex === 1 && p.bake === 1)).toBe(true);
    expect(data.marks.filter((m) => m.kind !== 'verdict').map((m) => [m.kind, m.seconds])).toEqual([
      ['promotion', decided[3]],
    ]);
    expect(data.marks.filter((m) => m.kind === 'verdict').map((m) => m.seconds)).toEqual(decided);
    expect(data.notes).toEqual([]);
    expect(data.thresholds).toMatchObject({ errorRatePercent: 5, promoteErrorRatePercent: 1, p95LatencyMs: 500 });
    expect(data.thresholds.source).toMatch(/defaults of canaryThresholdsSchema/);
    expect(data.title).toBe('Release 1.4.0: PROMOTED');
    expect(data.axisSeconds).toBe(3900);
  });

  it("falls back to the bake's end and the verdict's numbers for a bake recorded without them, and says so", () => {
    // Prepare
    const old = bake('2026-11-12T09:25:02.000Z', '2026-11-12T09:30:02.000Z', 'promote', {}, [], {
      decidedAt: null,
      minutes: false,
    });
    const input = report('PROMOTED', [{ ...STEP_10, greenWeight: 100, bakes: [old] }], null);

    // Act
    const data = reportChartData(input);

    // Assess
    expect(data.verdicts.map((p) => [p.seconds, p.errorRatePercent])).toEqual([[at('2026-11-12T09:30:02.000Z'), 0.2]]);
    expect(data.errorRate).toEqual([]);
    expect(data.notes).toEqual([
      "verdict of step 1, bake 1: green's minutes not recorded, only the verdict's numbers drawn",
      "verdict of step 1, bake 1: decision time not recorded, drawn at the bake's end",
    ]);
  });

  it('drops green to 0 when traffic is confirmed back, and marks the alarm, the trigger and the rollback', () => {
    // Prepare
    const input = rolledBack();

    // Act
    const data = reportChartData(input);

    // Assess
    expect(data.weight.map((p) => [p.kind, p.seconds, p.greenWeight])).toEqual([
      ['start', 0, 0],
      ['shift', at('2026-11-12T09:25:01.850Z'), 10],
      ['shift', at('2026-11-12T09:31:02.200Z'), 50],
      ['rollback', at('2026-11-12T09:36:05.900Z'), 0],
    ]);
    expect(data.finalGreenWeight).toBe(0);
    expect(data.verdicts.at(-1)).toMatchObject({ errorRatePercent: 7.5, p95LatencyMs: 210, decision: 'rollback' });
    expect(data.marks.map((m) => [m.kind, m.seconds, m.label])).toEqual([
      ['verdict', at('2026-11-12T09:31:17.000Z'), 'advance at 10 %'],
      ['verdict', at('2026-11-12T09:36:03.200Z'), 'rollback at 50 % (ERROR_RATE)'],
      ['alarm', at('2026-11-12T09:36:03.200Z'), 'alarm'],
      ['trigger', at('2026-11-12T09:36:03.500Z'), 'trigger ERROR_RATE'],
      ['rollback-start', at('2026-11-12T09:36:04.000Z'), 'rollback'],
      ['traffic-back', at('2026-11-12T09:36:05.900Z'), 'traffic back'],
    ]);
    expect(data.marks.find((m) => m.kind === 'alarm')?.detail).toBe(`in ALARM: ${ALARM}`);
    expect(data.marks.find((m) => m.kind === 'traffic-back')?.detail).toContain('2.4 s after the trigger');
    expect(data.title).toBe('Release 1.4.0: ROLLED_BACK, trigger ERROR_RATE');
  });

  it('marks the alarm that cut a bake short, by name, at the trigger, though no verdict saw it', () => {
    // Prepare
    const input = alarmInterrupted();

    // Act
    const data = reportChartData(input);

    // Assess
    expect(data.marks.filter((m) => m.kind !== 'verdict').map((m) => [m.kind, m.seconds, m.label])).toEqual([
      ['trigger', at('2026-11-12T09:33:00.000Z'), 'trigger ERROR_RATE'],
      ['alarm', at('2026-11-12T09:33:00.000Z'), `alarm ${ALARM}`],
      ['rollback-start', at('2026-11-12T09:33:00.000Z'), 'rollback'],
      ['traffic-back', at('2026-11-12T09:33:00.400Z'), 'traffic back'],
    ]);
    expect(data.marks.find((m) => m.kind === 'alarm')?.detail).toBe(
      `${ALARM} in ALARM triggered the rollback (ERROR_RATE)`,
    );
    expect(renderReportChart(input)).toContain(`alarm ${ALARM}`);
  });

  it('leaves the final weight unknown when traffic was never confirmed back, and says so', () => {
    // Prepare
    const input = rolledBack(null);

    // Act
    const data = reportChartData(input);
    const html = renderReportChart(input);

    // Assess
    expect(data.finalGreenWeight).toBeNull();
    expect(data.weight.map((p) => p.greenWeight)).toEqual([0, 10, 50]);
    expect(data.marks.some((m) => m.kind === 'traffic-back')).toBe(false);
    expect(data.notes).toEqual([
      'traffic back on the live side was not confirmed: the listener never showed live 100 %',
    ]);
    expect(html).toContain('weight after the trigger not confirmed');
    expect(html).toContain('green&#39;s final weight not confirmed');
  });

  it('draws the thresholds the report records, and says they were configured', () => {
    // Prepare
    const configured = { ...THRESHOLDS, errorRatePercent: 3, p95LatencyMs: 800 };
    const input = report('PROMOTED', promotedHistory(), null, configured);

    // Act
    const data = reportChartData(input);
    const html = renderReportChart(input);

    // Assess
    expect(data.thresholds).toEqual({
      errorRatePercent: 3,
      promoteErrorRatePercent: 1,
      p95LatencyMs: 800,
      source: 'configured for this deployment, as recorded in the report',
    });
    expect(html).toContain('rollback above 3 %');
    expect(html).toContain('rollback above 800 ms');
    expect(html).not.toContain('rollback above 500 ms');
  });

  it('draws the thresholds it is given over those the report records', () => {
    // Prepare
    const input = report('PROMOTED', promotedHistory(), null, THRESHOLDS);

    // Act
    const data = reportChartData(input, { thresholds: { errorRatePercent: 2 } });

    // Assess
    expect(data.thresholds).toEqual({
      errorRatePercent: 2,
      promoteErrorRatePercent: 1,
      p95LatencyMs: 500,
      source: 'configured for this deployment',
    });
  });
});

describe('renderReportChart', () => {
  it.each([
    ['promoted', promoted],
    ['rolled back', () => rolledBack()],
  ])('draws one point per known minute and per verdict of the %s report', (_name, make) => {
    // Prepare
    const input = make();
    const data = reportChartData(input);

    // Act
    const html = renderReportChart(input);

    // Assess
    type Drawn = [string, number, number | null];
    const minutes = (series: string, points: typeof data.errorRate) =>
      points.filter((p) => p.value !== null).map((p): Drawn => [series, p.seconds, p.value]);
    expect(drawnPoints(html)).toEqual([
      ...data.weight.map((p): Drawn => ['weight', p.seconds, p.greenWeight]),
      ...minutes('error-rate', data.errorRate),
      ...minutes('p95', data.p95),
      ...data.verdicts.map((p): Drawn => ['verdict-error-rate', p.seconds, p.errorRatePercent]),
      ...data.verdicts.map((p): Drawn => ['verdict-p95', p.seconds, p.p95LatencyMs]),
    ]);
    expect(html.match(/<polyline /g)?.length).toBeGreaterThanOrEqual(2 * data.verdicts.length - 2);
    const marks = new Set(data.marks.map((m) => m.seconds)).size;
    expect(html.match(/class="mark" data-mark=/g)).toHaveLength(marks);
    expect(html.match(/<tr><td>\[/g)).toHaveLength(data.marks.length);
    expect(html.match(/<svg /g)).toHaveLength(1);
  });

  it('escapes the text of the report and refers to nothing outside the page', () => {
    // Prepare
    const input = rolledBack();

    // Act
    const html = renderReportChart(input);

    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('green 5xx &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;more&#39;');
    expect(html).toContain('<title>Release 1.4.0: ROLLED_BACK, trigger ERROR_RATE</title>');
    // The report's own URLs may appear as text; nothing else names a network location or loads anything.
    const ownUrls = [input.productionUrl, ...input.dashboards.map((board) => board.url)].map(escapeHtml);
    const rest = ownUrls.reduce((text, url) => text.replaceAll(url, ''), html);
    expect(html).toContain(escapeHtml(input.productionUrl));
    expect(rest).not.toMatch(/https?:|\/\/|\b(href|src)=|url\(|@import/i);
  });
});
