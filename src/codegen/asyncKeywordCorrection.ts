import { of } from 'rxjs';
import { defaultPatterns } from '../patterns/defaultPatterns.js';
import { errorText } from '../patterns/errorText.js';
import type { AttemptContext } from '../strategies/context.js';
import type { CorrectionRule } from '../strategies/correct.js';
import { repairMissingAsync } from './repairMissingAsync.js';

/** The `missing_async_keyword` default pattern's regex. */
const missingAsync = defaultPatterns.find((pattern) => pattern.id === 'missing_async_keyword')
  ?.match as RegExp;

function readCode(error: unknown, context: AttemptContext): string | undefined {
  try {
    const source = (error as { source?: unknown } | null)?.source;
    if (typeof source === 'string') return source;
  } catch {
    // a throwing getter: fall back to the context's code
  }
  try {
    const code = (context.state as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
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
export const asyncKeywordCorrection: CorrectionRule<string> = Object.freeze({
  id: 'missing_async_keyword',
  match: (error: unknown, context: AttemptContext) =>
    context.patternId === 'missing_async_keyword' || missingAsync.test(errorText(error)),
  correct: (error: unknown, context: AttemptContext) => {
    const code = readCode(error, context);
    if (code === undefined) return undefined;
    const line = readLine(error);
    const repaired = repairMissingAsync(code, line === undefined ? {} : { line });
    return repaired === undefined ? undefined : of(repaired);
  },
});
