import type { OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { parseAll } from '../patterns/RecoveryConfigError.js';
import { builtInCorrections, type CorrectionRule } from '../strategies/correct.js';
import {
  type CommonOptions,
  CorrectionRuleSchema,
  commonOptionShape,
  recoveryOperator,
  resolveEngineConfig,
  singlePattern,
  UNBOUNDED_ATTEMPTS,
} from './withRecovery.js';

export const CorrectErrorsOptionsSchema = z.strictObject({
  ...commonOptionShape,
  builtInCorrections: z.boolean().default(true),
  maxRetries: z.number().int().min(0).default(3),
});

/**
 * Options of {@link correctErrors}: a budget, whether the built-in corrections run, and
 * the {@link CommonOptions}.
 *
 * @example
 * ```ts
 * import { correctErrors, type CorrectErrorsOptions } from 'rx-recovery';
 *
 * const options: CorrectErrorsOptions = {
 *   maxRetries: 1,
 *   builtInCorrections: false,
 *   context: { nodeName: 'generate_code', state: { code } },
 * };
 * generated$.pipe(correctErrors([jsonRule], options));
 * ```
 */
export interface CorrectErrorsOptions extends CommonOptions {
  /** Run the built-in corrections (the `missing_async_keyword` repair) after yours. @default true */
  builtInCorrections?: boolean;
  /** Corrections per subscription before the error goes through. @default 3 */
  maxRetries?: number;
}

/**
 * On error, asks each correction rule in turn — yours first, then the built-in ones — for a
 * corrected source. A rule returns `undefined` when it cannot correct the error; when no
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
 *
 * const code = 'function load() { return await fetch(url); }';
 * throwError(() => Object.assign(new SyntaxError('await is only valid in async functions'), { source: code }))
 *   .pipe(correctErrors<string>([]))
 *   .subscribe((fixed) => console.log(fixed));
 * // Output: async function load() { return await fetch(url); }
 * ```
 * @param rules Correction rules, asked in order before the built-in ones.
 * @param options See {@link CorrectErrorsOptions}.
 * @returns An operator that corrects known errors.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad rule or option.
 * @see withRecovery
 */
export function correctErrors<T, C = T>(
  rules: readonly CorrectionRule<C>[],
  options: CorrectErrorsOptions = {},
): OperatorFunction<T, T | C> {
  const [, { maxRetries }] = parseAll(
    [z.array(CorrectionRuleSchema), rules, 'rules'],
    [CorrectErrorsOptionsSchema, options, 'options'],
  );
  const { maxRetries: _, ...rest } = options;
  return recoveryOperator(
    resolveEngineConfig<T | C>(
      singlePattern('correctErrors', ['correct'], maxRetries),
      {
        ...rest,
        corrections: rules,
        maxAttempts: UNBOUNDED_ATTEMPTS,
      },
      builtInCorrections,
    ),
  ) as OperatorFunction<T, T | C>;
}
