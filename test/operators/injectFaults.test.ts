import { of, range, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  FaultInjectedError,
  injectFaults,
  isRecoveryConfigError,
  retryBackoff,
} from '../../src/index.js';
import { testScheduler } from '../helpers/marbles.js';

// Seed 1 draws 0.63, 0.00, 0.53, 0.98, 0.97, 0.28, … (mulberry32).
const fault = expect.any(FaultInjectedError);

describe('injectFaults', () => {
  it('passes everything through at rate 0, and fails the first notification at rate 1', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|');
      expectObservable(source.pipe(injectFaults({ rate: 0 }))).toBe('-a-b-|');
      expectObservable(source.pipe(injectFaults({ rate: 1 }))).toBe('-#', undefined, fault);
      expectSubscriptions(source.subscriptions).toBe(['^----!', '^!']);
    });
  });

  it('replaces a value with a failure as the seeded draw says, and unsubscribes the source there', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a--b--c--|');
      expectObservable(source.pipe(injectFaults({ rate: 0.5, seed: 1 }))).toBe(
        '--a--#',
        undefined,
        fault,
      );
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('can fail the completion, so that an empty source fails too', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(injectFaults({ rate: 1, failCompletion: true }))).toBe(
        '---#',
        undefined,
        fault,
      );
      expectObservable(cold('---|').pipe(injectFaults({ rate: 1 }))).toBe('---|');
    });
  });

  it('draws on across resubscriptions, so a retry can succeed where the first try failed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b|');
      const result = source.pipe(
        injectFaults({ rate: 0.5, seed: 1 }),
        retryBackoff({ baseDelayMs: 10 }),
      );
      // 1st: a (0.63) passes, b (0.00) fails at 3. 2nd, after 10 ms: a 0.53 and b 0.98 pass.
      expectObservable(result).toBe('-a 12ms a-b|');
      expectSubscriptions(source.subscriptions).toBe(['^--!', '13ms ^---!']);
    });
  });

  it('delays a failure on the given scheduler (outside run())', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const seen: string[] = [];
    scheduler
      .createColdObservable('-a|')
      .pipe(injectFaults({ rate: 1, delayMs: 250, scheduler }))
      .subscribe({ error: () => seen.push(`error at ${scheduler.now()}`) });
    scheduler.flush();
    expect(seen).toEqual(['error at 260']);
  });

  it('constructs a class given in errors (a class cannot be called)', () => {
    class Boom extends Error {
      override name = 'Boom';
    }
    const errors: unknown[] = [];
    of(1)
      .pipe(injectFaults({ rate: 1, errors: [Boom] }))
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Boom);
  });

  it('throws the given errors, making a fresh one from a factory each time', () => {
    const errors: unknown[] = [];
    const made: Error[] = [];
    const operator = injectFaults<number>({
      rate: 1,
      seed: 7,
      errors: [
        () => {
          const error = new Error('Request timed out');
          made.push(error);
          return error;
        },
        'disk full',
      ],
    });
    for (let i = 0; i < 6; i++)
      range(0, 3)
        .pipe(operator)
        .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toHaveLength(6);
    expect(errors.every((e) => e === 'disk full' || made.includes(e as Error))).toBe(true);
    expect(new Set(errors.map((e) => typeof e)).size).toBe(2);
  });

  it('is reproducible: the same seed gives the same faults', () => {
    const run = () => {
      const outcomes: string[] = [];
      const operator = injectFaults<number>({ rate: 0.3, seed: 99 });
      for (let i = 0; i < 20; i++) {
        let last = 'complete';
        range(0, 5)
          .pipe(operator)
          .subscribe({
            next: (v) => (last = `next ${v}`),
            error: () => (last = `${last} then fault`),
          });
        outcomes.push(last);
      }
      return outcomes;
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.some((o) => o.endsWith('fault'))).toBe(true);
    expect(first.some((o) => !o.endsWith('fault'))).toBe(true);
  });

  it('stops a synchronous source at the fault', () => {
    let produced = 0;
    range(0, 1_000_000)
      .pipe(take(1_000_000), injectFaults({ rate: 0.5, seed: 1 }))
      .subscribe({ next: () => produced++, error: () => {} });
    expect(produced).toBe(1); // 0.63 passes the first, 0.00 fails the second
  });

  it('validates its options when the pipe is built', () => {
    let caught: unknown;
    try {
      injectFaults({ rate: 2, errors: [], delayMs: -1 });
    } catch (error) {
      caught = error;
    }
    expect(isRecoveryConfigError(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      [
        'options.rate: must be ≤ 1',
        'options.errors: must not be empty',
        'options.delayMs: must be ≥ 0',
      ].join('\n'),
    );
  });
});
