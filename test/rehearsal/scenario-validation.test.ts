import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, ScenarioError } from '../../rehearsal/scenario';
import { MODELLED_OPERATIONS } from '../../rehearsal/scenario-faults-schema';
import { CallLog } from '../../rehearsal/simulated-aws/call-log';
import { modelledOperationsOf, simulateClient, simulatedClientConfig } from '../../rehearsal/simulated-aws/sdk-stub';

/**
 * What loadScenario refuses, and how it says so: a fault on an operation the simulation does not model (it would
 * never fire), and a field that is one of several shapes, each error naming the field and what was expected.
 */

function scenarioFile(content: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'scenario-validation-')), 'scenario.json');
  writeFileSync(
    file,
    JSON.stringify({ description: 'validation', expect: { status: 'SUCCEEDED', error: null }, ...content }),
  );
  return file;
}

function refusal(content: object): string {
  try {
    loadScenario(scenarioFile(content));
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('the scenario was accepted');
}

describe('the operations a fault can target', () => {
  it('modelledOperationsOf: what the simulation registered on that client, as the call log names it', () => {
    // Prepare
    const client = new ElasticLoadBalancingV2Client(simulatedClientConfig());
    const other = new ElasticLoadBalancingV2Client(simulatedClientConfig());

    // Act
    simulateClient(client, 'ELB', new CallLog())
      .on(ModifyListenerCommand)
      .callsFake(() => ({}));

    // Assess
    expect(modelledOperationsOf(client)).toEqual(['ELB:ModifyListener']);
    expect(modelledOperationsOf(other)).toEqual([]);
  });

  it('cover each simulated service (ELB, ECS, CloudWatch, RDS) once per operation, in order', () => {
    // Act
    const services = new Set(MODELLED_OPERATIONS.map((operation) => operation.split(':')[0]));

    // Assess
    expect([...services].sort()).toEqual(['CloudWatch', 'ECS', 'ELB', 'RDS']);
    expect(MODELLED_OPERATIONS).toEqual(
      expect.arrayContaining([
        'ELB:ModifyListener',
        'ECS:UpdateService',
        'CloudWatch:GetMetricData',
        'RDS:CreateDBSnapshot',
      ]),
    );
    expect(new Set(MODELLED_OPERATIONS).size).toBe(MODELLED_OPERATIONS.length);
    expect(MODELLED_OPERATIONS).toEqual([...MODELLED_OPERATIONS].sort());
  });

  it('include every operation a shipped scenario injects a fault into', () => {
    // Act
    const used = listScenarios().flatMap(
      ({ name }) => loadScenario(name).faults?.operations?.map((fault) => fault.operation) ?? [],
    );

    // Assess
    expect(used.length).toBeGreaterThan(0);
    for (const operation of used) expect(MODELLED_OPERATIONS).toContain(operation);
  });
});

describe('loadScenario refuses a fault the simulation would never raise', () => {
  it.each([['ELB:ModifyListner'], ['ECS:Nope']])(
    '%s: names the field, the value and the modelled operations',
    (operation) => {
      // Act
      const message = refusal({ faults: { operations: [{ operation, kind: 'throttle' }] } });

      // Assess
      expect(message).toContain(`faults.operations[0].operation: "${operation}" is not an operation the simulation`);
      expect(message).toContain('ELB:ModifyListener, ');
      expect(message).toContain('RDS:CreateDBSnapshot');
    },
  );

  it('a staleRead on an operation whose staleness is not modelled', () => {
    // Act
    const message = refusal({ faults: { operations: [{ operation: 'RDS:DescribeDBSnapshots', kind: 'staleRead' }] } });

    // Assess
    expect(message).toContain('faults.operations[0].operation: staleRead is modelled only for ELB:DescribeListeners');
  });

  it('accepts a fault on a modelled operation', () => {
    // Act
    const scenario = loadScenario(
      scenarioFile({ faults: { operations: [{ operation: 'ELB:ModifyListener', kind: 'throttle' }] } }),
    );

    // Assess
    expect(scenario.faults?.operations).toEqual([{ operation: 'ELB:ModifyListener', kind: 'throttle' }]);
  });
});

describe('loadScenario on a field of one of several shapes', () => {
  it('neither shape: names the field, both shapes and what it got', () => {
    // Act
    const message = refusal({ traffic: { green: { errorRatePercent: 'high' } } });

    // Assess
    expect(message).toContain(
      'traffic.green.errorRatePercent: expected a number, or an object { default, atWeight?, fromMinute? }; ' +
        'received "high"',
    );
  });

  it('the object shape with a bad member: names the member and what it expected', () => {
    // Act
    const message = refusal({ traffic: { green: { errorRatePercent: { default: 'high' } } } });

    // Assess
    expect(message).toContain(
      'traffic.green.errorRatePercent: expected a number, or an object { default, atWeight?, fromMinute? }',
    );
    expect(message).toContain('traffic.green.errorRatePercent.default: expected number, received string');
  });

  it('a union without its own wording: every alternative from its schema', () => {
    // Act
    const message = refusal({ traffic: { green: { noData: 'sometimes' } } });

    // Assess
    expect(message).toContain('traffic.green.noData: expected "always", or an array; received "sometimes"');
  });
});
