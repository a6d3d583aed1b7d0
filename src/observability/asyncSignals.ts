import type { Observable } from 'rxjs';
import { bufferedValuesFrom, eachValueFrom, latestValueFrom } from 'rxjs-for-await';
import type { RecoveryHub } from './hub.js';
import type { RecoverySignal } from './signals.js';

/** How a slow `for await` loop keeps up with signals. */
export type AsyncSignalMode = 'each' | 'buffered' | 'latest';

/**
 * The hub's signals (or any signal stream) as an async iterable, through rxjs-for-await:
 * `'each'` (default) yields every signal in order, queueing while the loop body awaits;
 * `'buffered'` yields arrays of the signals that arrived meanwhile; `'latest'` skips to
 * the newest. Leaving the loop unsubscribes.
 *
 * @example
 * ```ts
 * import { asyncSignals, createRecoveryHub } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * for await (const signal of asyncSignals(hub)) {
 *   if (signal.type === 'escalated') await tickets.open(signal.record);
 * }
 * ```
 */
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode?: 'each' | 'latest',
): AsyncIterable<RecoverySignal>;
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode: 'buffered',
): AsyncIterable<RecoverySignal[]>;
export function asyncSignals(
  source: RecoveryHub | Observable<RecoverySignal>,
  mode: AsyncSignalMode = 'each',
): AsyncIterable<RecoverySignal> | AsyncIterable<RecoverySignal[]> {
  const signals$ = 'isRecoveryHub' in source ? source.signals : source;
  if (mode === 'buffered') return bufferedValuesFrom(signals$);
  return mode === 'latest' ? latestValueFrom(signals$) : eachValueFrom(signals$);
}
