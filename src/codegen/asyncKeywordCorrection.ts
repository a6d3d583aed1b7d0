import type { CorrectionRule } from '../strategies/correct.js';
import { mentionsMissingAsync } from './mentionsMissingAsync.js';
import { missingAsyncRule } from './missingAsyncRule.js';

/**
 * The correction for `missing_async_keyword`: repairs the generated code on `error.source`
 * (or, failing that, `context.state.code`) by making the function that holds the offending
 * `await` async, and emits the repaired code. It repairs only what it is certain of (see
 * {@link repairMissingAsync}); otherwise it declines and the plan moves on.
 *
 * In plain words: the fix for "await is only valid in async functions", for streams of
 * code. A `CorrectionRule<string>`: a stream of anything else cannot list it (a type error).
 *
 * ```text
 * source:  --#            (#: SyntaxError: await is only valid in async functions, source: 'function f() { await g(); }')
 * result:  --(c|)         (c: 'async function f() { await g(); }')
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { withRecovery } from 'rx-recovery';
 * import { asyncKeywordCorrection } from 'rx-recovery/codegen';
 *
 * defer(() => compileGenerated(code))
 *   .pipe(withRecovery<string>(undefined, { corrections: [asyncKeywordCorrection] }))
 *   .subscribe((fixed) => console.log(fixed));
 * // Output, for code whose `load` awaits without being async:
 * // async function load() { return await fetchUser(); }
 * ```
 * @see repairMissingAsync, correctErrors
 */
export const asyncKeywordCorrection: CorrectionRule<string> = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ missingAsyncRule(mentionsMissingAsync),
);
