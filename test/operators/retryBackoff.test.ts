import {
  concat,
  defer,
  EMPTY,
  finalize,
  identity,
  map,
  mergeMap,
  NEVER,
  Observable,
  of,
  Subject,
  take,
  takeUntil,
  throwError,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createRetryBudget,
  isRecoveryConfigError,
  RecoveryConfigError,
  type RecoverySignal,
  retryBackoff,
} from '../../src/index.js';
import { keptSignals, thrownBy } from '../helpers/capture.js';
import { testScheduler } from '../helpers/marbles.js';

const error = new Error('boom');

/** The one pattern `retryBackoff` classifies every error with, once resolved. */
const retryPattern = (maxRetries: number) => ({
  id: 'retryBackoff',
  errorType: 'unknown',
  match: /(?:)/,
  strategy: ['retry'],
  maxRetries,
  priority: 0,
});

describe('retryBackoff', () => {
  describe('schedule', () => {
    it('retries after 1 s, 2 s and 4 s by default, then lets the last error through', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const subs = [      '^----!',
                            '1005ms ^----!',
                            '3010ms ^----!',
                            '7015ms ^----!'];
        const expected =    '--a 1004ms a 2004ms a 4004ms a--#';

        expectObservable(source.pipe(retryBackoff())).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('caps every delay at maxDelayMs: maxRetries 5 waits 1, 2, 4, 8 and 8 s', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '1000ms (^!)',
                            '3000ms (^!)',
                            '7000ms (^!)',
                            '15000ms (^!)',
                            '23000ms (^!)'];
        const expected =    '23000ms #';

        expectObservable(source.pipe(retryBackoff({ maxRetries: 5 }))).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it("jitter 'full' waits random·d: 0.5 s, 1 s, 2 s with random 0.5", () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '500ms (^!)',
                            '1500ms (^!)',
                            '3500ms (^!)'];
        const expected =    '3500ms #';

        const result = source.pipe(retryBackoff({ jitter: 'full', random: () => 0.5 }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it("jitter 'equal' waits d/2 + random·d/2: 0.75 s, 1.5 s, 3 s with random 0.5", () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '750ms (^!)',
                            '2250ms (^!)',
                            '5250ms (^!)'];
        const expected =    '5250ms #';

        const result = source.pipe(retryBackoff({ jitter: 'equal', random: () => 0.5 }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it("jitter 'decorrelated' waits base + random·(3·previous − base): 2 s, 3.5 s, 5.75 s", () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '2000ms (^!)',
                            '5500ms (^!)',
                            '11250ms (^!)'];
        const expected =    '11250ms #';

        const result = source.pipe(retryBackoff({ jitter: 'decorrelated', random: () => 0.5 }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it("jitter 'decorrelated' never waits longer than maxDelayMs", () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        // random 0.9: 1000 + 0.9·2000 = 2800; 1000 + 0.9·7400 = 7660; then 8000 (capped)
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '2800ms (^!)',
                            '10460ms (^!)',
                            '18460ms (^!)'];
        const expected =    '18460ms #';

        const result = source.pipe(retryBackoff({ jitter: 'decorrelated', random: () => 0.9 }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('retries as many times as maxRetries says, beyond ten', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#', undefined, error);
        const subs = Array.from({ length: 12 }, (_, i) => (i === 0 ? '(^!)' : `${i}ms (^!)`));

        const result = source.pipe(retryBackoff({ maxRetries: 11, baseDelayMs: 1, maxDelayMs: 1 }));
        expectObservable(result).toBe('11ms #', undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('keeps spending one budget across recoveries without resetOnSuccess, as RxJS retry', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-#', undefined, error);
        const subs = [      '^--!',
                            '13ms ^--!'];
        const expected =    '-a 12ms a-#';

        const result = source.pipe(retryBackoff({ maxRetries: 1, baseDelayMs: 10 }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('resetOnSuccess: a value makes the budget whole again', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-#', undefined, error);
        const unsub =       '^ 34ms !';
        const subs = [      '^--!',
                            '13ms ^--!',
                            '26ms ^--!'];
        const expected =    '-a 12ms a 12ms a';

        const result = source.pipe(
          retryBackoff({ maxRetries: 1, baseDelayMs: 10, resetOnSuccess: true }),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('waits the delay the error dictates through delayFromError', () => {
      const tooMany = Object.assign(new Error('429 Too Many Requests'), { retryAfterMs: 300 });
      const calls: Array<[unknown, number]> = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, tooMany);
        const subs = [      '^-!',
                            '302ms ^-!',
                            '604ms ^-!'];
        const expected =    '606ms #';

        const result = source.pipe(
          retryBackoff({
            maxRetries: 2,
            delayFromError: (e, attempt) => {
              calls.push([e, attempt]);
              return (e as { retryAfterMs?: number }).retryAfterMs;
            },
          }),
        );
        expectObservable(result).toBe(expected, undefined, tooMany);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(calls).toEqual([
        [tooMany, 1],
        [tooMany, 2],
      ]);
    });

    it('keeps the backoff when delayFromError returns undefined', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        // attempt 1 is dictated (50 ms); attempt 2 keeps the backoff (2 s)
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '50ms (^!)',
                            '2050ms (^!)'];
        const expected =    '2050ms #';

        const result = source.pipe(
          retryBackoff({
            maxRetries: 2,
            delayFromError: (_e, attempt) => (attempt === 1 ? 50 : undefined),
          }),
        );
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('lets the error through at once when shouldRetry returns false', () => {
      const calls: Array<[unknown, number]> = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const subs =        '^----!';
        const expected =    '--a--#';

        const result = source.pipe(
          retryBackoff({
            shouldRetry: (e, attempt) => {
              calls.push([e, attempt]);
              return false;
            },
          }),
        );
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(calls).toEqual([[error, 1]]);
    });

    it('asks shouldRetry with the attempt number and stops when it says no', () => {
      const calls: Array<[unknown, number]> = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, error);
        const subs = [      '^!',
                            '1001ms ^!'];
        const expected =    '1002ms #';

        const result = source.pipe(
          retryBackoff({
            shouldRetry: (e, attempt) => {
              calls.push([e, attempt]);
              return attempt < 2;
            },
          }),
        );
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(calls).toEqual([
        [error, 1],
        [error, 2],
      ]);
    });
  });

  describe('signals', () => {
    it('signals detection, each attempt before its wait, and how each recovery ended', () => {
      const { log, signals } = keptSignals();
      let ticks = 0;
      const clock = () => (ticks += 2);
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const subs = [      '^----!',
                            '15ms ^----!'];
        const expected =    '--a 14ms a--#';

        const result = source.pipe(
          retryBackoff({
            maxRetries: 1,
            baseDelayMs: 10,
            context: { correlationId: 'test', workflowId: 'wf', nodeName: 'node' },
            signals,
            clock,
          }),
        );
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      const base = { correlationId: 'test', workflowId: 'wf', nodeName: 'node' };
      const classification = { pattern: retryPattern(1), errorType: 'unknown', plan: ['retry'] };
      expect(log).toEqual([
        { type: 'error_detected', at: 5, ...base, error, classification, analysisMs: 2 },
        {
          type: 'recovery_attempt',
          at: 5,
          ...base,
          strategy: 'retry',
          attempt: 1,
          delayMs: 10,
          errorType: 'unknown',
          patternId: 'retryBackoff',
        },
        {
          type: 'recovery_completed',
          at: 17,
          ...base,
          result: {
            success: true,
            strategyUsed: 'retry',
            attempts: 1,
            durationMs: 12,
            errorType: 'unknown',
            patternId: 'retryBackoff',
            correlationId: 'test',
          },
        },
        { type: 'error_detected', at: 20, ...base, error, classification, analysisMs: 2 },
        {
          type: 'recovery_completed',
          at: 20,
          ...base,
          result: {
            success: false,
            strategyUsed: 'none',
            attempts: 0,
            durationMs: 0,
            errorType: 'unknown',
            patternId: 'retryBackoff',
            errorMessage: 'Error: boom',
            correlationId: 'test',
          },
        },
      ]);
      expect(log.every((signal) => Object.isFrozen(signal))).toBe(true);
    });

    it('counts every attempt of one recovery, with its delay, and the total duration', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('#', undefined, error);
        const expected =    '30ms #';

        const result = source.pipe(
          retryBackoff({ maxRetries: 2, baseDelayMs: 10, context: { correlationId: 'test' }, signals }),
        );
        expectObservable(result).toBe(expected, undefined, error);
      });
      expect(
        log.map((signal) =>
          signal.type === 'recovery_attempt'
            ? [signal.type, signal.at, signal.attempt, signal.delayMs]
            : signal.type === 'recovery_completed'
              ? [signal.type, signal.at, signal.result]
              : [signal.type, signal.at],
        ),
      ).toEqual([
        ['error_detected', 0],
        ['recovery_attempt', 0, 1, 10],
        ['error_detected', 10],
        ['recovery_attempt', 10, 2, 20],
        ['error_detected', 30],
        [
          'recovery_completed',
          30,
          {
            success: false,
            strategyUsed: 'retry',
            attempts: 2,
            durationMs: 30,
            errorType: 'unknown',
            patternId: 'retryBackoff',
            errorMessage: 'Error: boom',
            correlationId: 'test',
          },
        ],
      ]);
    });

    it('keeps retrying when a signal consumer throws, and reports it as observer_error', () => {
      const failure = new Error('consumer bug');
      const seen: string[] = [];
      const signals = {
        next: (signal: RecoverySignal) => {
          seen.push(`${signal.type}@${signal.at}`);
          if (signal.type === 'recovery_attempt') throw failure;
        },
      };
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, error);
        const subs = [      '^!',
                            '11ms ^!'];
        const expected =    '12ms #';

        const result = source.pipe(retryBackoff({ maxRetries: 1, baseDelayMs: 10, signals }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(seen).toEqual([
        'error_detected@1',
        'recovery_attempt@1',
        'observer_error@1',
        'error_detected@12',
        'recovery_completed@12',
      ]);
    });

    it('returns identity for maxRetries 0 without signals', () => {
      expect(retryBackoff({ maxRetries: 0 })).toBe(identity);
    });

    it('with maxRetries 0 and signals, signals the error and lets it through at once', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, error);
        const subs =        '^-!';
        const expected =    '--#';

        const result = source.pipe(
          retryBackoff({ maxRetries: 0, context: { correlationId: 'test' }, signals, clock: () => 0 }),
        );
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(log).toEqual([
        {
          type: 'error_detected',
          at: 2,
          correlationId: 'test',
          error,
          classification: { pattern: retryPattern(0), errorType: 'unknown', plan: ['retry'] },
          analysisMs: 0,
        },
        {
          type: 'recovery_completed',
          at: 2,
          correlationId: 'test',
          result: {
            success: false,
            strategyUsed: 'none',
            attempts: 0,
            durationMs: 0,
            errorType: 'unknown',
            patternId: 'retryBackoff',
            errorMessage: 'Error: boom',
            correlationId: 'test',
          },
        },
      ]);
    });
  });

  describe('scheduler', () => {
    it('waits on the scheduler it is given (an explicit TestScheduler, outside run())', () => {
      const scheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
      // Outside run() a frame character is 10 virtual ms: a at 10, # at 30.
      const source = scheduler.createColdObservable<string>('-a-#', undefined, error);
      const { log: signalsLog, signals } = keptSignals();
      const log: Array<[number, string]> = [];
      source
        .pipe(
          retryBackoff({
            maxRetries: 2,
            baseDelayMs: 100,
            scheduler,
            signals,
            context: { correlationId: 'test' },
          }),
        )
        .subscribe({
          next: (value) => log.push([scheduler.now(), value]),
          error: (e: unknown) => log.push([scheduler.now(), `error: ${(e as Error).message}`]),
        });
      expect(log).toEqual([]);

      scheduler.flush();

      expect(log).toEqual([
        [10, 'a'],
        [140, 'a'],
        [370, 'a'],
        [390, 'error: boom'],
      ]);
      expect(source.subscriptions).toEqual([
        { subscribedFrame: 0, unsubscribedFrame: 30 },
        { subscribedFrame: 130, unsubscribedFrame: 160 },
        { subscribedFrame: 360, unsubscribedFrame: 390 },
      ]);
      expect(signalsLog.map((signal) => [signal.type, signal.at])).toEqual([
        ['error_detected', 30],
        ['recovery_attempt', 30],
        ['recovery_completed', 140],
        ['error_detected', 160],
        ['recovery_attempt', 160],
        ['recovery_completed', 370],
        ['error_detected', 390],
        ['recovery_completed', 390],
      ]);
    });
  });

  describe('budget', () => {
    it('a shared budget pays for retries: each subscription deposits, a retry it cannot pay is skipped with a signal, and the error goes through', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const budget = createRetryBudget({ name: 'api', ratio: 1, minPerSecond: 0 });
        const source = cold('-#', undefined, error);
        const subs = [      '^!',
                            '11ms ^!'];
        const expected =    '12ms #';
        const result = source.pipe(
          retryBackoff({ maxRetries: 3, baseDelayMs: 10, budget, signals, context: { correlationId: 'c' } }),
        );
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(
        log
          .filter((s) => s.type === 'recovery_attempt' || s.type === 'retry_budget_exhausted')
          .map((s) =>
            s.type === 'retry_budget_exhausted'
              ? `${s.type} ${s.budgetName} ${s.strategy} @${s.at}`
              : `${s.type} @${s.at}`,
          ),
      ).toEqual(['recovery_attempt @1', 'retry_budget_exhausted api retry @12']); // one request paid for one retry
    });

    it('a budget counts the requests of a pipe that never retries (maxRetries: 0)', () => {
      const budget = createRetryBudget({ ratio: 1, minPerSecond: 0 });
      const operator = retryBackoff<number>({ maxRetries: 0, budget });
      expect(operator).not.toBe(identity);
      of(1).pipe(operator).subscribe();
      of(2).pipe(operator).subscribe();
      expect(budget.snapshot()).toMatchObject({ deposits: 2, withdrawals: 0 });
    });

    it('names a budget that is not one', () => {
      expect(thrownBy(() => retryBackoff({ budget: {} as never }))).toMatchObject({
        issues: ['options.budget: must be a RetryBudget (createRetryBudget)'],
      });
    });
  });

  describe('configuration', () => {
    it('rejects an unknown option when the operator is built', () => {
      const thrown = thrownBy(() => retryBackoff({ maxRetry: 2 } as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect(isRecoveryConfigError(thrown)).toBe(true);
      expect((thrown as RecoveryConfigError).message).toBe('options.maxRetry: unknown option');
    });

    it('rejects a negative baseDelayMs when the operator is built', () => {
      const thrown = thrownBy(() => retryBackoff({ baseDelayMs: -1 }));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).message).toBe('options.baseDelayMs: must be ≥ 0');
    });

    it('names every bad option, one line each', () => {
      const thrown = thrownBy(() =>
        retryBackoff({ maxRetries: -1, jitter: 'some' as never, maxDelayMs: -5 }),
      );
      expect((thrown as RecoveryConfigError).issues).toEqual([
        'options.maxDelayMs: must be ≥ 0',
        'options.jitter: must be one of none, full, equal, decorrelated, got "some"',
        'options.maxRetries: must be ≥ 0',
      ]);
    });

    it('names what it got instead of a number, in plain words', () => {
      const got = (value: unknown) =>
        (thrownBy(() => retryBackoff({ baseDelayMs: value as never })) as RecoveryConfigError)
          .issues;
      expect([{}, () => 1, Symbol('s'), 1n].map((value) => got(value)[0])).toEqual([
        'options.baseDelayMs: expected number, got an object',
        'options.baseDelayMs: expected number, got a function',
        'options.baseDelayMs: expected number, got a symbol',
        'options.baseDelayMs: expected number, got a bigint',
      ]);
    });

    it('is typed as a MonoTypeOperatorFunction and refuses unknown options at compile time', () => {
      expectTypeOf(of(1).pipe(retryBackoff())).toEqualTypeOf<Observable<number>>();
      // @ts-expect-error: maxRetry is not an option
      expect(() => retryBackoff({ maxRetry: 2 })).toThrow(RecoveryConfigError);
    });
  });

  describe('edge cases', () => {
    it('leaves no backoff timer when a user callback of the step unsubscribes the stream', () => {
      const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      scheduler.run(({ cold }) => {
        const stop = new Subject<void>();
        const source = cold('-#', undefined, error);
        const shouldRetry = () => {
          stop.next(); // a shutdown notifier that a takeUntil downstream listens to
          return true;
        };
        source.pipe(retryBackoff({ baseDelayMs: 1000, shouldRetry }), takeUntil(stop)).subscribe();
        let pending = -1;
        scheduler.schedule(() => {
          pending = scheduler.actions.length;
        }, 2);
        scheduler.flush();
        expect(pending).toBe(0);
        expect(source.subscriptions.length).toBe(1);
      });
    });

    it('completes with an empty source and never resubscribes', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs =        '(^!)';
        const expected =    '|';

        expectObservable(source.pipe(retryBackoff())).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('completes with EMPTY', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(EMPTY.pipe(retryBackoff())).toBe('|');
      });
    });

    it('stays silent with a never source until unsubscribed', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const unsub =       '^--- 1500ms !';
        const subs =        '^--- 1500ms !';
        const expected =    '-';

        expectObservable(source.pipe(retryBackoff()), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('stays silent with NEVER', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(NEVER.pipe(retryBackoff()), '^--- 1500ms !').toBe('-');
      });
    });

    it('retries a synchronous error after the backoff, not at once', () => {
      const scheduler = testScheduler();
      const subscribedAt: number[] = [];
      scheduler.run(({ expectObservable }) => {
        const source = defer(() => {
          subscribedAt.push(scheduler.now());
          return throwError(() => error);
        });
        expectObservable(source.pipe(retryBackoff({ maxRetries: 2 }))).toBe(
          '3000ms #',
          undefined,
          error,
        );
      });
      expect(subscribedAt).toEqual([0, 1000, 3000]);
    });

    it('retries an error at the first frame', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#', undefined, error);
        const subs = [      '(^!)',
                            '1000ms (^!)'];
        const expected =    '1000ms #';

        expectObservable(source.pipe(retryBackoff({ maxRetries: 1 }))).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('lets the error that finds no budget left through untouched', () => {
      const first = new Error('first');
      const last = new Error('last');
      const scheduler = testScheduler();
      let received: unknown;
      scheduler.run(({ flush }) => {
        let subscriptions = 0;
        const source = defer(() => throwError(() => (subscriptions++ === 0 ? first : last)));
        source.pipe(retryBackoff({ maxRetries: 1 })).subscribe({ error: (e) => (received = e) });
        flush();
        expect(scheduler.now()).toBe(1000);
        expect(subscriptions).toBe(2);
      });
      expect(received).toBe(last);
    });

    it('does not resubscribe after an unsubscribe during the backoff wait', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const unsub =       '^ 499ms !';
        const subs =        '^----!';
        const expected =    '--a';

        expectObservable(source.pipe(retryBackoff()), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('stops listening to a synchronous source when unsubscribed', () => {
      const sideEffects: number[] = [];
      const synchronous = new Observable<number>((subscriber) => {
        for (let i = 0; !subscriber.closed && i < 10; i++) {
          sideEffects.push(i);
          subscriber.next(i);
        }
        subscriber.error(error);
      });
      const values: number[] = [];
      synchronous
        .pipe(retryBackoff({ baseDelayMs: 0 }), take(3))
        .subscribe((value) => values.push(value));
      expect(values).toEqual([0, 1, 2]);
      expect(sideEffects).toEqual([0, 1, 2]);
    });

    it('stops a synchronous retry loop when the consumer has taken what it needs', () => {
      let subscriptions = 0;
      const values: number[] = [];
      defer(() => {
        subscriptions += 1;
        return concat(
          of(subscriptions),
          throwError(() => error),
        );
      })
        .pipe(retryBackoff({ maxRetries: 5, baseDelayMs: 0 }), take(2))
        .subscribe((value) => values.push(value));
      expect(values).toEqual([1, 2]);
      expect(subscriptions).toBe(2);
    });

    it('does not break unsubscription chains when unsubscribed explicitly', () => {
      const log: string[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('--1-2-^-3--4-5-6-7-8-');
        const unsub =             '^-------!';
        const subs =              '^-------!';
        const expected =          '--3--4-5';

        const result = source.pipe(
          finalize(() => log.push('source finalized')),
          mergeMap((x) => of(x)),
          retryBackoff(),
          mergeMap((x) => of(x)),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(log).toEqual(['source finalized']);
    });

    it('resubscribes a hot source and misses what it sent during the wait', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('--a--^--b--c-x-d--|');
        const subs = [           '^-----!',
                                 '---------^---!'];
        const expected =         '---b------d--|';

        const result = source.pipe(
          map((x) => {
            if (x === 'c') throw error;
            return x;
          }),
          retryBackoff({ baseDelayMs: 3 }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('meets the same error again when it resubscribes a hot source that has errored', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('--a--^--b--#', undefined, error);
        const subs = [           '^-----!',
                                 '16ms (^!)',
                                 '36ms (^!)'];
        const expected =         '---b 32ms #';

        const result = source.pipe(retryBackoff({ maxRetries: 2, baseDelayMs: 10 }));
        expectObservable(result).toBe(expected, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('finalizes the source before the next cycle, even when synchronous', () => {
      const log: string[] = [];
      testScheduler().run(({ expectObservable }) => {
        let n = 0;
        const source = new Observable<number>((subscriber) => {
          const run = ++n;
          log.push(`subscribe ${run}`);
          subscriber.next(run);
          subscriber.error(error);
          return () => log.push(`finalize ${run}`);
        });
        const result = source.pipe(retryBackoff({ maxRetries: 2, baseDelayMs: 0 }));
        expectObservable(result).toBe('(abc#)', { a: 1, b: 2, c: 3 }, error);
      });
      expect(log).toEqual([
        'subscribe 1',
        'finalize 1',
        'subscribe 2',
        'finalize 2',
        'subscribe 3',
        'finalize 3',
      ]);
    });

    it('finalizes the source (finalize operator) before the next cycle, even when synchronous', () => {
      const log: string[] = [];
      testScheduler().run(({ expectObservable }) => {
        const source = defer(() => {
          log.push('subscribe');
          return throwError(() => error);
        }).pipe(finalize(() => log.push('finalize')));
        const result = source.pipe(retryBackoff({ maxRetries: 2, baseDelayMs: 0 }));
        expectObservable(result).toBe('#', undefined, error);
      });
      expect(log).toEqual([
        'subscribe',
        'finalize',
        'subscribe',
        'finalize',
        'subscribe',
        'finalize',
      ]);
    });

    it('finalizes the source when it errors, before the backoff wait', () => {
      const scheduler = testScheduler();
      const log: string[] = [];
      scheduler.run(({ cold, expectObservable }) => {
        const source = defer(() => {
          log.push(`subscribe at ${scheduler.now()}`);
          return cold('-#', undefined, error);
        }).pipe(finalize(() => log.push(`finalize at ${scheduler.now()}`)));
        const result = source.pipe(retryBackoff({ maxRetries: 1, baseDelayMs: 10 }));
        expectObservable(result).toBe('12ms #', undefined, error);
      });
      expect(log).toEqual(['subscribe at 0', 'finalize at 1', 'subscribe at 11', 'finalize at 12']);
    });

    it('keeps one operator instance usable on two sources', () => {
      const operator = retryBackoff<string>({ maxRetries: 1, baseDelayMs: 10 });
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold( '-a-#', undefined, error);
        const firstSubs = [ '^--!',
                            '13ms ^--!'];
        const second = cold('--b--#', undefined, error);
        const secondSubs = ['^----!',
                            '15ms ^----!'];

        expectObservable(first.pipe(operator)).toBe( '-a 12ms a-#', undefined, error);
        expectObservable(second.pipe(operator)).toBe('--b 14ms b--#', undefined, error);
        expectSubscriptions(first.subscriptions).toBe(firstSubs);
        expectSubscriptions(second.subscriptions).toBe(secondSubs);
      });
    });

    it('gives each subscription its own budget', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-#', undefined, error);
        const result = source.pipe(retryBackoff({ maxRetries: 1, baseDelayMs: 10 }));
        const subs = [      '^--!',
                            '13ms ^--!',
                            '---- 20ms ^--!',
                            '---- 33ms ^--!'];

        expectObservable(result).toBe('-a 12ms a-#', undefined, error);
        expectObservable(result, '---- 20ms ^').toBe('---- 20ms -a 12ms a-#', undefined, error);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });
  });
});
