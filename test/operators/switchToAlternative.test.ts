import {
  defer,
  EMPTY,
  finalize,
  mergeMap,
  NEVER,
  Observable,
  type ObservableInput,
  of,
  take,
  throwError,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type AttemptContext, RecoveryConfigError, switchToAlternative } from '../../src/index.js';
import { keptSignals, thrownBy } from '../helpers/capture.js';
import { testScheduler } from '../helpers/marbles.js';

const error = new Error('boom');
const error1 = new Error('alternative 1 failed');
const error2 = new Error('alternative 2 failed');

/** A factory that records the contexts it is called with. */
function recorded<T>(source: ObservableInput<T>, calls: AttemptContext[]) {
  return (context: AttemptContext) => {
    calls.push(context);
    return source;
  };
}

const attemptContext = (error: unknown, attempt: number) => ({
  correlationId: 'test',
  error,
  errorType: 'unknown',
  patternId: 'switchToAlternative',
  attempt,
  signal: expect.any(AbortSignal),
});

describe('switchToAlternative', () => {
  describe('alternatives', () => {
    it('switches to the alternatives in order, each once per subscription', () => {
      const calls1: AttemptContext[] = [];
      const calls2: AttemptContext[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const subs =        '^----!';
        const alt1 = cold(       '-x-#', undefined, error1);
        const alt1Subs =    '-----^--!';
        const alt2 = cold(          '-y|');
        const alt2Subs =    '--------^-!';
        const expected =    '--a---x--y|';

        const result = source.pipe(
          switchToAlternative([recorded(alt1, calls1), recorded(alt2, calls2)], {
            context: { correlationId: 'test' },
          }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(alt1.subscriptions).toBe(alt1Subs);
        expectSubscriptions(alt2.subscriptions).toBe(alt2Subs);
      });
      expect(calls1).toEqual([attemptContext(error, 1)]);
      expect(calls2).toEqual([attemptContext(error1, 2)]);
      expect(Object.isFrozen(calls1[0])).toBe(true);
      // Each alternative's signal aborted when its attempt ended (failed, then completed).
      expect([calls1[0]?.signal.aborted, calls2[0]?.signal.aborted]).toEqual([true, true]);
    });

    it('lets the last error through when every alternative fails', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, error);
        const subs =        '^!';
        const alt1 = cold(   '-#', undefined, error1);
        const alt1Subs =    '-^!';
        const alt2 = cold(    '-#', undefined, error2);
        const alt2Subs =    '--^!';
        const expected =    '---#';

        const result = source.pipe(switchToAlternative([() => alt1, () => alt2]));
        expectObservable(result).toBe(expected, undefined, error2);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(alt1.subscriptions).toBe(alt1Subs);
        expectSubscriptions(alt2.subscriptions).toBe(alt2Subs);
      });
    });

    it('lets the error through untouched when there is no alternative left', () => {
      const scheduler = testScheduler();
      let received: unknown;
      scheduler.run(({ cold, flush }) => {
        const source = cold('--#', undefined, error);
        source.pipe(switchToAlternative([])).subscribe({ error: (e) => (received = e) });
        flush();
        expect(scheduler.now()).toBe(2);
      });
      expect(received).toBe(error);
    });

    it('fails the step of a factory that throws, and runs the next alternative', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, error);
        const subs =        '^-!';
        const alt2 = cold(    '-y|');
        const alt2Subs =    '--^-!';
        const expected =    '---y|';

        const throwing = () => {
          throw error1;
        };
        const result = source.pipe(
          switchToAlternative([throwing, () => alt2], {
            context: { correlationId: 'test' },
            signals,
            clock: () => 0,
          }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(alt2.subscriptions).toBe(alt2Subs);
      });
      expect(
        log.map((signal) => {
          switch (signal.type) {
            case 'error_detected':
              return [signal.type, signal.at, signal.error];
            case 'recovery_attempt':
              return [signal.type, signal.at, signal.strategy, signal.attempt, signal.delayMs];
            case 'recovery_completed':
              return [signal.type, signal.at, signal.result];
            default:
              return [signal.type];
          }
        }),
      ).toEqual([
        ['error_detected', 2, error],
        ['recovery_attempt', 2, 'alternative', 1, 0],
        ['error_detected', 2, error1],
        ['recovery_attempt', 2, 'alternative', 2, 0],
        [
          'recovery_completed',
          3,
          {
            success: true,
            strategyUsed: 'alternative',
            attempts: 2,
            durationMs: 1,
            errorType: 'unknown',
            patternId: 'switchToAlternative',
            correlationId: 'test',
          },
        ],
      ]);
    });

    it('tries every alternative it is given, beyond ten', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const failing = Array.from({ length: 10 }, () => () => cold('-#', undefined, error1));
        const result = source.pipe(switchToAlternative([...failing, () => cold('-z|')]));
        expectObservable(result).toBe('12ms z|');
      });
    });

    it('takes any ObservableInput from a factory, such as an array', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-#', undefined, error);
        const result = source.pipe(switchToAlternative([() => ['x', 'y']]));
        expectObservable(result).toBe('-a-(xy|)');
      });
    });

    it('widens the type to the union of the source and the alternatives', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-#', { a: 1 }, error);
        const result = source.pipe(switchToAlternative<number, string>([() => of('two')]));
        expectTypeOf(result).toEqualTypeOf<Observable<number | string>>();
        expectObservable(result).toBe('-a-(b|)', { a: 1, b: 'two' });
      });
      expectTypeOf(of(1).pipe(switchToAlternative([() => of(1)]))).toEqualTypeOf<
        Observable<number>
      >();
    });
  });

  describe('signals and scheduler', () => {
    it('stamps its signals with the time of the scheduler it is given (outside run())', () => {
      const scheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
      // Outside run() a frame character is 10 virtual ms.
      const source = scheduler.createColdObservable<string>('--#', undefined, error);
      const alternative = scheduler.createColdObservable<string>('-x|');
      const { log, signals } = keptSignals();
      const values: Array<[number, string]> = [];
      source
        .pipe(
          switchToAlternative([() => alternative], {
            scheduler,
            signals,
            context: { correlationId: 'test' },
          }),
        )
        .subscribe((value) => values.push([scheduler.now(), value]));

      scheduler.flush();

      expect(values).toEqual([[30, 'x']]);
      expect(log.map((signal) => [signal.type, signal.at])).toEqual([
        ['error_detected', 20],
        ['recovery_attempt', 20],
        ['recovery_completed', 30],
      ]);
      expect(log[2]).toEqual({
        type: 'recovery_completed',
        at: 30,
        correlationId: 'test',
        result: {
          success: true,
          strategyUsed: 'alternative',
          attempts: 1,
          durationMs: 10,
          errorType: 'unknown',
          patternId: 'switchToAlternative',
          correlationId: 'test',
        },
      });
    });

    it('generates a correlation id per subscription when none is given', () => {
      const { log, signals } = keptSignals();
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const result = source.pipe(switchToAlternative([() => of('x')], { signals }));
        expectObservable(result).toBe('-(x|)');
        expectObservable(result).toBe('-(x|)');
      });
      const ids = [...new Set(log.map((signal) => signal.correlationId))];
      expect(ids).toHaveLength(2);
      expect(log.filter((signal) => signal.correlationId === ids[0])).toHaveLength(3);
    });
  });

  describe('configuration', () => {
    it('rejects an unknown option when the operator is built', () => {
      const thrown = thrownBy(() => switchToAlternative([], { foo: 1 } as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).message).toBe('options.foo: unknown option');
    });

    it('rejects an alternative that is not a function when the operator is built', () => {
      const thrown = thrownBy(() => switchToAlternative(['x'] as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
    });

    it('names the bad alternative by its place in the argument', () => {
      const thrown = thrownBy(() => switchToAlternative(['x'] as never));
      expect((thrown as RecoveryConfigError).message).toBe(
        'alternatives[0]: must be a function (context) => ObservableInput',
      );
    });
  });

  describe('edge cases', () => {
    it('completes with an empty source and never calls an alternative', () => {
      let called = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs =        '(^!)';
        const expected =    '|';

        const result = source.pipe(
          switchToAlternative([
            () => {
              called += 1;
              return of('x');
            },
          ]),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(called).toBe(0);
    });

    it('completes with EMPTY', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(EMPTY.pipe(switchToAlternative([() => of('x')]))).toBe('|');
      });
    });

    it('stays silent with a never source until unsubscribed', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const unsub =       '^--- 1500ms !';
        const subs =        '^--- 1500ms !';
        const expected =    '-';

        const result = source.pipe(switchToAlternative([() => of('x')]));
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('stays silent with NEVER', () => {
      testScheduler().run(({ expectObservable }) => {
        const result = NEVER.pipe(switchToAlternative([() => of('x')]));
        expectObservable(result, '^--- 1500ms !').toBe('-');
      });
    });

    it('switches at once on a synchronous error', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const alt1 = cold('-y|');
        const alt1Subs =  '^-!';
        const expected =  '-y|';

        const result = throwError(() => error).pipe(switchToAlternative([() => alt1]));
        expectObservable(result).toBe(expected);
        expectSubscriptions(alt1.subscriptions).toBe(alt1Subs);
      });
    });

    it('runs a chain of synchronously failing alternatives in one frame', () => {
      testScheduler().run(({ expectObservable }) => {
        const result = throwError(() => error).pipe(
          switchToAlternative([() => throwError(() => error1), () => throwError(() => error2)]),
        );
        expectObservable(result).toBe('#', undefined, error2);
      });
    });

    it('does not call a later alternative after an unsubscribe inside an alternative', () => {
      let called = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, error);
        const subs =        '^-!';
        const alt1 = cold(    '-x--#', undefined, error1);
        const alt1Subs =    '--^--!';
        const unsub =       '^----!';
        const expected =    '---x-';

        const result = source.pipe(
          switchToAlternative([
            () => alt1,
            () => {
              called += 1;
              return of('never used');
            },
          ]),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(alt1.subscriptions).toBe(alt1Subs);
      });
      expect(called).toBe(0);
    });

    it('stops listening to a synchronous alternative when unsubscribed', () => {
      const sideEffects: number[] = [];
      const synchronous = new Observable<number>((subscriber) => {
        for (let i = 0; !subscriber.closed && i < 10; i++) {
          sideEffects.push(i);
          subscriber.next(i);
        }
      });
      const values: number[] = [];
      throwError(() => error)
        .pipe(switchToAlternative([() => synchronous]), take(3))
        .subscribe((value) => values.push(value));
      expect(values).toEqual([0, 1, 2]);
      expect(sideEffects).toEqual([0, 1, 2]);
    });

    it('does not break unsubscription chains when unsubscribed explicitly', () => {
      const log: string[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('--1-^-2-#', undefined, error);
        const subs =            '^---!';
        const alt = hot(   '-9--^----3--4--5-');
        const altSubs =         '----^----!';
        const unsub =           '^--------!';
        const expected =        '--2--3--4';

        const result = source.pipe(
          mergeMap((x) => of(x)),
          switchToAlternative([() => alt.pipe(finalize(() => log.push('alternative finalized')))]),
          mergeMap((x) => of(x)),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(alt.subscriptions).toBe(altSubs);
      });
      expect(log).toEqual(['alternative finalized']);
    });

    it('switches from a hot source to a hot alternative, missing what it sent before', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('--a--^--b--#', undefined, error);
        const subs =             '^-----!';
        const alt = hot(   '--x--^---y----z--|');
        const altSubs =          '------^-----!';
        const expected =         '---b-----z--|';

        const result = source.pipe(switchToAlternative([() => alt]));
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(alt.subscriptions).toBe(altSubs);
      });
    });

    it('finalizes each source before the next cycle, even when synchronous', () => {
      const log: string[] = [];
      const failing = (name: string, e: Error) =>
        new Observable<string>((subscriber) => {
          log.push(`subscribe ${name}`);
          subscriber.next(name);
          subscriber.error(e);
          return () => log.push(`finalize ${name}`);
        });
      testScheduler().run(({ expectObservable }) => {
        const result = failing('source', error).pipe(
          switchToAlternative([
            () => failing('alt1', error1),
            () =>
              defer(() => {
                log.push('subscribe alt2');
                return of('alt2');
              }).pipe(finalize(() => log.push('finalize alt2'))),
          ]),
        );
        expectObservable(result).toBe('(abc|)', { a: 'source', b: 'alt1', c: 'alt2' });
      });
      expect(log).toEqual([
        'subscribe source',
        'finalize source',
        'subscribe alt1',
        'finalize alt1',
        'subscribe alt2',
        'finalize alt2',
      ]);
    });

    it('keeps one operator instance usable on two sources', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const alt = cold(    '-y|');
        const altSubs = [   '-^-!',
                            '--^-!'];
        const first = cold( '-#', undefined, error);
        const second = cold('--#', undefined, error);

        const operator = switchToAlternative<string>([() => alt]);
        expectObservable(first.pipe(operator)).toBe( '--y|');
        expectObservable(second.pipe(operator)).toBe('---y|');
        expectSubscriptions(alt.subscriptions).toBe(altSubs);
      });
    });

    it('gives each subscription its own alternatives', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, error);
        const alt1 = cold(   '-#', undefined, error1);
        const alt1Subs = [  '-^!',
                            '11ms ^!'];
        const alt2 = cold(    '-z|');
        const alt2Subs = [  '--^-!',
                            '12ms ^-!'];

        const result = source.pipe(switchToAlternative([() => alt1, () => alt2]));
        expectObservable(result).toBe(                '---z|');
        expectObservable(result, '10ms ^').toBe('10ms ---z|');
        expectSubscriptions(alt1.subscriptions).toBe(alt1Subs);
        expectSubscriptions(alt2.subscriptions).toBe(alt2Subs);
      });
    });
  });
});
