import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePatternFile, parsePatterns, regexSafetyIssue } from '../../src/files.js';
import {
  createClassifier,
  defaultPatterns,
  type ErrorPattern,
  ErrorRecoveryOrchestrator,
  escalateOn,
  isRecoveryConfigError,
  withRecovery,
} from '../../src/index.js';

/** The lines of the RecoveryConfigError `build` throws. */
function problems(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (isRecoveryConfigError(error)) return error.issues;
    throw error;
  }
  throw new Error('expected a RecoveryConfigError');
}

const pattern = (
  match: ErrorPattern['match'],
  extra: Partial<ErrorPattern> = {},
): ErrorPattern => ({
  id: 'p',
  errorType: 'transient',
  match,
  strategy: 'retry',
  ...extra,
});

/** The problem line the checker gives for `source`. */
const issue = (source: string, flags = '') => regexSafetyIssue(new RegExp(source, flags));

describe('regex safety where pattern tables arrive as data (parsePatterns, parsePatternFile)', () => {
  it.each([['(a+)+$'], ['^(a+)+$'], ['(x+x+)+y'], ['(\\w+\\s?)*$'], ['(a|a)*$'], ['a*a*b']])(
    'refuses %s as a string and as { source, flags }',
    (source) => {
      expect(issue(source)).toMatch(/^regex can backtrack catastrophically/);
      expect(problems(() => parsePatterns({ patterns: [pattern(source)] }))).toEqual([
        `patterns[0].match: ${issue(source)}`,
      ]);
      expect(problems(() => parsePatterns([pattern({ source, flags: 'i' })]))).toEqual([
        `patterns[0].match: ${issue(source, 'i')}`,
      ]);
    },
  );

  it('refuses a cubic regex whose only limit is its repeat counts', () => {
    // In Node, `.{0,100}.{0,100}.{0,100}x` spends ~17 s on 8,192 characters without an `x`
    // (the classifier's text cap); widened it is `.*.*.*x`, which the check refuses (degree 4).
    const match = '.{0,100}.{0,100}.{0,100}x';
    expect(problems(() => parsePatterns({ patterns: [pattern('.*.*.*x')] }))).toEqual([
      `patterns[0].match: ${issue('.*.*.*x')}`,
    ]);
    expect(issue(match)).toMatch(
      /^regex can backtrack catastrophically \(polynomial, degree 4, bounded only by its repeat counts; /,
    );
    expect(
      problems(() =>
        parsePatterns({
          patterns: [{ id: 'p', errorType: 'syntax', match, strategy: 'retry' }],
        }),
      ),
    ).toEqual([`patterns[0].match: ${issue(match)}`]);
  });

  it('refuses it in YAML and JSON pattern files too', () => {
    const yaml =
      'patterns:\n  - { id: p, errorType: transient, match: "(a+)+$", strategy: retry }\n';
    expect(problems(() => parsePatternFile(yaml, 'yaml'))).toEqual([
      `patterns[0].match: ${issue('(a+)+$')}`,
    ]);
  });

  it('names the unsafe match beside every other bad path, in one error', () => {
    expect(
      problems(() =>
        parsePatterns({
          patterns: [
            pattern('(a+)+$', { id: 'first', maxRetries: -1 }),
            pattern('fine', { id: 'second' }),
            { ...pattern('(', { id: 'third' }), errorType: 'cosmic' as never },
            pattern(
              { source: '(x+x+)+y', flags: 'i' },
              { id: 'fourth', strategy: 'pray' as never },
            ),
            pattern('(a+)+$', { id: 'first' }),
          ],
        }),
      ),
    ).toEqual([
      'patterns[0].maxRetries: must be ≥ 0',
      `patterns[0].match: ${issue('(a+)+$')}`,
      'patterns[2].errorType: must be one of syntax, import, validation, template, quorum, timeout, transient, unknown, got "cosmic"',
      'patterns[2].match: invalid regular expression: /(/: Unterminated group',
      'patterns[3].strategy: must be one of retry, alternative, degrade, correct, escalate, got "pray"',
      `patterns[3].match: ${issue('(x+x+)+y', 'i')}`,
      `patterns[4].match: ${issue('(a+)+$')}`,
      'patterns[4].id: duplicate id "first" (first at patterns[0])',
    ]);
  });

  it('accepts an unsafe regex with allowUnsafeRegex: true on its pattern, and only there', () => {
    expect(
      parsePatterns({ patterns: [{ ...pattern('(a+)+$'), allowUnsafeRegex: true }] }).map((p) => [
        p.id,
        p.allowUnsafeRegex,
      ]),
    ).toEqual([['p', true]]);
    expect(problems(() => parsePatterns([pattern('(b+)+$', { allowUnsafeRegex: false })]))).toEqual(
      [`patterns[0].match: ${issue('(b+)+$')}`],
    );
  });

  it('takes only a boolean for allowUnsafeRegex, and keeps the key only when given', () => {
    expect(
      problems(() => parsePatterns([{ ...pattern('(a+)+$'), allowUnsafeRegex: 'yes' as never }])),
    ).toEqual([
      'patterns[0].allowUnsafeRegex: expected boolean, got "yes"',
      `patterns[0].match: ${issue('(a+)+$')}`,
    ]);
    expect(parsePatterns([pattern('x')])[0]).not.toHaveProperty('allowUnsafeRegex');
  });

  it.each([
    ['\\d{1,3}(\\.\\d{1,3}){3}', 'IPv4'],
    ['[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'UUID'],
    ['(?<=status )5\\d\\d', 'lookbehind'],
    ['(?<code>E[A-Z]+)\\b', 'named group'],
    ['\\d+ of \\d+ reviewers', 'several unnested quantifiers'],
  ])('accepts %s (%s), which is linear', (source) => {
    expect(issue(source)).toBeUndefined();
    expect(parsePatterns([pattern(source)])).toHaveLength(1);
  });

  it('accepts every default pattern and examples/patterns.json', () => {
    for (const { match } of defaultPatterns)
      expect(regexSafetyIssue(match as RegExp)).toBeUndefined();
    const file = JSON.parse(
      readFileSync(new URL('../../examples/patterns.json', import.meta.url), 'utf8'),
    );
    expect(parsePatterns(file).map((p) => p.id)).toEqual([
      'api_rate_limited',
      'context_length_exceeded',
      'invalid_tool_call_json',
      'compile_error',
    ]);
  });
});

describe('patterns written in code are code: compiled as given (the trust boundary)', () => {
  it('createClassifier, withRecovery, the orchestrator and escalateOn run no backtracking check', () => {
    const unsafe = pattern('(a+)+$', { id: 'custom' });
    expect(createClassifier([unsafe]).patterns[0]?.match.source).toBe('(a+)+$');
    expect(() => withRecovery([unsafe])).not.toThrow();
    expect(() => new ErrorRecoveryOrchestrator().addErrorPattern(unsafe)).not.toThrow();
    expect(() => escalateOn({ match: /(a+)+$/ })).not.toThrow();
  });

  it('still refuses a regex that does not compile, naming its path', () => {
    expect(problems(() => createClassifier([pattern('(')]))).toEqual([
      'patterns[0].match: invalid regular expression: /(/: Unterminated group',
    ]);
  });
});
