import { describe, expect, it } from 'vitest';
import type { CanaryStepRecord, CanaryVerdict, RollbackState } from '../../lambdas/shared/cutover-contracts';
import { buildDeploymentReport, type DeploymentReport } from '../../lambdas/shared/deployment-report';
import { escapeHtml, renderReportChart, reportChartData } from '../../lambdas/shared/deployment-report-chart';
import { runRehearsal } from '../../rehearsal/rehearse';

const START = '2026-11-12T09:00:00.000Z';
const NOW = new Date('2026-11-12T10:05:30.000Z');
const ALARM = 'DeploymentCrew-shop-green-error-rate';
const HOSTILE = `green 5xx <script>alert("x")</script> & 'more'`;

/** Seconds from the deployment's start to an instant of the fixtures. */
const at = (iso: string) => (Date.parse(iso) - Date.parse(START)) / 1000;

function bake(
  startedAt: string,
  endedAt: string,
  decision: CanaryVerdict['decision'],
  numbers: Partial<CanaryVerdict> = {},
  alarmsInAlarm: string[] = [],
): CanaryStepRecord['bakes'][number] {
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
  };
  return { startedAt, endedAt, verdict, sample };
}

const STEP_10: CanaryStepRecord = {
  stepIndex: 0,
  greenWeight: 10,
  shiftedAt: '2026-11-12T09:25:00.000Z',
  confirmedAt: '2026-11-12T09:25:01.850Z',
  bakes: [bake('2026-11-12T09:25:02.000Z', '2026-11-12T09:30:02.000Z', 'advance')],
};

function report(outcome: 'PROMOTED' | 'ROLLED_BACK', history: CanaryStepRecord[], rollback: RollbackState | null) {
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
      nextStage: 'staging',
      standbyWarmUntil: null,
    },
    NOW,
  );
}

/** 10 → 50 (an inconclusive bake, then a good one) → 100 %, promoted. */
function promoted(): DeploymentReport {
  return report(
    'PROMOTED',
    [
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
    ],
    null,
  );
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
        bakes: [bake('2026-11-12T09:31:03.000Z', '2026-11-12T09:36:03.000Z', 'rollback', verdict, [ALARM])],
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

/** Every drawn data point of the page: its series, its seconds and its value. */
function drawnPoints(html: string): [string, number, number | null][] {
  return [...html.matchAll(/class="point" data-series="([\w-]+)" data-seconds="([^"]+)" data-value="([^"]+)"/g)].map(
    ([, series, seconds, value]) => [series ?? '', Number(seconds), value === 'null' ? null : Number(value)],
  );
}

describe('reportChartData', () => {
  it('steps green at every confirmed shift, puts each verdict at its bake end, and marks the promotion', () => {
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
    const ends = input.evidence.verdicts.map((row) => at(row.endedAt));
    expect(data.errorRate.map((p) => [p.seconds, p.value, p.decision])).toEqual([
      [ends[0], 0.2, 'advance'],
      [ends[1], null, 'rebake'],
      [ends[2], 0.4, 'advance'],
      [ends[3], 0.2, 'promote'],
    ]);
    expect(data.p95.map((p) => [p.seconds, p.value])).toEqual([
      [ends[0], 182],
      [ends[1], null],
      [ends[2], 182],
      [ends[3], 190],
    ]);
    expect(data.marks.filter((m) => m.kind !== 'verdict').map((m) => [m.kind, m.seconds])).toEqual([
      ['promotion', ends[3]],
    ]);
    expect(data.marks.filter((m) => m.kind === 'verdict')).toHaveLength(4);
    expect(data.thresholds).toMatchObject({ errorRatePercent: 5, promoteErrorRatePercent: 1, p95LatencyMs: 500 });
    expect(data.thresholds.source).toMatch(/defaults of canaryThresholdsSchema/);
    expect(data.title).toBe('Release 1.4.0: PROMOTED');
    expect(data.axisSeconds).toBe(3900);
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
    expect(data.errorRate.at(-1)).toMatchObject({ value: 7.5, decision: 'rollback', greenWeight: 50 });
    expect(data.p95.at(-1)).toMatchObject({ value: 210, decision: 'rollback' });
    expect(data.marks.map((m) => [m.kind, m.seconds, m.label])).toEqual([
      ['verdict', at('2026-11-12T09:30:02.000Z'), 'advance at 10 %'],
      ['verdict', at('2026-11-12T09:36:03.000Z'), 'rollback at 50 % (ERROR_RATE)'],
      ['alarm', at('2026-11-12T09:36:03.000Z'), 'alarm'],
      ['trigger', at('2026-11-12T09:36:03.500Z'), 'trigger ERROR_RATE'],
      ['rollback-start', at('2026-11-12T09:36:04.000Z'), 'rollback'],
      ['traffic-back', at('2026-11-12T09:36:05.900Z'), 'traffic back'],
    ]);
    expect(data.marks.find((m) => m.kind === 'alarm')?.detail).toBe(`in ALARM: ${ALARM}`);
    expect(data.marks.find((m) => m.kind === 'traffic-back')?.detail).toContain('2.4 s after the trigger');
    expect(data.title).toBe('Release 1.4.0: ROLLED_BACK, trigger ERROR_RATE');
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

  it('draws the thresholds it is given instead of the defaults, and says where they come from', () => {
    // Prepare
    const input = promoted();

    // Act
    const data = reportChartData(input, { thresholds: { errorRatePercent: 3, p95LatencyMs: 800 } });
    const html = renderReportChart(input, { thresholds: { errorRatePercent: 3, p95LatencyMs: 800 } });

    // Assess
    expect(data.thresholds).toEqual({
      errorRatePercent: 3,
      promoteErrorRatePercent: 1,
      p95LatencyMs: 800,
      source: 'configured for this deployment',
    });
    expect(html).toContain('rollback above 3 %');
    expect(html).toContain('rollback above 800 ms');
    expect(html).not.toContain('rollback above 500 ms');
  });
});

describe('renderReportChart', () => {
  it.each([
    ['promoted', promoted],
    ['rolled back', () => rolledBack()],
  ])('draws one point per datum of the %s report', (_name, make) => {
    // Prepare
    const input = make();
    const data = reportChartData(input);

    // Act
    const html = renderReportChart(input);

    // Assess
    expect(drawnPoints(html)).toEqual([
      ...data.weight.map((p): [string, number, number | null] => ['weight', p.seconds, p.greenWeight]),
      ...data.errorRate.map((p): [string, number, number | null] => ['error-rate', p.seconds, p.value]),
      ...data.p95.map((p): [string, number, number | null] => ['p95', p.seconds, p.value]),
    ]);
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

describe('the chart of a rehearsed rollback', () => {
  it('matches the events of a real run: steps to 10 and 50 %, the trigger, traffic back at 0 %', async () => {
    // Prepare
    const result = await runRehearsal({
      world: { traffic: { greenErrorRatePercent: ({ greenWeight }) => (greenWeight === 50 ? 12 : 0.2) } },
    });
    const input = result.report;
    if (input === null) throw new Error(`the rehearsal wrote no report: ${result.error}`);

    // Act
    const data = reportChartData(input);

    // Assess
    const rows = input.metrics.weightEffective;
    expect(data.weight.slice(1).map((p) => [p.kind, p.greenWeight, p.at])).toEqual(
      rows.map((row) => [row.kind, row.greenWeight, row.confirmedAt]),
    );
    expect(data.weight.map((p) => p.greenWeight)).toEqual([0, 10, 50, 0]);
    expect(data.finalGreenWeight).toBe(0);
    const trigger = data.marks.find((m) => m.kind === 'trigger');
    expect(trigger).toMatchObject({ label: 'trigger ERROR_RATE', at: rows.at(-1)?.requestedAt });
    expect(data.errorRate.map((p) => p.value)).toEqual(input.evidence.verdicts.map((v) => v.verdict.errorRatePercent));
    expect(drawnPoints(renderReportChart(input))).toHaveLength(data.weight.length + 2 * data.errorRate.length);
  });
});
