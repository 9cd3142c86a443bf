import { describe, expect, it } from 'vitest';
import { mean, median, peak } from '../statistics.js';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is the value itself for one run, and NaN for none', () => {
    expect(median([812.5])).toBe(812.5);
    expect(median([])).toBeNaN();
  });

  it('does not reorder the caller\'s array', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('mean and peak', () => {
  it('average and maximum', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(peak([1, 7, 6])).toBe(7);
    expect(peak([-3, -1])).toBe(-1);
  });

  it('are NaN for no values', () => {
    expect(mean([])).toBeNaN();
    expect(peak([])).toBeNaN();
  });
});
