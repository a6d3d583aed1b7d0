import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, type Jitter } from '../../src/index.js';

const defaults = { baseDelayMs: 1000, maxDelayMs: 8000 };
const sequence = (jitter: Jitter, random: () => number, count = 6) => {
  const delays: number[] = [];
  let previous = defaults.baseDelayMs;
  for (let attempt = 1; attempt <= count; attempt++) {
    previous = backoffDelay(attempt, { ...defaults, jitter }, random, previous);
    delays.push(previous);
  }
  return delays;
};

describe('backoffDelay', () => {
  it('doubles from the base delay and caps at the maximum (no jitter)', () => {
    expect(sequence('none', Math.random)).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffDelay(1, { baseDelayMs: 0, maxDelayMs: 8000, jitter: 'none' })).toBe(0);
    expect(backoffDelay(40, { baseDelayMs: 1000, maxDelayMs: 8000, jitter: 'none' })).toBe(8000);
  });

  it('stays exact past the 64th attempt (maxRetries: Infinity)', () => {
    const none = { maxDelayMs: 8000, jitter: 'none' } as const;
    expect(backoffDelay(65, { ...none, baseDelayMs: 1000 })).toBe(8000);
    expect(backoffDelay(5000, { ...none, baseDelayMs: 1000 })).toBe(8000);
    // 0 × 2 ** 1199 would be NaN: a zero base stays zero however long it retries.
    expect(backoffDelay(1200, { ...none, baseDelayMs: 0 })).toBe(0);
    // A base too small to reach the maximum by the 64th attempt still doubles exactly.
    expect(backoffDelay(70, { ...none, baseDelayMs: 2 ** -80, maxDelayMs: 1 })).toBe(2 ** -11);
  });

  it('computes each jitter kind from the given random', () => {
    expect(sequence('full', () => 0.5, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(sequence('equal', () => 0.5, 4)).toEqual([750, 1500, 3000, 6000]);
    // base + random·(3·previous − base): 1000 + 0.5·2000 = 2000, then 1000 + 0.5·5000 = 3500…
    expect(sequence('decorrelated', () => 0.5, 4)).toEqual([2000, 3500, 5750, 8000]);
    expect(sequence('full', () => 0, 2)).toEqual([0, 0]);
  });

  it('keeps every jitter kind within its documented bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 100_000 }),
        (attempt, baseDelayMs, maxDelayMs, r, previous) => {
          const random = () => r;
          const d = Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs);
          const options = { baseDelayMs, maxDelayMs };
          expect(backoffDelay(attempt, { ...options, jitter: 'none' }, random)).toBe(d);
          const full = backoffDelay(attempt, { ...options, jitter: 'full' }, random);
          expect(full).toBeGreaterThanOrEqual(0);
          expect(full).toBeLessThanOrEqual(d);
          const equal = backoffDelay(attempt, { ...options, jitter: 'equal' }, random);
          expect(equal).toBeGreaterThanOrEqual(d / 2);
          expect(equal).toBeLessThanOrEqual(d);
          const decorrelated = backoffDelay(
            attempt,
            { ...options, jitter: 'decorrelated' },
            random,
            previous,
          );
          expect(decorrelated).toBeLessThanOrEqual(maxDelayMs);
          expect(decorrelated).toBeGreaterThanOrEqual(Math.min(baseDelayMs, maxDelayMs));
        },
      ),
    );
  });

  it('is pure: the same inputs give the same delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom<Jitter>('none', 'full', 'equal', 'decorrelated'),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, jitter, r) => {
          const options = { ...defaults, jitter };
          expect(backoffDelay(attempt, options, () => r, 1500)).toBe(
            backoffDelay(attempt, options, () => r, 1500),
          );
        },
      ),
    );
  });
});
