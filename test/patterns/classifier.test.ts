import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClassifier,
  type ErrorPattern,
  isRecoveryConfigError,
  RecoveryConfigError,
} from '../../src/index.js';

const table: ErrorPattern[] = [
  { id: 'low', errorType: 'transient', match: /fail/, strategy: 'retry', priority: 1 },
  { id: 'first-tie', errorType: 'validation', match: /fail/, strategy: 'degrade' },
  { id: 'second-tie', errorType: 'template', match: /fail/, strategy: 'alternative' },
  {
    id: 'high',
    errorType: 'timeout',
    match: /timeout fail/,
    strategy: ['retry', 'escalate'],
    priority: 9,
  },
];

describe('createClassifier', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('orders by priority, keeps table order on ties, and the first match wins', () => {
    const classifier = createClassifier(table);
    expect(classifier.patterns.map((p) => p.id)).toEqual([
      'high',
      'first-tie',
      'second-tie',
      'low',
    ]);
    expect(classifier.classify(new Error('timeout fail')).pattern?.id).toBe('high');
    expect(classifier.classify(new Error('it will fail')).pattern?.id).toBe('first-tie');
  });

  it('returns the plan as an array and the pattern with defaults applied', () => {
    const { pattern, errorType, plan } = createClassifier(table).classify('timeout fail');
    expect(errorType).toBe('timeout');
    expect(plan).toEqual(['retry', 'escalate']);
    expect(pattern).toMatchObject({ id: 'high', maxRetries: 3, priority: 9 });
    expect(createClassifier(table).classify('fail').pattern).toMatchObject({
      maxRetries: 3,
      priority: 5,
    });
  });

  it('gives unknown and an empty plan (rethrow) when nothing matches', () => {
    expect(createClassifier(table).classify('all good')).toEqual({
      errorType: 'unknown',
      plan: [],
    });
  });

  it('gives the unmatched plan from the options', () => {
    const classifier = createClassifier(table, { unmatched: ['retry', 'escalate'] });
    expect(classifier.classify('all good')).toEqual({
      errorType: 'unknown',
      plan: ['retry', 'escalate'],
    });
  });

  it('returns the same frozen classification for every error a pattern matches', () => {
    const classifier = createClassifier(table);
    const a = classifier.classify('fail once');
    expect(classifier.classify('fail twice')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.plan)).toBe(true);
  });

  it('treats a string match as a regex source without flags, and { source, flags } with them', () => {
    const classifier = createClassifier([
      { id: 'exact', errorType: 'quorum', match: 'Vote \\d+ failed', strategy: 'retry' },
      {
        id: 'flags',
        errorType: 'quorum',
        match: { source: 'ballot', flags: 'i' },
        strategy: 'retry',
      },
    ]);
    expect(classifier.classify('Vote 3 failed').pattern?.id).toBe('exact');
    expect(classifier.classify('vote 3 failed').pattern).toBeUndefined();
    expect(classifier.classify('BALLOT lost').pattern?.id).toBe('flags');
  });

  it('ignores the g and y flags, so classification has no memory', () => {
    const classifier = createClassifier([
      { id: 'global', errorType: 'transient', match: /flaky/gy, strategy: 'retry' },
    ]);
    expect(classifier.classify('flaky').pattern?.id).toBe('global');
    expect(classifier.classify('flaky').pattern?.id).toBe('global');
  });

  it('explains every match in priority order with the matched text', () => {
    const matches = createClassifier(table).explain(new Error('a timeout fail'));
    expect(matches.map((m) => [m.pattern.id, m.matched, m.index])).toEqual([
      ['high', 'timeout fail', 9],
      ['first-tie', 'fail', 17],
      ['second-tie', 'fail', 17],
      ['low', 'fail', 17],
    ]);
    expect(createClassifier(table).explain('nothing')).toEqual([]);
  });

  it('compiles once: classifying runs no RegExp constructor', () => {
    const classifier = createClassifier(table);
    const spy = vi.spyOn(globalThis, 'RegExp');
    classifier.classify('timeout fail');
    classifier.classify('nothing at all');
    classifier.explain('fail');
    expect(spy).not.toHaveBeenCalled();
  });

  it('skips the regex of a pattern whose required literal is absent (1,000 patterns)', () => {
    const patterns: ErrorPattern[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `p${i}`,
      errorType: 'transient',
      match: new RegExp(`service-${i} (?:failed|crashed)`, 'i'),
      strategy: 'retry',
    }));
    const classifier = createClassifier(patterns);
    const spies = classifier.patterns.map(
      (pattern) => [pattern.id, vi.spyOn(pattern.match, 'test')] as const,
    );
    const ran = () => spies.filter(([, spy]) => spy.mock.calls.length > 0).map(([id]) => id);
    expect(classifier.classify('Service-999 crashed with code 7').pattern?.id).toBe('p999');
    // Scanning ran the regex of the one pattern whose literal ("service-999 ") is present.
    expect(ran()).toEqual(['p999']);
    expect(classifier.classify('nothing to see').pattern).toBeUndefined();
    expect(ran()).toEqual(['p999']);
  });

  it('validates the table and the options, naming every bad path', () => {
    let caught: unknown;
    try {
      createClassifier(
        [{ id: 'x', errorType: 'timeout', match: /x/, strategy: 'retry', maxRetries: -1 }],
        // @ts-expect-error: unknown strategy
        { unmatched: ['panic'] },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RecoveryConfigError);
    expect(isRecoveryConfigError(caught)).toBe(true);
    expect((caught as RecoveryConfigError).issues).toEqual(['patterns[0].maxRetries: must be ≥ 0']);
    expect(() =>
      createClassifier([], { unmatched: ['panic' as 'retry'] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[RecoveryConfigError: options.unmatched[0]: must be one of retry, alternative, degrade, correct, escalate, got "panic"]`,
    );
  });
});
