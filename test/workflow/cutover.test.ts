import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SUBSTITUTIONS } from '../../rehearsal/local-workflow';
import { SIM } from '../../rehearsal/simulated-production';
import { createWorld, PROMOTED_WEIGHTS, VALID_INPUT, type WorldOptions } from '../../rehearsal/workflow-world';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite';

/**
 * The cutover and rollback part of statemachine/deployment-crew.asl.json, run locally end to end in a simulated
 * world: real orchestrator, coordinator and alarm listener code with their real tools against a simulated listener,
 * ECS, CloudWatch and RDS on a virtual clock. Every scenario asserts the green weights that reached the listener, in
 * order, and the execution's final error.
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

const SCHEMA_CHANGE_INPUT = { ...VALID_INPUT, release: { ...VALID_INPUT.release, schemaChange: true } };
const failingAt =
  (weight: number, percent = 12) =>
  ({ greenWeight }: { greenWeight: number }) =>
    greenWeight === weight ? percent : 0.2;

async function play(options: WorldOptions) {
  const world = createWorld(dynamo, options);
  const result = await world.run();
  return { ...world, result };
}

function rolledBackEvent(recorder: { events: { DetailType: string; Detail: Record<string, unknown> }[] }) {
  return recorder.events.find((event) => event.DetailType === 'Deployment Rolled Back')?.Detail;
}

describe('cutover (real ASL, local)', () => {
  it('happy path: 10 → 50 → 100, promoted, watched, old side retired after the window, lock released', async () => {
    // Act
    const { result, production, lockItem } = await play({});

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(production.greenWeights).toEqual(PROMOTED_WEIGHTS);
    const output = result.output as {
      canary: { history: { greenWeight: number; bakes: { verdict: { decision: string } }[] }[] };
      promotion: { liveTargetGroupArn: string };
    };
    expect(output.canary.history.map((step) => [step.greenWeight, step.bakes.map((b) => b.verdict.decision)])).toEqual([
      [10, ['advance']],
      [50, ['advance']],
      [100, ['promote']],
    ]);
    expect(output.promotion.liveTargetGroupArn).toBe(SIM.greenTargetGroupArn);
    // Scaled down only after the watch window (test/workflow/post-deployment.test.ts has the window itself).
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(0);
    expect(await lockItem()).toBeUndefined();
  });

  it.each([
    [10, [10, 0, 0]],
    [50, [10, 50, 0, 0]],
    [100, [10, 50, 100, 0, 0]],
  ])(
    'alarm during the bake at %i %%: the alarm listener puts traffic back at once, then the coordinator',
    async (weight, expected) => {
      // Act
      const { result, production, recorder, triggerOutcomes } = await play({
        traffic: { greenErrorRatePercent: failingAt(weight) },
      });

      // Assess
      expect(result.error).toBe('DeploymentRolledBack');
      expect(production.greenWeights).toEqual(expected);
      expect(triggerOutcomes).toEqual([expect.objectContaining({ action: 'traffic-restored', bakeInterrupted: true })]);
      const event = rolledBackEvent(recorder);
      // Recorded as what the alarm watches, not a generic ALARM.
      expect(event).toMatchObject({ trigger: 'ERROR_RATE', decision: { type: 'traffic' } });
      expect(JSON.stringify(event?.timeline)).toContain('fast-path traffic rollback');
      expect(recorder.notifications.at(-1)?.Subject).toMatch(/rolled back/i);
    },
  );

  it('a breach the alarms miss is caught by the verdict: ERROR_RATE at 50 %', async () => {
    // Act
    const { result, production, recorder } = await play({
      traffic: { greenErrorRatePercent: failingAt(50) },
      cutover: { alarmsEnabled: false },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 0]);
    expect(rolledBackEvent(recorder)).toMatchObject({ trigger: 'ERROR_RATE', phase: 'CUTOVER' });
  });

  it('no data beyond the inconclusive allowance: rebakes, then rolls back with INCONCLUSIVE', async () => {
    // Act
    const { result, production, recorder } = await play({
      traffic: { greenNoData: 'always' },
      cutover: { alarmsEnabled: false },
      inconclusiveAllowance: 2,
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 0]);
    expect(result.visited.filter((state) => state === 'BakeStep')).toHaveLength(3);
    expect(rolledBackEvent(recorder)).toMatchObject({ trigger: 'INCONCLUSIVE' });
  });

  it('no data within the allowance: the step re-bakes once, then the deployment goes on', async () => {
    // Act: green publishes nothing during its first 6 minutes (the first bake at 10 %)
    const { result, production } = await play({
      traffic: { greenNoDataForMinutes: 6 },
      cutover: { alarmsEnabled: false },
      inconclusiveAllowance: 1,
    });

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(production.greenWeights).toEqual(PROMOTED_WEIGHTS);
    const { canary } = result.output as {
      canary: { history: { greenWeight: number; bakes: { verdict: { decision: string } }[] }[] };
    };
    expect(canary.history[0]?.bakes.map((bake) => bake.verdict.decision)).toEqual(['rebake', 'advance']);
  });

  it('a listener forwarding to one target group only: refused before anything changes', async () => {
    // Act
    const { result, production, recorder } = await play({ cutover: { modifyListener: { plainForwardToBlue: true } } });

    // Assess
    expect(result.error).toBe('ListenerNotSteady');
    const failed = recorder.events.find((event) => event.DetailType === 'Deployment Failed')?.Detail;
    expect(JSON.stringify(failed)).toContain('a plain forward');
    expect(production.greenWeights).toEqual([]);
    expect(result.visited).not.toContain('ProvisionGreen');
  });

  it('green never healthy: GreenProvisioningFailed, no traffic moved, green scaled back to 0', async () => {
    // Act
    const { result, production } = await play({ cutover: { greenNeverHealthy: true } });

    // Assess
    expect(result.error).toBe('GreenProvisioningFailed');
    expect(production.greenWeights).toEqual([]);
    expect(production.serviceDesiredCount(SIM.greenServiceName)).toBe(0);
    expect(production.serviceDesiredCount(SIM.blueServiceName)).toBe(3);
  });

  it('migration fails: no traffic moved, the Chairman confirms, the database is restored under its own name', async () => {
    // Act
    const { result, production, recorder, approvalRequests } = await play({
      input: SCHEMA_CHANGE_INPUT,
      cutover: { migrationExitCode: 1 },
      databaseRollbackApproval: 'approve',
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([]);
    expect(approvalRequests.map((request) => request.kind)).toEqual(['START', 'DATABASE_ROLLBACK']);
    expect(rolledBackEvent(recorder)).toMatchObject({
      trigger: 'MIGRATION_FAILED',
      phase: 'MIGRATION',
      decision: { type: 'database' },
    });
    expect(production.databaseInstances()).toContain(SIM.databaseIdentifier);
    expect(production.databaseInstances().some((id) => id.startsWith(`${SIM.databaseIdentifier}-pre-rb-`))).toBe(true);
  });

  it('a migration task that never started (image pull): nothing to restore, no database question', async () => {
    // Act
    const { result, production, recorder, approvalRequests } = await play({
      input: SCHEMA_CHANGE_INPUT,
      cutover: { migrationFailsToStart: true },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([]);
    expect(approvalRequests.map((request) => request.kind)).toEqual(['START']);
    expect(rolledBackEvent(recorder)).toMatchObject({ trigger: 'MIGRATION_FAILED', decision: { type: 'none' } });
    expect(production.databaseInstances()).toEqual([SIM.databaseIdentifier]);
  });

  it('an alarm while green is provisioned is not lost: recorded, green scaled back, no traffic moved', async () => {
    // Act: the database alarm enters ALARM during provisioning (EventBridge sends a transition once)
    const { result, production, triggerOutcomes } = await play({
      alarmWhileProvisioning: `${SIM.alarmPrefix}-db-connections`,
    });

    // Assess
    expect(triggerOutcomes).toEqual([expect.objectContaining({ action: 'flagged' })]);
    expect(result.error).toBe('DeploymentRolledBack');
    expect(result.visited).not.toContain('ShiftTraffic');
    expect(production.greenWeights).toEqual([]);
    expect(production.serviceDesiredCount(SIM.greenServiceName)).toBe(0);
    expect(result.cause).toMatch(/before any traffic moved; green is scaled back/);
  });

  it('ModifyListener throttled past the SDK retries, then succeeding: retried, and the deployment completes', async () => {
    // Act: 3 throttles spend the client's attempts (one ASL retry); the 4th is absorbed by the SDK
    const { result, production } = await play({ cutover: { modifyListener: { throttleTimes: 4 } } });

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(result.retries.filter((state) => state === 'ShiftTraffic')).toHaveLength(1);
    expect(production.greenWeights).toEqual(PROMOTED_WEIGHTS);
  });

  it('ModifyListener failing at 50 %: a traffic rollback from 10 %', async () => {
    // Act
    const { result, production, recorder } = await play({ cutover: { modifyListener: { failWhenGreenWeightIs: 50 } } });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 0]);
    expect(rolledBackEvent(recorder)).toMatchObject({ trigger: 'TRAFFIC_SHIFT_FAILED', decision: { type: 'traffic' } });
  });

  it("the rollback's ModifyListener failing for good: escalation with the runbook, lock kept (ESCALATED)", async () => {
    // Act
    const { result, production, recorder, lockItem } = await play({
      traffic: { greenErrorRatePercent: failingAt(50) },
      cutover: { alarmsEnabled: false, modifyListener: { failRestores: true } },
    });

    // Assess
    expect(result.error).toBe('RollbackFailed');
    expect(production.greenWeights).toEqual([10, 50]);
    const escalation = recorder.events.find((event) => event.DetailType === 'Rollback Failed');
    expect(escalation?.Detail).toMatchObject({ code: 'DEPLOY-003' });
    expect(recorder.notifications.at(-1)?.Message).toContain('modify-listener');
    const lock = await lockItem();
    expect(lock?.lockState).toEqual({ S: 'ESCALATED' });
    expect(lock?.expiresAt).toBeUndefined();
    // The runbook, the event and the OpsItem go out before the report, which may take its retries.
    const after = result.visited.slice(result.visited.indexOf('MarkLockEscalated'));
    expect(after).toEqual([
      'MarkLockEscalated',
      'NotifyEscalation',
      'EmitEscalationEvent',
      'OpenEscalationOpsItem',
      'WriteEscalationReport',
      'RollbackFailed',
    ]);
    expect(recorder.opsItems).toEqual([expect.objectContaining({ Severity: '1' })]);
  });

  it("the Chairman's override during the bake at 50 %: same path as an alarm, trigger MANUAL", async () => {
    // Act
    const { result, production, recorder } = await play({ overrideAtGreenWeight: 50 });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 0, 0]);
    expect(rolledBackEvent(recorder)).toMatchObject({ trigger: 'MANUAL' });
  });

  it('schema change + alarm at 50 %: full rollback, database restore confirmed by the Chairman', async () => {
    // Act
    const { result, production, recorder } = await play({
      input: SCHEMA_CHANGE_INPUT,
      traffic: { greenErrorRatePercent: failingAt(50) },
      databaseRollbackApproval: 'approve',
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 0, 0]);
    const event = rolledBackEvent(recorder);
    expect(event).toMatchObject({ decision: { type: 'full', database: 'confirm' } });
    expect(JSON.stringify(event?.timeline)).toContain('database available');
    expect(production.databaseInstances().some((id) => id.startsWith(`${SIM.databaseIdentifier}-pre-rb-`))).toBe(true);
  });

  it('schema change + alarm at 50 %: database restore declined, traffic only, database untouched', async () => {
    // Act
    const { result, production, recorder } = await play({
      input: SCHEMA_CHANGE_INPUT,
      traffic: { greenErrorRatePercent: failingAt(50) },
      databaseRollbackApproval: 'reject',
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 0, 0]);
    expect(JSON.stringify(rolledBackEvent(recorder)?.timeline)).toContain('not confirmed');
    expect(production.databaseInstances()).toEqual([SIM.databaseIdentifier]);
  });
});
