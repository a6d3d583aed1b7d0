import { defaultPatterns } from '../patterns/defaultPatterns.js';
import { errorText } from '../patterns/errorText.js';

/** The `missing_async_keyword` default pattern's regex. */
const missingAsync = (
  defaultPatterns.find((pattern) => pattern.id === 'missing_async_keyword') as { match: RegExp }
).match;

/**
 * Whether the error's text is a missing-`async` error, by the `missing_async_keyword`
 * default pattern's regex: how the async-keyword correction recognises its errors besides
 * their classification. A module of its own, shared by `rx-recovery/codegen` and the
 * orchestrator, so that the code repair (loaded on demand) imports nothing of the main entry.
 */
export function mentionsMissingAsync(error: unknown): boolean {
  return missingAsync.test(errorText(error));
}
