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
import { check, delay, fn, number, scheduler as schedulerRule, shape } from '../config/check.js';
import { budgetHooksOf, budgetRule, type RetryBudget } from '../fleet/retryBudget.js';

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
   * Pays for hedges: each hedge withdraws one request, and a hedge the budget cannot pay
   * is not started. Each subscription deposits one request — unless an operator downstream
   * that shares the budget (`withRecovery`, `retryBackoff`) deposited for it: a request is
   * deposited once, however many retries resubscribe the hedge.
   * @default none: every hedge starts
   */
  budget?: RetryBudget | undefined;
  /** Where `delayMs` is waited. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
}

const hedgeOptions = /* @__PURE__ */ shape(
  {
    delayMs: /* @__PURE__ */ delay(),
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
 * cancelled: hedging is about latency; for failures, retry). With a `budget`, each hedge
 * must be paid for (a withdrawal); a hedge the budget cannot pay is not started.
 * Unsubscribing tears everything down, timers included.
 *
 * A request is deposited once, by the outermost operator of the pipeline that shares the
 * budget. Used alone, `hedge` deposits for each of its subscriptions. Under
 * `withRecovery({ budget })` or `retryBackoff({ budget })` with the same budget, that
 * operator deposits, and its retries, which subscribe the hedge again, withdraw: the hedge
 * deposits nothing. Likewise, what the hedge's attempts subscribe (a `withRecovery`
 * upstream) deposits nothing. "Under" means subscribed while the depositing operator
 * subscribes its source, synchronously, as the operators of one `pipe` are; a hedge that
 * subscription reaches only later (inside a `switchMap` of an async value) deposits for
 * itself, as does each resubscription by RxJS `retry`, which shares no budget.
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
  const purse = budgetHooksOf(budget);
  const cover = purse?.cover;
  return (source) =>
    new Observable<T>((subscriber) => {
      purse?.subscribed(); // a request, unless an operator downstream deposited for it
      /**
       * Hands an event on with the budget's cover lifted meanwhile: a request started
       * downstream is one of its own.
       */
      const pass = <V>(event: (value: V) => void, value: V) => {
        if (cover?.on) {
          cover.on = false;
          event.call(subscriber, value);
          cover.on = true;
        } else {
          event.call(subscriber, value);
        }
      };
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
            if (won()) pass(subscriber.next, value);
          },
          error(error: unknown) {
            if (attempt.closed) return; // a loser (the winner dropped it)
            if (winner !== attempt) {
              fail(error);
              return;
            }
            attempt.unsubscribe(); // the source's teardown runs before the error goes on
            pass(subscriber.error, error);
          },
          complete() {
            if (!won()) return;
            attempt.unsubscribe();
            pass(subscriber.complete, undefined);
          },
        });
        all.push(attempt);
        running++;
        const fail = (error: unknown) => {
          attempt.unsubscribe();
          if (--running > 0) return;
          drop();
          pass(subscriber.error, error);
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
        // A closed attempt (it lost while subscribing) ends the subscription at once. Under
        // the budget's cover: what the attempt subscribes belongs to this request.
        const was = cover?.on ?? false;
        if (cover) cover.on = true;
        try {
          input.subscribe(attempt);
        } finally {
          if (cover) cover.on = was;
        }
      };

      start(0);
      if (winner === undefined && running > 0) {
        hedges.add(
          timer(delayMs, delayMs, scheduler)
            .pipe(take(maxHedged))
            .subscribe((index) => {
              // A withdrawal, as for a retry.
              if (purse === undefined || purse.mayRetry('retry')) start(index + 1);
            }),
        );
      }
    });
}
