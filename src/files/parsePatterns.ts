import { isRecoveryConfigError, RecoveryConfigError } from '../config/RecoveryConfigError.js';
import { type ResolvedErrorPattern, resolvePatterns } from '../patterns/errorPattern.js';
import { fromPythonPatterns, isPythonDialect, toPythonFieldNames } from './python.js';
import { regexSafetyIssue } from './regexSafety.js';

/**
 * Options of {@link parsePatterns} and `parsePatternFile`.
 *
 * @example
 * ```ts
 * import { type ParsePatternsOptions, parsePatterns } from 'rx-recovery/files';
 *
 * const options: ParsePatternsOptions = { dialect: 'python' };
 * parsePatterns([{ pattern_id: 'slow', error_type: 'TIMEOUT', regex_pattern: '(?i)timed out', recovery_strategy: 'RETRY' }], options);
 * ```
 */
export interface ParsePatternsOptions {
  /**
   * `'python'` reads files written for the original Python system (`pattern_id`,
   * `regex_pattern`, `recovery_strategy: GRACEFUL_DEGRADATION`, Python regex syntax);
   * `'js'` the native form.
   * @default detected: `'python'` when an entry has snake_case keys, else `'js'`
   */
  dialect?: 'js' | 'python' | undefined;
}

/**
 * Turns a pattern file into validated patterns. Accepts `{ "patterns": [ … ] }` or a bare
 * array; each `match` is a regex source string (compiled with no flags) or
 * `{ "source": "…", "flags": "i" }`. Pattern files are untrusted data: a regex whose
 * backtracking is exponential (`(a+)+$`) or polynomial of degree ≥ 3 (`a*a*b`), checked
 * with `recheck`, is refused with its attack string unless its pattern says
 * `"allowUnsafeRegex": true`. Files written for the original Python system load too
 * (see {@link ParsePatternsOptions.dialect}).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createClassifier } from 'rx-recovery';
 * import { parsePatterns } from 'rx-recovery/files';
 *
 * const classifier = createClassifier(parsePatterns(JSON.parse(readFileSync('patterns.json', 'utf8'))));
 *
 * parsePatterns({
 *   patterns: [
 *     {
 *       id: 'deadlock',
 *       errorType: 'transient',
 *       match: { source: 'deadlock detected', flags: 'i' },
 *       strategy: ['retry', 'escalate'],
 *       maxRetries: 2,
 *     },
 *   ],
 * });
 * // → [{ id: 'deadlock', errorType: 'transient', match: /deadlock detected/i,
 * //      strategy: ['retry', 'escalate'], maxRetries: 2, priority: 5 }]
 * ```
 * @param json The parsed file: `{ "patterns": [ … ] }` (a `"$schema"` key is allowed) or
 * a bare array of patterns.
 * @param options See {@link ParsePatternsOptions}.
 * @returns The validated patterns, frozen, in file order.
 * @throws RecoveryConfigError with one line per bad path (`patterns[2].maxRetries: must be ≥ 0`),
 * duplicate ids included.
 */
export function parsePatterns(
  json: unknown,
  options: ParsePatternsOptions = {},
): readonly ResolvedErrorPattern[] {
  let entries: unknown;
  if (Array.isArray(json)) entries = json;
  else if (typeof json === 'object' && json !== null && 'patterns' in json) {
    const extra = Object.keys(json).filter((key) => key !== 'patterns' && key !== '$schema');
    if (extra.length > 0) {
      throw new RecoveryConfigError(extra.map((key) => `${key}: unknown option`));
    }
    entries = (json as { patterns: unknown }).patterns;
  } else {
    throw new RecoveryConfigError([
      'patterns: expected { "patterns": [ … ] } or an array of patterns',
    ]);
  }
  const dialect = options.dialect ?? (isPythonDialect(entries) ? 'python' : 'js');
  if (dialect !== 'python' || !Array.isArray(entries)) {
    return resolvePatterns(entries, 'patterns', { checkRegex: regexSafetyIssue });
  }
  // The translation reports what only the dialect knows; validation reports the rest, in
  // the file's own field names, so one error names every problem.
  const { patterns, issues } = fromPythonPatterns(entries, 'patterns');
  try {
    const resolved = resolvePatterns(patterns, 'patterns', { checkRegex: regexSafetyIssue });
    if (issues.length === 0) return resolved;
  } catch (error) {
    if (!isRecoveryConfigError(error)) throw error;
    issues.push(...error.issues.map(toPythonFieldNames));
  }
  throw new RecoveryConfigError(issues);
}
