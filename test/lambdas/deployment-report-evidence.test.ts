import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { CanaryVerdict, RollbackState, SampleSummary } from '../../lambdas/shared/cutover-contracts';
import {
  buildDeploymentReport,
  type DeploymentReportInput,
  deploymentReportSchema,
  renderMarkdown,
} from '../../lambdas/shared/deployment-report';

/**
 * What the report keeps for the chart: when each verdict was decided, green's minutes of each bake, the alarm that
 * triggered the rollback, and the thresholds the verdicts were judged against.
 */

const NOW = new Date('2026-11-24T10:20:00.000Z');
const ALARM = 'DeploymentCrew-shop-green-error-rate';
const SIDE = (name: string) => ({
  targetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`,
  serviceName: name,
});
const MINUTES = {
  from: '2026-11-24T10:00:00.000Z',
  errorRatePercent: [0.2, 0.167, null],
  p95LatencyMs: [180, 181.5, null],
  requests: [500, 600, 0],
};
const THRESHOLDS = {
  errorRatePercent: 3,
  errorRateBreachPeriods: 2,
  promoteErrorRatePercent: 0.5,
  p95LatencyMs: 800,
  dbConnectionsPercent: 80,
  loadBalancerErrorBaselinePercent: 0.1,
};

const VERDICT: CanaryVerdict = {
  decision: 'advance',
  trigger: null,
  inconclusive: false,
  reasons: ['within thresholds'],
  errorRatePercent: 0.18,
  p95LatencyMs: 180,
  dbConnectionsPercent: 30,
  pendingMinutes: 0,
  retryAfterSeconds: null,
};

const SAMPLE: SampleSummary = {
  windowStart: '2026-11-24T10:00:30.000Z',
  windowEnd: '2026-11-24T10:02:30.000Z',
  minutes: 3,
  minutesWithData: 2,
  minutesPending: 0,
  requests: 1100,
  errors: 2,
  targetErrors: 2,
  connectionErrors: 0,
  loadBalancerErrors: 0,
  baselinePercent: 0.05,
  healthyHostsMin: 3,
  p95LatencyMs: 180,
  dbConnectionsMax: 30,
  alarmsInAlarm: [],
};

/** The coordinator's record of a rollback its alarm listener started (its `trigger` line names the alarm). */
function rollbackBy(requestedBy: string, alarmName: string | null): RollbackState {
  const by = alarmName === null ? '' : ` (${alarmName})`;
  return {
    trigger: 'ERROR_RATE',
    phase: 'CUTOVER',
    reason: `alarm ${ALARM} entered ALARM at 2026-11-24T10:05:30.000Z: Threshold Crossed`,
    detectedAt: '2026-11-24T10:05:30.000Z',
    weightEffective: {
      triggerAt: '2026-11-24T10:05:30.000Z',
      triggerSource: `${ALARM} entered ALARM`,
      confirmedAt: '2026-11-24T10:05:30.500Z',
      timeUntilWeightEffectiveSeconds: 0.5,
      unknownBecause: null,
    },
    decision: { type: 'traffic', database: 'none', why: 'no schema change' },
    timeline: [
      {
        at: '2026-11-24T10:05:30.000Z',
        action: 'trigger',
        result: 'info',
        detail: `ERROR_RATE${by} by ${requestedBy}: green 5xx (by me) over the threshold`,
      },
    ],
    database: null,
  };
}

/** Rolled back at 50 % after a 10 % bake; the bake as the orchestrator records it, plus `extra`. */
function input(bake: Record<string, unknown>, rollback: RollbackState = rollbackBy('cloudwatch', ALARM)) {
  const value: DeploymentReportInput = {
    deployment: {
      name: 'rel-1-4-0',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:rel-1-4-0',
      startedAt: '2026-11-24T10:00:00.000Z',
    },
    release: { version: '1.4.0', image: 'shop:1.4.0', schemaChange: false },
    requestedBy: 'alice@shop.example.com',
    end: { outcome: 'ROLLED_BACK', at: '2026-11-24T10:08:00.000Z', error: null },
    productionUrl: 'https://shop.example.com/',
    dashboards: [],
    validation: null,
    sides: { live: SIDE('shop-blue'), green: SIDE('shop-green'), stickiness: null, resolvedAt: '2026-11-24T10:00:00Z' },
    green: null,
    migration: null,
    canary: {
      steps: [10, 50, 100],
      stepIndex: 1,
      greenWeight: 50,
      inconclusiveCount: 0,
      bakeStartedAt: null,
      bakeEndedAt: null,
      baseline: null,
      verdict: VERDICT,
      history: [
        {
          stepIndex: 0,
          greenWeight: 10,
          shiftedAt: '2026-11-24T10:00:30.000Z',
          confirmedAt: '2026-11-24T10:00:30.000Z',
          bakes: [
            {
              startedAt: '2026-11-24T10:00:30.000Z',
              endedAt: '2026-11-24T10:02:30.000Z',
              verdict: VERDICT,
              sample: SAMPLE,
              ...bake,
            },
          ],
        },
        {
          stepIndex: 1,
          greenWeight: 50,
          shiftedAt: '2026-11-24T10:04:00.000Z',
          confirmedAt: '2026-11-24T10:04:00.000Z',
          bakes: [],
        },
      ],
    },
    rollback,
    smoke: { preTraffic: null, production: null },
    probes: null,
    rollbackDryRun: null,
    stateTransitions: 40,
    nextStage: 'staging',
    standbyWarmUntil: null,
  };
  return value;
}

describe('buildDeploymentReport: what the chart needs', () => {
  it("keeps when each verdict was decided and green's minutes of its bake, as the canary history recorded them", () => {
    // Prepare
    const recorded = input({ decidedAt: '2026-11-24T10:04:00.000Z', sample: { ...SAMPLE, perMinute: MINUTES } });

    // Act
    const report = buildDeploymentReport(recorded, NOW);

    // Assess
    const [row] = report.evidence.verdicts;
    expect(row?.endedAt).toBe('2026-11-24T10:02:30.000Z');
    expect(row?.decidedAt).toBe('2026-11-24T10:04:00.000Z');
    expect(row?.sample.perMinute).toEqual(MINUTES);
    expect(row?.sample.requests).toBe(1100);
    expect(v.parse(deploymentReportSchema, JSON.parse(JSON.stringify(report)))).toEqual(report);
  });

  it('leaves the decision time and the minutes null for a bake recorded without them, never guessed', () => {
    // Act
    const report = buildDeploymentReport(input({}), NOW);

    // Assess
    const [row] = report.evidence.verdicts;
    expect(row?.decidedAt).toBeNull();
    expect(row?.sample.perMinute).toBeNull();
  });

  it('names the alarm that triggered the rollback, from the rollback record', () => {
    // Act
    const byAlarm = buildDeploymentReport(input({}), NOW);
    const byPipeline = buildDeploymentReport(input({}, rollbackBy('pipeline', null)), NOW);

    // Assess
    expect(byAlarm.outcome.rollback?.alarmName).toBe(ALARM);
    expect(byPipeline.outcome.rollback?.alarmName).toBeNull();
    expect(renderMarkdown(byAlarm)).toContain(`ERROR_RATE (alarm ${ALARM}) during CUTOVER`);
  });

  it('records the thresholds it is given as what the verdicts were judged against; null when not given', () => {
    // Act
    const configured = buildDeploymentReport({ ...input({}), thresholds: THRESHOLDS }, NOW);
    const unknown = buildDeploymentReport(input({}), NOW);

    // Assess
    expect(configured.evidence.thresholds).toEqual(THRESHOLDS);
    expect(unknown.evidence.thresholds).toBeNull();
    expect(renderMarkdown(configured)).toContain('roll back above 3 % error rate or 800 ms p95; promote below 0.5 %;');
  });
});
