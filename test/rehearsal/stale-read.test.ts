import { describe, expect, it } from 'vitest';
import { runRehearsal } from '../../rehearsal/rehearse';
import { DEFAULT_SCENARIO, loadScenario, rehearsalOptionsOf } from '../../rehearsal/scenario';

/** The staleRead fault really makes the listener's re-read lag behind its write, and the router waits it out. */

const shiftSeconds = async (scenario: string) => {
  const result = await runRehearsal(rehearsalOptionsOf(loadScenario(scenario)));
  const shifts = result.report?.metrics.weightEffective.filter((figure) => figure.kind === 'shift') ?? [];
  return { result, seconds: shifts.map((figure) => figure.seconds) };
};

describe('a stale listener read (eventual consistency)', () => {
  it('every shift is confirmed only after the stale reads, later than with a consistent listener', async () => {
    // Act
    const stale = await shiftSeconds('listener-stale-read');
    const consistent = await shiftSeconds(DEFAULT_SCENARIO);

    // Assess
    expect(stale.result.status).toBe('SUCCEEDED');
    expect(stale.seconds).toHaveLength(3);
    expect(consistent.seconds).toHaveLength(3);
    stale.seconds.forEach((seconds, index) => {
      expect(seconds).toBeGreaterThan(consistent.seconds[index] ?? Number.POSITIVE_INFINITY);
    });
  });
});
