import {
  catchError,
  EMPTY,
  from,
  merge,
  NEVER,
  Observable,
  of,
  Subject,
  share,
  switchMap,
  take,
  takeUntil,
  throwError,
  timer,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from '../../src/fleet/BrokenCircuitError.js';
import { type CircuitBreaker, createCircuitBreaker } from '../../src/fleet/circuitBreaker.js';
import { circuitBreaker } from '../../src/operators/circuitBreaker.js';
import { testScheduler } from '../helpers/marbles.js';

const unavailable = new Error('HTTP 503 Service Unavailable');
const syntax = new SyntaxError('await is only valid in async functions');

/** One call through `breaker`: a refusal becomes `r`, a failure `f`. */
const call = (breaker: CircuitBreaker, input: Observable<string>) =>
  input.pipe(
    circuitBreaker(breaker),
    catchError((error: unknown) => of(isBrokenCircuitError(error) ? 'r' : 'f')),
  );

/** `input` through `breaker`, subscribed at `ms`. */
const at = (ms: number, breaker: CircuitBreaker, input: Observable<string>) =>
  timer(ms).pipe(switchMap(() => call(breaker, input)));

describe('circuitBreaker operator', () => {
  describe('closed', () => {
    it('passes values, completion and errors through untouched', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 5 } });
        const source = cold('--a--b--|');
        const failing = cold('--a--#', undefined, unavailable);
        expectObservable(source.pipe(circuitBreaker(breaker))).toBe('--a--b--|');
        expectObservable(failing.pipe(circuitBreaker(breaker))).toBe('--a--#', undefined, unavailable);
        expectSubscriptions(source.subscriptions).toBe('^-------!');
        expectSubscriptions(failing.subscriptions).toBe('^----!');
      });
    });

    it('empty succeeds; never then unsubscribed is not counted; a synchronous error fails', () => {
      testScheduler().run(({ expectObservable }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
        expectObservable(EMPTY.pipe(circuitBreaker(breaker))).toBe('|');
        expectObservable(NEVER.pipe(circuitBreaker(breaker)), '^--!').toBe('---');
        expectObservable(throwError(() => unavailable).pipe(circuitBreaker(breaker)), '---^').toBe(
          '---#',
          undefined,
          unavailable,
        );
      });
    });

    it('a call succeeds on its first value: a later error is not a failure', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
        expectObservable(cold('-a-#', undefined, unavailable).pipe(circuitBreaker(breaker))).toBe(
          '-a-#',
          undefined,
          unavailable,
        );
        flush();
        expect(breaker.snapshot()).toMatchObject({ state: 'closed', successes: 1, failures: 0 });
      });
    });

    it('an error that does not count (a syntax error) never opens it', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
        const source = cold('-#', undefined, syntax);
        expectObservable(
          merge(at(0, breaker, source), at(5, breaker, source), at(10, breaker, source)),
        ).toBe('-f----f----(f|)');
        flush();
        expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
      });
    });

    it('unsubscribing the result unsubscribes the source (an unbroken chain)', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
        const source = hot('--a--b--c--|');
        const sub =        '---^---!';
        const result = source.pipe(circuitBreaker(breaker), share(), circuitBreaker(breaker));
        expectObservable(result, sub).toBe('-----b--');
        expectSubscriptions(source.subscriptions).toBe(sub);
      });
    });

    it('take(1) after a synchronous source stops it at once, as with any RxJS operator', () => {
      const breaker = createCircuitBreaker({ trip: { consecutive: 3 } });
      let pulled = 0;
      function* values() {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield i;
        }
      }
      const out: number[] = [];
      from(values())
        .pipe(circuitBreaker(breaker), take(1))
        .subscribe((v) => out.push(v));
      expect(out).toEqual([0]);
      expect(pulled).toBe(1); // not 1000: an infinite generator would never return
    });

    it('a call unsubscribed before its outcome is not counted, even when its source then errors', () => {
      const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
      const stop = new Subject<void>();
      const source = new Observable<string>((subscriber) => {
        stop.next(); // the consumer unsubscribes the call…
        subscriber.error(new Error('ECONNRESET')); // …which RxJS would then drop
      });
      source.pipe(circuitBreaker(breaker), takeUntil(stop)).subscribe();
      expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 });
    });
  });

  describe('opening', () => {
    it('opens after N failures in a row; then errors at once and never subscribes the source', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 2 }, openMs: 100 });
        const failing = cold('-#', undefined, unavailable);
        const source = cold( '-a|');
        const result = merge(at(0, breaker, failing), at(5, breaker, failing), at(10, breaker, source));
        expectObservable(result).toBe('-f----f---(r|)');
        expectSubscriptions(failing.subscriptions).toBe(['^!', '5ms ^!']);
        expectSubscriptions(source.subscriptions).toBe([]);
      });
    });

    it('a rate over a count window, with minimumCalls', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const breaker = createCircuitBreaker({
          trip: { rate: 0.5, minimumCalls: 4, window: { calls: 4 } },
        });
        const ok = cold('a|');
        const ko = cold('#', undefined, unavailable);
        const result = merge(
          at(1, breaker, ko),
          at(2, breaker, ok),
          at(3, breaker, ko),
          at(4, breaker, ok), // 2 of 4 failed: open
          at(5, breaker, ok),
        );
        expectObservable(result).toBe('-fafa(r|)');
      });
    });

    it('a rate over a time window: failures older than the window do not count', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const breaker = createCircuitBreaker({
          trip: { rate: 1, minimumCalls: 2, window: { ms: 100 } },
        });
        const ko = cold('#', undefined, unavailable);
        const ok = cold('a|');
        const result = merge(
          at(0, breaker, ko),
          at(100, breaker, ko), // the failure at 0 has left the window: 1 call, not enough
          at(150, breaker, ko), // 100 and 150: 2 of 2 failed
          at(151, breaker, ok),
        );
        expectObservable(result).toBe('f 99ms f 49ms f(r|)');
      });
    });
  });

  describe('half-open', () => {
    it('admits exactly halfOpenCalls trials; closes when they all succeed', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 10, halfOpenCalls: 2 });
        const ko = cold('#', undefined, unavailable);
        const trialA = cold('---a|');
        const trialB = cold('-----b|');
        const result = merge(
          at(0, breaker, ko),       // open until 10
          at(10, breaker, trialA),  // trial 1: succeeds at 13
          at(11, breaker, trialB),  // trial 2: succeeds at 16
          at(12, breaker, trialA),  // refused: 2 running
          at(14, breaker, trialA),  // refused: 1 succeeded + 1 running
          at(18, breaker, trialA),  // closed since 16
        );
        expectObservable(result).toBe('f 11ms rar-b 4ms a|');
        expectSubscriptions(trialA.subscriptions).toBe(['10ms ^---!', '18ms ^---!']);
        expectSubscriptions(trialB.subscriptions).toBe('11ms ^-----!');
      });
    });

    it('a trial unsubscribed before its outcome gives its permit back', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 10 });
        const ko = cold('#', undefined, unavailable);
        const slow = cold('-----a|');
        expectObservable(call(breaker, ko)).toBe('(f|)');
        expectObservable(timer(10).pipe(switchMap(() => call(breaker, slow))), '^-------------!').toBe('');
        expectObservable(at(12, breaker, slow)).toBe('12ms (r|)');
        // the trial is unsubscribed at 14: a new one is admitted at 15
        expectObservable(at(15, breaker, slow)).toBe('20ms a|');
        expectSubscriptions(slow.subscriptions).toBe(['10ms ^---!', '15ms ^-----!']);
      });
    });

    it('a failed trial opens it again, for openMs(opens)', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const breaker = createCircuitBreaker({
          trip: { consecutive: 1 },
          openMs: (opens) => opens * 10,
        });
        const ko = cold('-#', undefined, unavailable);
        const ok = cold('-a|');
        const result = merge(
          at(0, breaker, ko), // fails at 1: open until 11
          at(11, breaker, ko), // trial fails at 12: open until 32
          at(31, breaker, ok), // refused
          at(32, breaker, ok), // trial succeeds: closed
        );
        expectObservable(result).toBe('-f 10ms f 18ms r-a|');
      });
    });

    it('ignores an outcome from a call admitted before the last transition', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 2 });
        const states: string[] = [];
        breaker.state$.subscribe((state) => states.push(state));
        const result = merge(
          call(breaker, cold('-#', undefined, unavailable)), // opens at 1; half-open at 3
          call(breaker, cold('-----a|')), // admitted when closed; its success at 5 is stale
          at(3, breaker, cold('------#', undefined, unavailable)), // the trial fails at 9
        );
        expectObservable(result).toBe('-f---a---(f|)');
        flush();
        expect(states).toEqual(['closed', 'open', 'half_open', 'open']);
      });
    });
  });

  describe('slow calls', () => {
    it('a call whose first value comes more than slowCall.ms after subscribing is slow', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = createCircuitBreaker({
          trip: { rate: 1, minimumCalls: 2, window: { calls: 2 } },
          slowCall: { ms: 5, rate: 1 },
        });
        let middle: unknown;
        timer(18).subscribe(() => (middle = breaker.snapshot()));
        expectObservable(call(breaker, cold('-----a|'))).toBe('-----a|'); // 5 ms: not slow
        expectObservable(at(10, breaker, cold('------a|'))).toBe('16ms a|'); // 6 ms: slow
        expectObservable(at(20, breaker, cold('------|'))).toBe('26ms |'); // a slow completion
        flush();
        expect(middle).toMatchObject({ state: 'closed', slow: 1, successes: 2 });
        expect(breaker.snapshot()).toMatchObject({ state: 'open', slow: 2, failures: 0 });
      });
    });

    it('a slow trial opens the breaker again', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = createCircuitBreaker({
          trip: { consecutive: 1 },
          slowCall: { ms: 3, rate: 1 },
          openMs: 10,
        });
        expectObservable(call(breaker, cold('#', undefined, unavailable))).toBe('(f|)');
        let later: unknown;
        timer(20).subscribe(() => (later = breaker.snapshot()));
        expectObservable(at(10, breaker, cold('----a|'))).toBe('14ms a|'); // 4 ms: slow
        flush();
        expect(later).toMatchObject({ state: 'open', opens: 2, retryAfterMs: 4 });
      });
    });
  });

  describe('isolate, reset, retryAfterMs', () => {
    it('refusals carry the time left until half-open', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 100 });
        const waits = (ms: number) =>
          timer(ms).pipe(
            switchMap(() => cold('a|').pipe(circuitBreaker(breaker))),
            catchError((error: { retryAfterMs: number }) => of(error.retryAfterMs)),
          );
        expectObservable(call(breaker, cold('#', undefined, unavailable))).toBe('(f|)');
        expectObservable(waits(30)).toBe('30ms (x|)', { x: 70 });
        expectObservable(waits(99)).toBe('99ms (x|)', { x: 1 });
        expectObservable(waits(100)).toBe('100ms a|');
      });
    });

    it('isolate refuses until every handle is released; reset closes at once', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 1 } });
        const ok = cold('a|');
        let first = { release() {} };
        let second = { release() {} };
        timer(0).subscribe(() => {
          first = breaker.isolate();
          second = breaker.isolate();
        });
        timer(2).subscribe(() => first.release());
        timer(4).subscribe(() => second.release());
        timer(6).subscribe(() => breaker.isolate());
        timer(8).subscribe(() => breaker.reset());
        const result = merge(
          at(1, breaker, ok),
          at(3, breaker, ok),
          at(5, breaker, ok),
          at(7, breaker, ok),
          at(9, breaker, ok),
        );
        expectObservable(result).toBe('-r-r-a-r-a|');
      });
    });
  });

  describe('threading', () => {
    it('one operator instance on two sources, and two subscriptions, are separate calls', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const breaker = createCircuitBreaker({ trip: { consecutive: 2 } });
        const guard = circuitBreaker<string>(breaker);
        const ko = cold('-#', undefined, unavailable).pipe(guard);
        expectObservable(ko).toBe('-#', undefined, unavailable);
        expectObservable(cold('--#', undefined, unavailable).pipe(guard)).toBe(
          '--#',
          undefined,
          unavailable,
        );
        flush();
        expect(breaker.state).toBe('open');
      });
    });

    it('uses the breaker scheduler: an explicit TestScheduler outside run()', () => {
      const scheduler = new TestScheduler(() => {});
      const breaker = createCircuitBreaker({ trip: { consecutive: 1 }, openMs: 50, scheduler });
      const seen: string[] = [];
      const attempt = (ms: number, input: Observable<string>) =>
        timer(ms, scheduler)
          .pipe(switchMap(() => call(breaker, input)))
          .subscribe((value) => seen.push(`${scheduler.now()} ${value}`));
      attempt(
        10,
        throwError(() => unavailable),
      );
      attempt(59, of('a'));
      attempt(60, of('a'));
      scheduler.flush();
      expect(seen).toEqual(['10 f', '59 r', '60 a']);
      expect(breaker.state).toBe('closed');
      expect(scheduler.actions).toHaveLength(0);
    });
  });
});
