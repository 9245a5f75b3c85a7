import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SUBSTITUTIONS } from '../../rehearsal/local-workflow';
import { SIM } from '../../rehearsal/simulated-production';
import { createWorld, PROMOTED_WEIGHTS, type WorldOptions } from '../../rehearsal/workflow-world';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite';

const DATABASE_ALARM = `${SIM.alarmPrefix}-db-connections`;

/**
 * The cutover against how AWS really behaves, run on the real ASL with the real agents: a green whose tasks crash or
 * hang (the load balancer answers 502/504 itself, which HTTPCode_Target_5XX_Count never sees), and ALB datapoints
 * that arrive minutes late. Each scenario would have been promoted, or judged on a partial window, before.
 */

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
afterEach(async () => {
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
  const rolledBack = world.recorder.events.find((event) => event.DetailType === 'Deployment Rolled Back')?.Detail;
  return { ...world, result, rolledBack };
}

const atWeight =
  <T>(weight: number, value: T) =>
  ({ greenWeight }: { greenWeight: number }) =>
    greenWeight === weight ? value : null;

describe('a crashing or hanging green counts as failing (real ASL, local)', () => {
  it('every connection to green refused at 10 %: the no-healthy-target alarm rolls back at once', async () => {
    // Act
    const { result, production, rolledBack, triggerOutcomes } = await play({
      traffic: { greenCrash: atWeight(10, { refusedPercent: 100 }) },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 0, 0]);
    // Each alarm entering ALARM is delivered; the first one claims the rollback, the ones of the same minute find it.
    expect(triggerOutcomes[0]).toMatchObject({ action: 'traffic-restored', bakeInterrupted: true });
    expect(triggerOutcomes.slice(1).map((outcome) => (outcome as { action: string }).action)).toEqual(
      triggerOutcomes.slice(1).map(() => 'already-requested'),
    );
    expect(rolledBack).toMatchObject({ trigger: 'HEALTH_CHECK_FAILED' });
    expect(JSON.stringify(rolledBack)).toContain('no-healthy-targets');
  });

  it('a fifth of green refusing connections at 50 %, alarms missing it: the verdict counts the 502s', async () => {
    // Act
    const { result, production, rolledBack } = await play({
      traffic: { greenCrash: atWeight(50, { refusedPercent: 20 }), greenErrorRatePercent: () => 0 },
      cutover: { alarmsEnabled: false },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 0]);
    expect(rolledBack).toMatchObject({ trigger: 'ERROR_RATE', phase: 'CUTOVER' });
    // Green's own targets answered no 5xx at all.
    expect(JSON.stringify(rolledBack)).toContain('0 target 5xx');
  });

  it('green hanging on a third of its requests at 100 % (504s, no connection error): not promoted', async () => {
    // Act
    const { result, production, rolledBack } = await play({
      traffic: { greenCrash: atWeight(100, { hangPercent: 30 }), greenErrorRatePercent: () => 0 },
      cutover: { alarmsEnabled: false },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 100, 0]);
    expect(rolledBack).toMatchObject({ trigger: 'ERROR_RATE' });
  });
});

describe('no alarm is dropped before the cutover (real ASL, local)', () => {
  it('the database alarm fires while the Chairman is asked: the deployment stops with nothing shifted', async () => {
    // Act
    const { result, production, triggerOutcomes, recorder } = await play({ alarmDuringApproval: DATABASE_ALARM });

    // Assess
    expect(triggerOutcomes).toEqual([expect.objectContaining({ action: 'flagged' })]);
    expect(result.error).toBe('DeploymentRolledBack');
    expect(result.visited).not.toContain('ProvisionGreen');
    expect(production.greenWeights).toEqual([]);
    const failed = recorder.events.find((event) => event.DetailType === 'Deployment Failed')?.Detail;
    expect(JSON.stringify(failed)).toContain('DB_CONNECTIONS');
    // Green was never provisioned: the execution's cause must not say it was scaled back.
    expect(result.cause).toContain('nothing was changed');
    expect(result.cause).not.toMatch(/scaled back/);
  });

  it('the database alarm was in ALARM before the deployment (no event comes): the first shift refuses', async () => {
    // Act
    const { result, production, rolledBack } = await play({
      traffic: { dbConnections: () => Math.ceil(SIM.dbMaxConnections * 0.9) },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights.filter((weight) => weight > 0)).toEqual([]);
    expect(rolledBack).toMatchObject({ trigger: 'DB_CONNECTIONS' });
    expect(JSON.stringify(rolledBack)).toContain(DATABASE_ALARM);
  });
});

describe('the verdict sees the whole bake (real ASL, local)', () => {
  it('a breach in minutes whose datapoints come 4 minutes late: the verdict waits for them and rolls back', async () => {
    // Act
    const { result, production, rolledBack } = await play({
      traffic: {
        greenErrorRatePercent: ({ greenWeight }) => (greenWeight === 50 ? 12 : 0.2),
        lateMinutes: ({ greenWeight }) => (greenWeight === 50 ? 240 : 0),
      },
      cutover: { alarmsEnabled: false },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 0]);
    expect(result.visited).toContain('WaitForMetrics');
    expect(rolledBack).toMatchObject({ trigger: 'ERROR_RATE' });
  });

  it('late datapoints within the bound: the deployment waits, then goes on with every minute judged', async () => {
    // Act
    const { result, production } = await play({
      traffic: { lateMinutes: () => 150 },
      cutover: { alarmsEnabled: false },
    });

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(production.greenWeights).toEqual(PROMOTED_WEIGHTS);
    const { canary } = result.output as {
      canary: { history: { bakes: { sample: { minutesPending: number }; verdict: { decision: string } }[] }[] };
    };
    const bakes = canary.history.flatMap((step) => step.bakes);
    expect(bakes.map((bake) => bake.verdict.decision)).toEqual(['advance', 'advance', 'promote']);
    expect(bakes.every((bake) => bake.sample.minutesPending === 0)).toBe(true);
    expect(result.visited.filter((state) => state === 'WaitForMetrics').length).toBeGreaterThan(0);
  });

  it("the last step's datapoints never arrive within the bound: inconclusive, never promoted", async () => {
    // Act
    const { result, production, rolledBack } = await play({
      traffic: { lateMinutes: ({ greenWeight }) => (greenWeight === 100 ? 3600 : 0) },
      cutover: { alarmsEnabled: false },
      inconclusiveAllowance: 0,
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(production.greenWeights).toEqual([10, 50, 100, 0]);
    expect(rolledBack).toMatchObject({ trigger: 'INCONCLUSIVE' });
    expect(JSON.stringify(rolledBack)).toContain('when the wait for late metrics ended');
  });

  it("the rolled-back execution's cause carries the time until weight effective", async () => {
    // Act
    const { result } = await play({
      traffic: { greenErrorRatePercent: ({ greenWeight }) => (greenWeight === 10 ? 12 : 0.2) },
    });

    // Assess
    expect(result.error).toBe('DeploymentRolledBack');
    expect(result.cause).toMatch(/^DEPLOY-002: /);
    expect(result.cause).toMatch(/weight effective/i);
  });
});
