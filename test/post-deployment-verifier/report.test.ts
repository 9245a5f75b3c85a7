import { describe, expect, it } from 'vitest';
import { createReportAction, type WriteReportRequest } from '../../lambdas/post-deployment-verifier/report';
import type { DeploymentReport } from '../../lambdas/shared/deployment-report';
import { DEPLOYMENT, SIDES, verifierConfig } from './fixtures';

const NOW = new Date('2026-11-24T10:40:00.000Z');

/** A deployment stopped before any traffic, as the state machine's state holds it at WriteReport. */
function failedRequest(extra: Record<string, unknown> = {}): WriteReportRequest {
  return {
    action: 'writeReport',
    outcome: 'FAILED',
    endedAt: '2026-11-24T10:39:59.000Z',
    state: {
      deployment: DEPLOYMENT,
      release: {
        version: '1.4.0',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0',
        schemaChange: false,
      },
      requestedBy: 'alice@shop.example.com',
      sides: SIDES,
      outcome: { error: 'SmokeFailedBeforeTraffic', message: 'green failed its smoke suite', cause: '1 of 3 failed' },
      ...extra,
    },
  };
}

function world(history: () => Promise<number>, config = verifierConfig()) {
  const stored: DeploymentReport[] = [];
  const writeReport = createReportAction(config, {
    ledger: { read: async () => null },
    history: {
      countTransitions: async () => {
        const transitions = await history();
        return { transitions, statesEntered: transitions, retries: 0, events: transitions * 3 };
      },
    },
    store: {
      store: async (report) => {
        stored.push(report);
        return {
          json: { key: 'k.json', s3Uri: 's3://shop-crew-reports/k.json', versionId: 'v1' },
          html: { key: 'k.html', s3Uri: 's3://shop-crew-reports/k.html', versionId: 'v1' },
          markdown: { key: 'k.md', s3Uri: 's3://shop-crew-reports/k.md', versionId: 'v1' },
          consoleUrl: 'https://console.aws.amazon.com/s3/object/shop-crew-reports?prefix=k.md',
        };
      },
    },
    now: () => NOW,
  });
  return { writeReport, stored };
}

describe('verifier: writeReport', () => {
  it('reports the execution from its state, with the transitions its history shows, and says where it is', async () => {
    // Prepare
    const { writeReport, stored } = world(async () => 40_000);

    // Act
    const written = await writeReport(failedRequest());

    // Assess
    expect(written).toEqual({
      outcome: 'FAILED',
      summary: expect.stringContaining('SmokeFailedBeforeTraffic: green failed its smoke suite'),
      ready: false,
      json: 's3://shop-crew-reports/k.json',
      markdown: 's3://shop-crew-reports/k.md',
      consoleUrl: 'https://console.aws.amazon.com/s3/object/shop-crew-reports?prefix=k.md',
      risks: stored[0]?.risks.length,
    });
    expect(stored[0]?.metrics.stepFunctions).toMatchObject({ stateTransitions: 40_000, costUsd: 1 });
  });

  it("keeps what stopped it: the cause of a stop before traffic (which alarm), plain or as Lambda's JSON error", async () => {
    // Prepare: locally the cause is the message; on AWS a Lambda error's Cause is a JSON document
    const { writeReport, stored } = world(async () => 10);
    const message = 'a rollback was requested (an alarm or the Chairman) before the cutover began; nothing was changed';
    const why = 'rollback requested: alarm DeploymentCrew-db-connections entered ALARM (DB_CONNECTIONS)';
    const outcome = (cause: string) => ({ outcome: { error: 'DeploymentRolledBack', message, cause } });
    const lambdaCause = JSON.stringify({ errorType: 'RollbackRequested', errorMessage: why, trace: ['at x'] });

    // Act
    await writeReport(failedRequest(outcome(why)));
    await writeReport(failedRequest(outcome(lambdaCause)));

    // Assess
    for (const report of stored) {
      expect(report.outcome.error).toEqual({ name: 'DeploymentRolledBack', message: `${message}: ${why}` });
    }
  });

  it('still writes the report when the history cannot be read: the transitions are not counted', async () => {
    // Prepare
    const { writeReport, stored } = world(async () => {
      throw Object.assign(new Error('not authorized to GetExecutionHistory'), { name: 'AccessDeniedException' });
    });

    // Act
    await writeReport(failedRequest());

    // Assess
    expect(stored[0]?.metrics.stepFunctions).toMatchObject({ stateTransitions: null, costUsd: null });
  });

  it('reports an unreadable part of the state as missing, never as what it might have been', async () => {
    // Prepare
    const { writeReport, stored } = world(async () => 10);

    // Act
    await writeReport(failedRequest({ canary: { greenWeight: 'half' }, green: 42 }));

    // Assess
    expect(stored[0]?.evidence.verdicts).toEqual([]);
    expect(stored[0]?.evidence.green).toBeNull();
  });

  it("records the thresholds of its configuration (the stack's) as what the verdicts were judged against", async () => {
    // Prepare
    const thresholds = { errorRatePercent: 2, promoteErrorRatePercent: 0.5, p95LatencyMs: 900 };
    const { writeReport, stored } = world(async () => 10, verifierConfig({ thresholds }));

    // Act
    await writeReport(failedRequest());

    // Assess
    expect(stored[0]?.evidence.thresholds).toEqual({
      errorRatePercent: 2,
      errorRateBreachPeriods: 2,
      promoteErrorRatePercent: 0.5,
      p95LatencyMs: 900,
      dbConnectionsPercent: 80,
      loadBalancerErrorBaselinePercent: 0.1,
    });
  });
});
