import { describe, expect, it } from 'vitest';
import { LISTENER_CONFIRMATION } from '../../../lambdas/shared/sdk-budget';
import {
  estimateRollbackSeconds,
  type RollbackEstimateInputs,
  simulationGroups,
} from '../../../lambdas/tools/rollback-test';

const inputs = (overrides: Partial<RollbackEstimateInputs> = {}): RollbackEstimateInputs => ({
  modifyListenerSeconds: 0.3,
  describeListenersSeconds: 0.1,
  confirmation: LISTENER_CONFIRMATION,
  rollbackVerifySeconds: 120,
  taskOverheadSeconds: 2,
  ...overrides,
});

describe('estimateRollbackSeconds', () => {
  it('adds ModifyListener, every confirming re-read and wait, the verify wait and two task overheads', () => {
    // Act
    const estimate = estimateRollbackSeconds(inputs());

    // Assess: 0.3 + 5 × 0.1 + (0.25 + 0.5 + 1 + 2) + 120 + 2 × 2 = 128.55 → 129
    expect(estimate).toStrictEqual({
      modifyListenerSeconds: 0.3,
      confirmationReads: 5,
      describeListenersSeconds: 0.1,
      confirmationWaitSeconds: 3.75,
      rollbackVerifySeconds: 120,
      tasks: 2,
      taskOverheadSeconds: 2,
      totalSeconds: 129,
    });
  });

  it('does not let float noise add a second to a sum that is whole', () => {
    // Prepare: 0.1 + 0.2 is 0.30000000000000004 in floating point.
    const whole = inputs({
      modifyListenerSeconds: 0.1,
      describeListenersSeconds: 0.2,
      confirmation: { attempts: 1, firstDelayMs: 0, maxDelayMs: 0 },
      rollbackVerifySeconds: 0,
      taskOverheadSeconds: 0.35,
    });

    // Act
    const estimate = estimateRollbackSeconds(whole);

    // Assess: 0.1 + 0.2 + 2 × 0.35 = 1
    expect(estimate.totalSeconds).toBe(1);
  });

  it('follows the confirmation schedule it is given', () => {
    // Act
    const estimate = estimateRollbackSeconds(
      inputs({ confirmation: { attempts: 3, firstDelayMs: 1_000, maxDelayMs: 1_500 } }),
    );

    // Assess: waits 1 + 1.5; 0.3 + 3 × 0.1 + 2.5 + 120 + 4 = 127.1 → 128
    expect(estimate).toMatchObject({ confirmationReads: 3, confirmationWaitSeconds: 2.5, totalSeconds: 128 });
  });

  it.each([
    ['a negative measurement', { modifyListenerSeconds: -1 }, 'modifyListenerSeconds'],
    ['a non-finite wait', { rollbackVerifySeconds: Number.NaN }, 'rollbackVerifySeconds'],
    ['no confirming read', { confirmation: { attempts: 0, firstDelayMs: 250, maxDelayMs: 2_000 } }, 'attempts'],
  ])('refuses %s', (_, overrides, field) => {
    expect(() => estimateRollbackSeconds(inputs(overrides))).toThrow(field);
  });
});

describe('simulationGroups', () => {
  it('simulates actions with the same resources together, and unlisted actions on *', () => {
    // Act
    const groups = simulationGroups(['a:One', 'b:Two', 'c:Three', 'd:Four', 'a:One'], {
      'a:One': ['arn:2', 'arn:1'],
      'c:Three': ['arn:1', 'arn:2', 'arn:1'],
      'd:Four': ['arn:3'],
    });

    // Assess
    expect(groups).toStrictEqual([
      { actions: ['a:One', 'c:Three'], resourceArns: ['arn:1', 'arn:2'], contextEntries: null },
      { actions: ['b:Two'], resourceArns: null, contextEntries: null },
      { actions: ['d:Four'], resourceArns: ['arn:3'], contextEntries: null },
    ]);
  });

  it('simulates actions with a different context apart, even on the same resources', () => {
    // Prepare
    const entry = {
      ContextKeyName: 'kms:ViaService',
      ContextKeyValues: ['rds.eu-west-1.amazonaws.com'],
      ContextKeyType: 'string' as const,
    };

    // Act
    const groups = simulationGroups(['a:One', 'b:Two', 'c:Three'], {}, { 'b:Two': [entry], 'c:Three': [entry] });

    // Assess
    expect(groups).toStrictEqual([
      { actions: ['a:One'], resourceArns: null, contextEntries: null },
      { actions: ['b:Two', 'c:Three'], resourceArns: null, contextEntries: [entry] },
    ]);
  });
});
