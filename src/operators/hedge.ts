import {
  asyncScheduler,
  from,
  identity,
  type MonoTypeOperatorFunction,
  Observable,
  type ObservableInput,
  type Observer,
  type SchedulerLike,
  Subscription,
  take,
  timer,
} from 'rxjs';
import { check, fn, number, scheduler as schedulerRule, shape } from '../config/check.js';
import { budgetProtocolOf, budgetRule, type RetryBudget } from '../fleet/retryBudget.js';
import { nonNegative } from '../fleet/rules.js';

/**
 * What `sources` is given for hedge `n`. Frozen.
 *
 * @example
 * ```ts
 * import { hedge, type HedgeContext } from 'rx-recovery';
 *
 * const askReplica = ({ attempt, signal }: HedgeContext) =>
 *   fetch(`https://replica-${attempt}.example.com/answer`, { signal }).then((r) => r.json());
 * answer$.pipe(hedge({ delayMs: 200, maxHedged: 2, sources: askReplica }));
 * ```
 */
export interface HedgeContext {
  /** Which hedge this is: 1 for the first, up to `maxHedged`. */
  readonly attempt: number;
  /**
   * Aborted when this hedge is torn down: it lost, the stream was unsubscribed, or it
   * ended. Hand it to `fetch` so that a losing request stops.
   */
  readonly signal: AbortSignal;
}

/**
 * Options of {@link hedge}. Strict: an unknown key is a `RecoveryConfigError`.
 *
 * @example
 * ```ts
 * import { createRetryBudget, hedge, type HedgeOptions } from 'rx-recovery';
 *
 * const options: HedgeOptions<string> = { delayMs: 500, maxHedged: 2, budget: createRetryBudget({ ratio: 0.05 }) };
 * completion$.pipe(hedge(options));
 * ```
 */
export interface HedgeOptions<T> {
  /**
   * How long the attempts running may stay silent before the next hedge starts, in ms;
   * hedges start at `delayMs`, `2 × delayMs` … after the subscription. Pick about the
   * 95th percentile of the source's latency.
   */
  delayMs: number;
  /** Hedges at most, besides the first subscription. `0` returns the source untouched. @default 1 */
  maxHedged?: number | undefined;
  /**
   * What hedge `n` subscribes to (another replica, another model).
   * @default the source again
   */
  sources?: ((context: HedgeContext, n: number) => ObservableInput<T>) | undefined;
  /**
   * Pays for hedges: each subscription deposits one request, each hedge withdraws one,
   * and a hedge the budget cannot pay is not started.
   * @default none: every hedge starts
   */
  budget?: RetryBudget | undefined;
  /** Where `delayMs` is waited. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
}

const hedgeOptions = /* @__PURE__ */ shape(
  {
    delayMs: nonNegative,
    maxHedged: /* @__PURE__ */ number({ int: true, min: 0 }),
    sources: /* @__PURE__ */ fn('(context, n) => ObservableInput'),
    budget: budgetRule,
    scheduler: schedulerRule,
  },
  ['delayMs'],
);

/**
 * Hedged requests: when the source has not emitted within `delayMs`, subscribes to it
 * again (or to `sources(context, n)`) without dropping the first subscription; the first
 * attempt to emit (or complete) wins, every other is unsubscribed at once, and the stream
 * mirrors the winner — its values, its completion, its error.
 *
 * In plain words: when an answer is late, ask again in parallel and take whichever
 * answer comes first — the tail latency of one slow replica stops being yours.
 *
 * Up to `maxHedged` hedges start, `delayMs` apart, while no attempt has emitted. An
 * attempt that fails before any has emitted is dropped; the stream errors, with the last
 * error, only when every attempt started has failed (hedges not yet started are then
 * cancelled: hedging is about latency; for failures, retry). With a `budget`, each
 * subscription deposits a request and each hedge must be paid for; a hedge the budget
 * cannot pay is not started. Unsubscribing tears everything down, timers included.
 *
 * ```text
 * hedge({ delayMs: 3, sources: () => b$ })
 * source:  -------a|    (the first subscription: slow; unsubscribed when b wins)
 * b$:         ---b|     (hedge 1, subscribed at 3 ms)
 * result:  ------b|
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { createRetryBudget, hedge } from 'rx-recovery';
 *
 * const budget = createRetryBudget({ ratio: 0.1, minPerSecond: 1 }); // hedges add ≤ 10 % load
 * defer(() => fetch('/api/quote').then((r) => r.json()))
 *   .pipe(hedge({ delayMs: 250, maxHedged: 1, budget }))
 *   .subscribe((quote) => console.log(quote));
 * // Output: the quote, from whichever request answered first; when the first answers
 * // within 250 ms, only one request is made.
 * ```
 * @param options See {@link HedgeOptions}; `delayMs` is required.
 * @returns An operator that hedges every subscription of the source.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad option.
 * @see createRetryBudget, circuitBreaker
 */
export function hedge<T>(options: HedgeOptions<T>): MonoTypeOperatorFunction<T> {
  check(hedgeOptions, options, 'options');
  const { delayMs, sources, budget } = options;
  const maxHedged = options.maxHedged ?? 1;
  const scheduler = options.scheduler ?? asyncScheduler;
  if (maxHedged === 0) return identity;
  const purse = budgetProtocolOf(budget);
  return (source) =>
    new Observable<T>((subscriber) => {
      purse?.deposit();
      const hedges = new Subscription();
      /**
       * The pending hedges, then every attempt started (the first subscription, then each
       * hedge). An attempt is a Subscription: closed when it failed or lost, and then
       * nothing it sends matters any more; closing it unsubscribes it and aborts its signal.
       */
      const all = [hedges];
      const drop = (except?: Subscription) => {
        for (const other of all) if (other !== except) other.unsubscribe();
      };
      // Before the first subscribe: a synchronous source must see an unsubscribe at once.
      subscriber.add(() => drop());
      let winner: Subscription | undefined;
      let running = 0;

      const start = (n: number) => {
        /**
         * The attempt is its own subscriber (a Subscription with `next`/`error`/`complete`
         * is used by RxJS as the subscriber itself), so closing it — when it loses, or the
         * downstream unsubscribes — stops even a synchronous source at once.
         */
        const attempt: Subscription & Observer<T> = Object.assign(new Subscription(), {
          next(value: T) {
            if (won()) subscriber.next(value);
          },
          error(error: unknown) {
            if (attempt.closed) return; // a loser (the winner dropped it)
            if (winner !== attempt) {
              fail(error);
              return;
            }
            attempt.unsubscribe(); // the source's teardown runs before the error goes on
            subscriber.error(error);
          },
          complete() {
            if (!won()) return;
            attempt.unsubscribe();
            subscriber.complete();
          },
        });
        all.push(attempt);
        running++;
        const fail = (error: unknown) => {
          attempt.unsubscribe();
          if (--running > 0) return;
          drop();
          subscriber.error(error);
        };
        /** Whether this attempt is the winner; the first to ask, while none is, wins. */
        const won = () => {
          if (winner === undefined && !attempt.closed) {
            winner = attempt;
            drop(attempt);
          }
          return winner === attempt && !attempt.closed;
        };
        let input: Observable<T> = source;
        if (n > 0 && sources !== undefined) {
          const controller = new AbortController();
          attempt.add(() => controller.abort());
          try {
            // `from` throws for what is not an ObservableInput: a failed attempt as well.
            input = from(sources(Object.freeze({ attempt: n, signal: controller.signal }), n));
          } catch (error) {
            fail(error);
            return;
          }
        }
        // A closed attempt (it lost while subscribing) ends the subscription at once.
        input.subscribe(attempt);
      };

      start(0);
      if (winner === undefined && running > 0) {
        hedges.add(
          timer(delayMs, delayMs, scheduler)
            .pipe(take(maxHedged))
            .subscribe((index) => {
              if (purse === undefined || purse.tryWithdraw()) start(index + 1);
            }),
        );
      }
    });
}
