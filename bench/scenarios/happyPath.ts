import { retryBackoff as backoffRxjsRetry } from 'backoff-rxjs';
import { catchError, EMPTY, type Observable, range, retry } from 'rxjs';
import type { BenchConfig } from '../config.js';
import { interleave, type ScenarioResult, sink } from '../harness.js';
import { createRecoveryHub, defaultPatterns, retryBackoff, withRecovery } from '../lib.js';

export const HAPPY_BASELINE = 'nothing';
export const HAPPY_RXJS_RETRY = 'RxJS retry({ count: 3 })';
export const HAPPY_BACKOFF_RXJS = 'backoff-rxjs retryBackoff';
export const HAPPY_WITH_RECOVERY = 'withRecovery (default patterns, hub)';

/** `range(0, n)` with no error, through each operator: what recovery costs every value that flows. */
export async function happyPath(config: BenchConfig): Promise<ScenarioResult> {
  const n = config.happyValues;
  const source = range(0, n);
  const observer = {
    next: (value: number) => {
      sink.value += value;
    },
  };
  const hub = createRecoveryHub();
  hub.signals.subscribe(() => {
    sink.value += 1;
  });
  const piped: [string, Observable<number>, string?][] = [
    [HAPPY_BASELINE, source, 'range(0, n).subscribe() alone'],
    [HAPPY_RXJS_RETRY, source.pipe(retry({ count: 3 }))],
    ['RxJS catchError', source.pipe(catchError(() => EMPTY))],
    [
      HAPPY_BACKOFF_RXJS,
      source.pipe(backoffRxjsRetry({ initialInterval: 1000, maxRetries: 3 })),
      'backoff-rxjs 7.0.0: defer + retryWhen + concatMap + tap',
    ],
    ['rx-recovery retryBackoff()', source.pipe(retryBackoff())],
    [
      HAPPY_WITH_RECOVERY,
      source.pipe(withRecovery(defaultPatterns, { hub })),
      'a hub with a signals subscriber attached',
    ],
  ];
  for (const [name, observable] of piped) {
    let values = 0;
    let completed = false;
    observable.subscribe({
      next: () => {
        values += 1;
      },
      complete: () => {
        completed = true;
      },
    });
    if (values !== n || !completed)
      throw new Error(`happy path: ${name} delivered ${values} of ${n}`);
  }
  const variants = piped.map(([name, observable, note]) => ({
    name,
    fn: () => observable.subscribe(observer),
    units: n,
    ...(note === undefined ? {} : { note }),
  }));
  return {
    id: 'happy-path',
    title: `Happy path: range(0, ${n.toLocaleString('en-US')}), no error — ns per value`,
    unit: 'ns/value',
    baseline: HAPPY_BASELINE,
    variants: await interleave(variants, HAPPY_BASELINE, config.timing),
    notes: ['Each sample is one whole subscription (all n values); ns per value = sample / n.'],
  };
}
