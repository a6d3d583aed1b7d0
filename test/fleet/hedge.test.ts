import {
  concatMap,
  defer,
  EMPTY,
  finalize,
  identity,
  merge,
  NEVER,
  Observable,
  of,
  retry,
  Subject,
  startWith,
  switchMap,
  take,
  throwError,
  timer,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  budgetProtocolOf,
  createRetryBudget,
  type RetryBudget,
} from '../../src/fleet/retryBudget.js';
import { type HedgeContext, hedge } from '../../src/operators/hedge.js';
import { retryBackoff } from '../../src/operators/retryBackoff.js';
import { withRecovery } from '../../src/operators/withRecovery.js';
import { thrownBy } from '../helpers/capture.js';
import { timeoutError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

const first = new Error('HTTP 503 Service Unavailable');
const second = new Error('socket hang up');

/** A synchronous source of up to 100 values that stops when its subscriber is closed. */
function synchronous() {
  const source = new Observable<number>((subscriber) => {
    for (let i = 0; i < 100 && !subscriber.closed; i++) {
      source.produced++;
      subscriber.next(i);
    }
    subscriber.complete();
  }) as Observable<number> & { produced: number };
  source.produced = 0;
  return source;
}

/** A request that fails (synchronously) its first `failures` subscriptions, then answers. */
function flaky(failures: number) {
  let calls = 0;
  return defer(() => (calls++ < failures ? throwError(() => timeoutError) : of('ok')));
}

describe('hedge', () => {
  describe('racing', () => {
    it('starts no hedge when the source emits within delayMs', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a-b|');
        expectObservable(source.pipe(hedge({ delayMs: 3 }))).toBe('--a-b|');
        expectSubscriptions(source.subscriptions).toBe('^----!');
      });
    });

    it('hedges a silent source after delayMs; the first to emit wins, the other is unsubscribed at once', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-----a-b|');
        const subs = [      '^-------!',
                            '3ms ^-!'];
        expectObservable(source.pipe(hedge({ delayMs: 3 }))).toBe('-----a-b|');
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('mirrors the winner: its values, then its completion', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--------a|');
        const b = cold(        '-b-c|');
        expectObservable(source.pipe(hedge({ delayMs: 3, sources: () => b }))).toBe('----b-c|');
        expectSubscriptions(source.subscriptions).toBe('^---!');
        expectSubscriptions(b.subscriptions).toBe('3ms ^---!');
      });
    });

    it('mirrors the winner’s error after it has won', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--------a|');
        const b = cold('-b-#', undefined, second);
        expectObservable(source.pipe(hedge({ delayMs: 3, sources: () => b }))).toBe(
          '----b-#',
          undefined,
          second,
        );
      });
    });

    it('a completion without a value wins too', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--------a|');
        expectObservable(source.pipe(hedge({ delayMs: 3, sources: () => cold('--|') }))).toBe('-----|');
        expectSubscriptions(source.subscriptions).toBe('^----!');
      });
    });

    it('up to maxHedged hedges, delayMs apart; the second hedge wins here', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('---------a|');
        const slow = cold(     '-------x|');
        const quick = cold(       '-q|');
        const seen: number[] = [];
        const sources = (_: HedgeContext, n: number) => {
          seen.push(n);
          return n === 1 ? slow : quick;
        };
        expectObservable(source.pipe(hedge({ delayMs: 3, maxHedged: 3, sources }))).toBe('-------q|');
        expectSubscriptions(source.subscriptions).toBe('^------!');
        expectSubscriptions(slow.subscriptions).toBe('3ms ^---!');
        expectSubscriptions(quick.subscriptions).toBe('6ms ^-!');
        // the third hedge (at 9 ms) never starts: q won at 7 ms
      });
    });
  });

  describe('failures', () => {
    it('errors only when every attempt started has failed, with the last error', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-----#', undefined, first);
        const b = cold('-#', undefined, second);
        expectObservable(source.pipe(hedge({ delayMs: 2, sources: () => b }))).toBe(
          '-----#',
          undefined,
          first,
        );
      });
    });

    it('a failed attempt is dropped while another runs; the other can still win', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('----#', undefined, first);
        const b = cold(       '----b|');
        expectObservable(source.pipe(hedge({ delayMs: 2, sources: () => b }))).toBe('------b|');
        expectSubscriptions(source.subscriptions).toBe('^---!');
        expectSubscriptions(b.subscriptions).toBe('2ms ^----!');
      });
    });

    it('a source that fails before delayMs fails the stream at once: hedging is not retrying', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, first);
        expectObservable(source.pipe(hedge({ delayMs: 5 }))).toBe('-#', undefined, first);
        expectSubscriptions(source.subscriptions).toBe('^!');
      });
    });

    it('sources throwing is a failed hedge', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const boom = new Error('no replica');
        const sources = () => {
          throw boom;
        };
        expectObservable(cold('----a|').pipe(hedge({ delayMs: 2, sources }))).toBe('----a|');
        expectObservable(cold('----#', undefined, first).pipe(hedge({ delayMs: 2, sources }))).toBe(
          '----#',
          undefined,
          first,
        );
        expectObservable(cold('-#', undefined, first).pipe(hedge({ delayMs: 0, sources }))).toBe(
          '-#',
          undefined,
          first,
        );
      });
    });

    it('sources returning what is not an ObservableInput is a failed hedge too, never thrown from a timer', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const sources = () => 42 as never; // untyped code: `from(42)` throws
        expectObservable(cold('----a|').pipe(hedge({ delayMs: 2, sources }))).toBe('----a|');
        expectObservable(cold('----#', undefined, first).pipe(hedge({ delayMs: 2, sources }))).toBe(
          '----#',
          undefined,
          first,
        );
      });
    });

    it('a synchronous error fails at once and schedules nothing', () => {
      const scheduler = new TestScheduler(() => {});
      const errors: unknown[] = [];
      throwError(() => first)
        .pipe(hedge({ delayMs: 5, scheduler }))
        .subscribe({ error: (error) => errors.push(error) });
      expect(errors).toEqual([first]);
      expect(scheduler.actions).toHaveLength(0);
    });
  });

  describe('context', () => {
    it('gives each hedge a frozen { attempt, signal }; the signal aborts when the hedge loses', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const contexts: HedgeContext[] = [];
        const aborted: boolean[] = [];
        const sources = (context: HedgeContext, n: number) => {
          contexts.push(context);
          expect(context.attempt).toBe(n);
          return cold('------x|');
        };
        const result = cold('-----a|').pipe(hedge({ delayMs: 2, maxHedged: 2, sources }));
        expectObservable(result).toBe('-----a|');
        timer(5).subscribe(() => aborted.push(...contexts.map((c) => c.signal.aborted)));
        flush();
        expect(contexts.map((c) => c.attempt)).toEqual([1, 2]);
        expect(contexts.every((c) => Object.isFrozen(c))).toBe(true);
        expect(aborted).toEqual([false, false]);
        expect(contexts.map((c) => c.signal.aborted)).toEqual([true, true]);
      });
    });
  });

  describe('budget', () => {
    it('each subscription deposits; a hedge the budget cannot pay is not started', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const budget = createRetryBudget({ ratio: 0, minPerSecond: 0 });
        const source = cold('-----a|');
        expectObservable(source.pipe(hedge({ delayMs: 2, budget }))).toBe('-----a|');
        expectSubscriptions(source.subscriptions).toBe('^-----!');
        flush();
        expect(budget.snapshot()).toEqual({ deposits: 1, withdrawals: 0, balance: 0 });
      });
    });

    it('pays while it can, refuses past its bound, and pays again as the window rolls', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        // reserve: 1 hedge per 1000 ms; no ratio
        const budget = createRetryBudget({ ratio: 0, minPerSecond: 1, ttlMs: 1000 });
        const source = cold('-----a|');
        const hedged = source.pipe(hedge({ delayMs: 2, budget }));
        const at = (ms: number) => timer(ms).pipe(switchMap(() => hedged));
        expectObservable(at(0)).toBe('-----a|');
        expectObservable(at(100)).toBe('105ms a|');
        expectObservable(at(1000)).toBe('1005ms a|');
        expectSubscriptions(source.subscriptions).toBe([
          '^-----!',
          '2ms ^--!', // paid
          '100ms ^-----!', // refused: no hedge
          '1000ms ^-----!',
          '1002ms ^--!', // the window rolled: paid
        ]);
        flush();
        expect(budget.snapshot()).toEqual({ deposits: 2, withdrawals: 1, balance: 0 });
        expect(budgetProtocolOf(budget)?.tryWithdraw()).toBe(false);
      });
    });

    describe('one deposit per request, by the outermost operator that shares the budget', () => {
      const downstream = {
        withRecovery: (budget: RetryBudget, scheduler: TestScheduler) =>
          withRecovery<string>(undefined, { budget, scheduler, retry: { baseDelayMs: 1 } }),
        retryBackoff: (budget: RetryBudget, scheduler: TestScheduler) =>
          retryBackoff<string>({ budget, scheduler, baseDelayMs: 1 }),
      };
      for (const [name, recover] of Object.entries(downstream)) {
        it(`retries of a ${name}({ budget }) downstream withdraw and never deposit again`, () => {
          const snapshot = (failures: number) => {
            const scheduler = new TestScheduler(() => {});
            const budget = createRetryBudget({ scheduler });
            const seen: string[] = [];
            flaky(failures)
              .pipe(hedge({ delayMs: 5, budget, scheduler }), recover(budget, scheduler))
              .subscribe((v) => seen.push(v));
            scheduler.flush();
            expect(seen).toEqual(['ok']);
            return budget.snapshot();
          };
          expect(snapshot(0)).toMatchObject({ deposits: 1, withdrawals: 0 });
          expect(snapshot(3)).toMatchObject({ deposits: 1, withdrawals: 3 });
        });
      }

      it('20 pipelines sharing one budget, subscribed at once and over time: 20 deposits', () => {
        const scheduler = new TestScheduler(() => {});
        const budget = createRetryBudget({ scheduler });
        const pipeline = () =>
          flaky(2).pipe(
            hedge({ delayMs: 5, budget, scheduler }),
            withRecovery(undefined, { budget, scheduler, retry: { baseDelayMs: 1 } }),
          );
        const seen: string[] = [];
        merge(
          ...Array.from({ length: 10 }, pipeline), // all subscribed in one call
          ...Array.from({ length: 10 }, (_, i) =>
            timer(i * 3, scheduler).pipe(switchMap(pipeline)),
          ),
        ).subscribe((v) => seen.push(v));
        scheduler.flush();
        expect(seen).toHaveLength(20);
        expect(budget.snapshot()).toMatchObject({ deposits: 20, withdrawals: 40 });
      });

      it('a request started downstream, while a synchronous source emits, is a request of its own', () => {
        const scheduler = new TestScheduler(() => {});
        const budget = createRetryBudget({ scheduler });
        const guarded = <T>() =>
          [
            hedge<T>({ delayMs: 5, budget, scheduler }),
            withRecovery<T>(undefined, { budget, scheduler }),
          ] as const;
        const seen: string[] = [];
        of('a', 'b')
          .pipe(...guarded<string>())
          .pipe(concatMap((v) => of(`${v}!`).pipe(...guarded<string>())))
          .subscribe((v) => seen.push(v));
        scheduler.flush();
        expect(seen).toEqual(['a!', 'b!']);
        expect(budget.snapshot().deposits).toBe(3);
      });

      it('a value before the hedge is subscribed (startWith) does not make the hedge a request of its own', () => {
        const scheduler = new TestScheduler(() => {});
        const budget = createRetryBudget({ scheduler });
        const seen: string[] = [];
        flaky(1)
          .pipe(
            hedge({ delayMs: 5, budget, scheduler }),
            startWith('cached'),
            withRecovery(undefined, { budget, scheduler, retry: { baseDelayMs: 1 } }),
          )
          .subscribe((v) => seen.push(v));
        scheduler.flush();
        expect(seen).toEqual(['cached', 'cached', 'ok']);
        expect(budget.snapshot()).toMatchObject({ deposits: 1, withdrawals: 1 });
      });

      it('hedge outermost: its hedges withdraw, and the pipelines they subscribe do not deposit', () => {
        testScheduler().run(({ cold, expectObservable, flush }) => {
          const budget = createRetryBudget({ ratio: 1, minPerSecond: 0 });
          const source = cold('-----a|').pipe(withRecovery(undefined, { budget }));
          expectObservable(source.pipe(hedge({ delayMs: 2, maxHedged: 2, budget }))).toBe(
            '-----a|',
          );
          flush();
          expect(budget.snapshot()).toEqual({ deposits: 1, withdrawals: 1, balance: 0 });
        });
      });

      it('each subscription of a hedge used alone is a request: a plain retry() deposits again', () => {
        const scheduler = new TestScheduler(() => {});
        const budget = createRetryBudget({ scheduler });
        const seen: string[] = [];
        flaky(2)
          .pipe(hedge({ delayMs: 5, budget, scheduler }), retry(2))
          .subscribe((v) => seen.push(v));
        scheduler.flush();
        expect(seen).toEqual(['ok']);
        expect(budget.snapshot()).toMatchObject({ deposits: 3, withdrawals: 0 });
      });
    });

    it('a ratio budget pays for the first hedge, not the second', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const budget = createRetryBudget({ ratio: 1, minPerSecond: 0 });
        const source = cold('-------a|');
        expectObservable(source.pipe(hedge({ delayMs: 2, maxHedged: 2, budget }))).toBe('-------a|');
        expectSubscriptions(source.subscriptions).toBe(['^-------!', '2ms ^----!']);
      });
    });
  });

  describe('subscriptions', () => {
    it('unsubscribing tears down every attempt and the pending hedges', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--------a|');
        const unsub =       '^----!';
        expectObservable(source.pipe(hedge({ delayMs: 2, maxHedged: 3 })), unsub).toBe('-----');
        expectSubscriptions(source.subscriptions).toBe(['^----!', '2ms ^--!', '4ms ^!']);
      });
    });

    it('leaves nothing scheduled after an early unsubscribe (explicit TestScheduler)', () => {
      const scheduler = new TestScheduler(() => {});
      const subscription = NEVER.pipe(hedge({ delayMs: 10, maxHedged: 5, scheduler })).subscribe();
      expect(scheduler.actions.length).toBeGreaterThan(0);
      subscription.unsubscribe();
      scheduler.flush();
      expect(scheduler.actions).toHaveLength(0);
    });

    it('uses its scheduler: an explicit TestScheduler outside run()', () => {
      const scheduler = new TestScheduler(() => {});
      const seen: string[] = [];
      NEVER.pipe(
        hedge({
          delayMs: 10,
          maxHedged: 2,
          scheduler,
          sources: (_, n) => (n === 2 ? of('b') : NEVER),
        }),
      ).subscribe({
        next: (value) => seen.push(`${scheduler.now()} ${value}`),
        complete: () => seen.push(`${scheduler.now()} complete`),
      });
      scheduler.flush();
      expect(seen).toEqual(['20 b', '20 complete']);
      expect(scheduler.actions).toHaveLength(0);
    });

    it('an unbroken unsubscription chain: a synchronous source stops when the consumer has enough', () => {
      const scheduler = new TestScheduler(() => {});
      const source = synchronous();
      const seen: number[] = [];
      source.pipe(hedge({ delayMs: 10, scheduler }), take(1)).subscribe((v) => seen.push(v));
      expect(seen).toEqual([0]);
      expect(source.produced).toBe(1); // an endless one would never return otherwise
      expect(scheduler.actions).toHaveLength(0);
    });

    it('an unbroken unsubscription chain for a hedge too', () => {
      const scheduler = new TestScheduler(() => {});
      const hedged = synchronous();
      const seen: number[] = [];
      const hedging = hedge<number>({ delayMs: 10, scheduler, sources: () => hedged });
      NEVER.pipe(hedging, take(2)).subscribe((v) => seen.push(v));
      scheduler.flush();
      expect(seen).toEqual([0, 1]);
      expect(hedged.produced).toBe(2);
      expect(scheduler.actions).toHaveLength(0);
    });

    it('a synchronous source wins before any timer is set', () => {
      const scheduler = new TestScheduler(() => {});
      const seen: unknown[] = [];
      of(1, 2)
        .pipe(hedge({ delayMs: 10, scheduler }))
        .subscribe((value) => seen.push(value));
      expect(seen).toEqual([1, 2]);
      expect(scheduler.actions).toHaveLength(0);
    });

    it('empty, and a hot source', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        expectObservable(EMPTY.pipe(hedge({ delayMs: 1 }))).toBe('|');
        const source = hot('-a-----b---|');
        const sub =        '--^';
        expectObservable(source.pipe(hedge({ delayMs: 2 })), sub).toBe('-------b---|');
        expectSubscriptions(source.subscriptions).toBe(['--^--------!', '----^--!']);
      });
    });

    it('one operator instance on two sources, two subscriptions: independent races', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const hedged = hedge<string>({ delayMs: 2 });
        const a = cold('---a|').pipe(hedged);
        const b = cold('-b|').pipe(hedged);
        expectObservable(a).toBe('---a|');
        expectObservable(a).toBe('---a|');
        expectObservable(b).toBe('-b|');
      });
    });

    it('a hedge that loses while it is being subscribed is unsubscribed at once', () => {
      const scheduler = new TestScheduler(() => {});
      const primary = new Subject<string>();
      const events: string[] = [];
      const sources = () =>
        defer(() => {
          primary.next('x'); // the first subscription wins while the hedge subscribes
          return NEVER.pipe(finalize(() => events.push('hedge finalized')));
        });
      primary
        .pipe(hedge<string>({ delayMs: 1, scheduler, sources }))
        .subscribe((value) => events.push(value));
      scheduler.flush();
      expect(events).toEqual(['x', 'hedge finalized']);
      expect(scheduler.actions).toHaveLength(0);
    });
  });

  describe('options', () => {
    it('maxHedged 0 returns the source untouched', () => {
      expect(hedge({ delayMs: 1, maxHedged: 0 })).toBe(identity);
    });

    it('names every bad option at once, when the pipe is built', () => {
      const message = (options: unknown) =>
        (thrownBy(() => hedge(options as never)) as Error).message;
      expect(
        message({ delayMs: -1, maxHedged: 1.5, sources: 'x', budget: {}, scheduler: 1, extra: 1 }),
      ).toMatchInlineSnapshot(`
        "options.delayMs: must be ≥ 0
        options.maxHedged: must be a whole number
        options.sources: must be a function (context, n) => ObservableInput
        options.budget: must be a RetryBudget (createRetryBudget)
        options.scheduler: must be a SchedulerLike
        options.extra: unknown option"
      `);
      expect(message({})).toMatchInlineSnapshot(`"options.delayMs: required"`);
      expect(message(undefined)).toMatchInlineSnapshot(`"options: expected object, got nothing"`);
    });
  });
});
