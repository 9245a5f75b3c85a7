import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SUBSTITUTIONS } from '../../rehearsal/local-workflow';
import { SIM, SIM_ALARMS } from '../../rehearsal/simulated-production';
import { createWorld, PROMOTED_WEIGHTS, VALID_INPUT, type WorldOptions } from '../../rehearsal/workflow-world';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite';

/**
 * The PostDeploymentVerifier's part of statemachine/deployment-crew.asl.json, run locally end to end: the real
 * verifier with its real tools, the smoke runner and the prober sending real HTTP to a simulated application on
 * localhost (the test listener reaches green only, production follows the listener's weights), the alarm listener
 * taking probe reports and alarms in the post-promotion watch, and the report written to a recording S3.
 */

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
afterEach(async () => {
  // An escalated lock is kept on purpose; clear it so that scenarios stay independent.
  await dynamo.client.send(
    new DeleteItemCommand({
      TableName: LOCAL_SUBSTITUTIONS.CrewTableName,
      Key: { pk: { S: LOCAL_SUBSTITUTIONS.LockKey }, sk: { S: 'LOCK' } },
    }),
  );
});

async function play(options: WorldOptions) {
  const world = createWorld(dynamo, options);
  const result = await world.run();
  return { ...world, result };
}

type Output = {
  deploymentReport: { outcome: string; json: string; ready: boolean; summary: string };
  retirement: { serviceName: string; previousDesiredCount: number };
  dryRun: { ready: boolean };
};

const firstWeightedRequest = (requests: readonly string[]) =>
  requests.findIndex((request) => request.startsWith('production green'));

describe('post-deployment verification (real ASL, local)', () => {
  it('all green: smoke before traffic, smoke after 100 %, monitoring, dry run, watch, old side retired, report', async () => {
    // Act
    const { result, production, verification, recorder, lockItem, executionName, agentEvents } = await play({});

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(production.greenWeights).toEqual(PROMOTED_WEIGHTS);
    // The suite reached green through the test listener before production sent green a single request.
    const requests = verification.application.requests;
    const testRequests = requests.filter((request) => request.startsWith('test green'));
    expect(testRequests.slice(0, 3)).toEqual([
      'test green POST /api/auth/login',
      'test green GET /api/products',
      'test green GET /api/health/dependencies',
    ]);
    expect(requests.indexOf('test green POST /api/auth/login')).toBeLessThan(firstWeightedRequest(requests));
    // One prober per bake, and one for the watch window.
    // The bakes' probers cover the wait for late metrics too; the watch's covers the checks and the window.
    expect(verification.probeRequests.map((request) => [request.window, request.durationSeconds])).toEqual([
      ['bake', 1200],
      ['bake', 1200],
      ['bake', 1200],
      ['watch', 7320],
    ]);
    const output = result.output as Output;
    expect(output.dryRun.ready).toBe(true);
    expect(output.retirement).toMatchObject({ serviceName: SIM.blueServiceName, previousDesiredCount: 3 });
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(0);
    expect(production.serviceDesiredCount(SIM.greenServiceName)).toBeGreaterThan(0);
    expect(await lockItem()).toBeUndefined();
    // The lock is released before the report, which may take its retries, and the message links the report.
    expect(result.visited.slice(result.visited.indexOf('RetireOldSide'))).toEqual([
      'RetireOldSide',
      'ReleaseDeploymentLock',
      'WriteReport',
      'NotifyPromotion',
      'DeploymentReady',
      'DeploymentSucceeded',
    ]);
    expect(verification.reportKeys()).toEqual([
      `reports/${executionName}/report.json`,
      `reports/${executionName}/report.html`,
      `reports/${executionName}/report.md`,
    ]);
    const [report] = verification.jsonReports();
    expect(report?.outcome.status).toBe('PROMOTED');
    // Counted as Step Functions bills them (states entered and retries), up to the report.
    expect(report?.metrics.stepFunctions.stateTransitions).toBe(
      result.visited.indexOf('WriteReport') + 1 + result.retries.length,
    );
    expect(report?.evidence.smoke.production?.passed).toBe(true);
    expect(output.deploymentReport).toMatchObject({
      outcome: 'PROMOTED',
      json: `s3://deploymentcrew-reports/reports/${executionName}/report.json`,
    });
    expect(recorder.notifications.at(-1)?.Message).toContain(output.deploymentReport.summary);
    expect(recorder.opsItems).toEqual([]);
    // Every phase change and every confirmed shift went on the bus.
    expect(
      agentEvents.map((event) =>
        event.DetailType === 'Traffic Shifted' ? `shift ${event.Detail.toGreenWeight}` : `${event.Detail.phase}`,
      ),
    ).toEqual(['PROVISIONING', 'CUTOVER', 'shift 10', 'shift 50', 'shift 100', 'PROMOTED', 'RETIRED']);
  });

  it('pre-traffic smoke failure: nothing shifted, green scaled back, lock released, an OpsItem opened', async () => {
    // Act
    const { result, production, recorder, lockItem } = await play({ green: 'failing' });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'SmokeFailedBeforeTraffic' });
    expect(result.cause).toContain('status 500');
    expect(production.greenWeights).toEqual([]);
    expect(production.serviceDesiredCount(SIM.greenServiceName)).toBe(0);
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
    expect(await lockItem()).toBeUndefined();
    expect(recorder.opsItems).toEqual([
      expect.objectContaining({ Title: expect.stringContaining('aborted (SmokeFailedBeforeTraffic)'), Severity: '3' }),
    ]);
  });

  it('pre-traffic smoke failure after a migration: the RollbackCoordinator decides about the database', async () => {
    // Act
    const { result, production, verification } = await play({
      green: 'failing',
      input: { ...VALID_INPUT, release: { ...VALID_INPUT.release, schemaChange: true } },
    });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    // Nothing was shifted, so nothing had to be put back.
    expect(production.greenWeights).toEqual([]);
    expect(verification.jsonReports()[0]?.outcome.rollback).toMatchObject({ trigger: 'SMOKE_FAILED' });
  });

  it('post-100 % smoke failure: rolled back to the warm old side (SMOKE_FAILED), report written', async () => {
    // Act
    const { result, production, verification } = await play({ greenAfterPromotion: 'failing' });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(production.greenWeights).toEqual([10, 50, 100, 0]);
    expect(production.currentGreenWeight()).toBe(0);
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
    const [report] = verification.jsonReports();
    expect(report?.outcome).toMatchObject({
      status: 'ROLLED_BACK',
      rollback: { trigger: 'SMOKE_FAILED', phase: 'POST_PROMOTION' },
    });
  });

  it('a rollback that scales green down reports no standby: the report says what is still running', async () => {
    // Act
    const { result, production, verification } = await play({
      greenAfterPromotion: 'failing',
      settings: { scaleDownGreenAfterRollback: true },
    });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(production.serviceDesiredCount(SIM.greenServiceName)).toBe(0);
    expect(verification.jsonReports()[0]?.handoff.standby).toBeNull();
  });

  it('green stops answering mid-bake: the prober takes it off traffic within 15 s, without waiting for the bake', async () => {
    // Act
    const { result, production, verification, triggerOutcomes } = await play({ greenStopsAnsweringAtWeight: 50 });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(production.greenWeights.slice(0, 3)).toEqual([10, 50, 0]);
    const restored = triggerOutcomes.find(
      (outcome) => (outcome as { action?: string }).action === 'traffic-restored',
    ) as { listenerRestoredAt: string } | undefined;
    const [report] = verification.jsonReports();
    expect(report?.outcome.rollback).toMatchObject({ trigger: 'GREEN_PROBE_FAILED' });
    const firstFailedAt = report?.evidence.probes?.greenDownSince ?? '';
    const offTrafficSeconds = (Date.parse(restored?.listenerRestoredAt ?? '') - Date.parse(firstFailedAt)) / 1000;
    expect(offTrafficSeconds).toBeGreaterThanOrEqual(0);
    expect(offTrafficSeconds).toBeLessThanOrEqual(15);
    // The probes were published at 1-second resolution for the dashboard, green's dimension on each.
    const published = production.publishedMetrics.filter((datapoint) => datapoint.metricName === 'ProbeSuccess');
    expect(published.map((datapoint) => datapoint.value).slice(-3)).toEqual([0, 0, 0]);
    expect(published.every((datapoint) => datapoint.dimensions.TargetGroup === SIM.greenTargetGroupArn)).toBe(true);
  });

  it.each([
    ['fail', 'FAILED'],
    ['record-risk', 'SUCCEEDED'],
  ] as const)('monitoring missing (the dashboard) with onMissing %s: %s', async (onMissingMonitoring, status) => {
    // Act
    const { result, verification } = await play({ dashboardMissing: true, onMissingMonitoring });

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status });
    const [report] = verification.jsonReports();
    if (onMissingMonitoring === 'fail') {
      expect(report?.outcome.rollback).toMatchObject({ trigger: 'HEALTH_CHECK_FAILED', phase: 'POST_PROMOTION' });
      expect(report?.outcome.rollback?.reason).toContain(SIM.dashboardName);
    } else {
      expect(JSON.stringify(report?.risks)).toContain(SIM.dashboardName);
    }
  });

  it('dry run not ready (the coordinator may not ModifyListener): promoted, handoff not ready, risk recorded', async () => {
    // Act
    const { result, verification } = await play({ deniedRollbackAction: 'elasticloadbalancing:ModifyListener' });

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const output = result.output as Output;
    expect(output.dryRun.ready).toBe(false);
    const [report] = verification.jsonReports();
    expect(report?.handoff.ready).toBe(false);
    expect(JSON.stringify(report?.risks)).toContain('ModifyListener');
  });

  it('an alarm inside the watch window: traffic back to the warm old side at once, then the coordinator', async () => {
    // Act
    const { result, production, triggerOutcomes, lockItem, agentEvents } = await play({
      alarmInWatch: { alarmName: SIM_ALARMS.greenErrorRate, afterSeconds: 600 },
    });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(triggerOutcomes).toContainEqual(expect.objectContaining({ action: 'traffic-restored' }));
    // The alarm listener's restore, then the coordinator's own (it always writes: a rollback must win).
    expect(production.greenWeights).toEqual([...PROMOTED_WEIGHTS, 0, 0]);
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
    expect(await lockItem()).toBeUndefined();
    // Rollback is a first-class event: started, traffic back, finished.
    expect(agentEvents.map((event) => event.DetailType).filter((type) => type.startsWith('Rollback'))).toEqual([
      'Rollback Started',
      'Rollback Traffic Restored',
      'Rollback Finished',
    ]);
  });

  it('green stops answering in the watch window: the watch prober puts traffic back on the warm old side', async () => {
    // Act
    const { result, production, verification } = await play({ greenStopsAnsweringInWatch: true });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(production.greenWeights).toEqual([...PROMOTED_WEIGHTS, 0, 0]);
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
    expect(verification.jsonReports()[0]?.outcome.rollback).toMatchObject({
      trigger: 'GREEN_PROBE_FAILED',
      phase: 'POST_PROMOTION',
    });
  });

  it('the listener changed during the watch: the old side is kept warm, the lock kept ESCALATED, an OpsItem', async () => {
    // Act
    const { result, production, recorder, lockItem } = await play({ greenWeightSetInWatch: 90 });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'OldSideNotRetired' });
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
    expect((await lockItem())?.lockState).toEqual({ S: 'ESCALATED' });
    expect(recorder.notifications.at(-1)?.Subject).toBe('DeploymentCrew: promoted, but the old side was not retired');
    expect(recorder.opsItems).toEqual([
      expect.objectContaining({ Title: expect.stringContaining('old side not retired') }),
    ]);
  });
});
