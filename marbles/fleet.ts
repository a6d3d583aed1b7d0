import { catchError, merge, type Observable, of, retry, switchMap, timer } from 'rxjs';
import { isBrokenCircuitError } from '../src/fleet/BrokenCircuitError.js';
import { createCircuitBreaker } from '../src/fleet/circuitBreaker.js';
import { createRetryBudget } from '../src/fleet/retryBudget.js';
import { circuitBreaker } from '../src/operators/circuitBreaker.js';
import { hedge } from '../src/operators/hedge.js';
import { retryBackoff } from '../src/operators/retryBackoff.js';
import type { MarbleCase } from './case.js';

const unavailable = new Error('HTTP 503 Service Unavailable');

export const fleetCases: readonly MarbleCase[] = [
  {
    title:
      'circuitBreaker: two failures in a row open the circuit; the next calls are refused and never reach the source',
    operator: 'circuitBreaker(breaker), retry({ count: 3, delay: 10 })',
    source: '-#',
    sourceError: unavailable,
    build: () => {
      const breaker = createCircuitBreaker({ name: 'llm', trip: { consecutive: 2 }, openMs: 100 });
      return (source) => source.pipe(circuitBreaker(breaker), retry({ count: 3, delay: 10 }));
    },
    expected: '32ms #',
    expectedError: {
      name: 'BrokenCircuitError',
      message: 'Circuit "llm" is open: calls are refused for another 80 ms',
    },
    subscriptions: ['^!', '11ms ^!'],
  },
  {
    title:
      'circuitBreaker: after openMs the circuit is half-open: one trial runs, a second call is refused (r), and the trial closes it',
    operator: 'circuitBreaker(breaker) — calls at 0 (f: fails), 5, 11, 12 and 20 ms',
    source: '---a|',
    build: ({ cold }) => {
      const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 10 });
      const call = (input: Observable<unknown>) =>
        input.pipe(
          circuitBreaker(breaker),
          catchError((error: unknown) => of(isBrokenCircuitError(error) ? 'r' : 'f')),
        );
      return (source) =>
        merge(
          call(cold('-#', undefined, unavailable)), // fails at 1 ms: open until 11 ms
          timer(5).pipe(switchMap(() => call(source))), // open: refused
          timer(11).pipe(switchMap(() => call(source))), // half-open: the trial
          timer(12).pipe(switchMap(() => call(source))), // the trial runs: refused
          timer(20).pipe(switchMap(() => call(source))), // closed again: passes
        );
    },
    expected: '-f---r------r-a--------a|',
    subscriptions: ['11ms ^---!', '20ms ^---!'],
  },
  {
    title:
      'hedge: the source is silent for 3 ms, so a hedge starts; it answers first, and the source is unsubscribed',
    operator: 'hedge({ delayMs: 3, sources: () => b$ })',
    source: '-------a|',
    build: ({ cold }) => hedge({ delayMs: 3, sources: () => cold('---b|') }),
    expected: '------b|',
    subscriptions: ['^-----!'],
  },
  {
    title: 'hedge: the first subscription answers first; the hedge is unsubscribed at once',
    operator: 'hedge({ delayMs: 2 })',
    source: '----a|',
    build: () => hedge({ delayMs: 2 }),
    expected: '----a|',
    subscriptions: ['^----!', '2ms ^-!'],
  },
  {
    title: 'hedge: the stream errors only when every attempt has failed, with the last error',
    operator: 'hedge({ delayMs: 2 })',
    source: '---#',
    sourceError: unavailable,
    build: () => hedge({ delayMs: 2 }),
    expected: '-----#',
    expectedError: unavailable,
    subscriptions: ['^--!', '2ms ^--!'],
  },
  {
    title: 'hedge: the budget (ratio 1) pays for the first hedge, not the second',
    operator: 'hedge({ delayMs: 2, maxHedged: 2, budget })',
    source: '-------a|',
    build: () =>
      hedge({ delayMs: 2, maxHedged: 2, budget: createRetryBudget({ ratio: 1, minPerSecond: 0 }) }),
    expected: '-------a|',
    subscriptions: ['^-------!', '2ms ^----!'],
  },
  {
    title:
      'retryBackoff: the budget (ratio 1) pays for one retry, for the one request it saw; the next retry is skipped and the error goes through',
    operator: 'retryBackoff({ maxRetries: 3, baseDelayMs: 10, budget })',
    source: '-#',
    sourceError: unavailable,
    build: () =>
      retryBackoff({
        maxRetries: 3,
        baseDelayMs: 10,
        budget: createRetryBudget({ ratio: 1, minPerSecond: 0 }),
      }),
    expected: '12ms #',
    expectedError: unavailable,
    subscriptions: ['^!', '11ms ^!'],
  },
];
