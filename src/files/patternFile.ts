import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import type { ResolvedErrorPattern } from '../patterns/errorPattern.js';
import { jsonSyntaxError } from './jsonSyntaxError.js';
import { type ParsePatternsOptions, parsePatterns } from './parsePatterns.js';
import { ErrorPatternSchema } from './schema.js';

/**
 * The formats a pattern file may be written in: `'json'`, or `'yaml'` (which also reads
 * JSON, a subset of YAML 1.2).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { extname } from 'node:path';
 * import { type PatternFileFormat, parsePatternFile } from 'rx-recovery/files';
 *
 * const formatOf = (path: string): PatternFileFormat => (extname(path) === '.json' ? 'json' : 'yaml');
 * const path = process.argv[2] ?? 'patterns.yaml';
 * const patterns = parsePatternFile(readFileSync(path, 'utf8'), formatOf(path));
 * formatOf('patterns.yml'); // → 'yaml'
 * ```
 */
export type PatternFileFormat = 'json' | 'yaml';

/**
 * Parses the text of a pattern file — JSON or YAML — into validated patterns, as
 * {@link parsePatterns} does for an already-parsed value. A syntax error is a
 * {@link RecoveryConfigError} too, naming the line and column and quoting none of the file:
 * `file: invalid YAML at line 3, column 9: …`. A leading byte order mark is skipped.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createClassifier } from 'rx-recovery';
 * import { parsePatternFile } from 'rx-recovery/files';
 *
 * const patterns = parsePatternFile(readFileSync('patterns.yaml', 'utf8'), 'yaml');
 * const classifier = createClassifier(patterns);
 *
 * parsePatternFile('{ "patterns": [ }', 'json');
 * // throws RecoveryConfigError: file: invalid JSON at line 1, column 17: Unexpected token '}'
 * ```
 * @param text The file's contents.
 * @param format `'json'`, or `'yaml'` (which also reads JSON, a subset of YAML 1.2).
 * Defaults to `'yaml'`.
 * @param options See {@link ParsePatternsOptions} (the Python dialect is detected).
 * @returns The validated patterns.
 * @throws RecoveryConfigError for a syntax error or any invalid path.
 */
export function parsePatternFile(
  text: string,
  format: PatternFileFormat = 'yaml',
  options: ParsePatternsOptions = {},
): readonly ResolvedErrorPattern[] {
  // A byte order mark (editors on Windows write one) is no part of the text.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(body) : parseYaml(body);
  } catch (error) {
    throw new RecoveryConfigError([
      format === 'json' ? jsonProblem(body, error) : yamlProblem(error),
    ]);
  }
  return parsePatterns(value, options);
}

/**
 * `file: invalid JSON at line L, column C: reason`, located by reading the text: V8 gives no
 * position for some mistakes (a trailing comma, `NaN`), and quotes the text instead.
 */
function jsonProblem(text: string, error: unknown): string {
  const found = jsonSyntaxError(text);
  if (found !== undefined) {
    return `file: invalid JSON at line ${found.line}, column ${found.column}: ${found.reason}`;
  }
  // Not located (nested too deep to read): V8's reason, without its quote of the text
  // (`, "…" is not valid JSON`, `, ..."…"... is not valid JSON`) or its position.
  const reason = String((error as { message?: unknown } | undefined)?.message ?? error)
    .replace(/, (?:\.\.\.)?".*$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .split('\n')[0];
  return `file: invalid JSON: ${reason}`;
}

/** `file: invalid YAML at line L, column C: reason`, from the YAML parser's error. */
function yamlProblem(error: unknown): string {
  const { message, linePos } = error as {
    message?: string | undefined;
    linePos?: { line: number; col: number }[] | undefined;
  };
  const at = linePos?.[0];
  const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
  const first = String(message ?? error)
    .replace(/, ".*$/s, '')
    .split('\n')[0]
    ?.replace(/ at line \d+, column \d+:?$/, '');
  return `file: invalid YAML${where}: ${first}`;
}

/** What editors show for each field of a pattern in a pattern file. */
const FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  id: 'Unique within the table; alternatives and budgets are keyed by it.',
  errorType: 'The kind of failure the pattern recognises.',
  match:
    'A regex source (compiled with no flags), or { "source", "flags" }. Matched against "<name>: <message>" of the error, then its code on a line of its own.',
  strategy: 'One strategy, or a plan: the first step that still has budget runs.',
  maxRetries:
    'The budget of each retry and correct step: a whole number, or .inf (YAML) for unlimited.',
  priority: 'Higher runs first; equal priorities keep table order.',
  metadata: 'Free-form data carried to signals and escalation records.',
  allowUnsafeRegex:
    'Accept a match the backtracking check refuses (exponential or cubic backtracking, such as (a+)+$ or a*a*b).',
};

/**
 * The JSON Schema (draft 2020-12) of a pattern file, generated from
 * {@link ErrorPatternSchema}, so editors validate and complete pattern files. The package
 * ships it as `rx-recovery/patterns.schema.json`; point a file's `"$schema"` at it (YAML:
 * `# yaml-language-server: $schema=…`).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { patternFileJsonSchema } from 'rx-recovery/files';
 *
 * writeFileSync('patterns.schema.json', `${JSON.stringify(patternFileJsonSchema(), null, 2)}\n`);
 * ```
 * @returns A fresh JSON Schema object.
 */
export function patternFileJsonSchema(): Record<string, unknown> {
  const pattern = z.toJSONSchema(ErrorPatternSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, { anyOf?: unknown[]; description?: string }>;
    [key: string]: unknown;
  };
  const { $schema: _drop, ...item } = pattern;
  for (const [field, schema] of Object.entries(pattern.properties)) {
    // `readonly` arrays become "readOnly", which in JSON Schema means "set by the server".
    if (Array.isArray(schema.anyOf)) {
      for (const branch of schema.anyOf) delete (branch as { readOnly?: boolean }).readOnly;
    }
    // A RegExp cannot be written in a file: drop the "anything" branch it became.
    if (field === 'match' && Array.isArray(schema.anyOf)) {
      schema.anyOf = schema.anyOf.filter((branch) => Object.keys(branch as object).length > 0);
    }
    // JSON cannot write Infinity ("unlimited"; YAML's `.inf` can): a whole number ≥ 0 here.
    if (field === 'maxRetries') {
      for (const key of Object.keys(schema)) delete (schema as Record<string, unknown>)[key];
      Object.assign(schema, { default: 3, type: 'integer', minimum: 0 });
    }
    const description = FIELD_DESCRIPTIONS[field];
    if (description !== undefined) schema.description = description;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://unpkg.com/rx-recovery/patterns.schema.json',
    title: 'rx-recovery pattern file',
    description: 'Error patterns: how errors are classified and which recovery plan each gets.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      patterns: { type: 'array', items: item, description: 'The pattern table, in any order.' },
    },
    required: ['patterns'],
    additionalProperties: false,
  };
}
