import { describe, expect, it } from 'vitest';
import { LATENCY_SIGMA, mixtureQuantile, normalCdf } from '../../../rehearsal/simulated-aws/latency';

describe('simulated latency distributions', () => {
  it('the normal CDF is exact enough that one minute gives back its own p95', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.6448536269514722)).toBeCloseTo(0.95, 14);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
    expect(mixtureQuantile([{ p95Seconds: 0.42, requests: 600 }])).toBe(0.42);
    expect(mixtureQuantile([{ p95Seconds: 0.42, requests: 600 }], 0.5)).toBeCloseTo(
      0.42 * Math.exp(-1.6448536269514722 * LATENCY_SIGMA),
      12,
    );
  });

  it("a mixture's p95 weighs the minutes by their requests and lies between their p95s", () => {
    // Prepare
    const fast = { p95Seconds: 0.2, requests: 900 };
    const slow = { p95Seconds: 1, requests: 100 };

    // Act
    const fewSlow = mixtureQuantile([fast, slow]);
    const manySlow = mixtureQuantile([fast, { ...slow, requests: 900 }]);

    // Assess
    expect(fewSlow).toBeGreaterThan(0.2);
    expect(manySlow).toBeGreaterThan(fewSlow ?? Number.POSITIVE_INFINITY);
    expect(manySlow).toBeLessThan(1);
    expect(mixtureQuantile([{ ...slow, requests: 0 }])).toBeNull();
    expect(mixtureQuantile([])).toBeNull();
  });
});
