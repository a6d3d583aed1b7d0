import { Observable } from 'rxjs';
import { defaultPatterns, type ErrorPattern } from './lib.js';

/** The error every failure-path source throws: the default `operation_timeout` matches it. */
export const TIMEOUT_ERROR = new Error('Request timed out after 30000ms');

/**
 * A source whose subscriptions fail synchronously with `error` until `failures` of them have
 * failed, then emit one value and complete. `reset()` rearms it for the next run.
 */
export function failingSource(failures: number, error: unknown = TIMEOUT_ERROR) {
  let subscriptions = 0;
  const source = new Observable<number>((subscriber) => {
    subscriptions += 1;
    if (subscriptions <= failures) subscriber.error(error);
    else {
      subscriber.next(subscriptions);
      subscriber.complete();
    }
  });
  return {
    source,
    reset: () => {
      subscriptions = 0;
    },
    get subscriptions() {
      return subscriptions;
    },
  };
}

/** A synchronous function that throws `failures` times, then returns: the promise peers' input. */
export function failingCall(failures: number, error: unknown = TIMEOUT_ERROR) {
  let calls = 0;
  return {
    call: () => {
      calls += 1;
      if (calls <= failures) throw error;
      return calls;
    },
    reset: () => {
      calls = 0;
    },
  };
}

/** The default patterns, with `operation_timeout` allowed `maxRetries` retries. */
export function defaultPatternsRetrying(maxRetries: number): ErrorPattern[] {
  return defaultPatterns.map((pattern) =>
    pattern.id === 'operation_timeout' ? { ...pattern, maxRetries } : pattern,
  );
}
