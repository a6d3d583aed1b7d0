import { asyncScheduler, from, Observable, Subject, take, takeUntil } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  type EscalationRecord,
  isRecoveryConfigError,
  withRecovery,
} from '../../src/index.js';
import { timeoutError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

/** A synchronous source of up to 1000 values that counts what it was made to produce. */
function counted() {
  const pulled = { n: 0 };
  function* values() {
    for (let i = 0; i < 1000; i++) {
      pulled.n++;
      yield i;
    }
  }
  return { source: from(values()), pulled };
}

describe('review: a call through a breaker is not chained to its subscriber (synchronous sources)', () => {
  it('circuitBreaker: take(1) after a synchronous source stops it at once, as with any RxJS operator', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 3 } });
    const { source, pulled } = counted();
    const out: number[] = [];
    source.pipe(circuitBreaker(breaker), take(1)).subscribe((v) => out.push(v));
    expect(out).toEqual([0]);
    expect(pulled.n).toBe(1); // today: 1000 (an infinite generator never returns)
  });

  it('withRecovery({ breaker }): take(1) after a synchronous source stops it at once, as without a breaker', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 3 } });
    const { source, pulled } = counted();
    source.pipe(withRecovery(undefined, { breaker }), take(1)).subscribe();
    expect(pulled.n).toBe(1); // today: 1000; without `breaker`: 1
  });

  it('a call unsubscribed before its outcome is not counted, even when its source then errors', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
    const stop = new Subject<void>();
    const source = new Observable<string>((subscriber) => {
      stop.next(); // the consumer unsubscribes the call…
      subscriber.error(new Error('ECONNRESET')); // …which RxJS would then drop
    });
    source.pipe(circuitBreaker(breaker), takeUntil(stop)).subscribe();
    // today: failures 1, state 'open'
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 });
  });
});

describe('review: deadlineMs while an escalation waits for a person', () => {
  it('does not escalate the same recovery a second time', () => {
    const hub = createRecoveryHub();
    const told: EscalationRecord[] = [];
    let pending: number | undefined;
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const result = cold('-#', undefined, timeoutError).pipe(
        withRecovery(undefined, {
          hub,
          deadlineMs: 100,
          retry: { baseDelayMs: 1 },
          escalation: { await: true, onEscalate: (record) => void told.push(record) },
        }),
      );
      // Three retries (1, 2, 4 ms), then at 11 the plan escalates and waits for a person.
      expectObservable(result, '^ 200ms !').toBe('');
      asyncScheduler.schedule(() => {
        pending = hub.pendingEscalations().length;
      }, 150);
      flush();
    });
    // today: at 101 the deadline escalates again: onEscalate is called a second time (with
    // the DeadlineExceededError) and two records of one subscription wait
    expect(told.map((record) => record.message)).toEqual(['Error: Request timed out']);
    expect(pending).toBe(1);
  });
});

describe('review: a large trip count is accepted by the checks, then throws a RangeError', () => {
  it.each([
    { consecutive: 2 ** 31 },
    { consecutive: Number.MAX_SAFE_INTEGER },
    { rate: 0.5, minimumCalls: 10, window: { calls: 2 ** 32 } },
  ])('createCircuitBreaker({ trip: %j }) makes a breaker or throws RecoveryConfigError', (trip) => {
    let thrown: unknown;
    try {
      createCircuitBreaker({ trip }).dispose();
    } catch (error) {
      thrown = error;
    }
    // today: RangeError: Invalid typed array length
    if (thrown !== undefined) expect(isRecoveryConfigError(thrown)).toBe(true);
  });
});
