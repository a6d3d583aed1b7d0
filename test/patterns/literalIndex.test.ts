import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createClassifier, type ErrorPattern } from '../../src/index.js';
import { literalIndex } from '../../src/patterns/literalIndex.js';

const words = [
  'timeout',
  'time',
  'out',
  'quorum',
  'Module',
  'module',
  'fail',
  'failed',
  'ail',
  'Err',
  'err',
];

/** The classifier's answer, computed the naive way: every regex, in priority order. */
function naive(patterns: ErrorPattern[], text: string): string | undefined {
  const sorted = patterns
    .map((pattern, order) => ({ pattern, order }))
    .sort((a, b) => (b.pattern.priority ?? 5) - (a.pattern.priority ?? 5) || a.order - b.order);
  return sorted.find(({ pattern }) => (pattern.match as RegExp).test(text))?.pattern.id;
}

describe('literalIndex', () => {
  it('finds every pattern whose literal occurs, overlapping and nested literals included', () => {
    const scan = literalIndex([['her', 'she'], ['his'], ['hers'], ['ushe'], null]);
    // Literals are matched case-blind: 'her' and 'hers' are candidates in 'USHERS' too, and
    // their (case-sensitive) regexes are what rejects them. Pattern 4 has no literal.
    expect([...scan('USHERS')]).toEqual([0, 2, 3, 4]);
    expect([...scan('ushers')]).toEqual([0, 2, 3, 4]);
    expect([...scan('this')]).toEqual([1, 4]);
    expect([...scan('nothing in it')]).toEqual([4]);
  });

  it('makes a large table classify exactly as the naive first-match loop does', () => {
    const regex = fc.oneof(
      fc.constantFrom(...words).map((w) => new RegExp(w)),
      fc.constantFrom(...words).map((w) => new RegExp(w, 'i')),
      fc
        .tuple(fc.constantFrom(...words), fc.constantFrom(...words))
        .map(([a, b]) => new RegExp(`${a}|${b}`, 'i')),
      fc
        .tuple(fc.constantFrom(...words), fc.constantFrom(...words))
        .map(([a, b]) => new RegExp(`${a} ?${b}`)),
      fc.constant(/\d{3}/),
    );
    const table = fc.array(fc.tuple(regex, fc.integer({ min: 0, max: 3 })), {
      minLength: 17,
      maxLength: 60,
    });
    const text = fc
      .array(
        fc.oneof(fc.constantFrom(...words), fc.constantFrom(' ', '-', '404', 'x', 'TIMEOUT')),
        { maxLength: 8 },
      )
      .map((parts) => parts.join(''));
    let matched = 0;
    fc.assert(
      fc.property(table, fc.array(text, { minLength: 1, maxLength: 5 }), (entries, texts) => {
        const patterns: ErrorPattern[] = entries.map(([match, priority], i) => ({
          id: `p${i}`,
          errorType: 'transient',
          match,
          strategy: 'retry',
          priority,
        }));
        const classifier = createClassifier(patterns);
        for (const t of [...texts, ...texts]) {
          const expected = naive(patterns, t);
          if (expected !== undefined) matched++;
          expect(classifier.classify(t).pattern?.id).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
    expect(matched).toBeGreaterThan(300);
  });

  it('finds a case-sensitive non-ASCII pattern whose text lower-cases by context', () => {
    const patterns: ErrorPattern[] = Array.from({ length: 17 }, (_, i) => ({
      id: `p${i}`,
      errorType: 'transient',
      match: new RegExp(`service ${i} failed`),
      strategy: 'retry',
    }));
    patterns.push({ id: 'sigma', errorType: 'transient', match: /ΟΔΟΣ/, strategy: 'retry' });
    // 'ΟΔΟΣ'.toLowerCase() ends in 'ς'; in 'ΟΔΟΣΑ' the same Σ lower-cases to 'σ'.
    expect(createClassifier(patterns).classify('ΟΔΟΣΑ closed').pattern?.id).toBe('sigma');
  });

  it('searches for each literal once per scan, however often its trigram occurs', () => {
    // Repetitive text (an echoed input) once cost one whole-text search per occurrence of a
    // literal's trigram: 'a' × 8192 against /aaab/ made 8,190 searches, quadratic.
    const entries = [...Array.from({ length: 20 }, (_, n) => [`service-${n} failed`]), ['aaab']];
    const scan = literalIndex(entries);
    const text = 'a'.repeat(8192);
    const includes = vi.spyOn(String.prototype, 'includes');
    try {
      expect([...scan(text)]).toEqual([]);
      expect(includes.mock.calls.length).toBeLessThanOrEqual(entries.length);
      includes.mockClear();
      expect([...scan(`${text}b`)]).toEqual([20]);
      expect(includes.mock.calls.length).toBeLessThanOrEqual(entries.length);
    } finally {
      includes.mockRestore();
    }
  });

  it('answers a repeated text from its last result, and a new text afresh', () => {
    const classifier = createClassifier([
      { id: 'a', errorType: 'timeout', match: /timed out/, strategy: 'retry' },
      { id: 'b', errorType: 'quorum', match: /quorum/, strategy: 'retry' },
    ]);
    expect(classifier.classify('timed out').pattern?.id).toBe('a');
    expect(classifier.classify(new Error('quorum')).pattern?.id).toBe('b');
    expect(classifier.classify('timed out').pattern?.id).toBe('a');
    expect(classifier.classify('nothing').pattern).toBeUndefined();
  });
});
