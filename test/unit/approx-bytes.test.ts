// approxBytes: what a value keeps alive, roughly, and never more work than its cap.
import { describe, expect, it } from 'vitest';
import { approxBytes } from '../../src/tracing/approx-bytes.js';

describe('approxBytes', () => {
  it('counts strings at two bytes a character, keys included, plus a little per value', () => {
    const small = approxBytes({ role: 'user', content: 'hello' }, Infinity);
    expect(small).toBeGreaterThanOrEqual(2 * ('role'.length + 'user'.length + 'content'.length + 'hello'.length));
    expect(small).toBeLessThan(200);
    expect(approxBytes('x'.repeat(1000), Infinity)).toBeGreaterThanOrEqual(2000);
  });

  it('stops once past the cap, so a huge value is cheap to weigh', () => {
    const huge = Array.from({ length: 1_000_000 }, () => 'abcdefgh');
    const w = approxBytes(huge, 10_000);
    expect(w).toBeGreaterThan(10_000);
    expect(w).toBeLessThan(10_100);
  });

  it('walks deep nesting without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(approxBytes(deep, Infinity)).toBeGreaterThan(100_000);
  });
});
