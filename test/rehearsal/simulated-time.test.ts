import { describe, expect, it } from 'vitest';
import { runRehearsal } from '../../rehearsal/rehearse';
import type { TimelineEntry } from '../../rehearsal/timeline';
import { intakeConfig, type WorldOptions } from '../../rehearsal/workflow-world';

/**
 * Simulated time in a rehearsal passes where it passes on AWS: the Chairman takes time to answer, the snapshot's
 * polls wait their interval, an unanswered approval waits its whole timeout, and every instant the agents record
 * (the approval's answer, the dependency matrix) is on the virtual clock, not the wall clock.
 */

const SETTINGS = intakeConfig().settings;
const START = Date.parse('2026-11-24T10:00:00.000Z');
const secondsOf = (entries: readonly TimelineEntry[], state: string) =>
  entries.filter((entry) => entry.state === state).map((entry) => entry.seconds);

async function rehearse(world: WorldOptions = {}) {
  return runRehearsal({ world });
}

describe('simulated time (real ASL, local)', () => {
  it('the Chairman answers after the configured time, and the answer is stamped on the virtual clock', async () => {
    // Act
    const result = await rehearse({ approvalAnswerSeconds: 420 });

    // Assess
    const [firstCheck] = secondsOf(result.timeline, 'CheckProductionHealth');
    expect(firstCheck).toBe(420);
    const validation = result.report?.evidence.validation;
    expect(validation?.approval.answeredAt).toBe(new Date(START + 420_000).toISOString());
    expect(Date.parse(validation?.dependencyMatrix.checkedAt ?? '')).toBe(START + 420_000);
  });

  it("the snapshot's describes are one poll interval apart, as WaitForDatabaseSnapshot waits", async () => {
    // Act
    const result = await rehearse({ snapshot: { pollsUntilDone: 2 } });

    // Assess
    const [created] = secondsOf(result.timeline, 'CreateDatabaseSnapshot');
    const described = secondsOf(result.timeline, 'DescribeDatabaseSnapshot');
    expect(described).toHaveLength(3);
    expect(described).toEqual(described.map((_, index) => (created ?? 0) + (index + 1) * SETTINGS.snapshotPollSeconds));
  });

  it('an approval never answered waits its whole timeout before the deployment stops', async () => {
    // Act
    const result = await rehearse({ approval: 'never' });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'ApprovalTimedOut' });
    expect(result.simulatedSeconds).toBeGreaterThanOrEqual(intakeConfig().defaultApprovalTimeoutSeconds);
  });
});
