import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  decideRollback,
  type RollbackDecisionInput,
  type RollbackTableRow,
  rollbackTable,
  rollbackTableMarkdown,
} from '../../lambdas/rollback-coordinator/decision';
import {
  type DeploymentPhase,
  deploymentPhaseSchema,
  rollbackDecisionSchema,
  rollbackTriggerSchema,
} from '../../lambdas/shared/cutover-contracts';

const TRIGGERS = rollbackTriggerSchema.options;
const PHASES = deploymentPhaseSchema.options;
const BOOLEANS = [false, true] as const;
const WEIGHTS = [0, 10, 100] as const;

function shiftingPhase(phase: DeploymentPhase): boolean {
  return phase === 'CUTOVER' || phase === 'POST_PROMOTION';
}

/** Every input a row stands for: all triggers when it names none, the typical weights when it names none. */
function inputsOf(row: RollbackTableRow): RollbackDecisionInput[] {
  const triggers = row.trigger === undefined ? TRIGGERS : [row.trigger];
  const weights = row.greenWeight !== undefined ? [row.greenWeight] : shiftingPhase(row.phase) ? WEIGHTS : [0];
  return triggers.flatMap((trigger) =>
    weights.map((greenWeight) => ({
      trigger,
      phase: row.phase,
      schemaChange: row.schemaChange,
      migrationStarted: row.migrationStarted,
      autoDatabaseRollback: row.autoDatabaseRollback,
      greenWeight,
    })),
  );
}

function allInputs(): RollbackDecisionInput[] {
  const inputs: RollbackDecisionInput[] = [];
  for (const trigger of TRIGGERS) {
    for (const phase of PHASES) {
      for (const schemaChange of BOOLEANS) {
        for (const migrationStarted of BOOLEANS) {
          for (const autoDatabaseRollback of BOOLEANS) {
            for (const greenWeight of WEIGHTS) {
              inputs.push({ trigger, phase, schemaChange, migrationStarted, autoDatabaseRollback, greenWeight });
            }
          }
        }
      }
    }
  }
  return inputs;
}

describe('decideRollback: the documented table', () => {
  it.each(rollbackTable.map((row, index) => ({ row, index })))(
    'row $index: $row.phase → $row.expected.type',
    ({ row }) => {
      // Prepare
      const inputs = inputsOf(row);

      // Act
      const decisions = inputs.map((input) => decideRollback(input));

      // Assess
      expect(inputs.length).toBeGreaterThan(0);
      for (const decision of decisions) {
        expect({ type: decision.type, database: decision.database }).toEqual(row.expected);
      }
    },
  );

  it('covers every rollback type and every database mode', () => {
    // Prepare
    const types = new Set(rollbackTable.map((row) => row.expected.type));
    const modes = new Set(rollbackTable.map((row) => row.expected.database));

    // Act
    const missingTypes = ['none', 'traffic', 'database', 'full'].filter((type) => !types.has(type as never));
    const missingModes = ['none', 'confirm', 'auto'].filter((mode) => !modes.has(mode as never));

    // Assess
    expect(missingTypes).toEqual([]);
    expect(missingModes).toEqual([]);
  });

  it('prints as a Markdown table with one line per row', () => {
    // Prepare
    const rows = rollbackTable;

    // Act
    const markdown = rollbackTableMarkdown(rows).split('\n');

    // Assess
    expect(markdown).toHaveLength(rows.length + 2);
    expect(markdown[0]).toMatch(/^\| Trigger \| Phase \|/);
    expect(markdown[2]).toBe('| any | PROVISIONING | no | no | no | 0 % | none | none |');
  });
});

describe('decideRollback: invariants over every combination', () => {
  const inputs = allInputs();
  const decided = inputs.map((input) => ({ input, decision: decideRollback(input) }));

  it('returns a schema-valid decision with a one-sentence why for every combination', () => {
    // Prepare
    const expectedCount = TRIGGERS.length * PHASES.length * 2 * 2 * 2 * WEIGHTS.length;

    // Act
    const invalid = decided.filter(({ decision }) => !v.safeParse(rollbackDecisionSchema, decision).success);
    const badWhy = decided.filter(({ decision }) => !/^[^.\n]+\.$/.test(decision.why));

    // Assess
    expect(decided).toHaveLength(expectedCount);
    expect(invalid).toEqual([]);
    expect(badWhy).toEqual([]);
  });

  it('rolls nothing back in PROVISIONING when nothing was shifted', () => {
    // Prepare
    const provisioning = decided.filter(({ input }) => input.phase === 'PROVISIONING' && input.greenWeight === 0);

    // Act
    const notNone = provisioning.filter(({ decision }) => decision.type !== 'none' || decision.database !== 'none');

    // Assess
    expect(provisioning.length).toBeGreaterThan(0);
    expect(notNone).toEqual([]);
  });

  it('touches the database only after a migration that ran, in MIGRATION or with a schema change', () => {
    // Prepare
    const withDatabase = decided.filter(({ decision }) => decision.database !== 'none');

    // Act
    const unjustified = withDatabase.filter(
      ({ input }) =>
        !input.migrationStarted ||
        !(input.phase === 'MIGRATION' || (input.schemaChange && input.phase !== 'PROVISIONING')),
    );
    const missing = decided.filter(
      ({ input, decision }) =>
        input.migrationStarted &&
        (input.phase === 'MIGRATION' || (input.schemaChange && shiftingPhase(input.phase))) &&
        decision.database === 'none',
    );

    // Assess
    expect(withDatabase.length).toBeGreaterThan(0);
    expect(unjustified).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('restores without confirmation only when autoDatabaseRollback is set, and asks when it is not', () => {
    // Prepare
    const withDatabase = decided.filter(({ decision }) => decision.database !== 'none');

    // Act
    const autoWithoutFlag = withDatabase.filter(
      ({ input, decision }) => decision.database === 'auto' && !input.autoDatabaseRollback,
    );
    const confirmWithFlag = withDatabase.filter(
      ({ input, decision }) => decision.database === 'confirm' && input.autoDatabaseRollback,
    );

    // Assess
    expect(autoWithoutFlag).toEqual([]);
    expect(confirmWithFlag).toEqual([]);
  });

  it('keeps the type and the database mode consistent', () => {
    // Prepare
    const databaseTypes = new Set(['full', 'database']);

    // Act
    const inconsistent = decided.filter(
      ({ decision }) => databaseTypes.has(decision.type) !== (decision.database !== 'none'),
    );

    // Assess
    expect(inconsistent).toEqual([]);
  });

  it('rolls traffic back whenever anything may have been shifted', () => {
    // Prepare
    const shifted = decided.filter(({ input }) => shiftingPhase(input.phase) || input.greenWeight > 0);

    // Act
    const withoutTraffic = shifted.filter(({ decision }) => decision.type !== 'traffic' && decision.type !== 'full');

    // Assess
    expect(shifted.length).toBeGreaterThan(0);
    expect(withoutTraffic).toEqual([]);
  });

  it('never rolls traffic back when nothing was shifted', () => {
    // Prepare
    const unshifted = decided.filter(({ input }) => !shiftingPhase(input.phase) && input.greenWeight === 0);

    // Act
    const withTraffic = unshifted.filter(({ decision }) => decision.type === 'traffic' || decision.type === 'full');

    // Assess
    expect(withTraffic).toEqual([]);
  });
});

describe('decideRollback: what the why says', () => {
  const base: RollbackDecisionInput = {
    trigger: 'ERROR_RATE',
    phase: 'CUTOVER',
    schemaChange: true,
    migrationStarted: true,
    autoDatabaseRollback: false,
    greenWeight: 25,
  };

  it('warns that a full rollback runs the old code on the new schema and loses writes', () => {
    // Prepare
    const input = base;

    // Act
    const decision = decideRollback(input);

    // Assess
    expect(decision.type).toBe('full');
    expect(decision.why).toContain('old code on the new schema');
    expect(decision.why).toContain('loses every write made after the snapshot');
    expect(decision.why).toContain("Chairman's confirmation");
  });

  it('says the schema is unchanged when a schema change never ran', () => {
    // Prepare
    const input = { ...base, migrationStarted: false };

    // Act
    const decision = decideRollback(input);

    // Assess
    expect(decision).toMatchObject({ type: 'traffic', database: 'none' });
    expect(decision.why).toContain('migration never started');
    expect(decision.why).not.toContain('old code on the new schema');
  });

  it('explains a traffic rollback of a failed shift that still shows 0 %', () => {
    // Prepare
    const input = { ...base, trigger: 'TRAFFIC_SHIFT_FAILED' as const, schemaChange: false, greenWeight: 0 };

    // Act
    const decision = decideRollback(input);

    // Assess
    expect(decision.type).toBe('traffic');
    expect(decision.why).toContain('idempotent');
  });

  it('names the automatic restore in a MIGRATION rollback with autoDatabaseRollback', () => {
    // Prepare
    const input = {
      ...base,
      trigger: 'MIGRATION_FAILED' as const,
      phase: 'MIGRATION' as const,
      autoDatabaseRollback: true,
      greenWeight: 0,
    };

    // Act
    const decision = decideRollback(input);

    // Assess
    expect(decision).toMatchObject({ type: 'database', database: 'auto' });
    expect(decision.why).toContain('half-applied');
    expect(decision.why).toContain('without confirmation');
  });

  it('treats a weight that is not a number as shifted', () => {
    // Prepare
    const input = { ...base, phase: 'PROVISIONING' as const, migrationStarted: false, greenWeight: Number.NaN };

    // Act
    const decision = decideRollback(input);

    // Assess
    expect(decision.type).toBe('traffic');
  });
});
