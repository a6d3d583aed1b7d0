import { of } from 'rxjs';
import type { AttemptContext } from '../strategies/context.js';
import type { CorrectionRule } from '../strategies/correct.js';
import { repairMissingAsync } from './repairMissingAsync.js';

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
 * The `missing_async_keyword` correction: for an error classified by that pattern, or whose
 * text `mentions` a missing `async`, it reads the code (from `error.source`, else
 * `context.state.code`) and the line (`error.lineno` or `error.line`), asks
 * {@link repairMissingAsync}, and emits the repaired code, or declines.
 *
 * `mentions` is given, not imported, so that this module imports nothing of the main entry:
 * the orchestrator loads it on demand, and a bundler then puts it, with the repair, in a
 * chunk that shares no module with the main entry. `asyncKeywordCorrection` is this rule.
 */
export function missingAsyncRule(mentions: (error: unknown) => boolean): CorrectionRule<string> {
  return {
    id: 'missing_async_keyword',
    match: (error: unknown, context: AttemptContext) =>
      context.patternId === 'missing_async_keyword' || mentions(error),
    correct: (error: unknown, context: AttemptContext) => {
      const code = readCode(error, context);
      if (code === undefined) return undefined;
      const line = readLine(error);
      const repaired = repairMissingAsync(code, line === undefined ? {} : { line });
      return repaired === undefined ? undefined : of(repaired);
    },
  };
}
