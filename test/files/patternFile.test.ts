import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePatternFile, patternFileJsonSchema, regexSafetyIssue } from '../../src/files.js';
import { createClassifier, defaultPatterns, isRecoveryConfigError } from '../../src/index.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (isRecoveryConfigError(error)) return [...error.issues];
    throw error;
  }
  return [];
}

describe('parsePatternFile', () => {
  it('reads the YAML and JSON example files to the same patterns', () => {
    const fromYaml = parsePatternFile(read('examples/patterns.yaml'), 'yaml');
    const fromJson = parsePatternFile(read('examples/patterns.json'), 'json');
    expect(fromYaml.map((p) => p.id)).toEqual([
      'api_rate_limited',
      'context_length_exceeded',
      'invalid_tool_call_json',
      'compile_error',
    ]);
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml[0]?.match).toEqual(/\b429\b|rate limit|too many requests/i);
  });

  it('reads example patterns that combine with the default table (no id used twice)', () => {
    const example = parsePatternFile(read('examples/patterns.json'), 'json');
    const classifier = createClassifier([...defaultPatterns, ...example]);
    expect(classifier.classify(new Error('HTTP 429 Too Many Requests')).pattern?.id).toBe(
      'api_rate_limited',
    );
  });

  it('reads JSON as YAML too (JSON is YAML 1.2)', () => {
    expect(parsePatternFile(read('examples/patterns.json'))).toHaveLength(4);
  });

  it('names the line of a syntax error, and every bad path of a valid file', () => {
    expect(problems(() => parsePatternFile('patterns:\n  - id: [x\nfoo: 1', 'yaml'))).toEqual([
      expect.stringMatching(/^file: invalid YAML at line 3, column \d+: /),
    ]);
    expect(problems(() => parsePatternFile('{"patterns": [', 'json'))).toEqual([
      'file: invalid JSON at line 1, column 15: Unexpected end of JSON input',
    ]);
    expect(problems(() => parsePatternFile('{\n  "patterns": [}\n}', 'json'))).toEqual([
      expect.stringMatching(/^file: invalid JSON at line 2, column 16: /),
    ]);
    expect(
      problems(() =>
        parsePatternFile(
          'patterns:\n  - id: x\n    errorType: flaky\n    match: "(a+)+$"\n    strategy: pray\n',
        ),
      ),
    ).toEqual([
      'patterns[0].errorType: must be one of syntax, import, validation, template, quorum, timeout, transient, unknown, got "flaky"',
      'patterns[0].strategy: must be one of retry, alternative, degrade, correct, escalate, got "pray"',
      `patterns[0].match: ${regexSafetyIssue(/(a+)+$/)}`,
    ]);
  });
});

describe('parsePatternFile: invalid JSON names its line and column, and quotes none of the file', () => {
  const trailingComma = [
    '{',
    '  "patterns": [',
    '    { "id": "a", "errorType": "syntax", "match": "x", "strategy": "retry" },',
    '  ]',
    '}',
  ].join('\n');

  it('a trailing comma (the commonest JSON mistake)', () => {
    // Node 20 says `Unexpected token ']', ..."try" },\n  ]\n}" is not valid JSON`.
    expect(problems(() => parsePatternFile(trailingComma, 'json'))).toEqual([
      "file: invalid JSON at line 4, column 3: Unexpected token ']'",
    ]);
    expect(problems(() => parsePatternFile('{"patterns": [1,]}', 'json'))).toEqual([
      "file: invalid JSON at line 1, column 17: Unexpected token ']'",
    ]);
    expect(problems(() => parsePatternFile('{\n  "patterns": [],\n}', 'json'))).toEqual([
      'file: invalid JSON at line 3, column 1: Expected double-quoted property name',
    ]);
  });

  it('NaN, and a string that never ends', () => {
    expect(problems(() => parsePatternFile('{"patterns": [NaN]}', 'json'))).toEqual([
      "file: invalid JSON at line 1, column 15: Unexpected token 'N'",
    ]);
    expect(problems(() => parsePatternFile('{"patterns": ["x', 'json'))).toEqual([
      'file: invalid JSON at line 1, column 17: Unterminated string',
    ]);
  });

  it('skips a leading byte order mark, in JSON as in YAML', () => {
    const json = read('examples/patterns.json');
    const yaml = read('examples/patterns.yaml');
    expect(parsePatternFile(`\uFEFF${json}`, 'json')).toEqual(parsePatternFile(json, 'json'));
    expect(parsePatternFile(`\uFEFF${yaml}`, 'yaml')).toEqual(parsePatternFile(yaml, 'yaml'));
    // Only at the start: anywhere else it is a character JSON does not allow.
    expect(problems(() => parsePatternFile(`{\uFEFF"patterns": []}`, 'json'))).toEqual([
      "file: invalid JSON at line 1, column 2: Expected property name or '}'",
    ]);
  });
});

describe('patternFileJsonSchema', () => {
  it('is what patterns.schema.json holds (npm run docs)', () => {
    expect(JSON.parse(read('patterns.schema.json'))).toEqual(patternFileJsonSchema());
  });

  it('describes every pattern field, with the file forms of match only', () => {
    const schema = patternFileJsonSchema() as {
      required: string[];
      properties: {
        patterns: {
          items: {
            properties: Record<string, { description?: string; anyOf?: unknown[] }>;
            required: string[];
          };
        };
      };
    };
    const { items } = schema.properties.patterns;
    expect(schema.required).toEqual(['patterns']);
    expect(Object.keys(items.properties).sort()).toEqual(
      [
        'allowUnsafeRegex',
        'errorType',
        'id',
        'match',
        'maxRetries',
        'metadata',
        'priority',
        'strategy',
      ].sort(),
    );
    expect(items.required.sort()).toEqual(['errorType', 'id', 'match', 'strategy']);
    for (const field of Object.values(items.properties))
      expect(field.description).toEqual(expect.any(String));
    expect(items.properties.match?.anyOf).toEqual([
      { type: 'string' },
      expect.objectContaining({ type: 'object', required: ['source'] }),
    ]);
    expect(JSON.stringify(schema)).not.toContain('readOnly');
  });
});
