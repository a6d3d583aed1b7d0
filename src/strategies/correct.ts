import { type ObservableInput, of, throwError } from 'rxjs';
import { defaultPatterns } from '../patterns/defaultPatterns.js';
import { errorText } from '../patterns/errorText.js';
import type { AttemptContext, RecoveryStep, StepInput, Strategy } from './context.js';
import { repairMissingAsync } from './repairMissingAsync.js';

/**
 * A pattern-based correction. `match` narrows the errors the rule looks at (a RegExp is
 * tested against the error's text); `correct` returns the corrected source, or
 * `undefined` for "cannot correct", and the next rule is asked.
 *
 * In plain words: a known mistake, and how to fix it.
 *
 * A rule that throws fails its step with what it threw, which is classified afresh.
 *
 * @example
 * ```ts
 * import { of } from 'rxjs';
 * import { type CorrectionRule, correctErrors } from 'rx-recovery';
 *
 * const trailingComma: CorrectionRule<string> = {
 *   id: 'json_trailing_comma',
 *   match: /in JSON at position/,
 *   correct: (_error, context) => {
 *     const json = context.state?.json;
 *     return typeof json === 'string' ? of(json.replace(/,\s*([}\]])/g, '$1')) : undefined;
 *   },
 * };
 * parsed$.pipe(correctErrors([trailingComma], { context: { state: { json } } }));
 * ```
 * @typeParam T The type of the values the corrected source emits.
 */
export interface CorrectionRule<T> {
  /** A name for the rule (non-empty), for your logs; the built-in one is `missing_async_keyword`. */
  readonly id: string;
  /**
   * Which errors the rule looks at: a RegExp tested against the error's text, or a
   * predicate.
   * @default every error
   */
  readonly match?: RegExp | ((error: unknown, context: AttemptContext) => boolean);
  /** The corrected source (emitted in place of the failed one), or `undefined` to decline. */
  readonly correct: (error: unknown, context: AttemptContext) => ObservableInput<T> | undefined;
}

/** The `missing_async_keyword` default pattern's regex (read on use, so bundlers can drop this module's rule). */
const missingAsync = (): RegExp =>
  defaultPatterns.find((pattern) => pattern.id === 'missing_async_keyword')?.match as RegExp;

function readCode(error: unknown, context: AttemptContext): string | undefined {
  try {
    const source = (error as { source?: unknown } | null)?.source;
    if (typeof source === 'string') return source;
  } catch {
    // a throwing getter: fall back to the context's code
  }
  const code = context.state?.code;
  return typeof code === 'string' ? code : undefined;
}

function readLine(error: unknown): number | undefined {
  try {
    const line =
      (error as { lineno?: unknown; line?: unknown } | null)?.lineno ??
      (error as { line?: unknown } | null)?.line;
    return typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The built-in correction for `missing_async_keyword`: repairs the code on
 * `error.source` (or, failing that, `context.state.code`) by making the function that
 * holds the offending `await` async, and emits the repaired code. It only repairs what it
 * is certain of; otherwise it declines and the plan moves on.
 */
const missingAsyncKeywordRule: CorrectionRule<string> = /* @__PURE__ */ Object.freeze({
  id: 'missing_async_keyword',
  match: (error: unknown, context: AttemptContext) =>
    context.patternId === 'missing_async_keyword' || missingAsync().test(errorText(error)),
  correct: (error: unknown, context: AttemptContext) => {
    const code = readCode(error, context);
    if (code === undefined) return undefined;
    const line = readLine(error);
    const repaired = repairMissingAsync(code, line === undefined ? {} : { line });
    return repaired === undefined ? undefined : of(repaired);
  },
});

/** The corrections that run after the user's rules unless `builtInCorrections: false`. */
export const builtInCorrections: readonly CorrectionRule<unknown>[] = /* @__PURE__ */ Object.freeze(
  [missingAsyncKeywordRule],
);

function applies<T>(rule: CorrectionRule<T>, error: unknown, context: AttemptContext): boolean {
  const { match } = rule;
  if (match === undefined) return true;
  return typeof match === 'function' ? match(error, context) : match.test(errorText(error));
}

/**
 * Correct: ask each rule in order — the user's first, then the built-in ones — for a
 * corrected source. `null` when no rule can correct the error. A rule that throws fails
 * its step with what it threw, which the engine classifies afresh.
 */
export function correctStrategy<T>(rules: readonly CorrectionRule<T>[]): Strategy<T> {
  return (error: unknown, input: StepInput<T>): RecoveryStep<T> | null => {
    if (rules.length === 0) return null;
    const context = input.context();
    for (const rule of rules) {
      try {
        if (!applies(rule, error, context)) continue;
        const corrected = rule.correct(error, context);
        if (corrected !== undefined) return { kind: 'subscribe', source: corrected, delayMs: 0 };
      } catch (thrown) {
        return { kind: 'subscribe', source: throwError(() => thrown), delayMs: 0 };
      }
    }
    return null;
  };
}
