import { arrayOf, check, type Rule, shape } from '../config/check.js';
import { defaultPatterns } from './defaultPatterns.js';
import {
  type ErrorPattern,
  type ResolvedErrorPattern,
  resolvePatterns,
  strategyRule,
} from './errorPattern.js';
import { errorText } from './errorText.js';
import type { ErrorType, RecoveryStrategy } from './errorTypes.js';
import { freeze } from './freeze.js';
import { literalIndex } from './literalIndex.js';
import { literalPrefilter } from './literalPrefilter.js';

/**
 * What the classifier decided about one error: the pattern that matched, the error's type
 * and the plan to recover it. Frozen and shared: do not mutate.
 *
 * @example
 * ```ts
 * import { type Classification, classify } from 'rx-recovery';
 *
 * const summary = ({ pattern, errorType, plan }: Classification) =>
 *   `${pattern?.id ?? 'no pattern'} (${errorType}): ${plan.join(' → ') || 'rethrow'}`;
 *
 * summary(classify(new Error('Quorum not reached: 1 of 3 reviewers approved')));
 * // → 'quorum_consensus_failed (quorum): retry → escalate'
 * summary(classify(new Error('disk full'))); // → 'no pattern (unknown): rethrow'
 * ```
 */
export interface Classification {
  /** The pattern that matched; absent when none did. */
  readonly pattern?: ResolvedErrorPattern | undefined;
  /** The matched pattern's `errorType`; `'unknown'` when no pattern matched. */
  readonly errorType: ErrorType;
  /** The strategies to try, in order; empty means "rethrow". */
  readonly plan: readonly RecoveryStrategy[];
}

/**
 * One pattern that matches an error, as {@link Classifier.explain} lists it: the pattern,
 * the text its regex matched and where. Frozen.
 *
 * @example
 * ```ts
 * import { createClassifier, type PatternMatch } from 'rx-recovery';
 *
 * const line = ({ pattern, matched, index }: PatternMatch) =>
 *   `${pattern.id}: '${matched}' at ${index}`;
 *
 * createClassifier().explain(new Error('Request timed out: quorum not reached')).map(line);
 * // → ["quorum_consensus_failed: 'quorum not reached' at 26", "operation_timeout: 'timed out' at 15"]
 * ```
 */
export interface PatternMatch {
  /** The matching pattern, validated, as {@link Classifier.patterns} holds it. */
  readonly pattern: ResolvedErrorPattern;
  /** The text the pattern's regex matched. */
  readonly matched: string;
  /** Where in the classified text the match starts. */
  readonly index: number;
}

/**
 * A compiled pattern table. Build one with {@link createClassifier}; pass one's patterns
 * to an operator, or use it on its own to see how errors will be routed.
 *
 * @example
 * ```ts
 * import { type Classifier, createClassifier, defaultPatterns } from 'rx-recovery';
 *
 * const classifier: Classifier = createClassifier([
 *   ...defaultPatterns,
 *   { id: 'rate_limit', errorType: 'transient', match: /\b429\b|rate limit/i, strategy: 'retry', priority: 9 },
 * ]);
 * classifier.patterns.map((pattern) => pattern.id);
 * // → ['missing_async_keyword', 'rate_limit', 'import_not_found', 'template_rendering_error',
 * //    'validation_failed', 'quorum_consensus_failed', 'operation_timeout', 'rate_limited',
 * //    'service_unavailable', 'network_transient']
 * classifier.classify(new Error('HTTP 429: rate limit exceeded')).plan; // → ['retry']
 * classifier.explain(new Error('HTTP 429: rate limit exceeded')).map((m) => m.matched);
 * // → ['429', 'HTTP 429']  (rate_limit, then the default rate_limited, lower in priority)
 * ```
 */
export interface Classifier {
  /** The validated patterns, highest priority first; equal priorities keep table order. */
  readonly patterns: readonly ResolvedErrorPattern[];
  /**
   * The first pattern (by priority, then table order) that matches `error`. Never throws.
   *
   * @param error Anything thrown; matched by its {@link errorText}.
   * @returns The frozen classification of the matching pattern, or the unmatched one
   * (`errorType: 'unknown'`, the `unmatched` plan).
   */
  classify(error: unknown): Classification;
  /**
   * Every pattern that matches `error`, in priority order, with the matched text: what you
   * need when tuning a pattern table. Never throws.
   *
   * @param error Anything thrown; matched by its {@link errorText}.
   * @returns The matches, frozen; empty when no pattern matches.
   */
  explain(error: unknown): readonly PatternMatch[];
}

/**
 * Options of {@link createClassifier}. Strict: an unknown key is a
 * {@link RecoveryConfigError}.
 *
 * @example
 * ```ts
 * import { type ClassifierOptions, createClassifier, defaultPatterns } from 'rx-recovery';
 *
 * const options: ClassifierOptions = { unmatched: ['retry', 'escalate'] };
 * createClassifier(defaultPatterns, options).classify(new Error('disk full'));
 * // → { errorType: 'unknown', plan: ['retry', 'escalate'] }
 * ```
 */
export interface ClassifierOptions {
  /** The plan for errors no pattern matches. @default [] (rethrow) */
  unmatched?: readonly RecoveryStrategy[] | undefined;
}

/** A plan: strategies, in order. */
export const planRule: Rule = /* @__PURE__ */ arrayOf(strategyRule);

const classifierOptions = /* @__PURE__ */ shape({ unmatched: planRule });

/**
 * Compiles a pattern table once — validation, priority sort, regexes, literal prefilters —
 * so that classifying an error is a scan with no allocation.
 *
 * What is matched is `"<name>: <message>"` of the error (`String(x)` for a non-Error),
 * at most its first 8,192 characters, then `error.code` on a line of its own when it is a
 * short identifier, then `HTTP <status>` (see {@link errorText}). Higher `priority` first; equal priorities keep
 * table order; the first match wins. The classifier remembers its last answer, so
 * classifying the same failure again costs only building its text.
 *
 * @example
 * ```ts
 * import { createClassifier, defaultPatterns } from 'rx-recovery';
 *
 * const classifier = createClassifier(
 *   [
 *     ...defaultPatterns,
 *     {
 *       id: 'rate_limit',
 *       errorType: 'transient',
 *       match: /\b429\b|rate limit/i,
 *       strategy: ['retry', 'escalate'],
 *       priority: 9,
 *     },
 *   ],
 *   { unmatched: [] }, // plan for errors no pattern matches; [] = rethrow (the default)
 * );
 *
 * classifier.classify(new Error('HTTP 429: rate limit exceeded'));
 * // → { pattern: { id: 'rate_limit', … }, errorType: 'transient', plan: ['retry', 'escalate'] }
 * classifier.classify(new Error('disk full')); // → { errorType: 'unknown', plan: [] }
 * classifier.explain('Request timed out: rate limit');
 * // → [{ pattern: { id: 'rate_limit', … }, matched: 'rate limit', index: 19 },
 * //    { pattern: { id: 'operation_timeout', … }, matched: 'timed out', index: 8 },
 * //    { pattern: { id: 'rate_limited', … }, matched: 'rate limit', index: 19 }]
 *
 * createClassifier([{ id: 'slow', errorType: 'timeout', match: 'timed out', strategy: 'retry', maxRetry: 2 }]);
 * // throws RecoveryConfigError: patterns[0].maxRetry: unknown option
 * ```
 * @param patterns The pattern table, in any order. Defaults to {@link defaultPatterns}.
 * @param options See {@link ClassifierOptions}. Defaults to `{}`.
 * @returns A frozen {@link Classifier}.
 * @throws RecoveryConfigError naming every invalid path. Patterns written in code are
 * code: their regexes are compiled as given. Patterns that arrive as data go through
 * `parsePatterns` (`rx-recovery/files`), which also checks each regex for catastrophic
 * backtracking.
 */
export function createClassifier(
  patterns: readonly ErrorPattern[] = defaultPatterns,
  options: ClassifierOptions = {},
): Classifier {
  const resolved = resolvePatterns(patterns);
  check(classifierOptions, options, 'options');
  const sorted = freeze([...resolved].sort((a, b) => b.priority - a.priority));
  const regexes = sorted.map((pattern) => pattern.match);
  const classifications = sorted.map(
    (pattern): Classification =>
      freeze({ pattern, errorType: pattern.errorType, plan: pattern.strategy }),
  );
  const unmatched: Classification = freeze({
    errorType: 'unknown',
    plan: freeze([...(options.unmatched ?? [])]),
  });
  // The patterns worth a regex, in order. Small tables: all of them, since running each
  // regex is cheaper than looking for literals first. Large ones: those whose literals
  // the text holds, found in one pass (a match always holds one).
  const everyPattern = [...sorted.keys()];
  // Tables larger than 16 classify through a {@link literalIndex}.
  const candidates =
    sorted.length > 16 ? literalIndex(regexes.map(literalPrefilter)) : () => everyPattern;
  // Retries of one failure repeat the same text: the last answer is kept (classification
  // depends on the text alone).
  let lastText: string | undefined;
  let lastResult = unmatched;

  return freeze({
    patterns: sorted,
    classify(error: unknown): Classification {
      const text = errorText(error);
      if (text !== lastText) {
        lastResult = unmatched;
        for (const i of candidates(text)) {
          if ((regexes[i] as RegExp).test(text)) {
            lastResult = classifications[i] as Classification;
            break;
          }
        }
        lastText = text;
      }
      return lastResult;
    },
    explain(error: unknown): readonly PatternMatch[] {
      const text = errorText(error);
      const matches: PatternMatch[] = [];
      for (const i of candidates(text)) {
        const found = (regexes[i] as RegExp).exec(text);
        if (found) {
          matches.push(
            freeze({
              pattern: sorted[i] as ResolvedErrorPattern,
              matched: found[0],
              index: found.index,
            }),
          );
        }
      }
      return freeze(matches);
    },
  });
}

let defaultClassifier: Classifier | undefined;

/**
 * The classifier of {@link defaultPatterns} with an empty `unmatched` plan, compiled once
 * on first use: what `classify` and `withRecovery()` share, so building a pipe with the
 * default table costs no compilation.
 */
export function defaultTableClassifier(): Classifier {
  defaultClassifier ??= createClassifier(defaultPatterns);
  return defaultClassifier;
}

/**
 * Classifies an error against {@link defaultPatterns}; unmatched errors get an empty
 * plan (rethrow). The default classifier is compiled on first use. Never throws.
 *
 * @example
 * ```ts
 * import { classify } from 'rx-recovery';
 *
 * classify(new Error("Cannot find module './renderer'"));
 * // → { pattern: { id: 'import_not_found', … }, errorType: 'import', plan: ['alternative', 'escalate'] }
 * classify(Object.assign(new Error('connect failed'), { code: 'ETIMEDOUT' })).plan;
 * // → ['retry', 'escalate'] (the code is matched too)
 * classify('disk full'); // → { errorType: 'unknown', plan: [] }
 * ```
 * @param error Anything thrown; matched by its {@link errorText}.
 * @returns The frozen, shared classification of the first matching default pattern, or
 * the unmatched one.
 * @see createClassifier for your own patterns or an `unmatched` plan.
 */
export function classify(error: unknown): Classification {
  return defaultTableClassifier().classify(error);
}
