import type { OperatorFunction } from 'rxjs';
import { arrayOf, number, shape } from '../config/check.js';
import { type CorrectionRule, correctionRuleRule, correctStrategy } from '../strategies/correct.js';
import { type CommonOptions, commonRules } from './engine/config.js';
import { argumentIssues, standaloneOperator } from './engine/standalone.js';

const rulesRule = /* @__PURE__ */ arrayOf(correctionRuleRule);
const optionsRule = /* @__PURE__ */ shape({
  ...commonRules,
  maxRetries: /* @__PURE__ */ number({ min: 0, int: true, infinite: true }),
});

/**
 * Options of {@link correctErrors}: a budget and the {@link CommonOptions}. There are no
 * built-in corrections: a stream gets the rules it lists.
 *
 * @example
 * ```ts
 * import { correctErrors, type CorrectErrorsOptions } from 'rx-recovery';
 *
 * const options: CorrectErrorsOptions = {
 *   maxRetries: 1,
 *   context: { nodeName: 'generate_code', state: { code } },
 * };
 * generated$.pipe(correctErrors([jsonRule], options));
 * ```
 */
export interface CorrectErrorsOptions extends CommonOptions {
  /** Corrections per subscription before the error goes through. @default 3 */
  maxRetries?: number | undefined;
}

/**
 * On error, asks each correction rule in turn for a corrected source. A rule returns `undefined` when it cannot correct the error; when no
 * rule can, the error goes through untouched.
 *
 * In plain words: fix the known mistakes, pass on the rest.
 *
 * ```text
 * source:  --#                 (# carries code with an await in a non-async function)
 * result:  --(c|)              (c: the code, with the missing async added)
 * ```
 *
 * @example
 * ```ts
 * import { throwError } from 'rxjs';
 * import { correctErrors } from 'rx-recovery';
 * import { asyncKeywordCorrection } from 'rx-recovery/codegen';
 *
 * const code = 'function load() { return await fetch(url); }';
 * throwError(() => Object.assign(new SyntaxError('await is only valid in async functions'), { source: code }))
 *   .pipe(correctErrors<string>([asyncKeywordCorrection]))
 *   .subscribe((fixed) => console.log(fixed));
 * // Output: async function load() { return await fetch(url); }
 * ```
 * @param rules Correction rules, asked in order.
 * @param options See {@link CorrectErrorsOptions}.
 * @returns An operator that corrects known errors.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad rule or option.
 * @see withRecovery
 */
export function correctErrors<T, C = T>(
  rules: readonly CorrectionRule<C>[],
  options: CorrectErrorsOptions = {},
): OperatorFunction<T, T | C> {
  const issues = argumentIssues(rulesRule, rules, 'rules', options, optionsRule);
  return standaloneOperator<T | C, CorrectionRule<C>>({
    name: 'correctErrors',
    strategy: 'correct',
    issues,
    options,
    list: rules,
    make: correctStrategy<T | C>,
    maxRetries: options.maxRetries,
  }) as OperatorFunction<T, T | C>;
}
