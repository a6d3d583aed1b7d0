import { defer, EMPTY, finalize, mergeMap, NEVER, Observable, of, Subject, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AttemptContext,
  type CorrectionRule,
  correctErrors,
  RecoveryConfigError,
  withRecovery,
} from '../../src/index.js';
import { keptSignals, thrownBy } from '../helpers/capture.js';
import { testScheduler } from '../helpers/marbles.js';

const error = new Error('boom');

/** A SyntaxError as Node reports a missing `async`, carrying the code that failed. */
const missingAsync = (source?: string, lineno?: number) =>
  Object.assign(
    new SyntaxError('await is only valid in async functions and the top level bodies of modules'),
    source === undefined ? {} : { source },
    lineno === undefined ? {} : { lineno },
  );

describe('correctErrors', () => {
  describe('user rules', () => {
    it('subscribes the corrected source a rule returns', () => {
      const calls: Array<[unknown, AttemptContext]> = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =    cold('--a--#', undefined, error);
        const subs =           '^----!';
        const corrected = cold(     '-c|');
        const correctedSubs =  '-----^-!';
        const expected =       '--a---c|';

        const rule: CorrectionRule<string> = {
          id: 'fix',
          correct: (e, context) => {
            calls.push([e, context]);
            return corrected;
          },
        };
        const result = source.pipe(
          correctErrors([rule], { context: { correlationId: 'test', workflowId: 'wf' } }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(corrected.subscriptions).toBe(correctedSubs);
      });
      expect(calls).toEqual([
        [
          error,
          {
            correlationId: 'test',
            workflowId: 'wf',
            error,
            errorType: 'unknown',
            patternId: 'correctErrors',
            attempt: 1,
            signal: expect.any(AbortSignal),
          },
        ],
      ]);
    });

    it('asks the next rule when a rule returns undefined', () => {
      const asked: string[] = [];
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--#', undefined, error);
        const result = source.pipe(
          correctErrors<string>([
            {
              id: 'cannot',
              correct: () => {
                asked.push('cannot');
                return undefined;
              },
            },
            {
              id: 'can',
              correct: () => {
                asked.push('can');
                return of('fixed');
              },
            },
          ]),
        );
        expectObservable(result).toBe('--(f|)', { f: 'fixed' });
      });
      expect(asked).toEqual(['cannot', 'can']);
    });

    it('asks only the rules whose match accepts the error', () => {
      const asked: string[] = [];
      const rule = (id: string, match: CorrectionRule<string>['match']) => ({
        id,
        match,
        correct: () => {
          asked.push(id);
          return of(id);
        },
      });
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--#', undefined, error);
        const result = source.pipe(
          correctErrors<string>([
            rule('timeouts', /timed out/i),
            rule('other errors', (e) => e !== error),
            rule('booms', /^Error: boom$/),
          ]),
        );
        expectObservable(result).toBe('--(b|)', { b: 'booms' });
      });
      expect(asked).toEqual(['booms']);
    });

    it('lets the error through untouched when no rule can correct it', () => {
      const { log, signals } = keptSignals();
      const scheduler = testScheduler();
      let received: unknown;
      scheduler.run(({ cold, flush }) => {
        cold('--#', undefined, error)
          .pipe(
            correctErrors([{ id: 'cannot', correct: () => undefined }], {
              context: { correlationId: 'test' },
              signals,
            }),
          )
          .subscribe({ error: (e) => (received = e) });
        flush();
        expect(scheduler.now()).toBe(2);
      });
      expect(received).toBe(error);
      expect(log.map((signal) => [signal.type, signal.at])).toEqual([
        ['error_detected', 2],
        ['recovery_completed', 2],
      ]);
      expect(log[1]).toEqual({
        type: 'recovery_completed',
        at: 2,
        correlationId: 'test',
        result: {
          success: false,
          strategyUsed: 'none',
          attempts: 0,
          durationMs: 0,
          errorType: 'unknown',
          patternId: 'correctErrors',
          errorMessage: 'Error: boom',
          correlationId: 'test',
        },
      });
    });

    it('classifies what a throwing rule threw afresh, and asks the rules again', () => {
      const oops = new Error('rule failed');
      const seen: unknown[] = [];
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--#', undefined, error);
        const result = source.pipe(
          correctErrors<string>([
            {
              id: 'flaky',
              correct: (e) => {
                seen.push(e);
                if (e === error) throw oops;
                return of('fixed');
              },
            },
          ]),
        );
        expectObservable(result).toBe('--(f|)', { f: 'fixed' });
      });
      expect(seen).toEqual([error, oops]);
    });

    it('widens the type to the union of the source and the corrections', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-#', { a: 1 }, error);
        const result = source.pipe(
          correctErrors<number, string>([{ id: 'fix', correct: () => of('fixed') }]),
        );
        expectTypeOf(result).toEqualTypeOf<Observable<number | string>>();
        expectObservable(result).toBe('-a-(f|)', { a: 1, f: 'fixed' });
      });
    });
  });

  describe('no hidden rules', () => {
    it('lets a missing async through when asyncKeywordCorrection is not listed', () => {
      const withCode = missingAsync('function f() { await g(); }');
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--#', undefined, withCode);
        const subs =        '^-!';
        const expected =    '--#';

        const result = source.pipe(correctErrors<string>([]));
        expectObservable(result).toBe(expected, undefined, withCode);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('refuses the old builtInCorrections option', () => {
      const thrown = thrownBy(() => correctErrors([], { builtInCorrections: false } as never));
      expect((thrown as RecoveryConfigError).message).toBe(
        'options.builtInCorrections: unknown option',
      );
    });
  });

  describe('budget', () => {
    it('corrects at most maxRetries times, then lets the last error through', () => {
      const errors = [new Error('still broken 1'), new Error('still broken 2')];
      let corrections = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, error);
        const first =  cold( '-#', undefined, errors[0]);
        const second = cold(  '-#', undefined, errors[1]);
        const firstSubs =   '-^!';
        const secondSubs =  '--^!';
        const expected =    '---#';

        const rule: CorrectionRule<string> = {
          id: 'fix',
          correct: () => (corrections++ === 0 ? first : second),
        };
        const result = source.pipe(correctErrors([rule], { maxRetries: 2 }));
        expectObservable(result).toBe(expected, undefined, errors[1]);
        expectSubscriptions(first.subscriptions).toBe(firstSubs);
        expectSubscriptions(second.subscriptions).toBe(secondSubs);
      });
      expect(corrections).toBe(2);
    });

    it('corrects three times by default', () => {
      let corrections = 0;
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const result = source.pipe(
          correctErrors<string>([
            {
              id: 'fix',
              correct: () => {
                corrections += 1;
                return cold('-#', undefined, error);
              },
            },
          ]),
        );
        expectObservable(result).toBe('----#', undefined, error);
      });
      expect(corrections).toBe(3);
    });

    it('corrects as many times as maxRetries says, beyond ten', () => {
      let corrections = 0;
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const rule: CorrectionRule<string> = {
          id: 'fix',
          correct: () => {
            corrections += 1;
            return cold('-#', undefined, error);
          },
        };
        expectObservable(source.pipe(correctErrors([rule], { maxRetries: 11 }))).toBe(
          '12ms #',
          undefined,
          error,
        );
      });
      expect(corrections).toBe(11);
    });

    it('lets every error through and asks no rule with maxRetries 0', () => {
      let corrections = 0;
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const result = source.pipe(
          correctErrors<string>(
            [
              {
                id: 'fix',
                correct: () => {
                  corrections += 1;
                  return of('fixed');
                },
              },
            ],
            { maxRetries: 0 },
          ),
        );
        expectObservable(result).toBe('-#', undefined, error);
      });
      expect(corrections).toBe(0);
    });
  });

  describe('scheduler', () => {
    it('stamps its signals with the time of the scheduler it is given (outside run())', () => {
      const scheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
      // Outside run() a frame character is 10 virtual ms.
      const source = scheduler.createColdObservable<string>('--#', undefined, error);
      const { log, signals } = keptSignals();
      const values: Array<[number, string]> = [];
      source
        .pipe(
          correctErrors([{ id: 'fix', correct: () => of('fixed') }], {
            scheduler,
            signals,
            context: { correlationId: 'test' },
          }),
        )
        .subscribe((value) => values.push([scheduler.now(), value]));

      scheduler.flush();

      expect(values).toEqual([[20, 'fixed']]);
      expect(log.map((signal) => [signal.type, signal.at])).toEqual([
        ['error_detected', 20],
        ['recovery_attempt', 20],
        ['recovery_completed', 20],
      ]);
    });
  });

  describe('configuration', () => {
    it('rejects a negative maxRetries when the operator is built', () => {
      const thrown = thrownBy(() => correctErrors([], { maxRetries: -1 }));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).message).toBe('options.maxRetries: must be ≥ 0');
    });

    it('rejects an unknown option when the operator is built', () => {
      const thrown = thrownBy(() => correctErrors([], { builtIns: false } as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).message).toBe('options.builtIns: unknown option');
    });

    it('rejects a rule without correct when the operator is built', () => {
      const thrown = thrownBy(() => correctErrors([{ id: 'x' }] as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).issues).toHaveLength(1);
    });

    it('names the bad rule by its place in the argument', () => {
      const thrown = thrownBy(() => correctErrors([{ id: 'x' }] as never));
      expect((thrown as RecoveryConfigError).message).toBe(
        'rules[0].correct: must be a function (error, context) => ObservableInput | undefined',
      );
    });
  });

  describe('edge cases', () => {
    const fixed = (): CorrectionRule<string> => ({ id: 'fix', correct: () => of('fixed') });

    it('completes with an empty source and never asks a rule', () => {
      let asked = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs =        '(^!)';
        const expected =    '|';

        const rule = {
          id: 'fix',
          correct: () => {
            asked += 1;
            return of('fixed');
          },
        };
        expectObservable(source.pipe(correctErrors([rule]))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(asked).toBe(0);
    });

    it('completes with EMPTY', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(EMPTY.pipe(correctErrors([fixed()]))).toBe('|');
      });
    });

    it('stays silent with a never source until unsubscribed', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const unsub =       '^--- 1500ms !';
        const subs =        '^--- 1500ms !';
        const expected =    '-';

        expectObservable(source.pipe(correctErrors([fixed()])), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('stays silent with NEVER', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(NEVER.pipe(correctErrors([fixed()])), '^--- 1500ms !').toBe('-');
      });
    });

    it('corrects a synchronous error at once', () => {
      testScheduler().run(({ expectObservable }) => {
        const result = throwError(() => error).pipe(correctErrors([fixed()]));
        expectObservable(result).toBe('(f|)', { f: 'fixed' });
      });
    });

    it('asks no rule again after an unsubscribe inside a correction', () => {
      let asked = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =    cold('--#', undefined, error);
        const corrected = cold(  '-c---#', undefined, error);
        const correctedSubs =  '--^--!';
        const unsub =          '^----!';
        const expected =       '---c-';

        const rule = {
          id: 'fix',
          correct: () => {
            asked += 1;
            return corrected;
          },
        };
        expectObservable(source.pipe(correctErrors([rule])), unsub).toBe(expected);
        expectSubscriptions(corrected.subscriptions).toBe(correctedSubs);
      });
      expect(asked).toBe(1);
    });

    it('does not break unsubscription chains when unsubscribed explicitly', () => {
      const log: string[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source =    hot('--1-^-2-#', undefined, error);
        const subs =               '^---!';
        const corrected = hot('-9--^----3--4--5-');
        const correctedSubs =      '----^----!';
        const unsub =              '^--------!';
        const expected =           '--2--3--4';

        const result = source.pipe(
          mergeMap((x) => of(x)),
          correctErrors([
            {
              id: 'fix',
              correct: () => corrected.pipe(finalize(() => log.push('correction finalized'))),
            },
          ]),
          mergeMap((x) => of(x)),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(corrected.subscriptions).toBe(correctedSubs);
      });
      expect(log).toEqual(['correction finalized']);
    });

    it('corrects a hot source with a hot source, missing what it sent before', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source =    hot('--a--^--b--#', undefined, error);
        const subs =                '^-----!';
        const corrected = hot('--x--^---y----z--|');
        const correctedSubs =       '------^-----!';
        const expected =            '---b-----z--|';

        const result = source.pipe(correctErrors([{ id: 'fix', correct: () => corrected }]));
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
        expectSubscriptions(corrected.subscriptions).toBe(correctedSubs);
      });
    });

    it('finalizes each source before the next cycle, even when synchronous', () => {
      const log: string[] = [];
      let n = 0;
      const failing = (name: string) =>
        new Observable<string>((subscriber) => {
          log.push(`subscribe ${name}`);
          subscriber.next(name);
          subscriber.error(error);
          return () => log.push(`finalize ${name}`);
        });
      testScheduler().run(({ expectObservable }) => {
        const result = failing('source').pipe(
          correctErrors([
            {
              id: 'fix',
              correct: () => {
                n += 1;
                if (n === 1) return failing('correction 1');
                return defer(() => {
                  log.push('subscribe correction 2');
                  return of('correction 2');
                }).pipe(finalize(() => log.push('finalize correction 2')));
              },
            },
          ]),
        );
        expectObservable(result).toBe('(abc|)', {
          a: 'source',
          b: 'correction 1',
          c: 'correction 2',
        });
      });
      expect(log).toEqual([
        'subscribe source',
        'finalize source',
        'subscribe correction 1',
        'finalize correction 1',
        'subscribe correction 2',
        'finalize correction 2',
      ]);
    });

    it('keeps one operator instance usable on two sources', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const corrected = cold( '-c|');
        const correctedSubs = [ '-^-!',
                                '--^-!'];
        const first =     cold( '-#', undefined, error);
        const second =    cold( '--#', undefined, error);

        const operator = correctErrors<string>([{ id: 'fix', correct: () => corrected }]);
        expectObservable(first.pipe(operator)).toBe( '--c|');
        expectObservable(second.pipe(operator)).toBe('---c|');
        expectSubscriptions(corrected.subscriptions).toBe(correctedSubs);
      });
    });

    it('gives each subscription its own budget', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source =    cold('-#', undefined, error);
        const corrected = cold( '-c-#', undefined, error);
        const correctedSubs = [ '-^--!',
                                '11ms ^--!'];

        const result = source.pipe(
          correctErrors([{ id: 'fix', correct: () => corrected }], { maxRetries: 1 }),
        );
        expectObservable(result).toBe(                '--c-#', undefined, error);
        expectObservable(result, '10ms ^').toBe('10ms --c-#', undefined, error);
        expectSubscriptions(corrected.subscriptions).toBe(correctedSubs);
      });
    });
  });

  // The classifier drops `g`/`y` (errorPattern.ts: "`g` and `y` are dropped") because
  // RegExp#test is stateful with them; a rule's `match` is tested without them too.
  it('a correction rule with a /g match corrects every matching error', () => {
    const corrected = correctErrors<string>([
      { id: 'r', match: /boom/g, correct: () => of('fixed') },
    ]);
    const results: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const source = new Subject<string>();
      source
        .pipe(corrected)
        .subscribe({ next: (v) => results.push(v), error: () => results.push('error') });
      source.error(new Error('boom'));
    }
    expect(results).toEqual(['fixed', 'fixed', 'fixed']);
  });

  it("a rule's /y match is not anchored, in withRecovery's corrections too", () => {
    const sticky = /boom/gy;
    const recovered = withRecovery<string>([], {
      unmatched: ['correct'],
      corrections: [{ id: 'r', match: sticky, correct: () => of('fixed') }],
    });
    const results: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      throwError(() => new Error('kaboom'))
        .pipe(recovered)
        .subscribe({ next: (v) => results.push(v), error: () => results.push('error') });
    }
    expect(results).toEqual(['fixed', 'fixed']);
    expect([sticky.flags, sticky.lastIndex]).toEqual(['gy', 0]); // the user's RegExp is untouched
  });
});
