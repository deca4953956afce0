import { percentile } from '../src';

describe('percentile (nearest rank)', () => {
  test('of ascending numbers', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([], 50)).toBeNull();
  });
});
