import type { ErrorPattern, ResolvedErrorPattern } from './errorPattern.js';
import { resolvePatterns } from './errorPattern.js';
import { RecoveryConfigError } from './RecoveryConfigError.js';

/**
 * Turns a pattern file into validated patterns. Accepts `{ "patterns": [ … ] }` or a bare
 * array; each `match` is a regex source string (compiled with no flags) or
 * `{ "source": "…", "flags": "i" }`. A regex that can backtrack catastrophically (nested
 * quantifiers such as `(a+)+$`, checked with safe-regex2) is refused unless its pattern
 * says `"allowUnsafeRegex": true`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createClassifier, parsePatterns } from 'rx-recovery';
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
 * @returns The validated patterns, frozen, in file order.
 * @throws RecoveryConfigError with one line per bad path (`patterns[2].maxRetries: must be ≥ 0`),
 * duplicate ids included.
 */
export function parsePatterns(json: unknown): readonly ResolvedErrorPattern[] {
  if (Array.isArray(json)) return resolvePatterns(json);
  if (typeof json === 'object' && json !== null && 'patterns' in json) {
    const extra = Object.keys(json).filter((key) => key !== 'patterns' && key !== '$schema');
    if (extra.length > 0)
      throw new RecoveryConfigError(extra.map((key) => `${key}: unknown option`));
    return resolvePatterns((json as { patterns: unknown }).patterns);
  }
  throw new RecoveryConfigError([
    'patterns: expected { "patterns": [ … ] } or an array of patterns',
  ]);
}

export type { ErrorPattern };
