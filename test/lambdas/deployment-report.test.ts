import { readFileSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type {
  CanaryStepRecord,
  CanaryVerdict,
  RollbackState,
  SampleSummary,
} from '../../lambdas/shared/cutover-contracts';
import {
  buildDeploymentReport,
  type DeploymentReportInput,
  deploymentReportJsonSchema,
  deploymentReportSchema,
  renderMarkdown,
  STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS,
} from '../../lambdas/shared/deployment-report';
import type { SmokeReport } from '../../lambdas/shared/smoke-suite';

const SCHEMA_FILE = new URL('../../docs/deployment-report.schema.json', import.meta.url);
const NOW = new Date('2026-11-12T10:05:30.000Z');
const LIVE = {
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067',
  serviceName: 'shop-blue',
};
const GREEN = {
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/2453ed029918f21f',
  serviceName: 'shop-green',
};
const DEPLOYMENT = {
  name: 'shop-1-4-0',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:shop-1-4-0',
  startedAt: '2026-11-12T09:00:00.000Z',
};
const RELEASE = {
  version: '1.4.0',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0',
  schemaChange: false,
  notes: 'Checkout speed-ups',
};
const BACKUP = {
  kind: 'instance' as const,
  identifier: 'deploymentcrew-shop-1-4-0-9d7c36ba',
  arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-shop-1-4-0-9d7c36ba',
  sourceIdentifier: 'shop-prod-db',
  createdAt: '2026-11-12T09:13:10.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-0000-4000-8000-1234567890ab',
  status: 'available' as const,
  verifiedAt: '2026-11-12T09:20:00.000Z',
};

function verdict(decision: CanaryVerdict['decision'], overrides: Partial<CanaryVerdict> = {}): CanaryVerdict {
  return {
    decision,
    trigger: null,
    inconclusive: false,
    reasons: [`error rate 0.2 % and p95 182 ms within thresholds: ${decision}`],
    errorRatePercent: 0.2,
    p95LatencyMs: 182,
    dbConnectionsPercent: 31,
    pendingMinutes: 0,
    retryAfterSeconds: null,
    ...overrides,
  };
}

function sample(startedAt: string, endedAt: string, requests: number, errors: number): SampleSummary {
  return {
    windowStart: startedAt,
    windowEnd: endedAt,
    minutes: 5,
    minutesWithData: 5,
    minutesPending: 0,
    requests,
    errors,
    targetErrors: errors,
    connectionErrors: 0,
    loadBalancerErrors: 0,
    baselinePercent: 0.05,
    healthyHostsMin: 4,
    p95LatencyMs: 182,
    dbConnectionsMax: 62,
    alarmsInAlarm: [],
  };
}

function step(
  stepIndex: number,
  greenWeight: number,
  shiftedAt: string,
  confirmedAt: string,
  bakes: CanaryStepRecord['bakes'],
) {
  return { stepIndex, greenWeight, shiftedAt, confirmedAt, bakes };
}

function bake(startedAt: string, endedAt: string, requests: number, v: CanaryVerdict) {
  return { startedAt, endedAt, verdict: v, sample: sample(startedAt, endedAt, requests, Math.round(requests * 0.002)) };
}

function smoke(target: string, startedAt: string, passed = true): SmokeReport {
  return {
    target,
    startedAt,
    passed,
    steps: [
      {
        name: 'login',
        flow: 'authentication',
        method: 'POST',
        path: '/api/login',
        status: 200,
        latencyMs: 85.4,
        passed: true,
        failures: [],
      },
      {
        name: 'create cart',
        flow: 'crud',
        method: 'POST',
        path: '/api/carts',
        status: passed ? 201 : 500,
        latencyMs: 120,
        passed,
        failures: passed ? [] : ['status 500, expected 201 | 200'],
      },
    ],
    flows: { authentication: { passed: 1, total: 1 }, crud: { passed: passed ? 1 : 0, total: 1 } },
  };
}

/** A deployment of 1.4.0 that went 10 → 50 (one inconclusive re-bake) → 100 % and was promoted. */
function promotedInput(): DeploymentReportInput {
  return {
    deployment: DEPLOYMENT,
    release: RELEASE,
    requestedBy: 'alice@shop.example.com',
    end: { outcome: 'PROMOTED', at: '2026-11-12T10:05:00.000Z', error: null },
    productionUrl: 'https://shop.example.com/',
    dashboards: [
      {
        name: 'DeploymentCrew-cutover',
        url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/DeploymentCrew-cutover',
      },
    ],
    validation: {
      deployment: DEPLOYMENT,
      release: RELEASE,
      requestedBy: 'alice@shop.example.com',
      approval: {
        approved: true,
        kind: 'START',
        approver: { identity: 'arn:aws:iam::123456789012:role/Chairman', verified: true },
        answeredAt: '2026-11-12T09:12:30.000Z',
      },
      dependencyMatrix: {
        checkedAt: '2026-11-12T09:12:40.000Z',
        healthy: true,
        entries: [
          {
            name: 'storefront',
            kind: 'health-endpoint',
            url: 'https://shop.example.com/health',
            critical: true,
            status: 'UP',
            expectedStatus: 200,
            httpStatus: 200,
            latencyMs: 41,
            attempts: 1,
          },
          {
            name: 'recommendations',
            kind: 'external-dependency',
            url: 'https://reco.example.net/ping',
            critical: false,
            status: 'DOWN',
            expectedStatus: 200,
            httpStatus: 503,
            latencyMs: 210,
            attempts: 3,
            error: 'status 503',
          },
        ],
        warnings: ['recommendations is DOWN (non-critical): status 503'],
      },
      warnings: ['recommendations is DOWN (non-critical): status 503'],
      backup: BACKUP,
      passed: true,
      generatedAt: '2026-11-12T09:20:05.000Z',
    },
    sides: { live: LIVE, green: GREEN, stickiness: null, resolvedAt: '2026-11-12T09:20:10.000Z' },
    green: {
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:43',
      previousTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:41',
      containerName: 'web',
      desiredCount: 4,
      status: 'READY',
      healthyTargets: 4,
      polls: 7,
    },
    migration: null,
    canary: {
      steps: [10, 50, 100],
      stepIndex: 2,
      greenWeight: 100,
      inconclusiveCount: 1,
      bakeStartedAt: '2026-11-12T09:46:02.000Z',
      bakeEndedAt: '2026-11-12T09:51:02.000Z',
      baseline: null,
      verdict: verdict('promote'),
      history: [
        step(0, 10, '2026-11-12T09:25:00.000Z', '2026-11-12T09:25:01.850Z', [
          bake('2026-11-12T09:25:02.000Z', '2026-11-12T09:30:02.000Z', 1200, verdict('advance')),
        ]),
        step(1, 50, '2026-11-12T09:31:00.000Z', '2026-11-12T09:31:02.200Z', [
          bake(
            '2026-11-12T09:31:03.000Z',
            '2026-11-12T09:36:03.000Z',
            0,
            verdict('rebake', { inconclusive: true, reasons: ['no data'], errorRatePercent: null, p95LatencyMs: null }),
          ),
          bake('2026-11-12T09:37:00.000Z', '2026-11-12T09:42:00.000Z', 6100, verdict('advance')),
        ]),
        step(2, 100, '2026-11-12T09:46:00.000Z', '2026-11-12T09:46:01.500Z', [
          bake('2026-11-12T09:46:02.000Z', '2026-11-12T09:51:02.000Z', 12400, verdict('promote')),
        ]),
      ],
    },
    rollback: null,
    smoke: {
      preTraffic: smoke('https://test.shop.example.com:8443', '2026-11-12T09:24:00.000Z'),
      production: smoke('https://shop.example.com', '2026-11-12T09:52:00.000Z'),
    },
    probes: { runs: 4, rounds: 240, failedRounds: 1, greenDownSince: null, failures: [] },
    rollbackDryRun: {
      checkedAt: '2026-11-12T09:53:00.000Z',
      ready: true,
      checks: [
        { name: 'old-side-targets', ok: true, evidence: 'shop-blue: 4 of 4 targets healthy' },
        { name: 'old-side-service', ok: true, evidence: 'shop-blue: running 4, desired 4' },
        { name: 'listener-reapply', ok: true, evidence: 'ModifyListener with the current forward config accepted' },
        { name: 'listener-unchanged', ok: true, evidence: 'shop-green 100 / shop-blue 0, as before' },
        { name: 'snapshot', ok: true, evidence: `${BACKUP.identifier} available` },
        { name: 'coordinator-permissions', ok: true, evidence: 'iam:SimulatePrincipalPolicy: 9 of 9 actions allowed' },
      ],
      estimatedRollbackSeconds: 12,
      estimate: {
        modifyListenerSeconds: 0.4,
        confirmationReads: 2,
        describeListenersSeconds: 0.2,
        confirmationWaitSeconds: 1,
        rollbackVerifySeconds: 5,
        tasks: 3,
        taskOverheadSeconds: 1.5,
        totalSeconds: 12,
      },
      listenerRewrite: { readAt: '2026-11-12T09:53:00.100Z', acceptedAt: '2026-11-12T09:53:00.500Z' },
    },
    monitoring: {
      checkedAt: '2026-11-12T09:52:30.000Z',
      ok: true,
      checks: [{ kind: 'dashboard', name: 'DeploymentCrew-cutover', ok: true, evidence: 'GetDashboard: 9 widgets' }],
      risks: [],
    },
    stateTransitions: 412,
    nextStage: 'staging-eu-central-1',
    standbyWarmUntil: '2026-11-12T10:52:00.000Z',
  };
}

const ROLLBACK: RollbackState = {
  trigger: 'ERROR_RATE',
  phase: 'CUTOVER',
  reason: 'green 5xx rate 7.5 % over 2 periods at 50 %',
  detectedAt: '2026-11-12T09:33:10.000Z',
  weightEffective: {
    triggerAt: '2026-11-12T09:33:10.000Z',
    triggerSource: 'the alarm listener received DeploymentCrew-shop-green-error-rate in ALARM',
    confirmedAt: '2026-11-12T09:33:12.400Z',
    timeUntilWeightEffectiveSeconds: 2.4,
    unknownBecause: null,
  },
  decision: { type: 'traffic', database: 'none', why: 'no schema change: traffic back to live is enough' },
  timeline: [
    { at: '2026-11-12T09:33:10.000Z', action: 'trigger', result: 'info', detail: 'ERROR_RATE during CUTOVER' },
    { at: '2026-11-12T09:33:12.400Z', action: 'traffic rollback', result: 'ok', detail: 'listener 100 % on shop-blue' },
  ],
  database: null,
};

/** The same release rolled back by green's error-rate alarm at 50 %, with the prober seeing green fail first. */
function rolledBackInput(): DeploymentReportInput {
  const input = promotedInput();
  const canary = input.canary;
  if (!canary) throw new Error('fixture without canary');
  return {
    ...input,
    end: { outcome: 'ROLLED_BACK', at: '2026-11-12T09:40:00.000Z', error: null },
    canary: {
      ...canary,
      stepIndex: 1,
      greenWeight: 50,
      verdict: null,
      history: [
        canary.history[0] as CanaryStepRecord,
        step(1, 50, '2026-11-12T09:31:00.000Z', '2026-11-12T09:31:02.200Z', []),
      ],
    },
    rollback: ROLLBACK,
    smoke: { preTraffic: input.smoke.preTraffic, production: null },
    probes: {
      runs: 2,
      rounds: 31,
      failedRounds: 3,
      greenDownSince: '2026-11-12T09:33:05.000Z',
      failures: ['create cart: status 502'],
    },
    rollbackDryRun: null,
    standbyWarmUntil: null,
  };
}

describe('buildDeploymentReport: a promoted deployment', () => {
  it('reports the outcome, the URLs and the handoff to the next stage', () => {
    // Prepare
    const input = promotedInput();

    // Act
    const report = buildDeploymentReport(input, NOW);

    // Assess
    expect(report.outcome).toMatchObject({
      status: 'PROMOTED',
      summary: 'Release 1.4.0 promoted: shop-green carries 100 % since 2026-11-12T09:46:01.500Z.',
      approvedBy: { identity: 'arn:aws:iam::123456789012:role/Chairman', verified: true },
      durationSeconds: 3900,
      rollback: null,
      error: null,
    });
    expect(report.productionUrl).toBe('https://shop.example.com/');
    expect(report.dashboards).toEqual(input.dashboards);
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(report.handoff).toEqual({
      nextStage: 'staging-eu-central-1',
      ready: true,
      why: 'Promoted, with no high-severity risk; 3 item(s) below for the record.',
      serving: {
        side: GREEN,
        release: '1.4.0',
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:43',
      },
      standby: { side: LIVE, warmUntil: '2026-11-12T10:52:00.000Z' },
      notes: [
        'Fast rollback: shop-blue stays warm at 0 % until 2026-11-12T10:52:00.000Z; an alarm in that window rolls traffic back at once.',
      ],
    });
  });

  it('hands off without a standby once the old side was scaled down at the end of the watch', () => {
    // Prepare
    const input = { ...promotedInput(), standbyRetiredAt: '2026-11-12T10:52:03.000Z' };

    // Act
    const report = buildDeploymentReport(input, NOW);

    // Assess
    expect(report.handoff.standby).toBeNull();
    expect(report.handoff.notes).toEqual([
      'shop-blue was scaled down at 2026-11-12T10:52:03.000Z, after the post-promotion watch: a rollback now means deploying the previous release again.',
    ]);
  });

  it('measures each phase, the requests green served, each shift and the Step Functions cost', () => {
    // Prepare
    const input = promotedInput();

    // Act
    const { metrics } = buildDeploymentReport(input, NOW);

    // Assess
    expect(metrics.phases.map(({ phase, durationSeconds }) => [phase, durationSeconds])).toEqual([
      ['approval', 750],
      ['validation and backup', 455],
      ['provisioning and migration', 295],
      ['canary cutover', 1562],
      ['post-promotion', 838],
    ]);
    expect(metrics.downtime).toEqual({ totalSeconds: 0, parts: [] });
    expect(metrics.requestsServedByGreen).toMatchObject({ requests: 1200 + 0 + 6100 + 12400, bakes: 4 });
    expect(metrics.weightEffective.map(({ kind, greenWeight, seconds }) => [kind, greenWeight, seconds])).toEqual([
      ['shift', 10, 1.85],
      ['shift', 50, 2.2],
      ['shift', 100, 1.5],
    ]);
    expect(metrics.stepFunctions).toEqual({ stateTransitions: 412, usdPer1000Transitions: 0.025, costUsd: 0.0103 });
    expect(STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS).toBe(0.025);
  });

  it('carries every verdict with its numbers and the rest of the evidence', () => {
    // Prepare
    const input = promotedInput();

    // Act
    const { evidence } = buildDeploymentReport(input, NOW);

    // Assess
    expect(evidence.verdicts.map((row) => [row.stepIndex, row.greenWeight, row.bake, row.verdict.decision])).toEqual([
      [0, 10, 1, 'advance'],
      [1, 50, 1, 'rebake'],
      [1, 50, 2, 'advance'],
      [2, 100, 1, 'promote'],
    ]);
    expect(evidence.verdicts[3]?.sample).toMatchObject({ requests: 12400, errors: 25, p95LatencyMs: 182 });
    expect(evidence.validation).toEqual(input.validation);
    expect(evidence.backup).toEqual(BACKUP);
    expect(evidence.smoke).toEqual(input.smoke);
    // Rounds CloudWatch did not take count 0 unless the ledger says otherwise.
    expect(evidence.probes).toEqual({ ...input.probes, publishFailures: 0 });
    expect(evidence.rollbackDryRun).toEqual(input.rollbackDryRun);
    expect(evidence.rollbackTimeline).toEqual([]);
  });

  it('records probe rounds CloudWatch did not take as a risk: the dashboard and the probe alarms lack them', () => {
    // Prepare
    const base = promotedInput();
    const input = {
      ...base,
      probes: {
        ...(base.probes ?? { runs: 1, rounds: 240, failedRounds: 0, greenDownSince: null, failures: [] }),
        publishFailures: 240,
      },
    };

    // Act
    const report = buildDeploymentReport(input, NOW);

    // Assess
    expect(report.risks).toContainEqual(
      expect.objectContaining({ severity: 'medium', source: 'probes', text: expect.stringContaining('240 of') }),
    );
  });

  it('lists the risks the state shows: the non-critical dependency, the re-bake, the failed probe round', () => {
    // Prepare
    const input = promotedInput();

    // Act
    const { risks } = buildDeploymentReport(input, NOW);

    // Assess
    expect(risks).toEqual([
      {
        severity: 'medium',
        kind: 'risk',
        source: 'validation',
        text: 'recommendations is DOWN (non-critical): status 503',
      },
      { severity: 'low', kind: 'risk', source: 'canary', text: '1 bake(s) had no conclusive data and were re-baked.' },
      {
        severity: 'low',
        kind: 'risk',
        source: 'probes',
        text: '1 of 240 probe rounds failed without green being declared down.',
      },
    ]);
  });

  it('is not ready for the next stage when the rollback dry run could not run at all (no proof is worse than a no)', () => {
    // Prepare
    const unproven = { ...promotedInput(), rollbackDryRun: null };

    // Act
    const report = buildDeploymentReport(unproven, NOW);

    // Assess
    expect(report.handoff.ready).toBe(false);
    expect(report.risks).toContainEqual({
      severity: 'high',
      kind: 'open-item',
      source: 'rollback dry-run',
      text: 'Rollback readiness was not verified.',
    });
  });

  it('is not ready for the next stage when the production smoke suite did not run, or the dry-run is not ready', () => {
    // Prepare
    const unsmoked = { ...promotedInput(), smoke: { preTraffic: null, production: null } };
    const notReady = promotedInput();
    notReady.rollbackDryRun = {
      checkedAt: '2026-11-12T09:53:00.000Z',
      ready: false,
      checks: [{ name: 'old-side-service', ok: false, evidence: 'shop-blue: desired 0 (scaled in)' }],
      estimatedRollbackSeconds: null,
      estimate: null,
      listenerRewrite: null,
    };

    // Act
    const first = buildDeploymentReport(unsmoked, NOW);
    const second = buildDeploymentReport(notReady, NOW);

    // Assess
    expect(first.handoff).toMatchObject({
      ready: false,
      why: 'Promoted, but 1 high-severity item(s) must be resolved first.',
    });
    expect(first.risks).toContainEqual({
      severity: 'high',
      kind: 'open-item',
      source: 'smoke',
      text: 'The smoke suite did not run against production.',
    });
    expect(second.handoff.ready).toBe(false);
    expect(second.risks).toContainEqual({
      severity: 'high',
      kind: 'risk',
      source: 'rollback dry-run',
      text: 'old-side-service: shop-blue: desired 0 (scaled in)',
    });
  });
});

describe('buildDeploymentReport: a rolled-back deployment', () => {
  it('offers no standby once green was scaled down after the rollback', () => {
    // Prepare
    const input = { ...rolledBackInput(), greenScaledDownAt: '2026-11-12T09:51:30.000Z' };

    // Act
    const report = buildDeploymentReport(input, NOW);

    // Assess
    expect(report.handoff.standby).toBeNull();
    expect(report.handoff.notes).toContain(
      'shop-green was scaled down at 2026-11-12T09:51:30.000Z, after the rollback.',
    );
  });

  it('reports the rollback, the downtime the probes saw and the time until the rollback weight was effective', () => {
    // Prepare
    const input = rolledBackInput();

    // Act
    const report = buildDeploymentReport(input, NOW);

    // Assess
    expect(report.outcome).toMatchObject({
      status: 'ROLLED_BACK',
      summary:
        'Release 1.4.0 rolled back (ERROR_RATE, traffic rollback, during CUTOVER): green 5xx rate 7.5 % over 2 periods at 50 %',
      rollback: { trigger: 'ERROR_RATE', phase: 'CUTOVER', type: 'traffic', reason: ROLLBACK.reason },
    });
    expect(report.metrics.downtime).toEqual({
      totalSeconds: 7.4,
      parts: [
        expect.objectContaining({ seconds: 7.4, basis: expect.stringContaining('to the listener confirmed back') }),
      ],
    });
    expect(
      report.metrics.weightEffective.map(({ kind, greenWeight, seconds }) => [kind, greenWeight, seconds]),
    ).toEqual([
      ['shift', 10, 1.85],
      ['shift', 50, 2.2],
      ['rollback', 0, 2.4],
    ]);
    expect(report.metrics.phases.map(({ phase, durationSeconds }) => [phase, durationSeconds])).toEqual([
      ['approval', 750],
      ['validation and backup', 455],
      ['provisioning and migration', 295],
      ['canary cutover', 490],
      ['rollback', 410],
    ]);
    expect(report.metrics.requestsServedByGreen).toMatchObject({ requests: 1200, bakes: 1 });
    expect(report.evidence.rollbackTimeline).toEqual(ROLLBACK.timeline);
    expect(report.handoff).toEqual({
      nextStage: 'staging-eu-central-1',
      ready: false,
      why: 'Not promoted (ROLLED_BACK).',
      serving: { side: LIVE, release: 'the release before 1.4.0', taskDefinitionArn: null },
      standby: { side: GREEN, warmUntil: null },
      notes: ['Fix the cause before redeploying: green 5xx rate 7.5 % over 2 periods at 50 %'],
    });
  });

  it('says the migration stays applied when a schema change is rolled back by traffic only', () => {
    // Prepare
    const input = { ...rolledBackInput(), release: { ...RELEASE, schemaChange: true } };

    // Act
    const { risks } = buildDeploymentReport(input, NOW);

    // Assess
    expect(risks).toContainEqual({
      severity: 'high',
      kind: 'open-item',
      source: 'migration',
      text: 'Traffic was rolled back but the migration stays applied: the previous release runs on the new schema.',
    });
  });

  it('says the database was not restored when the Chairman declined a full rollback, and the migration stays', () => {
    // Prepare: a full rollback decided, traffic back, the restore declined
    const declined: RollbackState = {
      ...ROLLBACK,
      decision: { type: 'full', database: 'confirm', why: 'schema change: traffic and database' },
      timeline: [
        ...ROLLBACK.timeline,
        {
          at: '2026-11-12T09:36:00.000Z',
          action: 'database restore',
          result: 'skipped',
          detail: 'not confirmed (DatabaseRollbackDeclined): not this week',
        },
      ],
    };
    const input = { ...rolledBackInput(), release: { ...RELEASE, schemaChange: true }, rollback: declined };
    const restored = {
      ...input,
      rollback: {
        ...declined,
        database: {
          status: 'AVAILABLE' as const,
          polls: 9,
          originalIdentifier: 'shop-prod-db',
          preservedIdentifier: 'shop-prod-db-pre-1-4-0',
          temporaryIdentifier: 'shop-prod-db-restore',
          snapshotIdentifier: BACKUP.identifier,
        },
      },
    };

    // Act
    const report = buildDeploymentReport(input, NOW);
    const restoredReport = buildDeploymentReport(restored, NOW);
    const trafficOnly = buildDeploymentReport(rolledBackInput(), NOW);

    // Assess
    expect(report.outcome.rollback).toMatchObject({ type: 'full', databaseRestored: false });
    expect(restoredReport.outcome.rollback).toMatchObject({ type: 'full', databaseRestored: true });
    expect(trafficOnly.outcome.rollback).toMatchObject({ type: 'traffic', databaseRestored: null });
    expect(report.risks).toContainEqual({
      severity: 'high',
      kind: 'open-item',
      source: 'migration',
      text: 'Traffic was rolled back but the migration stays applied: the previous release runs on the new schema.',
    });
    expect(restoredReport.risks.map((risk) => risk.source)).not.toContain('migration');
  });

  it('keeps an unrecorded rollback confirmation unknown instead of estimating it', () => {
    // Prepare
    const input = rolledBackInput();
    input.rollback = {
      ...ROLLBACK,
      weightEffective: {
        ...(ROLLBACK.weightEffective as NonNullable<RollbackState['weightEffective']>),
        confirmedAt: null,
        timeUntilWeightEffectiveSeconds: null,
        unknownBecause: 'the listener has not been confirmed back at 100 % live',
      },
    };
    input.stateTransitions = null;

    // Act
    const { metrics, risks } = buildDeploymentReport(input, NOW);

    // Assess
    expect(metrics.weightEffective.at(-1)).toMatchObject({ kind: 'rollback', seconds: null, confirmedAt: null });
    expect(metrics.downtime.totalSeconds).toBeNull();
    expect(metrics.stepFunctions.costUsd).toBeNull();
    expect(risks).toContainEqual(expect.objectContaining({ source: 'rollback', severity: 'low' }));
  });
});

describe('buildDeploymentReport: outcomes the state contradicts', () => {
  it.each([
    [
      'PROMOTED with a rollback record',
      { ...rolledBackInput(), end: { outcome: 'PROMOTED', at: '2026-11-12T09:40:00.000Z', error: null } },
      /the execution rolled back/,
    ],
    [
      'PROMOTED without a promoting verdict',
      {
        ...rolledBackInput(),
        rollback: null,
        end: { outcome: 'PROMOTED', at: '2026-11-12T09:40:00.000Z', error: null },
      },
      /green is at 50 % and the last verdict is none/,
    ],
    [
      'ROLLED_BACK without a rollback record',
      { ...promotedInput(), end: { outcome: 'ROLLED_BACK', at: '2026-11-12T10:05:00.000Z', error: null } },
      /no rollback record/,
    ],
    [
      'FAILED without its error',
      { ...promotedInput(), end: { outcome: 'FAILED', at: '2026-11-12T10:05:00.000Z', error: null } },
      /needs its error/,
    ],
  ] as const)('refuses %s', (_, input, message) => {
    // Prepare: the contradicting input, from it.each

    // Act
    const build = () => buildDeploymentReport(input as DeploymentReportInput, NOW);

    // Assess
    expect(build).toThrow(message);
  });

  it('reports a failure before the cutover up to the failure, nothing shifted', () => {
    // Prepare
    const input: DeploymentReportInput = {
      ...promotedInput(),
      end: {
        outcome: 'FAILED',
        at: '2026-11-12T09:15:00.000Z',
        error: { name: 'BackupFailed', message: 'snapshot failed' },
      },
      validation: null,
      sides: null,
      green: null,
      canary: null,
      smoke: { preTraffic: null, production: null },
      probes: null,
      rollbackDryRun: null,
      standbyWarmUntil: null,
    };

    // Act
    const report = buildDeploymentReport(input, NOW);

    // Assess
    expect(report.outcome.summary).toBe('Release 1.4.0 not deployed, no traffic moved: BackupFailed: snapshot failed');
    expect(report.metrics.phases).toEqual([
      {
        phase: 'approval (until the failure)',
        startedAt: DEPLOYMENT.startedAt,
        endedAt: '2026-11-12T09:15:00.000Z',
        durationSeconds: 900,
      },
    ]);
    expect(report.metrics.weightEffective).toEqual([]);
    expect(report.evidence.backup).toBeNull();
    expect(report.handoff).toMatchObject({ ready: false, serving: null, standby: null });
  });
});

describe('renderMarkdown', () => {
  it('writes one heading per part, in order, and a verdict row per bake', () => {
    // Prepare
    const report = buildDeploymentReport(promotedInput(), NOW);

    // Act
    const markdown = renderMarkdown(report);

    // Assess
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## 1. Outcome',
      '## 2. Production URL',
      '## 3. Dashboards',
      '## 4. Metrics',
      '## 5. Evidence',
      '## 6. Risks and open items',
      '## 7. Handoff',
    ]);
    const verdictTable = markdown.split('### Canary verdicts\n\n')[1]?.split('\n\n')[0]?.split('\n') ?? [];
    expect(verdictTable).toHaveLength(2 + 4);
    expect(verdictTable[5]).toMatch(
      /^\| 3 \| 100 \| 1 \| 2026-11-12T09:46:02.000Z – 2026-11-12T09:51:02.000Z \| — \| promote \| — \| 0\.2 % \| 182 \| 31 % \| 12400 \| 25 \| 4 \|/,
    );
    expect(markdown).toContain('412 state transitions, USD 0.0103 at USD 0.025 per 1,000');
    expect(markdown).toContain(
      '- [DeploymentCrew-cutover](https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/DeploymentCrew-cutover)',
    );
  });

  it('escapes pipes inside cells and writes the rollback timeline of a rolled-back deployment', () => {
    // Prepare
    const input = rolledBackInput();
    input.smoke = {
      preTraffic: smoke('https://test.shop.example.com:8443', '2026-11-12T09:24:00.000Z', false),
      production: null,
    };

    // Act
    const markdown = renderMarkdown(buildDeploymentReport(input, NOW));

    // Assess
    expect(markdown).toContain('status 500, expected 201 \\| 200');
    expect(markdown).toContain('### Rollback timeline');
    expect(markdown).toContain('| 2026-11-12T09:33:12.400Z | traffic rollback | ok | listener 100 % on shop-blue |');
    expect(markdown).toContain('**ROLLED_BACK**');
  });
});

describe('the JSON report and its documented schema', () => {
  it('round-trips through JSON and parses against its own schema', () => {
    // Prepare
    const report = buildDeploymentReport(rolledBackInput(), NOW);

    // Act
    const parsed = v.safeParse(deploymentReportSchema, JSON.parse(JSON.stringify(report)));

    // Assess
    expect(parsed.success).toBe(true);
  });

  it('has the seven parts as required properties', () => {
    // Prepare
    const schema = deploymentReportJsonSchema() as { required?: string[]; additionalProperties?: unknown };

    // Act
    const required = schema.required ?? [];

    // Assess
    expect(required).toEqual(
      expect.arrayContaining(['outcome', 'productionUrl', 'dashboards', 'metrics', 'evidence', 'risks', 'handoff']),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it('is what docs/deployment-report.schema.json documents (UPDATE_REPORT_SCHEMA=1 rewrites the file)', () => {
    // Prepare
    const generated = deploymentReportJsonSchema();
    if (process.env.UPDATE_REPORT_SCHEMA === '1') writeFileSync(SCHEMA_FILE, `${JSON.stringify(generated, null, 2)}\n`);

    // Act
    const documented: unknown = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

    // Assess: compared as JSON, so the formatter may lay the file out as it likes
    expect(
      documented,
      'docs/deployment-report.schema.json is out of date: run UPDATE_REPORT_SCHEMA=1 npx vitest run test/lambdas/deployment-report.test.ts',
    ).toEqual(generated);
  });
});
