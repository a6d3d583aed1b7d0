import { defer, EMPTY, finalize, mergeMap, NEVER, Observable, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AttemptContext,
  degradeGracefully,
  isRecoveryConfigError,
  RecoveryConfigError,
  type RecoveryResult,
  type RecoverySignal,
} from '../../src/index.js';
import { keptSignals, thrownBy } from '../helpers/capture.js';
import { testScheduler } from '../helpers/marbles.js';

const error = new Error('boom');
const reducedError = new Error('reduced failed');
const cachedError = new Error('cached failed');

/** The signals as short tuples: enough to read the story, exact where it matters. */
function story(log: readonly RecoverySignal[]) {
  return log.map((signal) => {
    switch (signal.type) {
      case 'error_detected':
        return [signal.type, signal.at, signal.error];
      case 'recovery_attempt':
        return [signal.type, signal.at, signal.strategy, signal.attempt, signal.delayMs];
      case 'recovery_completed':
        return [signal.type, signal.at, signal.result];
      default:
        return [signal.type, signal.at];
    }
  });
}

const result = (fields: Partial<RecoveryResult>): RecoveryResult => ({
  success: true,
  strategyUsed: 'degrade',
  attempts: 1,
  durationMs: 0,
  errorType: 'unknown',
  patternId: 'degradeGracefully',
  correlationId: 'test',
  ...fields,
});

describe('degradeGracefully', () => {
  describe('levels', () => {
    it('degrades level by level down to the value level', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =  cold('--a--#', undefined, error);
        const subs =         '^----!';
        const reduced = cold(     '--#', undefined, reducedError);
        const reducedSubs =  '-----^-!';
        const cached =  cold(       '-#', undefined, cachedError);
        const cachedSubs =   '-------^!';
        const expected =     '--a-----(s|)';

        const degraded = source.pipe(
          degradeGracefully(
            [
              { name: 'reduced', source: () => reduced },
              { name: 'cached', source: () => cached },
              { name: 'stub', value: 's' },
            ],
            { context: { correlationId: 'test' }, signals },
          ),
        );
        expectObservable(degraded).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
        expectSubscriptions(cached.subscriptions).toBe(cachedSubs);
      });
      expect(story(log)).toEqual([
        ['error_detected', 5, error],
        ['recovery_attempt', 5, 'degrade', 1, 0],
        ['error_detected', 7, reducedError],
        ['recovery_attempt', 7, 'degrade', 2, 0],
        ['error_detected', 8, cachedError],
        ['recovery_attempt', 8, 'degrade', 3, 0],
        ['recovery_completed', 8, result({ attempts: 3, durationMs: 3, degradationLevel: 'stub' })],
      ]);
    });

    it('names the level that served, and moves further down when it fails later', () => {
      const { log, signals } = keptSignals();
      const contexts: AttemptContext[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =  cold('-#', undefined, error);
        const reduced = cold( '-r-#', undefined, reducedError);
        const reducedSubs =  '-^--!';
        const expected =     '--r-(s|)';

        const degraded = source.pipe(
          degradeGracefully(
            [
              {
                name: 'reduced',
                source: (context) => {
                  contexts.push(context);
                  return reduced;
                },
              },
              { name: 'stub', value: 's' },
            ],
            { context: { correlationId: 'test', nodeName: 'generate' }, signals },
          ),
        );
        expectObservable(degraded).toBe(expected);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
      });
      expect(contexts).toEqual([
        {
          correlationId: 'test',
          nodeName: 'generate',
          error,
          errorType: 'unknown',
          patternId: 'degradeGracefully',
          attempt: 1,
          signal: expect.any(AbortSignal),
        },
      ]);
      expect(story(log)).toEqual([
        ['error_detected', 1, error],
        ['recovery_attempt', 1, 'degrade', 1, 0],
        ['recovery_completed', 2, result({ durationMs: 1, degradationLevel: 'reduced' })],
        ['error_detected', 4, reducedError],
        ['recovery_attempt', 4, 'degrade', 2, 0],
        ['recovery_completed', 4, result({ degradationLevel: 'stub' })],
      ]);
      expect(log.every((signal) => signal.nodeName === 'generate')).toBe(true);
    });

    it('moves to the next level when a level source throws synchronously', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--#', undefined, error);
        const degraded = source.pipe(
          degradeGracefully([
            {
              name: 'broken',
              source: () => {
                throw reducedError;
              },
            },
            { name: 'stub', value: 's' },
          ]),
        );
        expectObservable(degraded).toBe('--(s|)');
      });
    });

    it('lets the last error through when every level fails, and says so', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =  cold('-#', undefined, error);
        const reduced = cold( '-#', undefined, reducedError);
        const reducedSubs =  '-^!';
        const cached =  cold(  '-#', undefined, cachedError);
        const cachedSubs =   '--^!';
        const expected =     '---#';

        const degraded = source.pipe(
          degradeGracefully(
            [
              { name: 'reduced', source: () => reduced },
              { name: 'cached', source: () => cached },
            ],
            { context: { correlationId: 'test' }, signals },
          ),
        );
        expectObservable(degraded).toBe(expected, undefined, cachedError);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
        expectSubscriptions(cached.subscriptions).toBe(cachedSubs);
      });
      expect(log.at(-1)).toEqual({
        type: 'recovery_completed',
        at: 3,
        correlationId: 'test',
        result: result({
          success: false,
          attempts: 2,
          durationMs: 2,
          degradationLevel: 'cached',
          errorMessage: 'Error: cached failed',
        }),
      });
    });

    it('serves every level it is given, beyond ten', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const failing = Array.from({ length: 10 }, (_, i) => ({
          name: `level ${i + 1}`,
          source: () => cold('-#', undefined, reducedError),
        }));
        const degraded = source.pipe(degradeGracefully([...failing, { name: 'stub', value: 's' }]));
        expectObservable(degraded).toBe('11ms (s|)');
      });
    });

    it('lets the error through untouched when there are no levels', () => {
      const scheduler = testScheduler();
      let received: unknown;
      scheduler.run(({ cold, flush }) => {
        cold('--#', undefined, error)
          .pipe(degradeGracefully([]))
          .subscribe({ error: (e) => (received = e) });
        flush();
        expect(scheduler.now()).toBe(2);
      });
      expect(received).toBe(error);
    });

    it('widens the type to the union of the source and the levels', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-#', { a: 1 }, error);
        const degraded = source.pipe(
          degradeGracefully<number, string>([{ name: 'stub', value: 'none' }]),
        );
        expectTypeOf(degraded).toEqualTypeOf<Observable<number | string>>();
        expectObservable(degraded).toBe('-a-(b|)', { a: 1, b: 'none' });
      });
      expectTypeOf(of(1).pipe(degradeGracefully([{ name: 'zero', value: 0 }]))).toEqualTypeOf<
        Observable<number>
      >();
    });
  });

  describe('scheduler', () => {
    it('stamps its signals with the time of the scheduler it is given (outside run())', () => {
      const scheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
      // Outside run() a frame character is 10 virtual ms.
      const source = scheduler.createColdObservable<string>('---#', undefined, error);
      const { log, signals } = keptSignals();
      const values: Array<[number, string]> = [];
      source
        .pipe(
          degradeGracefully([{ name: 'stub', value: 's' }], {
            scheduler,
            signals,
            context: { correlationId: 'test' },
          }),
        )
        .subscribe((value) => values.push([scheduler.now(), value]));

      scheduler.flush();

      expect(values).toEqual([[30, 's']]);
      expect(story(log)).toEqual([
        ['error_detected', 30, error],
        ['recovery_attempt', 30, 'degrade', 1, 0],
        ['recovery_completed', 30, result({ degradationLevel: 'stub' })],
      ]);
    });
  });

  describe('configuration', () => {
    it('rejects a level given both a source and a value when the operator is built', () => {
      const thrown = thrownBy(() =>
        degradeGracefully([{ name: 'both', source: () => of(1), value: 2 }] as never),
      );
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect(isRecoveryConfigError(thrown)).toBe(true);
      expect((thrown as RecoveryConfigError).issues).toHaveLength(1);
    });

    it('rejects a level given neither a source nor a value', () => {
      const thrown = thrownBy(() => degradeGracefully([{ name: 'neither' }] as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).issues).toHaveLength(1);
    });

    it('names the bad level by its place in the argument', () => {
      const thrown = thrownBy(() =>
        degradeGracefully([{ name: 'both', source: () => of(1), value: 2 }] as never),
      );
      expect((thrown as RecoveryConfigError).message).toBe(
        'levels[0]: give exactly one of source or value',
      );
    });

    it('rejects an unknown option when the operator is built', () => {
      const thrown = thrownBy(() => degradeGracefully([], { levels: [] } as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).message).toBe('options.levels: unknown option');
    });
  });

  describe('edge cases', () => {
    it('completes with an empty source and never serves a level', () => {
      let called = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs =        '(^!)';
        const expected =    '|';

        const level = {
          name: 'reduced',
          source: () => {
            called += 1;
            return of('r');
          },
        };
        expectObservable(source.pipe(degradeGracefully([level]))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(called).toBe(0);
    });

    it('completes with EMPTY', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(EMPTY.pipe(degradeGracefully([{ name: 'stub', value: 's' }]))).toBe('|');
      });
    });

    it('stays silent with a never source until unsubscribed', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const unsub =       '^--- 1500ms !';
        const subs =        '^--- 1500ms !';
        const expected =    '-';

        const degraded = source.pipe(degradeGracefully([{ name: 'stub', value: 's' }]));
        expectObservable(degraded, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('stays silent with NEVER', () => {
      testScheduler().run(({ expectObservable }) => {
        const degraded = NEVER.pipe(degradeGracefully([{ name: 'stub', value: 's' }]));
        expectObservable(degraded, '^--- 1500ms !').toBe('-');
      });
    });

    it('degrades at once on a synchronous error', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const reduced = cold('#', undefined, reducedError);
        const reducedSubs =  '(^!)';
        const expected =     '(s|)';

        const degraded = throwError(() => error).pipe(
          degradeGracefully([
            { name: 'reduced', source: () => reduced },
            { name: 'stub', value: 's' },
          ]),
        );
        expectObservable(degraded).toBe(expected);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
      });
    });

    it('serves no further level after an unsubscribe inside a level', () => {
      let called = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =  cold('--#', undefined, error);
        const reduced = cold(  '-r---#', undefined, reducedError);
        const reducedSubs =  '--^--!';
        const unsub =        '^----!';
        const expected =     '---r-';

        const degraded = source.pipe(
          degradeGracefully([
            { name: 'reduced', source: () => reduced },
            {
              name: 'cached',
              source: () => {
                called += 1;
                return of('c');
              },
            },
          ]),
        );
        expectObservable(degraded, unsub).toBe(expected);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
      });
      expect(called).toBe(0);
    });

    it('does not break unsubscription chains when unsubscribed explicitly', () => {
      const log: string[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source =  hot('--1-^-2-#', undefined, error);
        const subs =             '^---!';
        const reduced = hot('-9--^----3--4--5-');
        const reducedSubs =      '----^----!';
        const unsub =            '^--------!';
        const expected =         '--2--3--4';

        const degraded = source.pipe(
          mergeMap((x) => of(x)),
          degradeGracefully([
            {
              name: 'reduced',
              source: () => reduced.pipe(finalize(() => log.push('level finalized'))),
            },
          ]),
          mergeMap((x) => of(x)),
        );
        expectObservable(degraded, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
      });
      expect(log).toEqual(['level finalized']);
    });

    it('degrades a hot source to a hot level, missing what it sent before', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source =  hot('--a--^--b--#', undefined, error);
        const subs =              '^-----!';
        const reduced = hot('--x--^---y----z--|');
        const reducedSubs =       '------^-----!';
        const expected =          '---b-----z--|';

        const degraded = source.pipe(degradeGracefully([{ name: 'reduced', source: () => reduced }]));
        expectObservable(degraded).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
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
        const degraded = failing('source', error).pipe(
          degradeGracefully([
            { name: 'reduced', source: () => failing('reduced', reducedError) },
            {
              name: 'cached',
              source: () =>
                defer(() => {
                  log.push('subscribe cached');
                  return of('cached');
                }).pipe(finalize(() => log.push('finalize cached'))),
            },
          ]),
        );
        expectObservable(degraded).toBe('(abc|)', { a: 'source', b: 'reduced', c: 'cached' });
      });
      expect(log).toEqual([
        'subscribe source',
        'finalize source',
        'subscribe reduced',
        'finalize reduced',
        'subscribe cached',
        'finalize cached',
      ]);
    });

    it('keeps one operator instance usable on two sources', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const reduced = cold( '-r|');
        const reducedSubs = [ '-^-!',
                              '--^-!'];
        const first =   cold( '-#', undefined, error);
        const second =  cold( '--#', undefined, error);

        const operator = degradeGracefully<string>([{ name: 'reduced', source: () => reduced }]);
        expectObservable(first.pipe(operator)).toBe( '--r|');
        expectObservable(second.pipe(operator)).toBe('---r|');
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
      });
    });

    it('gives each subscription its own ladder, starting from the best level', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =  cold('-#', undefined, error);
        const reduced = cold( '-#', undefined, reducedError);
        const reducedSubs = ['-^!',
                             '11ms ^!'];

        const degraded = source.pipe(
          degradeGracefully([
            { name: 'reduced', source: () => reduced },
            { name: 'stub', value: 's' },
          ]),
        );
        expectObservable(degraded).toBe(                '--(s|)');
        expectObservable(degraded, '10ms ^').toBe('10ms --(s|)');
        expectSubscriptions(reduced.subscriptions).toBe(reducedSubs);
      });
    });
  });
});
