import { describe, expect, it } from 'vitest';
import { median, p95, percentile, round } from '../../bench/stats';

/** The benchmarks' statistics: the median, and percentiles by nearest rank (always a measured value). */

const oneTo = (count: number) => Array.from({ length: count }, (_, index) => index + 1);

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses no values, and values that are not numbers', () => {
    expect(() => median([])).toThrow('no values to summarise');
    expect(() => median([1, Number.NaN])).toThrow('not a finite number');
  });
});

describe('p95 (nearest rank)', () => {
  it('is the 190th of 200 values and the 19th of 20', () => {
    expect(p95(oneTo(200).reverse())).toBe(190);
    expect(p95(oneTo(20))).toBe(19);
  });

  it('is the largest value when there are fewer than 20', () => {
    expect(p95([3, 7, 5])).toBe(7);
  });

  it('is a measured value, never one between two', () => {
    expect(percentile([10, 20], 60)).toBe(20);
    expect(percentile([10, 20], 50)).toBe(10);
  });

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => percentile([1], 0)).toThrow('a percentile is in (0, 100]');
    expect(() => percentile([1], 101)).toThrow('a percentile is in (0, 100]');
  });
});

describe('round', () => {
  it('keeps the given number of decimals', () => {
    expect(round(401.449, 1)).toBe(401.4);
    expect(round(0.001275, 4)).toBe(0.0013);
    expect(round(22.5, 0)).toBe(23);
  });
});
