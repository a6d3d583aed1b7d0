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

const field = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 3 });
const entry = fc.record(
  {
    id: fc.oneof(fc.constantFrom('p', 'rate_limit', ''), fc.integer()),
    errorType: fc.constantFrom('timeout', 'transient', 'cosmic', 7),
    match: fc.oneof(
      fc.constantFrom('timed out', '(a+)+$', '(', '\\d{1,3}'),
      fc.constant(/x/i),
      fc.record({
        source: fc.constantFrom('x', '('),
        flags: field(fc.constantFrom('i', 'gi', 'q')),
      }),
      fc.integer(),
    ),
    strategy: fc.oneof(
      fc.constantFrom('retry', 'pray'),
      fc.array(fc.constantFrom('retry', 'escalate', 'pray'), { maxLength: 3 }),
    ),
    maxRetries: field(
      fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1.5), fc.constant(Infinity)),
    ),
    priority: field(fc.oneof(fc.integer(), fc.constant('high'))),
    metadata: field(fc.oneof(fc.constant({ owner: 'x' }), fc.constant('nope'))),
    allowUnsafeRegex: field(fc.oneof(fc.boolean(), fc.constant('yes'))),
    maxRetry: field(fc.constant(2)),
  },
  { requiredKeys: [] },
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
