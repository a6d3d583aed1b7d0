import type { Observable } from 'rxjs';
import { bufferedValuesFrom, eachValueFrom, latestValueFrom } from 'rxjs-for-await';
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
 * - `'latest'` yields only the newest signal, skipping those the loop was too slow to see.
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
 * The hub's signals (or any signal stream) as an async iterable, through rxjs-for-await:
 * `'each'` (default) yields every signal in order, queueing while the loop body awaits;
 * `'buffered'` yields arrays of the signals that arrived meanwhile; `'latest'` skips to
 * the newest. Leaving the loop unsubscribes.
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
 */
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode: 'buffered',
): AsyncIterable<RecoverySignal[]>;
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode: AsyncSignalMode = 'each',
): AsyncIterable<RecoverySignal> | AsyncIterable<RecoverySignal[]> {
  const from =
    mode === 'buffered' ? bufferedValuesFrom : mode === 'latest' ? latestValueFrom : eachValueFrom;
  return from('isRecoveryHub' in source ? source.signals : source);
}
