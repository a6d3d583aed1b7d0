import { describe, expect, it } from 'vitest';
import { parsePatterns } from '../../src/files.js';
import { createClassifier, isRecoveryConfigError } from '../../src/index.js';

function problems(json: unknown): string {
  try {
    parsePatterns(json);
  } catch (error) {
    if (isRecoveryConfigError(error)) return error.message;
    throw error;
  }
  throw new Error('expected parsePatterns to throw');
}

describe('parsePatterns', () => {
  it('reads { patterns: [...] } and a bare array, with string and { source, flags } matches', () => {
    const file = {
      patterns: [
        {
          id: 'rate_limit',
          errorType: 'transient',
          match: { source: '429|rate limit', flags: 'i' },
          strategy: ['retry', 'escalate'],
          maxRetries: 5,
          priority: 9,
          metadata: { owner: 'platform' },
        },
        { id: 'compile', errorType: 'syntax', match: 'error TS\\d+', strategy: 'correct' },
      ],
    };
    const parsed = parsePatterns(file);
    expect(
      parsed.map((p) => [
        p.id,
        p.match.source,
        p.match.flags,
        p.strategy,
        p.maxRetries,
        p.priority,
      ]),
    ).toEqual([
      ['rate_limit', '429|rate limit', 'i', ['retry', 'escalate'], 5, 9],
      ['compile', 'error TS\\d+', '', ['correct'], 3, 5],
    ]);
    expect(parsed[0]?.metadata).toEqual({ owner: 'platform' });
    expect(parsePatterns(file.patterns)).toEqual(parsed);
    expect(createClassifier(parsed).classify('HTTP 429 Too Many Requests').pattern?.id).toBe(
      'rate_limit',
    );
  });

  it('accepts an empty table', () => {
    expect(parsePatterns({ patterns: [] })).toEqual([]);
  });

  it('names every bad path in one error, one line each', () => {
    expect(
      problems({
        patterns: [
          { id: 'bad-regex', errorType: 'timeout', match: '(unclosed', strategy: 'retry' },
          { id: 'negative', errorType: 'timeout', match: 'x', strategy: 'retry', maxRetries: -1 },
          { id: 'fraction', errorType: 'timeout', match: 'x', strategy: 'retry', maxRetries: 1.5 },
          { id: 'strategy', errorType: 'timeout', match: 'x', strategy: ['retry', 'pray'] },
          { id: 'type', errorType: 'cosmic-ray', match: 'x', strategy: 'retry' },
          { id: 'empty-plan', errorType: 'timeout', match: 'x', strategy: [] },
          { id: 'negative', errorType: 'timeout', match: 'x', strategy: 'retry' },
          { id: 'typo', errorType: 'timeout', match: 'x', strategy: 'retry', maxRetry: 2 },
          {
            errorType: 'timeout',
            match: { source: 'x', flags: 'q' },
            strategy: 'degrade',
            priority: 'high',
          },
          { id: 'match-type', errorType: 'timeout', match: 42, strategy: 'retry' },
          'not a pattern',
        ],
      }),
    ).toMatchInlineSnapshot(`
      "patterns[0].match: invalid regular expression: /(unclosed/: Unterminated group
      patterns[1].maxRetries: must be ≥ 0
      patterns[2].maxRetries: must be a whole number
      patterns[3].strategy[1]: must be one of retry, alternative, degrade, correct, escalate, got "pray"
      patterns[4].errorType: must be one of syntax, import, validation, template, quorum, timeout, transient, unknown, got "cosmic-ray"
      patterns[5].strategy: must not be empty
      patterns[7].maxRetry: unknown option
      patterns[8].id: required
      patterns[8].match: invalid regular expression: Invalid flags supplied to RegExp constructor 'q'
      patterns[8].priority: expected number, got "high"
      patterns[9].match: expected a RegExp, a regex source string or { source, flags }, got number
      patterns[10]: expected object, got "not a pattern"
      patterns[6].id: duplicate id "negative" (first at patterns[1])"
    `);
  });

  it('rejects a file that is not a pattern table', () => {
    expect(problems(null)).toBe('patterns: expected { "patterns": [ … ] } or an array of patterns');
    expect(problems('patterns')).toBe(
      'patterns: expected { "patterns": [ … ] } or an array of patterns',
    );
    expect(problems({ patterns: {} })).toBe('patterns: expected an array of patterns');
    expect(problems({ patterns: [], version: 2 })).toBe('version: unknown option');
  });

  it('never leaks a raw zod dump or a stack into the message', () => {
    const message = problems({ patterns: [{}] });
    expect(message).not.toMatch(/ZodError|"code":|at .*\.js:\d+/);
    expect(message.split('\n')).toEqual([
      'patterns[0].id: required',
      'patterns[0].errorType: required',
      'patterns[0].match: required',
      'patterns[0].strategy: required',
    ]);
  });
});
