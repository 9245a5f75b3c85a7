import { describe, expect, it } from 'vitest';
import {
  columnsFitting,
  formatEntry,
  formatHeader,
  formatSummary,
  painter,
  printableSteps,
} from '../../rehearsal/cli-format';
import type { RehearsalResult, RehearsalRollback } from '../../rehearsal/rehearse';
import type { TimelineEntry } from '../../rehearsal/timeline';
import * as timeline from '../../rehearsal/timeline';

/** What the CLI prints for a human: the timeline's columns and the summary of a rollback, whatever its fate. */

const plain = painter(false);

function entry(action: string, agent = 'BlueGreenOrchestrator'): TimelineEntry {
  return {
    at: '2026-11-24T10:00:00.000Z',
    seconds: 4890,
    state: 'SomeState',
    phase: 'post-promotion',
    agent,
    action,
    outcome: 'ok',
    greenWeight: 100,
    errorRatePercent: null,
    p95LatencyMs: null,
    dbConnectionsPercent: null,
    decision: 'a decision',
  };
}

function result(
  rollback: RehearsalRollback,
  overrides: Partial<Pick<RehearsalResult, 'error' | 'greenWeights'>> = {},
): RehearsalResult {
  return {
    status: 'FAILED',
    error: 'DeploymentRolledBack',
    cause: null,
    greenWeights: [10, 50, 0, 0],
    rollback,
    transitions: 60,
    costUsd: 0.0015,
    simulatedSeconds: 810,
    report: null,
    reportKeys: [],
    timeline: [],
    ...overrides,
  };
}

const summaryOf = (run: RehearsalResult) =>
  formatSummary({ result: run, chart: null, expectation: { met: true, mismatches: [] } }, plain);

describe('the timeline columns', () => {
  it('fit every agent and action the ASL can print (task tokens, the watch, SDK integrations), header included', () => {
    // Prepare
    const steps = printableSteps(timeline);
    const columns = columnsFitting(steps);

    // Act
    const header = formatHeader('t', 'd', plain, columns).split('\n').at(-1) ?? '';
    const lines = steps.map((step) => formatEntry(entry(step.action, step.agent), plain, columns));

    // Assess: the green column starts at the same place on every line, and no name is cut
    const actions = steps.map((step) => step.action);
    expect(actions).toEqual(expect.arrayContaining(['watch (old side warm)', 'restore? (task token)', 'shiftTraffic']));
    const greenAt = header.indexOf('green');
    for (const [at, line] of lines.entries()) {
      expect(line.slice(greenAt, greenAt + 5), line).toBe('100 %');
      expect(line).toContain(` ${steps[at]?.agent} `);
      expect(line).toContain(` ${steps[at]?.action} `);
    }
  });

  it('cut an action longer than any the run can print at its column, the same way every time', () => {
    // Prepare
    const columns = columnsFitting(printableSteps(timeline));
    const long = 'aws-sdk:servicecatalog:describeProvisionedProductPlan';

    // Act
    const lines = [formatEntry(entry(long), plain, columns), formatEntry(entry('shiftTraffic'), plain, columns)];

    // Assess
    const [first = '', second = ''] = lines;
    expect(first.indexOf('100 %')).toBe(second.indexOf('100 %'));
    expect(first).toContain(` ${long.slice(0, columns.action - 1)}… 100 %`);
    expect(formatEntry(entry(long), plain, columns)).toBe(first);
  });
});

describe('the summary of a rollback', () => {
  it('that failed: says it failed and was escalated, and that traffic was not confirmed back; no reaction', () => {
    // Prepare
    const run = result(
      { type: 'traffic', databaseRestored: null, trigger: 'ERROR_RATE', reactionSeconds: null },
      { error: 'RollbackFailed', greenWeights: [10, 50] },
    );

    // Act
    const summary = summaryOf(run);

    // Assess
    expect(summary).toContain('  Rollback        FAILED: traffic on ERROR_RATE\n');
    expect(summary).toContain(
      '  Escalated       the lock is kept ESCALATED: production must be put right by hand (runbook)\n',
    );
    expect(summary).toContain(
      "  Traffic         not confirmed back on the old side (green's last applied weight: 50 %)\n",
    );
    expect(summary).not.toContain('Reaction');
    expect(summary).not.toContain('unknown');
  });

  it('that failed after traffic was back: the reaction, and the database not restored', () => {
    // Prepare
    const run = result(
      { type: 'full', databaseRestored: false, trigger: 'ERROR_RATE', reactionSeconds: 0 },
      { error: 'RollbackFailed' },
    );

    // Act
    const summary = summaryOf(run);

    // Assess
    expect(summary).toContain(
      '  Rollback        FAILED: full decided on ERROR_RATE; database not restored: traffic only\n',
    );
    expect(summary).toContain('  Reaction        0 s from the trigger to traffic back on the old side\n');
    expect(summary).not.toContain('  Traffic ');
  });

  it('whose database restore was declined: says the database was not restored', () => {
    // Act
    const summary = summaryOf(
      result({ type: 'full', databaseRestored: false, trigger: 'ERROR_RATE', reactionSeconds: 0 }),
    );

    // Assess
    expect(summary).toContain('  Rollback        full decided on ERROR_RATE; database not restored: traffic only\n');
    expect(summary).not.toContain('FAILED:');
    expect(summary).not.toContain('Escalated');
  });

  it('whose database was restored: says so', () => {
    // Act
    const summary = summaryOf(
      result({ type: 'full', databaseRestored: true, trigger: 'ERROR_RATE', reactionSeconds: 0 }),
    );

    // Assess
    expect(summary).toContain('  Rollback        full on ERROR_RATE; database restored\n');
  });

  it.each(['database', 'none'])('of type %s, before green had traffic: no reaction, known or not', (type) => {
    // Prepare
    const run = result(
      { type, databaseRestored: type === 'database' ? true : null, trigger: 'MIGRATION_FAILED', reactionSeconds: null },
      { greenWeights: [] },
    );

    // Act
    const summary = summaryOf(run);

    // Assess
    expect(summary).toContain(`  Rollback        ${type} on MIGRATION_FAILED`);
    expect(summary).not.toContain('Reaction');
    expect(summary).not.toContain('unknown');
  });

  it('of traffic whose confirmation is not in the report: the reaction is unknown, and says why', () => {
    // Act
    const summary = summaryOf(
      result({ type: 'traffic', databaseRestored: null, trigger: 'ERROR_RATE', reactionSeconds: null }),
    );

    // Assess
    expect(summary).toContain('  Reaction        unknown (the report has no confirmed weight change back)\n');
  });
});
