import { concatMap, defer, type Observable, of, Subject, takeUntil, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  createRecoveryHub,
  type ErrorPattern,
  type EscalationError,
  isEscalationError,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { importError, quorumError, timeoutError, validationError } from '../helpers/errors.js';
import { signalLog, testScheduler } from '../helpers/marbles.js';

/**
 * What users hand the engine at run time may misbehave: callbacks that throw, handlers
 * that reject, consumers that throw, and thrown values that are not Errors at all. None of
 * it may crash the stream, hang it or lose what was thrown. (The standalone operators'
 * suites cover one-strategy cases; these cross patterns, so "classified afresh" shows.)
 */

/** Subscribes and returns what arrived, synchronously. */
function outcome<T>(stream: Observable<T>) {
  const result = { values: [] as T[], error: undefined as unknown, completed: false, ended: false };
  stream.subscribe({
    next: (value) => result.values.push(value),
    error: (error: unknown) => {
      result.error = error;
      result.ended = true;
    },
    complete: () => {
      result.completed = true;
      result.ended = true;
    },
  });
  return result;
}

describe('a throwing callback fails its step, and what it threw is classified afresh', () => {
  it('an alternative factory that throws a timeout sends the plan to retry the source', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      let n = 0;
      const source = defer(() => (n++ === 0 ? cold('-#', undefined, importError) : cold('-a|')));
      const result = source.pipe(
        withRecovery(undefined, {
          signals: log.observer,
          alternatives: {
            import_not_found: [
              () => {
                throw timeoutError;
              },
            ],
          },
        }),
      );
      expectObservable(result).toBe('- 1000ms -a|');
    });
    expect(log.lines()).toEqual([
      '1 error_detected import_not_found',
      '1 recovery_attempt alternative #1 0ms',
      '1 error_detected operation_timeout',
      '1 recovery_attempt retry #1 1000ms',
      '1002 recovery_completed success retry x2 1001ms',
    ]);
  });

  it('a degradation source that throws an import error goes through the import plan', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, validationError);
      const result = source.pipe(
        withRecovery<string>(undefined, {
          signals: log.observer,
          degradation: {
            levels: [
              {
                name: 'reduced',
                source: () => {
                  throw importError;
                },
              },
            ],
          },
          alternatives: { import: [() => cold('--r|')] },
        }),
      );
      expectObservable(result).toBe('---r|');
    });
    expect(log.lines()).toEqual([
      '1 error_detected validation_failed',
      '1 recovery_attempt degrade #1 0ms',
      '1 error_detected import_not_found',
      '1 recovery_attempt alternative #1 0ms',
      '3 recovery_completed success alternative x2 2ms',
    ]);
  });

  it('a correction rule whose match throws, or whose correct throws, fails its step with what it threw', () => {
    const syntax: ErrorPattern[] = [
      {
        id: 'syntax',
        errorType: 'syntax',
        match: /SyntaxError/,
        strategy: ['correct', 'escalate'],
      },
    ];
    const frozenValidation = Object.freeze({ message: 'ValidationError: missing field' });
    const log = signalLog();
    const result = outcome(
      throwError(() => new SyntaxError('Unexpected token')).pipe(
        withRecovery<string>([...syntax, ...validationPatterns], {
          signals: log.observer,
          corrections: [
            {
              id: 'picky',
              match: (error) => {
                if (error instanceof SyntaxError) throw 'Request timed out in match';
                return false;
              },
              correct: () => of('never'),
            },
          ],
          unmatched: ['correct'],
          degradation: { levels: [{ name: 'stub', value: 'stub' }] },
          scheduler: testScheduler(),
        }),
      ),
    );
    // The string thrown by match matches no pattern here: the unmatched plan asks the
    // rules again, and this time match declines, so the plan is spent and the string ends it.
    expect(result.error).toBe('Request timed out in match');
    expect(log.lines()).toEqual([
      '0 error_detected syntax',
      '0 recovery_attempt correct #1 0ms',
      '0 error_detected unmatched',
      '0 recovery_completed failure correct x1 0ms',
    ]);

    const second = outcome(
      throwError(() => new SyntaxError('Unexpected token')).pipe(
        withRecovery<string>([...syntax, ...validationPatterns], {
          corrections: [
            {
              id: 'broken',
              correct: () => {
                throw frozenValidation;
              },
            },
          ],
          degradation: { levels: [{ name: 'stub', value: 'stub' }] },
        }),
      ),
    );
    // A frozen error-like object is read as "ValidationError: …" and degraded.
    expect(second).toEqual({ values: ['stub'], error: undefined, completed: true, ended: true });
  });

  it.each([
    ['shouldRetry', { shouldRetry: () => throwValidation() }],
    ['delayFromError', { delayFromError: () => throwValidation() }],
    ['random (jitter)', { jitter: 'full' as const, random: () => throwValidation() }],
  ])(
    'a retry option %s that throws fails the retry step; the thrown error is degraded',
    (_, retry) => {
      const log = signalLog();
      const result = outcome(
        throwError(() => timeoutError).pipe(
          withRecovery<string>(undefined, {
            signals: log.observer,
            retry,
            degradation: { levels: [{ name: 'stub', value: 'stub' }] },
            // A virtual clock that never moves: durations are exactly 0.
            scheduler: testScheduler(),
          }),
        ),
      );
      expect(result).toEqual({ values: ['stub'], error: undefined, completed: true, ended: true });
      expect(log.lines()).toEqual([
        '0 error_detected operation_timeout',
        '0 recovery_attempt retry #1 0ms',
        '0 error_detected validation_failed',
        '0 recovery_attempt degrade #1 0ms',
        '0 recovery_completed success degrade x2 0ms',
      ]);
    },
  );
});

const validationPatterns: ErrorPattern[] = [
  { id: 'validation', errorType: 'validation', match: /ValidationError/, strategy: 'degrade' },
];
const thrownValidation = new Error('ValidationError: retry callback broke');
function throwValidation(): never {
  throw thrownValidation;
}

describe('onEscalate that fails', () => {
  it('a rejection (even with undefined) reaches hub subscribers after the end, with the very same record', async () => {
    const hub = createRecoveryHub();
    const seen: RecoverySignal[] = [];
    hub.signals.subscribe((signal) => seen.push(signal));
    const result = outcome(
      throwError(() => quorumError).pipe(
        withRecovery(undefined, {
          hub,
          maxAttempts: 0,
          escalation: { onEscalate: () => Promise.reject(undefined) },
        }),
      ),
    );
    expect(isEscalationError(result.error)).toBe(true);
    const record = (result.error as EscalationError).record;
    expect(seen.map((s) => s.type)).toEqual(['error_detected', 'escalated', 'recovery_completed']);
    await Promise.resolve();
    expect(seen.map((s) => s.type)).toEqual([
      'error_detected',
      'escalated',
      'recovery_completed',
      'observer_error',
    ]);
    const [, escalated, , reported] = seen;
    expect(escalated?.type === 'escalated' && escalated.record).toBe(record);
    expect(reported).toMatchObject({ source: 'onEscalate', error: undefined });
    expect(reported?.type === 'observer_error' && reported.record).toBe(record);
    expect(hub.snapshot()).toMatchObject({ totalRecoveries: 1, failed: 1, escalations: 1 });
  });

  it.each([
    [
      'a thenable whose then getter throws',
      () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested.
          get then() {
            throw new Error('then getter');
          },
        }) as never,
    ],
    [
      'a thenable whose then throws',
      () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested.
          then() {
            throw new Error('then throws');
          },
        }) as never,
    ],
    [
      'a thenable that rejects synchronously',
      () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested.
          then(_: unknown, onRejected: (e: unknown) => void) {
            onRejected(new Error('rejected at once'));
          },
        }) as never,
    ],
  ])('%s is reported at once, with the record, and the stream still ends', (_, onEscalate) => {
    const log = signalLog();
    const result = outcome(
      throwError(() => quorumError).pipe(
        withRecovery(undefined, {
          maxAttempts: 0,
          signals: log.observer,
          escalation: { onEscalate },
        }),
      ),
    );
    expect(isEscalationError(result.error)).toBe(true);
    expect(log.signals.map((s) => s.type)).toEqual([
      'error_detected',
      'escalated',
      'observer_error',
      'recovery_completed',
    ]);
    const reported = log.signals[2];
    expect(reported?.type === 'observer_error' && reported.record).toBe(
      (result.error as EscalationError).record,
    );
    expect(reported).toMatchObject({ source: 'onEscalate', error: expect.any(Error) });
  });
});

describe('consumers that throw', () => {
  it('a signals observer that throws on every signal is reported once per signal, never in a loop', () => {
    const hub = createRecoveryHub();
    const seen: string[] = [];
    hub.signals.subscribe((s) =>
      seen.push(s.type === 'observer_error' ? `observer_error:${s.source}` : s.type),
    );
    let n = 0;
    const source = defer(() => (n++ === 0 ? throwError(() => timeoutError) : of('ok')));
    const result = outcome(
      source.pipe(
        withRecovery(undefined, {
          hub,
          retry: { baseDelayMs: 0 },
          signals: {
            next: () => {
              throw new Error('consumer bug');
            },
          },
        }),
      ),
    );
    expect(result).toEqual({ values: ['ok'], error: undefined, completed: true, ended: true });
    expect(seen.filter((type) => !type.startsWith('observer_error'))).toEqual([
      'error_detected',
      'recovery_attempt',
      'recovery_completed',
    ]);
    expect(seen.filter((type) => type === 'observer_error:signals')).toHaveLength(3);
    expect(seen).toHaveLength(6);
  });

  it('a metrics observer that throws is reported, and the pipeline recovers', () => {
    const log = signalLog();
    const result = outcome(
      throwError(() => validationError).pipe(
        withRecovery<string>(undefined, {
          signals: log.observer,
          metrics: {
            next: () => {
              throw new Error('statsd down');
            },
          },
          degradation: { levels: [{ name: 'stub', value: 'stub' }] },
        }),
      ),
    );
    expect(result.values).toEqual(['stub']);
    expect(
      log.signals.map((s) => (s.type === 'observer_error' ? `observer_error:${s.source}` : s.type)),
    ).toEqual([
      'error_detected',
      'observer_error:metrics',
      'recovery_attempt',
      'observer_error:metrics',
      'recovery_completed',
      'observer_error:metrics',
    ]);
  });
});

describe('thrown values that are not Errors keep their identity to the final error', () => {
  const cyclic: { self?: unknown; message: string } = { message: 'cyclic' };
  cyclic.self = cyclic;
  const values: Array<[string, unknown]> = [
    ['a string', 'plain string'],
    ['undefined', undefined],
    ['null', null],
    ['zero', 0],
    ['NaN', Number.NaN],
    ['a symbol', Symbol('thrown')],
    ['a bigint', 10n],
    ['a frozen object', Object.freeze({ message: 'frozen', nested: Object.freeze({}) })],
    ['a frozen array', Object.freeze(['a', 'b'])],
    [
      'an object whose message getter throws',
      {
        get message(): string {
          throw new Error('getter');
        },
      },
    ],
    [
      'an object whose toString throws',
      {
        toString() {
          throw new Error('toString');
        },
      },
    ],
    ['a cyclic object', cyclic],
    ['a function', () => 'thrown function'],
    ['an object without a prototype', Object.create(null)],
  ];

  it.each(values)('%s, after retries and an alternative fail', (_, thrown) => {
    const log = signalLog();
    let alternatives = 0;
    const result = outcome(
      throwError(() => thrown).pipe(
        withRecovery([], {
          unmatched: ['retry', 'alternative'],
          retry: { baseDelayMs: 0 },
          alternatives: {
            unknown: [
              () => {
                alternatives += 1;
                return throwError(() => thrown);
              },
            ],
          },
          signals: log.observer,
        }),
      ),
    );
    expect(Object.is(result.error, thrown)).toBe(true);
    expect(result.ended).toBe(true);
    expect(alternatives).toBe(1);
    // Three retries (the budget of unmatched errors), one alternative, then the end.
    expect(log.signals.filter((s) => s.type === 'recovery_attempt')).toHaveLength(4);
    const completed = log.signals.at(-1);
    expect(completed?.type).toBe('recovery_completed');
    if (completed?.type === 'recovery_completed') {
      expect(completed.result.success).toBe(false);
      expect(typeof completed.result.errorMessage).toBe('string');
    }
    for (const signal of log.signals) {
      if (signal.type === 'error_detected') expect(Object.is(signal.error, thrown)).toBe(true);
    }
  });

  it.each(values)('%s, as the cause of an EscalationError', (_, thrown) => {
    const result = outcome(
      throwError(() => thrown).pipe(withRecovery([], { unmatched: ['escalate'] })),
    );
    expect(isEscalationError(result.error)).toBe(true);
    const error = result.error as EscalationError;
    expect(Object.is(error.cause, thrown)).toBe(true);
    expect(typeof error.record.message).toBe('string');
  });
});

describe('found by this suite, and fixed', () => {
  it('a revoked proxy thrown into the engine still ends the stream, with that proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const result = outcome(throwError(() => proxy).pipe(withRecovery()));
    expect(result.ended).toBe(true);
    expect(result.error).toBe(proxy);
  });

  it('a signals observer whose next getter throws is isolated like one whose next throws', () => {
    const signals = {
      get next(): (signal: RecoverySignal) => void {
        throw new Error('getter');
      },
    };
    const result = outcome(
      throwError(() => timeoutError).pipe(withRecovery(undefined, { maxAttempts: 0, signals })),
    );
    expect(result.ended).toBe(true);
    expect(isEscalationError(result.error)).toBe(true);
  });

  it('unsubscribing from inside a signal callback stops every later signal', () => {
    const stop = new Subject<void>();
    const after: string[] = [];
    let stopped = false;
    let subscriptions = 0;
    const source = defer(() => {
      subscriptions += 1;
      return throwError(() => timeoutError);
    });
    source
      .pipe(
        withRecovery(undefined, {
          retry: { baseDelayMs: 0 },
          signals: {
            next: (signal) => {
              if (stopped) after.push(signal.type);
              if (signal.type === 'error_detected' && !stopped) {
                stopped = true;
                stop.next();
              }
            },
          },
        }),
        takeUntil(stop),
      )
      .subscribe({ error: () => {} });
    expect(stopped).toBe(true);
    expect(subscriptions).toBe(1);
    expect(after).toEqual([]);
  });

  it('unsubscribing inside a recovery_attempt signal leaves no backoff timer behind', () => {
    const scheduler = new TestScheduler(() => {});
    let subscriptions = 0;
    const subscription = defer(() => {
      subscriptions += 1;
      // Fails at frame 1, once `subscription` is assigned.
      return timer(1, scheduler).pipe(concatMap(() => throwError(() => timeoutError)));
    })
      .pipe(
        withRecovery(undefined, {
          scheduler,
          signals: {
            next: (signal) => {
              if (signal.type === 'recovery_attempt') subscription.unsubscribe();
            },
          },
        }),
      )
      .subscribe({ error: () => {} });
    scheduler.flush();
    expect(subscription.closed).toBe(true);
    // The 1 s backoff would still be queued (past the 750 frames flush() runs outside run()).
    expect(scheduler.actions).toHaveLength(0);
    expect(subscriptions).toBe(1);
  });

  it('a throwing signals observer is reported to the hub after the signal it threw on', () => {
    const hub = createRecoveryHub();
    const seen: string[] = [];
    hub.signals.subscribe((s) => seen.push(s.type));
    outcome(
      throwError(() => validationError).pipe(
        withRecovery<string>(undefined, {
          hub,
          signals: {
            next: () => {
              throw new Error('consumer bug');
            },
          },
          degradation: { levels: [{ name: 'stub', value: 'stub' }] },
        }),
      ),
    );
    expect(seen).toEqual([
      'error_detected',
      'observer_error',
      'recovery_attempt',
      'observer_error',
      'recovery_completed',
      'observer_error',
    ]);
  });

  it('trying n alternatives in turn costs a number of lookups linear in n', () => {
    const count = 2_000;
    const alternatives = Array.from(
      { length: count },
      (_, i) => () => (i === count - 1 ? of('last') : throwError(() => importError)),
    );
    const has = vi.spyOn(Set.prototype, 'has');
    try {
      const result = outcome(
        throwError(() => importError).pipe(
          withRecovery(undefined, {
            maxAttempts: Number.MAX_SAFE_INTEGER,
            alternatives: { import_not_found: alternatives },
          }),
        ),
      );
      expect(result.values).toEqual(['last']);
      expect(has.mock.calls.length).toBeLessThanOrEqual(4 * count);
    } finally {
      has.mockRestore();
    }
  });

  it('a random() outside [0, 1) cannot push a jittered delay outside [0, maxDelayMs]', () => {
    for (const random of [Number.NaN, -1, 7, Number.POSITIVE_INFINITY]) {
      const log = signalLog();
      throwError(() => timeoutError)
        .pipe(
          withRecovery(undefined, {
            retry: { jitter: 'full', random: () => random, baseDelayMs: 1000, maxDelayMs: 1000 },
            scheduler: testScheduler(),
            signals: log.observer,
          }),
        )
        .subscribe({ error: () => {} })
        .unsubscribe();
      const attempt = log.signals.find((s) => s.type === 'recovery_attempt');
      const delay = attempt?.type === 'recovery_attempt' ? attempt.delayMs : Number.NaN;
      expect(delay >= 0 && delay <= 1000).toBe(true);
    }
  });
});
