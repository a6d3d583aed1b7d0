import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorPatternSchema, regexSafetyIssue } from '../../src/files.js';
import { resolvePatterns } from '../../src/patterns/errorPattern.js';

// Two validators of one shape: the core's hand-written checks (what createClassifier and
// parsePatterns run) and the zod schema (what pattern-file JSON Schema is generated from).
// They must agree on what is a valid pattern.
const accepts = (entry: unknown) => {
  try {
    resolvePatterns([entry], 'patterns', { checkRegex: regexSafetyIssue });
    return true;
  } catch {
    return false;
  }
};

/** Mostly a valid value, sometimes an invalid one. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: invalid, weight: 1 });
const absentOr = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 2 });
const entry = fc.record(
  {
    id: mostly(fc.constantFrom('p', 'rate_limit'), fc.constantFrom('', 7)),
    errorType: mostly(fc.constantFrom('timeout', 'transient'), fc.constantFrom('cosmic', 7)),
    match: mostly(
      fc.oneof(
        fc.constantFrom('timed out', '\\d{1,3} of \\d{1,3}'),
        fc.constant(/x/i),
        fc.record({ source: fc.constant('x'), flags: absentOr(fc.constantFrom('i', 'gi')) }),
      ),
      fc.oneof(
        fc.constantFrom('(a+)+$', '('),
        fc.record({ source: fc.constant('x'), flags: fc.constant('q') }),
        fc.integer(),
      ),
    ),
    strategy: mostly(
      fc.oneof(
        fc.constant('retry'),
        fc.array(fc.constantFrom('retry', 'escalate'), { minLength: 1, maxLength: 3 }),
      ),
      fc.oneof(fc.constant('pray'), fc.constant([]), fc.constant(['retry', 'pray'])),
    ),
    maxRetries: absentOr(
      mostly(
        fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(Infinity)),
        fc.constantFrom(-1, 1.5),
      ),
    ),
    priority: absentOr(mostly(fc.integer({ min: -5, max: 20 }), fc.constant('high'))),
    metadata: absentOr(mostly(fc.constant({ owner: 'x' }), fc.constant('nope'))),
    allowUnsafeRegex: absentOr(mostly(fc.boolean(), fc.constant('yes'))),
    maxRetry: fc.option(fc.constant(2), { nil: undefined, freq: 10 }),
  },
  { requiredKeys: ['id', 'errorType', 'match', 'strategy'] },
);

describe('the zod schema and the core checks', () => {
  it('accept and refuse the same patterns', { timeout: 120_000 }, () => {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(entry, (candidate) => {
        const clean = Object.fromEntries(
          Object.entries(candidate).filter(([, value]) => value !== undefined),
        );
        const verdict = accepts(clean);
        expect(ErrorPatternSchema.safeParse(clean).success).toBe(verdict);
        seen[verdict ? 'accepted' : 'refused'] += 1;
      }),
      { numRuns: 600 },
    );
    // Both verdicts came up often enough to mean something.
    expect(seen.accepted).toBeGreaterThan(10);
    expect(seen.refused).toBeGreaterThan(100);
  });
});
