import {
  defer,
  EMPTY,
  finalize,
  mergeMap,
  NEVER,
  Observable,
  of,
  Subject,
  tap,
  throwError,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  EscalationError,
  type EscalationRecord,
  escalateOn,
  isEscalationError,
  RecoveryConfigError,
} from '../../src/index.js';
import { keptSignals, thrownBy } from '../helpers/capture.js';
import { testScheduler } from '../helpers/marbles.js';

const error = new Error('boom');
const quorum = new Error('quorum not reached: 1 of 3 reviewers approved');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The record escalateOn builds for `message` at frame `createdAt`. */
const expectedRecord = (createdAt: number, message = 'Error: boom', context = {}) => ({
  id: expect.stringMatching(UUID),
  createdAt,
  context: { correlationId: 'test', ...context },
  errorType: 'unknown',
  patternId: 'escalateOn',
  message,
  attempts: 0,
});

describe('escalateOn', () => {
  describe('escalation', () => {
    it('ends the stream with an EscalationError that carries the record and the cause', () => {
      let received: unknown;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const subs =        '^----!';
        const expected =    '--a--#';

        const result = source.pipe(
          escalateOn({ context: { correlationId: 'test', workflowId: 'wf', nodeName: 'review' } }),
          tap({ error: (e) => (received = e) }),
        );
        expectObservable(result).toBe(expected, undefined, expect.any(EscalationError));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(isEscalationError(received)).toBe(true);
      const escalation = received as EscalationError;
      expect(escalation).toBeInstanceOf(EscalationError);
      expect(escalation.name).toBe('EscalationError');
      expect(escalation.message).toBe('Escalated to a human: Error: boom');
      expect(escalation.cause).toBe(error);
      expect(escalation.record).toEqual(
        expectedRecord(5, 'Error: boom', { workflowId: 'wf', nodeName: 'review' }),
      );
      expect(Object.isFrozen(escalation.record)).toBe(true);
      expect(Object.isFrozen(escalation.record.context)).toBe(true);
    });

    it('tells onEscalate the record without waiting, and signals the escalation', () => {
      const { log, signals } = keptSignals();
      const told: EscalationRecord[] = [];
      let received: unknown;
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--a--#', undefined, error);
        const result = source.pipe(
          escalateOn({
            context: { correlationId: 'test' },
            signals,
            clock: () => 0,
            onEscalate: (record) => {
              told.push(record);
              return new Promise<void>(() => {}); // never settles: nobody waits for it
            },
          }),
          tap({ error: (e) => (received = e) }),
        );
        expectObservable(result).toBe('--a--#', undefined, expect.any(EscalationError));
      });
      const record = (received as EscalationError).record;
      expect(told).toHaveLength(1);
      expect(told[0]).toBe(record);
      expect(record).toEqual(expectedRecord(5));
      expect(log).toEqual([
        {
          type: 'error_detected',
          at: 5,
          correlationId: 'test',
          error,
          classification: {
            pattern: {
              id: 'escalateOn',
              errorType: 'unknown',
              match: /(?:)/,
              strategy: ['escalate'],
              maxRetries: 0,
              priority: 0,
            },
            errorType: 'unknown',
            plan: ['escalate'],
          },
          analysisMs: 0,
        },
        { type: 'escalated', at: 5, correlationId: 'test', record },
        {
          type: 'recovery_completed',
          at: 5,
          correlationId: 'test',
          result: {
            success: false,
            strategyUsed: 'escalate',
            attempts: 0,
            durationMs: 0,
            errorType: 'unknown',
            patternId: 'escalateOn',
            errorMessage: 'Error: boom',
            correlationId: 'test',
          },
        },
      ]);
    });

    it("completes instead with terminal: 'complete'", () => {
      const told: EscalationRecord[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const subs =        '^----!';
        const expected =    '--a--|';

        const result = source.pipe(
          escalateOn({
            terminal: 'complete',
            context: { correlationId: 'test' },
            onEscalate: (record) => void told.push(record),
          }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(told).toEqual([expectedRecord(5)]);
    });

    it('escalates only the errors match selects, and lets the others through untouched', () => {
      const told: EscalationRecord[] = [];
      const received: unknown[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const other = cold( '--#', undefined, error);
        const review = cold('---#', undefined, quorum);

        const operator = escalateOn<string>({
          match: /quorum not reached/i,
          context: { correlationId: 'test' },
          onEscalate: (record) => void told.push(record),
        });
        const passed = other.pipe(operator, tap({ error: (e) => received.push(e) }));
        expectObservable(passed).toBe(               '--#', undefined, error);
        expectObservable(review.pipe(operator)).toBe('---#', undefined, expect.any(EscalationError));
        expectSubscriptions(other.subscriptions).toBe('^-!');
      });
      expect(received).toHaveLength(1);
      expect(received[0]).toBe(error);
      expect(told).toEqual([expectedRecord(3, `Error: ${quorum.message}`)]);
    });

    it('takes match as a regex source string', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const operator = escalateOn<string>({ match: 'quorum', terminal: 'complete' });
        expectObservable(cold('-#', undefined, quorum).pipe(operator)).toBe('-|');
        expectObservable(cold('-#', undefined, error).pipe(operator)).toBe('-#', undefined, error);
      });
    });

    it('reports an onEscalate that throws as observer_error with the record', () => {
      const { log, signals } = keptSignals();
      const failure = new Error('pager is down');
      let received: unknown;
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('--#', undefined, error);
        const result = source.pipe(
          escalateOn({
            context: { correlationId: 'test' },
            signals,
            onEscalate: () => {
              throw failure;
            },
          }),
          tap({ error: (e) => (received = e) }),
        );
        expectObservable(result).toBe('--#', undefined, expect.any(EscalationError));
      });
      const record = (received as EscalationError).record;
      expect(log.map((signal) => [signal.type, signal.at])).toEqual([
        ['error_detected', 2],
        ['escalated', 2],
        ['observer_error', 2],
        ['recovery_completed', 2],
      ]);
      expect(log[2]).toEqual({
        type: 'observer_error',
        at: 2,
        correlationId: 'test',
        error: failure,
        source: 'onEscalate',
        record,
      });
    });

    // A rejection settles in a microtask, after the stream has already ended: it is reported
    // even so, because the record must reach somebody.
    it('reports an onEscalate that rejects as observer_error with the record', async () => {
      const { log, signals } = keptSignals();
      const failure = new Error('pager is down');
      let received: unknown;
      // The scheduler is passed so that `at` stays virtual after run() has returned.
      const scheduler = testScheduler();
      scheduler.run(({ cold, expectObservable }) => {
        const source = cold('--#', undefined, error);
        const result = source.pipe(
          escalateOn({
            context: { correlationId: 'test' },
            signals,
            scheduler,
            onEscalate: () => Promise.reject(failure),
          }),
          tap({ error: (e) => (received = e) }),
        );
        expectObservable(result).toBe('--#', undefined, expect.any(EscalationError));
      });
      expect(log.map((signal) => signal.type)).toEqual([
        'error_detected',
        'escalated',
        'recovery_completed',
      ]);
      await Promise.resolve();
      const record = (received as EscalationError).record;
      expect(log.map((signal) => signal.type)).toEqual([
        'error_detected',
        'escalated',
        'recovery_completed',
        'observer_error',
      ]);
      expect(log[3]).toEqual({
        type: 'observer_error',
        at: 2,
        correlationId: 'test',
        error: failure,
        source: 'onEscalate',
        record,
      });
    });

    it('never wraps an EscalationError twice, nor escalates it again', () => {
      const { log, signals } = keptSignals();
      let outerTold = 0;
      let received: unknown;
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, error);
        const result = source.pipe(
          escalateOn({ context: { correlationId: 'test' } }),
          escalateOn({
            context: { correlationId: 'outer' },
            signals,
            onEscalate: () => {
              outerTold += 1;
            },
          }),
        );
        expectObservable(result.pipe(tap({ error: (e) => (received = e) }))).toBe(
          '-#',
          undefined,
          expect.any(EscalationError),
        );
      });
      expect((received as EscalationError).cause).toBe(error);
      expect((received as EscalationError).record).toEqual(expectedRecord(1));
      expect(outerTold).toBe(0);
      expect(log).toEqual([]);
    });

    it('is typed as a MonoTypeOperatorFunction', () => {
      expectTypeOf(of(1).pipe(escalateOn())).toEqualTypeOf<Observable<number>>();
    });
  });

  describe('scheduler', () => {
    it('stamps the record and signals with the scheduler it is given (outside run())', () => {
      const scheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
      // Outside run() a frame character is 10 virtual ms.
      const source = scheduler.createColdObservable<string>('--#', undefined, error);
      const { log, signals } = keptSignals();
      let received: unknown;
      source
        .pipe(escalateOn({ scheduler, signals, context: { correlationId: 'test' } }))
        .subscribe({ error: (e) => (received = e) });

      scheduler.flush();

      expect((received as EscalationError).record).toEqual(expectedRecord(20));
      expect(log.map((signal) => [signal.type, signal.at])).toEqual([
        ['error_detected', 20],
        ['escalated', 20],
        ['recovery_completed', 20],
      ]);
    });
  });

  describe('configuration', () => {
    it('rejects an unknown terminal when the operator is built', () => {
      const thrown = thrownBy(() => escalateOn({ terminal: 'stop' } as never));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).message).toBe(
        'options.terminal: must be one of error, complete, got "stop"',
      );
    });

    it('rejects an invalid match when the operator is built', () => {
      const thrown = thrownBy(() => escalateOn({ match: '(' }));
      expect(thrown).toBeInstanceOf(RecoveryConfigError);
      expect((thrown as RecoveryConfigError).issues).toHaveLength(1);
    });

    it('names the invalid match by its option', () => {
      const thrown = thrownBy(() => escalateOn({ match: '(' }));
      expect((thrown as RecoveryConfigError).message).toBe(
        'options.match: invalid regular expression: /(/: Unterminated group',
      );
    });
  });

  describe('edge cases', () => {
    it('completes with an empty source and escalates nothing', () => {
      let told = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('|');
        const subs =        '(^!)';
        const expected =    '|';

        const result = source.pipe(
          escalateOn({
            onEscalate: () => {
              told += 1;
            },
          }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(told).toBe(0);
    });

    it('completes with EMPTY', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(EMPTY.pipe(escalateOn())).toBe('|');
      });
    });

    it('stays silent with a never source until unsubscribed', () => {
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        const unsub =       '^--- 1500ms !';
        const subs =        '^--- 1500ms !';
        const expected =    '-';

        expectObservable(source.pipe(escalateOn()), unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
    });

    it('stays silent with NEVER', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(NEVER.pipe(escalateOn()), '^--- 1500ms !').toBe('-');
      });
    });

    it('escalates a synchronous error at once', () => {
      let received: unknown;
      testScheduler().run(({ expectObservable }) => {
        const result = throwError(() => error).pipe(
          escalateOn({ context: { correlationId: 'test' } }),
          tap({ error: (e) => (received = e) }),
        );
        expectObservable(result).toBe('#', undefined, expect.any(EscalationError));
      });
      expect((received as EscalationError).cause).toBe(error);
      expect((received as EscalationError).record).toEqual(expectedRecord(0));
    });

    it('escalates nothing after an early unsubscribe', () => {
      const { log, signals } = keptSignals();
      let told = 0;
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('--a--#', undefined, error);
        const unsub =       '^---!';
        const subs =        '^---!';
        const expected =    '--a-';

        const result = source.pipe(
          escalateOn({
            signals,
            onEscalate: () => {
              told += 1;
            },
          }),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(told).toBe(0);
      expect(log).toEqual([]);
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
          escalateOn(),
          mergeMap((x) => of(x)),
        );
        expectObservable(result, unsub).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(log).toEqual(['source finalized']);
    });

    it('escalates the error of a hot source', () => {
      const told: EscalationRecord[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('--a--^--b--#', undefined, error);
        const subs =             '^-----!';
        const expected =         '---b--|';

        const result = source.pipe(
          escalateOn({
            terminal: 'complete',
            context: { correlationId: 'test' },
            onEscalate: (record) => void told.push(record),
          }),
        );
        expectObservable(result).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(told).toEqual([expectedRecord(6)]);
    });

    it('finalizes the source before it escalates', () => {
      const log: string[] = [];
      testScheduler().run(({ cold, expectObservable }) => {
        const source = defer(() => {
          log.push('subscribe');
          return cold('--#', undefined, error);
        }).pipe(finalize(() => log.push('finalize')));
        const result = source.pipe(
          escalateOn({ onEscalate: () => void log.push('escalate') }),
          finalize(() => log.push('downstream finalize')),
        );
        expectObservable(result).toBe('--#', undefined, expect.any(EscalationError));
      });
      expect(log).toEqual(['subscribe', 'finalize', 'escalate', 'downstream finalize']);
    });

    it('finalizes a synchronously failing source exactly once, as RxJS itself does', () => {
      const log: string[] = [];
      testScheduler().run(({ expectObservable }) => {
        const source = new Observable<string>((subscriber) => {
          log.push('subscribe');
          subscriber.next('a');
          subscriber.error(error);
          return () => log.push('finalize');
        });
        const result = source.pipe(escalateOn({ onEscalate: () => void log.push('escalate') }));
        expectObservable(result).toBe('(a#)', undefined, expect.any(EscalationError));
      });
      // A teardown returned after a synchronous error runs once subscribe returns: after the
      // error has gone downstream, exactly as without the operator. There is no next cycle.
      expect(log).toEqual(['subscribe', 'escalate', 'finalize']);
    });

    it('keeps one operator instance usable on two sources, with a record each', () => {
      const told: EscalationRecord[] = [];
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold( '-#', undefined, error);
        const second = cold('---#', undefined, quorum);

        const operator = escalateOn<string>({
          context: { correlationId: 'test' },
          onEscalate: (record) => void told.push(record),
        });
        expectObservable(first.pipe(operator)).toBe( '-#', undefined, expect.any(EscalationError));
        expectObservable(second.pipe(operator)).toBe('---#', undefined, expect.any(EscalationError));
        expectSubscriptions(first.subscriptions).toBe( '^!');
        expectSubscriptions(second.subscriptions).toBe('^--!');
      });
      expect(told).toEqual([expectedRecord(1), expectedRecord(3, `Error: ${quorum.message}`)]);
      expect(told[0]?.id).not.toBe(told[1]?.id);
    });

    it('gives each subscription its own correlation id and record', () => {
      const { log, signals } = keptSignals();
      // biome-ignore format: aligned marbles
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, error);
        const subs = [      '^!',
                            '10ms ^!'];

        const result = source.pipe(escalateOn({ signals }));
        expectObservable(result).toBe(                '-#', undefined, expect.any(EscalationError));
        expectObservable(result, '10ms ^').toBe('10ms -#', undefined, expect.any(EscalationError));
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      const escalated = log.filter((signal) => signal.type === 'escalated');
      expect(escalated.map((signal) => [signal.at, signal.record.createdAt])).toEqual([
        [1, 1],
        [11, 11],
      ]);
      const [first, second] = escalated;
      expect(first?.correlationId).toMatch(UUID);
      expect(second?.correlationId).toMatch(UUID);
      expect(first?.correlationId).not.toBe(second?.correlationId);
      expect(first?.record.context.correlationId).toBe(first?.correlationId);
      expect(second?.record.context.correlationId).toBe(second?.correlationId);
    });
  });

  // The classifier drops `g`/`y` because RegExp#test is stateful with them: so does `match`.
  it('escalateOn with a /g match escalates every matching error', () => {
    const escalate = escalateOn<string>({ match: /boom/g });
    const names: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const source = new Subject<string>();
      source.pipe(escalate).subscribe({ error: (error: Error) => names.push(error.name) });
      source.error(new Error('boom'));
    }
    expect(names).toEqual(['EscalationError', 'EscalationError', 'EscalationError']);
  });

  it('a /y match is not anchored, and the RegExp given is untouched', () => {
    const sticky = /boom/y;
    const names: string[] = [];
    throwError(() => new Error('kaboom'))
      .pipe(escalateOn({ match: sticky }))
      .subscribe({ error: (error: Error) => names.push(error.name) });
    expect(names).toEqual(['EscalationError']);
    expect(sticky.lastIndex).toBe(0);
  });
});
