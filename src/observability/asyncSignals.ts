import type { Observable, Subscription } from 'rxjs';
import { bufferedValuesFrom, eachValueFrom } from 'rxjs-for-await';
import { describeValue, oneOf, rule, throwIfAny } from '../config/check.js';
import type { RecoveryHub } from './hub.js';
import type { RecoverySignal } from './signals.js';

/**
 * How a slow `for await` loop over {@link asyncSignals} keeps up with the signals.
 *
 * In plain words: `'each'` loses nothing, `'buffered'` batches, `'latest'` drops.
 *
 * - `'each'` yields every signal in order, queueing those that arrive while the loop body
 *   awaits (the queue has no bound: keep the body quick, or batch).
 * - `'buffered'` yields arrays: every signal that arrived since the last turn of the loop.
 * - `'latest'` yields only the newest signal, skipping those the loop was too slow to see:
 *   the loop gets, when it asks, the newest signal it has not seen (one that arrived while
 *   its body awaited included), else the next to arrive; when the stream ends, the newest
 *   unseen signal still comes before the end.
 *
 * @example
 * ```ts
 * import { asyncSignals, createRecoveryHub } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * for await (const batch of asyncSignals(hub, 'buffered')) {
 *   await auditLog.write(batch); // every signal published while the last write ran
 * }
 * ```
 */
export type AsyncSignalMode = 'each' | 'buffered' | 'latest';

/**
 * The hub's signals (or any signal stream) as an async iterable: `'each'` (default) yields
 * every signal in order, queueing while the loop body awaits; `'buffered'` yields arrays of
 * the signals that arrived meanwhile (these two through rxjs-for-await); `'latest'` skips
 * to the newest. Leaving the loop unsubscribes. The subscription is made when the loop
 * starts (the first `next()`); iterate each result once.
 *
 * In plain words: recovery signals for code that prefers `for await` to `subscribe`.
 *
 * The loop only sees signals published after it starts; like any subscriber of the hub,
 * it sees every pipeline that publishes there.
 *
 * @example
 * ```ts
 * import { asyncSignals, createRecoveryHub, withRecovery } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * generation$.pipe(withRecovery(undefined, { hub })).subscribe(save);
 *
 * for await (const signal of asyncSignals(hub)) {
 *   if (signal.type === 'escalated') await tickets.open(signal.record);
 * }
 * // → one ticket per escalation, opened in order, however long tickets.open takes
 * ```
 * @param source A hub from {@link createRecoveryHub}, or any stream of signals (such as
 * the `Subject` passed as `signals`).
 * @param mode `'each'` or `'latest'`; see {@link AsyncSignalMode}. Defaults to `'each'`.
 * @returns An async iterable of signals; breaking out of the loop unsubscribes.
 * @throws RecoveryConfigError, at once, for a `mode` that is not one of the three, or a
 * `source` that is neither a hub nor an Observable (`mode: must be one of each, buffered,
 * latest, got "lates"`).
 * @see createRecoveryHub
 */
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode?: 'each' | 'latest',
): AsyncIterable<RecoverySignal>;
/**
 * With `'buffered'`: yields arrays, each holding every signal that arrived since the
 * loop last asked, so a slow loop body handles them in batches and loses none.
 *
 * @example
 * ```ts
 * import { asyncSignals } from 'rx-recovery';
 *
 * for await (const batch of asyncSignals(hub, 'buffered')) {
 *   await metricsStore.insertMany(batch.map(({ type, at }) => ({ type, at })));
 * }
 * ```
 * @param source A hub from {@link createRecoveryHub}, or any stream of signals.
 * @param mode `'buffered'`.
 * @returns An async iterable of signal batches; breaking out of the loop unsubscribes.
 * @throws RecoveryConfigError, at once, for a `source` that is neither a hub nor an
 * Observable.
 */
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode: 'buffered',
): AsyncIterable<RecoverySignal[]>;
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode: AsyncSignalMode = 'each',
): AsyncIterable<RecoverySignal> | AsyncIterable<RecoverySignal[]> {
  const issues: string[] = [];
  sourceRule(source, 'source', issues);
  modeRule(mode, 'mode', issues);
  throwIfAny(issues);
  const signals = 'isRecoveryHub' in source ? source.signals : source;
  return mode === 'buffered'
    ? bufferedValuesFrom(signals)
    : mode === 'latest'
      ? latestFrom(signals)
      : eachValueFrom(signals);
}

const modeRule = /* @__PURE__ */ oneOf(['each', 'buffered', 'latest']);
const sourceRule = /* @__PURE__ */ rule(
  (value) =>
    !(
      typeof value === 'object' &&
      value !== null &&
      ('isRecoveryHub' in value || typeof (value as Observable<unknown>).subscribe === 'function')
    ) && `must be a RecoveryHub or an Observable of signals, got ${describeValue(value)}`,
);

/** A `next()` waiting for a value. */
interface Waiting<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * `'latest'`: an async iterator over one subscription to `source`, made by the first
 * `next()`. A value that arrives while a `next()` waits answers it at once; otherwise it is
 * held — a newer one replaces it, unseen — until the next `next()` takes it. When the
 * source ends, the value held is still yielded; then the end: done, or the source's error
 * (once; then done). `return()` and `throw()` unsubscribe, drop what is held and settle
 * every waiting `next()` as done. (rxjs-for-await's `latestValueFrom` lost a value that
 * arrived while the loop body awaited, and the one held at completion.)
 */
function latestFrom<T>(source: Observable<T>): AsyncIterableIterator<T> {
  let started = false;
  let subscription: Subscription | undefined;
  /** The newest value no `next()` has taken yet. */
  let held: { value: T } | undefined;
  /** How the source ended, once it has: told after the value held. */
  let ended: { error: unknown } | 'complete' | undefined;
  /** Nothing more to yield: the end was told, or the consumer left. */
  let over = false;
  /** `next()` calls waiting, oldest first: they wait only while nothing is held. */
  const waiting: Waiting<T>[] = [];
  /** Ends the iteration: every waiting `next()` is told `done`. */
  const close = () => {
    over = true;
    held = undefined;
    for (const next of waiting.splice(0)) next.resolve(DONE);
  };
  /** The source ended; a waiting `next()` (nothing is held then) is told at once. */
  const end = (how: NonNullable<typeof ended>) => {
    ended = how;
    const first = waiting.shift();
    if (!first) return;
    if (how === 'complete') first.resolve(DONE);
    else first.reject(how.error);
    close();
  };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (!over && !started) {
        started = true;
        subscription = source.subscribe({
          next: (value) => {
            const next = waiting.shift();
            if (next) next.resolve({ value, done: false });
            else held = { value };
          },
          error: (error: unknown) => end({ error }),
          complete: () => end('complete'),
        });
        // Left while subscribing (by the source itself): `return()` found nothing to end.
        if (over) subscription.unsubscribe();
      }
      if (held) {
        const { value } = held;
        held = undefined;
        return Promise.resolve({ value, done: false });
      }
      if (over) return Promise.resolve(DONE);
      if (ended) {
        close();
        return ended === 'complete' ? Promise.resolve(DONE) : Promise.reject(ended.error);
      }
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting.push({ resolve, reject });
      });
    },
    return(value?: unknown) {
      close();
      subscription?.unsubscribe();
      return Promise.resolve({ value, done: true });
    },
    throw(error?: unknown) {
      close();
      subscription?.unsubscribe();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
