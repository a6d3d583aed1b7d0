import type { ObservableInput } from 'rxjs';
import { fn, type Rule, satisfies, shape, string } from '../config/check.js';
import { statelessRegex } from '../patterns/errorPattern.js';
import { errorText } from '../patterns/errorText.js';
import type { AttemptContext } from './context.js';
import type { RecoveryStep, StepInput, Strategy } from './strategy.js';

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
  /** A name for the rule (non-empty), for your logs (`asyncKeywordCorrection`'s is `missing_async_keyword`). */
  readonly id: string;
  /**
   * Which errors the rule looks at: a RegExp tested against the error's text (its `g` and
   * `y` flags are dropped: they would make `test` stateful), or a predicate.
   * @default every error
   */
  readonly match?: (RegExp | ((error: unknown, context: AttemptContext) => boolean)) | undefined;
  /** The corrected source (emitted in place of the failed one), or `undefined` to decline. */
  readonly correct: (error: unknown, context: AttemptContext) => ObservableInput<T> | undefined;
}

/** Checks one {@link CorrectionRule}. */
export const correctionRuleRule: Rule = /* @__PURE__ */ shape(
  {
    id: /* @__PURE__ */ string(true),
    match: /* @__PURE__ */ satisfies(
      (value) => value instanceof RegExp || typeof value === 'function',
      'must be a RegExp or a function (error, context) => boolean',
    ),
    correct: /* @__PURE__ */ fn('(error, context) => ObservableInput | undefined'),
  },
  ['id', 'correct'],
);

/**
 * Correct: ask each rule in order for a corrected source. `null` when no rule can correct
 * the error. A rule that throws fails its step with what it threw (the engine makes that
 * step), which is classified afresh.
 */
export function correctStrategy<T>(rules: readonly CorrectionRule<T>[]): Strategy<T> {
  // Each rule's `match`, a RegExp without `g` and `y` (as the classifier's).
  const matches = rules.map(({ match }) =>
    match instanceof RegExp ? statelessRegex(match) : match,
  );
  return (error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> | null => {
    if (!rules.length) return null;
    const context = input.context(attempt);
    for (let index = 0; index < rules.length; index += 1) {
      const match = matches[index];
      if (
        match &&
        !(typeof match === 'function' ? match(error, context) : match.test(errorText(error)))
      ) {
        continue;
      }
      const source = (rules[index] as CorrectionRule<T>).correct(error, context);
      if (source !== undefined) return { kind: 'subscribe', source, delayMs: 0 };
    }
    return null;
  };
}
