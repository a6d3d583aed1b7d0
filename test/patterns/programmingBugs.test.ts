import { describe, expect, it } from 'vitest';
import { llmPatterns } from '../../src/codegen/llmPatterns.js';
import { createClassifier } from '../../src/patterns/classifier.js';
import { defaultPatterns } from '../../src/patterns/defaultPatterns.js';
import { errorText } from '../../src/patterns/errorText.js';

const defaults = createClassifier(defaultPatterns);
const withLlm = createClassifier([...defaultPatterns, ...llmPatterns]);

/** What `run` throws (a real V8 error). */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('a programming bug that names an error class is not retried', () => {
  // README "Which errors are recovered by default": "Anything else (HTTP 400/404/500,
  // `TypeError: x is not a function`) is rethrown untouched …: a programming bug is not
  // retried." The timeout pattern already keeps to it for its class name
  // (`ReferenceError: TimeoutError is not defined`, `(reading 'TimeoutError')` match
  // nothing), and the tests keep `(reading 'rateLimit')` and `rate_limit is not defined`
  // out of rate_limited; the same bugs naming RateLimitError / OverloadedError are retried.
  const sdk: Record<string, unknown> = {};
  const bugs: [string, unknown][] = [
    // `err instanceof Anthropic.RateLimitError` with a namespace that is not there
    [
      "reading 'RateLimitError'",
      thrownBy(() => (sdk.anthropic as { RateLimitError: unknown }).RateLimitError),
    ],
    [
      "reading 'OverloadedError'",
      thrownBy(() => (sdk.anthropic as { OverloadedError: unknown }).OverloadedError),
    ],
    ["reading 'rateLimited'", thrownBy(() => (sdk.state as { rateLimited: unknown }).rateLimited)],
    // an identifier used without its import
    ['RateLimitError is not defined', thrownBy(() => new Function('return RateLimitError')())],
    // openai < 1 installed under code written for openai ≥ 1 (Python, as a subprocess reports it)
    [
      'py: no attribute RateLimitError',
      "AttributeError: module 'openai' has no attribute 'RateLimitError'",
    ],
  ];

  it.each(bugs)('defaults: %s is not retried', (_, error) => {
    expect(errorText(error)).toMatch(/RateLimitError|OverloadedError|rateLimited/);
    expect(defaults.classify(error).plan, errorText(error)).not.toContain('retry');
  });

  it.each(bugs)('defaults + llmPatterns: %s is not retried', (_, error) => {
    expect(withLlm.classify(error).plan, errorText(error)).not.toContain('retry');
  });
});
