import {
  asyncScheduler,
  concat,
  concatMap,
  defer,
  EMPTY,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
  takeWhile,
  throwError,
  timer,
} from 'rxjs';
import {
  arrayOf,
  boolean,
  check,
  delay,
  number,
  scheduler as schedulerRule,
  shape,
} from '../config/check.js';

/**
 * Options of {@link injectFaults}.
 *
 * @example
 * ```ts
 * import type { InjectFaultsOptions } from 'rx-recovery';
 *
 * const flakyNetwork: InjectFaultsOptions = {
 *   rate: 0.2, // one value in five fails
 *   seed: 7, // the same faults on every run
 *   errors: [() => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
 *   delayMs: 50, // a failure takes 50 ms to arrive
 * };
 * ```
 */
export interface InjectFaultsOptions {
  /** Probability, in [0, 1], that a value is replaced by a failure. */
  rate: number;
  /**
   * Draw for the completion too, so that an empty source can fail. Off by default: a
   * source that emitted and then fails is resubscribed by a retry and emits again.
   * @default false
   */
  failCompletion?: boolean | undefined;
  /**
   * What is thrown: errors, or factories making a fresh one each time (so every failure
   * has its own stack) — a function is called, a class (`class extends Error`) constructed
   * with no argument. One is picked at random per failure. @default a `FaultInjectedError`
   */
  errors?: readonly (unknown | (() => unknown) | (new () => unknown))[] | undefined;
  /** Seed of the generator: the same seed and the same subscriptions give the same faults. @default 1 */
  seed?: number | undefined;
  /** A failure waits this long before it is delivered, as a slow failure would. @default 0 */
  delayMs?: number | undefined;
  /** Where the delay waits. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
}

const injectFaultsRules = /* @__PURE__ */ shape(
  {
    rate: /* @__PURE__ */ number({ min: 0, max: 1 }),
    failCompletion: boolean,
    errors: /* @__PURE__ */ arrayOf(() => {}, { nonEmpty: true }),
    seed: /* @__PURE__ */ number({ int: true }),
    delayMs: /* @__PURE__ */ delay(),
    scheduler: schedulerRule,
  },
  ['rate'],
);

/** mulberry32: a small, fast 32-bit generator; enough for choosing faults. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Injects failures into a stream, for chaos testing: each value (and, with
 * `failCompletion`, the completion) is replaced by an error with probability `rate`, drawn
 * from a seeded generator, so a test or a demo fails the same way every time.
 *
 * In plain words: a flaky dependency on demand, reproducible.
 *
 * The generator belongs to the operator, not to one subscription: a resubscription
 * (a retry) draws the next numbers, so it may succeed where the first try failed — as a
 * real flaky service does. The same seed and the same order of subscriptions give the
 * same faults.
 *
 * ```text
 * source:                          --a--b--c--|
 * injectFaults({ rate: 0.5 }):     --a--#          (b drew a failure)
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { injectFaults, withRecovery } from 'rx-recovery';
 *
 * defer(() => fetchContract(id))
 *   .pipe(
 *     injectFaults({ rate: 0.3, seed: 42, errors: [() => new Error('Request timed out')] }),
 *     withRecovery(),
 *   )
 *   .subscribe((contract) => console.log(contract.id));
 * // Output: the contract, after as many timeouts (and retries) as seed 42 draws
 * ```
 * @param options See {@link InjectFaultsOptions}.
 * @returns An operator that makes its source fail at random, reproducibly.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad option.
 */
export function injectFaults<T>(options: InjectFaultsOptions): MonoTypeOperatorFunction<T> {
  check(injectFaultsRules, options, 'options');
  const {
    rate,
    errors,
    seed = 1,
    failCompletion = false,
    delayMs = 0,
    scheduler = asyncScheduler,
  } = options;
  const random = generator(seed);
  /** A failure (after its delay), with the error drawn now. */
  const failure = (): Observable<never> => {
    const picked = errors?.[Math.floor(random() * errors.length)];
    const error = errors
      ? typeof picked === 'function'
        ? make(picked as () => unknown)
        : picked
      : new FaultInjectedError();
    return delayMs > 0
      ? timer(delayMs, scheduler).pipe(concatMap(() => throwError(() => error)))
      : throwError(() => error);
  };
  return (source) =>
    defer(() => {
      let faulted = false;
      return concat(
        // Stop the source at the fault, then deliver the failure (after its delay).
        source.pipe(
          takeWhile(() => {
            faulted = random() < rate;
            return !faulted;
          }),
        ),
        defer(() => (faulted || (failCompletion && random() < rate) ? failure() : EMPTY)),
      );
    });
}

/**
 * The error {@link injectFaults} throws when no `errors` are given.
 *
 * @example
 * ```ts
 * import { of } from 'rxjs';
 * import { FaultInjectedError, injectFaults } from 'rx-recovery';
 *
 * of(1)
 *   .pipe(injectFaults({ rate: 1 }))
 *   .subscribe({ error: (error) => console.log(error instanceof FaultInjectedError, error.message) });
 * // → true Fault injected by injectFaults
 * ```
 */
export class FaultInjectedError extends Error {
  /** Always `'FaultInjectedError'`, so the error reads well in logs and classifies by name. */
  override readonly name = 'FaultInjectedError';
  constructor() {
    super('Fault injected by injectFaults');
  }
}

/** A fresh error from a factory: a class is constructed (it cannot be called), a function called. */
function make(factory: (() => unknown) | (new () => unknown)): unknown {
  return /^class\b/.test(Function.prototype.toString.call(factory))
    ? new (factory as new () => unknown)()
    : (factory as () => unknown)();
}
