import { describe, expect, it } from 'vitest';
import { alignWindow, errorRatePercent, secondsToMs } from '../../../lambdas/tools/metrics-monitor';
import { at, WINDOW } from './fixtures';

describe('alignWindow', () => {
  it('widens the window to whole minutes', () => {
    // Prepare
    // Act
    const aligned = alignWindow(WINDOW);

    // Assess
    expect(aligned.startTime).toEqual(at(0));
    expect(aligned.endTime).toEqual(at(6));
    expect(aligned.windowSeconds).toBe(360);
    expect(aligned.minuteStarts).toEqual([at(0), at(1), at(2), at(3), at(4), at(5)]);
  });

  it('keeps a window that is already on whole minutes', () => {
    // Prepare
    // Act
    const aligned = alignWindow({ start: at(0), end: at(5) });

    // Assess
    expect(aligned.windowSeconds).toBe(300);
    expect(aligned.minuteStarts).toHaveLength(5);
  });

  it.each([
    ['ends before it starts', { start: at(5), end: at(0) }],
    ['is empty', { start: at(5), end: at(5) }],
    ['has an invalid date', { start: new Date('nope'), end: at(5) }],
    ['is longer than a day', { start: at(0), end: new Date(at(0).getTime() + 25 * 3600_000) }],
  ])('refuses a window that %s', (_, bad) => {
    // Prepare
    // Act
    const align = () => alignWindow(bad);

    // Assess
    expect(align).toThrow(expect.objectContaining({ name: 'InvalidInput' }));
  });
});

describe('unit conversions', () => {
  it.each([
    [0.5, 500],
    [0.1234567, 123.457],
    [1.1, 1100],
    [0, 0],
  ])('converts %s s to %s ms', (seconds, ms) => {
    // Prepare
    // Act
    const converted = secondsToMs(seconds);

    // Assess
    expect(converted).toBe(ms);
  });

  it.each<[number, number, number | null]>([
    [7, 100, 7],
    [5, 100, 5],
    [1, 3, 100 / 3],
    [0, 10, 0],
    [0, 0, null],
    [4, 0, 100],
  ])('%s errors in %s requests is %s %', (errors, requests, expected) => {
    // Prepare
    // Act
    const rate = errorRatePercent(errors, requests);

    // Assess
    expect(rate).toBe(expected);
  });
});
