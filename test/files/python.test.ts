import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { checkSync } from 'recheck';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  fromPythonPatterns,
  isPythonDialect,
  toPythonFieldNames,
  translatePythonRegex,
} from '../../src/files/python.js';

/** The JavaScript regex a Python regex translates to; fails the test on a refusal. */
function compiled(python: string): RegExp {
  const translation = translatePythonRegex(python);
  if ('error' in translation) throw new Error(`refused ${python}: ${translation.error}`);
  return new RegExp(translation.source, translation.flags);
}

/** The refusal of a Python regex; fails the test when it translates. */
function refusalOf(python: string): string {
  const translation = translatePythonRegex(python);
  if ('error' in translation) return translation.error;
  throw new Error(`expected a refusal, got /${translation.source}/${translation.flags}`);
}

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('translatePythonRegex', () => {
  // biome-ignore format: aligned table
  it.each([
    // python                              source                                flags
    ['timed out',                          'timed out',                          ''],
    ['(?i)timed out',                      'timed out',                          'i'],
    ['(?s)a.b',                            'a.b',                                's'],
    ['(?is)a.b',                           'a.b',                                'is'],
    ['(?si)a',                             'a',                                  'is'],
    ['(?i)(?s)a',                          'a',                                  'is'],
    ['(?#why)(?i)a',                       'a',                                  'i'],
    ['(?a)\\w+',                           '\\w+',                               ''],
    ['(?u)\\d',                            '\\d',                                ''],
    ['a.b',                                'a[^\\n]b',                           ''],
    ['(?m)^error$',                        '(?<![^\\n])error(?![^\\n])',         ''],
    ['error$',                             'error(?=\\n?$)',                     ''],
    ['\\Aerror\\Z',                        '^error$',                            ''],
    ['(?m)\\Aerror\\Z',                    '^error$',                            ''],
    ['error\\z',                           'error$',                             ''],
    ['(?P<mod>\\w+) (?P=mod)',             '(?<mod>\\w+) \\k<mod>',              ''],
    ['(a)\\1',                             '(a)\\1',                             ''],
    ['(a)\\1(?#then a digit)0',            '(a)\\1[0]',                          ''],
    ['a(?#comment)*',                      'a*',                                 ''],
    ['(?s:a.b)c.d',                        '(?:a[\\s\\S]b)c[^\\n]d',             ''],
    ['(?s)(?-s:a.)b.',                     '(?:a[^\\n])b.',                      's'],
    ['(?m:^a)^b',                          '(?:(?<![^\\n])a)^b',                 ''],
    ['(?i)(?i:a)',                         '(?:a)',                              'i'],
    ['(?-i:a)',                            '(?:a)',                              ''],
    ['a{,3}b{2,}c{2}d{1,2}?e{,}',          'a{0,3}b{2,}c{2}d{1,2}?e{0,}',        ''],
    ['a{}b{x}c{1',                         'a\\{\\}b\\{x\\}c\\{1',               ''],
    ['a*?b+?c??',                          'a*?b+?c??',                          ''],
    ['\\\\A',                              '\\\\A',                              ''],
    ['[\\\\A]',                            '[\\\\A]',                            ''],
    ['[]a]',                               '[\\]a]',                             ''],
    ['[^]a]',                              '[^\\]a]',                            ''],
    ['[a-]',                               '[a\\-]',                             ''],
    ['[-a]',                               '[\\-a]',                             ''],
    ['[.^$[]',                             '[.\\^$\\[]',                         ''],
    ['[\\b]',                              '[\\x08]',                            ''],
    ['[\\d\\s-]',                          '[\\d\\s\\-]',                        ''],
    ['[\\x41-\\u005A]',                    '[A-Z]',                              ''],
    ['\\a\\x41\\101\\0\\012',              '\\x07AA\\x00\\n',                    ''],
    ['\\u00e9\\U0001F600+',                'é(?:😀)+',                           ''],
    ['😀+',                                '(?:😀)+',                            ''],
    ['\\- \\/ \\# \\\'',                   '- / # \'',                           ''],
    ['a\nb\tc',                            'a\\nb\\tc',                          ''],
    ['(?=a)(?!b)(?<=c)(?<!d)',             '(?=a)(?!b)(?<=c)(?<!d)',             ''],
    ['\\bword\\B',                         '\\bword\\B',                         ''],
    ['a|b|',                               'a|b|',                               ''],
    ['',                                   '',                                   ''],
  ])('%j → /%s/%s', (python, source, flags) => {
    expect(translatePythonRegex(python)).toEqual({ source, flags });
  });

  // biome-ignore format: aligned table
  it.each([
    ['(?>abc)',        'atomic group (?>…) at position 0: JavaScript has no atomic groups'],
    ['a*+',            'possessive quantifier *+ at position 1: JavaScript has no possessive quantifiers (nor atomic groups)'],
    ['a++',            'possessive quantifier ++ at position 1: JavaScript has no possessive quantifiers (nor atomic groups)'],
    ['a?+',            'possessive quantifier ?+ at position 1: JavaScript has no possessive quantifiers (nor atomic groups)'],
    ['a{1,3}+',        'possessive quantifier {1,3}+ at position 1: JavaScript has no possessive quantifiers (nor atomic groups)'],
    ['(?x)a b',        'verbose flag (?x) at position 0: JavaScript has no verbose mode; remove the whitespace and # comments, then the flag'],
    ['(?ix)a',         'verbose flag (?x) at position 0: JavaScript has no verbose mode; remove the whitespace and # comments, then the flag'],
    ['(?x:a b)',       'verbose flag (?x:…) at position 0: JavaScript has no verbose mode; remove the whitespace and # comments, then the flag'],
    ['(a)(?(1)b|c)',   'conditional group (?(…)…|…) at position 3: JavaScript has no conditionals'],
    ['[\\Z]',          'bad escape \\Z at position 1: \\Z is an anchor, which a character class cannot hold'],
    ['[a\\A]',         'bad escape \\A at position 2: \\A is an anchor, which a character class cannot hold'],
    ['[\\B]',          'bad escape \\B at position 1: \\B is an anchor, which a character class cannot hold'],
    ['a(?i)b',         'global flags (?i) not at the start of the expression at position 1: move them to the very start (Python 3.11 refuses them too)'],
    ['(?i:a)b',        'scoped flag (?i:…) at position 0: JavaScript cannot make part of a pattern case-insensitive; put (?i) at the start for the whole pattern, or spell the cases out ([Tt]imeout)'],
    ['(?i)a(?-i:b)',   'scoped flag (?-i:…) at position 5: JavaScript cannot make part of a pattern case-sensitive; put (?i) at the start for the whole pattern, or spell the cases out ([Tt]imeout)'],
    ['\\N{EM DASH}',   'named character escape \\N{…} at position 0: JavaScript has no table of character names; write the character itself or \\uXXXX'],
    ['[😀]',           'character U+1F600 in a character class at position 1: a JavaScript class without the u flag cannot hold a character above U+FFFF; use an alternation'],
    ['(?<=a)*',        'JavaScript cannot compile the translation: /(?<=a)*/: Invalid quantifier'],
    // What Python refuses is refused too, rather than meaning something else in JavaScript.
    ['(?<name>a)',     'unknown extension ?<n at position 1: Python writes a named group (?P<name>…)'],
    ['\\k<a>',         'bad escape \\k at position 0'],
    ['\\p{L}',         'bad escape \\p at position 0'],
    ['\\5',            'invalid group reference 5 at position 1'],
    ['(a)\\12',        'invalid group reference 12 at position 4'],
    ['(a\\1)',         'cannot refer to an open group at position 2'],
    ['(?P=x)',         "unknown group name 'x' at position 4"],
    ['(?P<a>x)(?P<a>y)', "redefinition of group name 'a' as group 2; was group 1 at position 12"],
    ['(?P<1a>x)',      "bad character in group name '1a' at position 4"],
    ['*a',             'nothing to repeat at position 0'],
    ['^*',             'nothing to repeat at position 1'],
    ['\\b+',           'nothing to repeat at position 2'],
    ['a**',            'multiple repeat at position 2'],
    ['a{3,2}',         'min repeat greater than max repeat at position 1'],
    ['(a',             'missing ), unterminated subpattern at position 0'],
    ['a)',             'unbalanced parenthesis at position 1'],
    ['[a',             'unterminated character set at position 0'],
    ['[z-a]',          'bad character range z-a at position 1'],
    ['[\\w-z]',        'bad character range \\w-z at position 1'],
    ['\\x4',           'incomplete escape \\x4 at position 0'],
    ['\\777',          'octal escape value \\777 outside of range 0-0o377 at position 0'],
    ['a\\',            'bad escape (end of pattern) at position 1'],
    ['(?L)a',          "bad inline flags: cannot use 'L' flag with a str pattern at position 0"],
    ['(?i-s)a',        'missing : at position 5'],
    ['(?q)',           'unknown extension ?q at position 1'],
    ['(?#open',        'missing ), unterminated comment at position 0'],
  ])('refuses %j', (python, error) => {
    expect(refusalOf(python)).toBe(error);
  });

  it('\\Z matches at the very end only, $ also before a final newline (as in Python)', () => {
    const endOfText = compiled('timeout\\Z');
    expect(endOfText.test('request timeout')).toBe(true);
    expect(endOfText.test('timeout\nmore')).toBe(false);
    expect(endOfText.test('request timeout\n')).toBe(false);
    const dollar = compiled('timeout$');
    expect(dollar.test('request timeout')).toBe(true);
    expect(dollar.test('request timeout\n')).toBe(true);
    expect(dollar.test('timeout\nmore')).toBe(false);
  });

  it('(?m) makes ^ and $ line anchors at \\n only, and keeps \\A and \\Z at the ends of the text', () => {
    const lines = compiled('(?m)^b$');
    expect(lines.test('a\nb\nc')).toBe(true);
    expect(lines.test('a\rb')).toBe(false);
    const start = compiled('(?m)\\Afoo');
    expect(start.test('foo\nbar')).toBe(true);
    expect(start.test('bar\nfoo')).toBe(false);
    const end = compiled('(?m)foo\\Z');
    expect(end.test('bar\nfoo')).toBe(true);
    expect(end.test('foo\nbar')).toBe(false);
  });

  it('. excludes \\n only, unless (?s)', () => {
    expect(compiled('a.b').test('a\rb')).toBe(true);
    expect(compiled('a.b').test('a\u2028b')).toBe(true);
    expect(compiled('a.b').test('a\nb')).toBe(false);
    expect(compiled('(?s)a.b').test('a\nb')).toBe(true);
    expect(compiled('(?s:a.b)').test('a\nb')).toBe(true);
  });

  it('keeps named groups, back-references and case-insensitivity working', () => {
    const quoted = compiled('(?P<q>[\'"]).*?(?P=q)');
    expect(quoted.exec(`say "hi" now`)?.[0]).toBe('"hi"');
    expect(quoted.exec(`say "hi' now`)).toBeNull();
    expect(compiled('(?i)timed out').test('Request TIMED OUT')).toBe(true);
    expect(compiled('timed out').test('Request TIMED OUT')).toBe(false);
    expect(compiled('(a)\\1(?#)0').test('aa0')).toBe(true);
  });

  it('reads escapes as Python does: \\\\A is a backslash and an A, [\\\\A] a class of both', () => {
    expect(compiled('\\\\A').test('C:\\A')).toBe(true);
    expect(compiled('\\\\A').test('A')).toBe(false);
    expect(compiled('^[\\\\A]+$').test('\\A\\')).toBe(true);
    expect(compiled('\\U0001F600{2}').test('😀😀')).toBe(true);
    expect(compiled('^\\U0001F600{2}$').test('😀\ude00')).toBe(false);
  });

  it('matches any text exactly when the text is written as an escaped Python literal', () => {
    // Python's re accepts a backslash before any character but an ASCII letter or digit.
    const pythonLiteral = (text: string) =>
      [...text].map((ch) => (/[A-Za-z0-9]/.test(ch) ? ch : `\\${ch}`)).join('');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (text) => {
        const translation = translatePythonRegex(pythonLiteral(text));
        if ('error' in translation) throw new Error(translation.error);
        expect(new RegExp(`^(?:${translation.source})$`, translation.flags).test(text)).toBe(true);
      }),
    );
  });
});

describe('isPythonDialect', () => {
  const python = { pattern_id: 'slow', error_type: 'TIMEOUT', regex_pattern: 'timed out' };
  const js = { id: 'slow', errorType: 'timeout', match: 'timed out', strategy: 'retry' };

  it('detects snake_case keys in { patterns } and in a bare array', () => {
    expect(isPythonDialect({ patterns: [python] })).toBe(true);
    expect(isPythonDialect([python])).toBe(true);
    expect(isPythonDialect([{ priority: 9, allow_unsafe_regex: true }])).toBe(true);
  });

  it('goes by the majority of keys: a typo does not turn a file into the other dialect', () => {
    expect(isPythonDialect({ patterns: [js] })).toBe(false);
    expect(isPythonDialect([{ ...js, max_retries: 2 }])).toBe(false);
    expect(isPythonDialect([{ ...python, id: 'stray' }])).toBe(true);
  });

  it('is false for anything that is not a table of entries', () => {
    for (const file of [null, undefined, 'patterns', 42, {}, { patterns: 5 }, [], [1, 'x', null]]) {
      expect(isPythonDialect(file)).toBe(false);
    }
    expect(isPythonDialect([{ priority: 9, metadata: {} }])).toBe(false);
  });
});

describe('fromPythonPatterns', () => {
  it('maps every field to the JavaScript form, in the ErrorPattern field order', () => {
    const { patterns, issues } = fromPythonPatterns(
      [
        {
          metadata: { degradation_component: 'validator', fallback_level: 'minimal' },
          allow_unsafe_regex: false,
          priority: 9,
          max_retries: 2,
          recovery_strategy: ['GRACEFUL_DEGRADATION', 'ESCALATION'],
          regex_pattern: '(?i)missing (?P<field>\\w+)\\Z',
          error_type: 'ErrorType.VALIDATION_ERROR',
          pattern_id: 'custom_validation_error',
        },
        {
          pattern_id: 'slow',
          error_type: 'TIMEOUT',
          regex_pattern: 'timed out',
          recovery_strategy: 'RETRY',
        },
      ],
      'patterns',
    );
    expect(issues).toEqual([]);
    expect(patterns).toEqual([
      {
        id: 'custom_validation_error',
        errorType: 'validation',
        match: { source: 'missing (?<field>\\w+)$', flags: 'i' },
        strategy: ['degrade', 'escalate'],
        maxRetries: 2,
        priority: 9,
        metadata: { degradation_component: 'validator', fallback_level: 'minimal' },
        allowUnsafeRegex: false,
      },
      {
        id: 'slow',
        errorType: 'timeout',
        match: { source: 'timed out', flags: '' },
        strategy: 'retry',
      },
    ]);
    expect(Object.keys(patterns[0] as object)).toEqual([
      'id',
      'errorType',
      'match',
      'strategy',
      'maxRetries',
      'priority',
      'metadata',
      'allowUnsafeRegex',
    ]);
  });

  // biome-ignore format: aligned table
  it.each([
    ['syntax',     ['SYNTAX', 'SYNTAX_ERROR', 'syntax_error', 'ErrorType.SYNTAX_ERROR', 'syntax']],
    ['import',     ['IMPORT', 'IMPORT_ERROR', 'ErrorType.IMPORT_ERROR', 'Import']],
    ['validation', ['VALIDATION', 'VALIDATION_ERROR', 'ErrorType.VALIDATION_ERROR', 'validation']],
    ['template',   ['TEMPLATE', 'TEMPLATE_ERROR', 'errortype.template_error']],
    ['quorum',     ['QUORUM', 'QUORUM_FAILURE', 'QUORUM_ERROR', 'ErrorType.QUORUM_FAILURE', 'quorum_failure']],
    ['timeout',    ['TIMEOUT', 'TIMEOUT_ERROR', 'ErrorType.TIMEOUT', 'timeout']],
    ['transient',  ['TRANSIENT', 'TRANSIENT_ERROR', 'transient']],
    ['unknown',    ['UNKNOWN', 'UNKNOWN_ERROR', 'ErrorType.UNKNOWN_ERROR']],
  ])('reads the error type %s from %j', (errorType, spellings) => {
    for (const spelling of spellings) {
      const { patterns, issues } = fromPythonPatterns([{ error_type: spelling }], 'patterns');
      expect(issues).toEqual([]);
      expect(patterns).toEqual([{ errorType }]);
    }
  });

  // biome-ignore format: aligned table
  it.each([
    ['retry',       ['RETRY', 'retry', 'RecoveryStrategy.RETRY', 'Retry']],
    ['alternative', ['ALTERNATIVE_PATH', 'alternative_path', 'RecoveryStrategy.ALTERNATIVE_PATH', 'alternative']],
    ['degrade',     ['GRACEFUL_DEGRADATION', 'graceful_degradation', 'RecoveryStrategy.GRACEFUL_DEGRADATION', 'degrade']],
    ['correct',     ['ERROR_CORRECTION', 'error_correction', 'RecoveryStrategy.ERROR_CORRECTION', 'correct']],
    ['escalate',    ['ESCALATION', 'escalation', 'RecoveryStrategy.ESCALATION', 'escalate']],
  ])('reads the strategy %s from %j, alone and in a list', (strategy, spellings) => {
    const { patterns, issues } = fromPythonPatterns(
      [{ recovery_strategy: spellings[0] }, { recovery_strategy: spellings }],
      'patterns',
    );
    expect(issues).toEqual([]);
    expect(patterns).toEqual([{ strategy }, { strategy: spellings.map(() => strategy) }]);
  });

  it('names every problem at once, one line each, with the Python keys in the paths', () => {
    const { patterns, issues } = fromPythonPatterns(
      [
        {
          pattern_id: 'ok',
          error_type: 'TIMEOUT',
          regex_pattern: 'timed out',
          recovery_strategy: 'RETRY',
        },
        {
          pattern_id: 'bad',
          error_type: 'DISK_FULL',
          regex_pattern: '(?>a+)b',
          recovery_strategy: ['RETRY', 'PRAY', 'ESCALATION'],
          max_retries: -1,
          foo: 1,
          errorType: 'timeout',
        },
        'not an object',
        { pattern_id: 'worse', error_type: 42, regex_pattern: 'a*+', recovery_strategy: 'hope' },
      ],
      'patterns',
    );
    expect(issues).toMatchInlineSnapshot(`
      [
        "patterns[1].error_type: must be one of SYNTAX, IMPORT, VALIDATION, TEMPLATE, QUORUM, TIMEOUT, TRANSIENT, UNKNOWN (any case; also with an _ERROR suffix, QUORUM_FAILURE, or an ErrorType. prefix), got "DISK_FULL"",
        "patterns[1].regex_pattern: atomic group (?>…) at position 0: JavaScript has no atomic groups",
        "patterns[1].recovery_strategy[1]: must be one of RETRY, ALTERNATIVE_PATH, GRACEFUL_DEGRADATION, ERROR_CORRECTION, ESCALATION (any case; also retry, alternative, degrade, correct, escalate, or a RecoveryStrategy. prefix), got "PRAY"",
        "patterns[1].foo: unknown option",
        "patterns[1].errorType: unknown option (the Python dialect spells it error_type)",
        "patterns[3].regex_pattern: possessive quantifier *+ at position 1: JavaScript has no possessive quantifiers (nor atomic groups)",
        "patterns[3].recovery_strategy: must be one of RETRY, ALTERNATIVE_PATH, GRACEFUL_DEGRADATION, ERROR_CORRECTION, ESCALATION (any case; also retry, alternative, degrade, correct, escalate, or a RecoveryStrategy. prefix), got "hope"",
      ]
    `);
    // What this module reported carries a neutral placeholder, so the caller's validation
    // does not report it again; what it cannot interpret is passed on unchanged.
    expect(patterns.slice(1)).toEqual([
      {
        id: 'bad',
        errorType: 'unknown',
        match: { source: '(?!)', flags: '' },
        strategy: ['retry', 'escalate', 'escalate'],
        maxRetries: -1,
      },
      'not an object',
      { id: 'worse', errorType: 42, match: { source: '(?!)', flags: '' }, strategy: 'escalate' },
    ]);
  });

  it('passes values it cannot interpret to the caller unchanged', () => {
    const metadata = { fallback_level: 'minimal', owner: 'platform' };
    const source = { source: '\\p{L}+', flags: 'u' };
    const { patterns, issues } = fromPythonPatterns(
      [
        {
          pattern_id: 7,
          regex_pattern: source,
          recovery_strategy: ['RETRY', 5],
          error_type: null,
          max_retries: '3',
          priority: 'high',
          metadata,
          allow_unsafe_regex: 'yes',
        },
        { recovery_strategy: [] },
      ],
      'patterns',
    );
    expect(issues).toEqual([]);
    expect(patterns).toEqual([
      {
        id: 7,
        errorType: null,
        match: source,
        strategy: ['retry', 5],
        maxRetries: '3',
        priority: 'high',
        metadata,
        allowUnsafeRegex: 'yes',
      },
      { strategy: [] },
    ]);
    expect((patterns[0] as { metadata: unknown }).metadata).toBe(metadata);
  });
});

describe('toPythonFieldNames', () => {
  it("renames the field of the caller's lines to its Python spelling", () => {
    expect(toPythonFieldNames('patterns[2].maxRetries: must be ≥ 0')).toBe(
      'patterns[2].max_retries: must be ≥ 0',
    );
    expect(toPythonFieldNames('patterns[1].id: duplicate id "slow" (first at patterns[0])')).toBe(
      'patterns[1].pattern_id: duplicate id "slow" (first at patterns[0])',
    );
    expect(toPythonFieldNames('patterns[0].strategy[1]: must be one of …')).toBe(
      'patterns[0].recovery_strategy[1]: must be one of …',
    );
    expect(
      toPythonFieldNames(
        'patterns[0].match: regex can backtrack catastrophically (…); set allowUnsafeRegex: true on this pattern to accept it',
      ),
    ).toBe(
      'patterns[0].regex_pattern: regex can backtrack catastrophically (…); set allow_unsafe_regex: true on this pattern to accept it',
    );
    expect(toPythonFieldNames('patterns[0].errorType: required')).toBe(
      'patterns[0].error_type: required',
    );
    expect(toPythonFieldNames('patterns[0].allowUnsafeRegex: expected boolean, got "yes"')).toBe(
      'patterns[0].allow_unsafe_regex: expected boolean, got "yes"',
    );
  });

  it('leaves other lines alone', () => {
    for (const line of [
      'patterns[0].priority: expected number, got "high"',
      'patterns[0].metadata.match: whatever',
      'patterns: expected an array of patterns',
      'patterns[0]: expected object, got "x"',
      'patterns[0].matcher: unknown option',
    ]) {
      expect(toPythonFieldNames(line)).toBe(line);
    }
  });
});

describe('examples/python-patterns.yaml and .json', () => {
  const yaml: unknown = parseYaml(read('examples/python-patterns.yaml'));
  const json: unknown = JSON.parse(read('examples/python-patterns.json'));
  const entries = (file: unknown) => (file as { patterns: unknown[] }).patterns;
  const translated = fromPythonPatterns(entries(yaml), 'patterns');
  const matchOf = (pattern: unknown) => {
    const { source, flags } = (pattern as { match: { source: string; flags: string } }).match;
    return new RegExp(source, flags);
  };

  it('hold the same table, in the Python dialect, which translates without issues', () => {
    expect(json).toEqual(yaml);
    expect(isPythonDialect(yaml)).toBe(true);
    expect(translated.issues).toEqual([]);
    expect(translated.patterns).toEqual([
      {
        id: 'custom_validation_error',
        errorType: 'validation',
        match: { source: 'ValidationError[^\\n]*missing[^\\n]*field', flags: '' },
        strategy: 'degrade',
        maxRetries: 2,
        priority: 9,
        metadata: expect.objectContaining({
          degradation_component: 'schema_validator',
          fallback_level: 'minimal',
        }),
        allowUnsafeRegex: true,
      },
      {
        id: 'custom_validation_error_linear',
        errorType: 'validation',
        match: {
          source:
            '(?<![^\\n])(?:(?!ValidationError)[^\\n])*ValidationError(?:(?!missing)[^\\n])*missing(?:(?!field)[^\\n])*field',
          flags: '',
        },
        strategy: 'degrade',
        maxRetries: 2,
        priority: 10,
        metadata: expect.objectContaining({ fallback_level: 'minimal' }),
      },
    ]);
  });

  it('match the same messages: the original and its linear rewrite', () => {
    const [original, linear] = translated.patterns.map(matchOf);
    for (const regex of [original, linear]) {
      expect(regex?.test("ValidationError: missing required field 'name'")).toBe(true);
      expect(regex?.test('ValidationError: all fields present')).toBe(false);
    }
    for (const text of [
      'ValidationError ValidationError missing missing field',
      'x\nValidationError: missing\nfield',
      'missing field ValidationError',
      'a\rValidationError\rmissing\rfield',
      'fieldValidationErrormissingfield',
      'ValidationError: missing\nValidationError: field missing\nValidationError: missing field',
    ]) {
      expect(linear?.test(text)).toBe(original?.test(text));
    }
  });

  it('carry one cubic regex (hence allow_unsafe_regex) and one the checker finds safe', () => {
    const [original, linear] = translated.patterns.map(matchOf);
    const verdict = (regex: RegExp | undefined) => {
      const diagnostics = checkSync(regex?.source ?? '', regex?.flags ?? '');
      return diagnostics.status === 'unknown' ? diagnostics : diagnostics.complexity;
    };
    expect(verdict(original)).toMatchObject({ type: 'polynomial', degree: 3 });
    expect(verdict(linear)).toMatchObject({ type: 'safe' });
  }, 60_000);
});
