import type { CircuitState } from '../observability/signals.js';
import { ISOLATED, OPEN } from './breakerState.js';
import { safely } from './safely.js';

/** The states in which a circuit breaker refuses a call. */
export type RefusingCircuitState = Exclude<CircuitState, 'closed'>;

/**
 * The error a call fails with when its circuit breaker refuses it: the breaker is open,
 * isolated, or half-open with every trial permit taken. The source was never subscribed.
 *
 * In plain words: "don't call that dependency now; here is how long to wait". The
 * built-in `circuit_open` pattern routes it to an alternative, a degradation level or a
 * human, never to a retry. Recognise it with {@link isBrokenCircuitError}, which works
 * across copies of the package.
 *
 * @example
 * ```ts
 * import { circuitBreaker, createCircuitBreaker, isBrokenCircuitError } from 'rx-recovery';
 *
 * const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 5 } });
 * completion$.pipe(circuitBreaker(breaker)).subscribe({
 *   error: (error: unknown) => {
 *     if (isBrokenCircuitError(error)) {
 *       console.log(error.message); // Circuit "model-api" is open: calls are refused for another 29000 ms
 *       console.log(error.breakerName, error.state, error.retryAfterMs); // model-api open 29000
 *     }
 *   },
 * });
 * ```
 */
export class BrokenCircuitError extends Error {
  /** Always `'BrokenCircuitError'`: what the `circuit_open` pattern matches. */
  override readonly name = 'BrokenCircuitError';
  /** Brand: always `true`. What {@link isBrokenCircuitError} checks, across copies of the package. */
  readonly isBrokenCircuitError = true;
  /** The `name` of the breaker that refused the call. */
  declare readonly breakerName: string;
  /** The breaker's state when it refused. */
  declare readonly state: RefusingCircuitState;
  /**
   * How long to wait before calling again, in ms: the rest of the open period when
   * `open` (`Infinity` when `openMs` is: it stays open until `reset()`); `0` when
   * `half_open` (a trial is running: its outcome decides); `Infinity` when `isolated`
   * (nobody knows when it will be released).
   */
  declare readonly retryAfterMs: number;

  /**
   * @param breakerName The breaker's `name`.
   * @param state The state that refused the call.
   * @param retryAfterMs How long to wait, in ms (see {@link BrokenCircuitError.retryAfterMs}).
   */
  constructor(breakerName: string, state: RefusingCircuitState, retryAfterMs: number) {
    super(
      `Circuit ${JSON.stringify(breakerName)} is ${
        state === OPEN
          ? retryAfterMs === Number.POSITIVE_INFINITY
            ? 'open: calls are refused until it is reset' // openMs Infinity
            : `open: calls are refused for another ${retryAfterMs} ms`
          : state === ISOLATED
            ? 'isolated: calls are refused until it is released'
            : 'half-open and its trial calls are taken'
      }`,
    );
    Object.assign(this, { breakerName, state, retryAfterMs });
  }
}

/**
 * True for a {@link BrokenCircuitError}, also when it comes from another copy of the
 * package (ESM and CJS copies loaded side by side), where `instanceof` fails. It checks
 * the `isBrokenCircuitError` brand, and never throws.
 *
 * @example
 * ```ts
 * import { catchError, of } from 'rxjs';
 * import { circuitBreaker, isBrokenCircuitError } from 'rx-recovery';
 *
 * completion$.pipe(
 *   circuitBreaker(breaker),
 *   catchError((error: unknown) => {
 *     if (isBrokenCircuitError(error)) return of(cachedAnswer); // the circuit is open: serve the cache
 *     throw error;
 *   }),
 * );
 * ```
 * @param error Anything thrown.
 * @returns Whether `error` is a `BrokenCircuitError`.
 */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return safely(error, 'isBrokenCircuitError') === true; // a revoked proxy or a throwing getter: not ours
}
