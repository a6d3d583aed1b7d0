import type { MonoTypeOperatorFunction } from 'rxjs';
import { check } from '../config/check.js';
import {
  type BreakerProtocol,
  breakerProtocolOf,
  breakerRule,
  type CircuitBreaker,
} from '../fleet/circuitBreaker.js';
import { throughBreaker } from '../fleet/throughBreaker.js';
import { classify } from '../patterns/classifier.js';

/**
 * Guards a source with a circuit breaker: each subscription is a call the breaker admits
 * or refuses. While the breaker is open (or isolated, or half-open with every trial
 * permit taken), subscribing errors at once with a `BrokenCircuitError` and the source is
 * **never subscribed**.
 *
 * In plain words: stop calling a dependency that keeps failing; the breaker decides,
 * this operator asks it.
 *
 * A call succeeds on its first value or on completion, fails on an error that the
 * breaker's `countsAsFailure` counts (it is given the error's classification by the
 * default patterns), and is not counted when it is unsubscribed before either (a
 * half-open permit is given back). The outcome reaches the breaker before the value or
 * error goes downstream, so a retry below sees the breaker's new state. Values,
 * completion and errors pass through untouched; the happy path classifies nothing.
 *
 * ```text
 * closed:  source  --a--|          open:  source  (never subscribed)
 *          result  --a--|                 result  #   (BrokenCircuitError)
 * ```
 *
 * @example
 * ```ts
 * import { defer, retry } from 'rxjs';
 * import { circuitBreaker, createCircuitBreaker, isBrokenCircuitError } from 'rx-recovery';
 *
 * const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 2 }, openMs: 30_000 });
 * const complete = (prompt: string) =>
 *   defer(() => client.complete(prompt)).pipe(circuitBreaker(breaker), retry({ count: 3, delay: 1000 }));
 *
 * complete('hello').subscribe({
 *   next: (text) => console.log(text),
 *   error: (error: unknown) => console.log(isBrokenCircuitError(error) ? error.message : error),
 * });
 * // Output, when the API is down: two calls reach it and fail; the third and fourth are refused:
 * // Circuit "model-api" is open: calls are refused for another 28000 ms
 * ```
 * @param breaker A breaker made by `createCircuitBreaker`; share one between every
 * pipeline that calls the same dependency.
 * @returns An operator that runs every subscription of the source through `breaker`.
 * @throws RecoveryConfigError, when the pipe is built, if `breaker` is not a circuit breaker.
 * @see createCircuitBreaker, BrokenCircuitError, withRecovery (its `breaker` option)
 */
export function circuitBreaker<T>(breaker: CircuitBreaker): MonoTypeOperatorFunction<T> {
  check(breakerRule, breaker, 'breaker');
  return throughBreaker(breakerProtocolOf(breaker) as BreakerProtocol, classify);
}
