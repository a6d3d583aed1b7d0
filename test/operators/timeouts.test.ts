import { config, defer, NEVER, Observable, queueScheduler, throwError } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  type AttemptContext,
  createRecoveryHub,
  DeadlineExceededError,
  isDeadlineExceededError,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { importError, quorumError, timeoutError, validationError } from '../helpers/errors.js';
import { signalLog, testScheduler } from '../helpers/marbles.js';

describe('withRecovery: attemptTimeoutMs', () => {
  it('fails a silent attempt with a TimeoutError, which operation_timeout retries', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      let n = 0;
      const silent = cold('-----');
      const answers = cold('--a|');
      const source = defer(() => (n++ === 0 ? silent : answers));
      const result = source.pipe(
        withRecovery(undefined, { attemptTimeoutMs: 3, retry: { baseDelayMs: 10 } }),
      );
      // Times out at 3, retried after 10 ms at 13, answers at 15.
      expectObservable(result).toBe('3ms 10ms --a|');
      expectSubscriptions(silent.subscriptions).toBe('^--!');
      expectSubscriptions(answers.subscriptions).toBe('13ms ^--!');
    });
  });

  it('is disarmed by the first value: a slow stream after it is not cut', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-a 10ms b|').pipe(withRecovery(undefined, { attemptTimeoutMs: 3 }));
      expectObservable(result).toBe('-a 10ms b|');
    });
  });

  it('applies to alternatives and degradation levels too', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const stuck = cold('------');
      const result = cold('-#', undefined, validationError).pipe(
        withRecovery<string>(undefined, {
          attemptTimeoutMs: 2,
          degradation: {
            levels: [
              { name: 'stuck', source: () => stuck },
              { name: 'stub', value: 'stub' },
            ],
          },
        }),
      );
      // The stuck level times out at 3; the TimeoutError is classified afresh
      // (operation_timeout: retry the source after 1 s). The source fails again at 1004
      // with a validation error, and the next level serves.
      expectObservable(result).toBe('1004ms (s|)', { s: 'stub' });
    });
  });
});

describe('withRecovery: deadlineMs', () => {
  it('does not wait a backoff that would end past the deadline: it escalates at once', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, timeoutError).pipe(
        withRecovery(undefined, { deadlineMs: 2500, signals: log.observer }),
      );
      // The first retry runs at 1001; the second would wait 2 s, until 3002, past the
      // deadline at 2501: the plan escalates at once, at 1002, with the deadline's error.
      expectObservable(result).toBe(
        '- 1000ms -#',
        undefined,
        expect.objectContaining({
          name: 'EscalationError',
          cause: expect.objectContaining({ name: 'DeadlineExceededError', cause: timeoutError }),
        }),
      );
    });
    expect(log.lines().filter((line) => line.includes('recovery_attempt'))).toEqual([
      '1 recovery_attempt retry #1 1000ms',
    ]);
  });

  it('does not wait a backoff that would end exactly at the deadline either', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, timeoutError).pipe(
        withRecovery(undefined, { deadlineMs: 1000, signals: log.observer }),
      );
      // The first retry would wait 1 s, until 1001: the deadline itself. It is not waited
      // (the deadline would fall first at 1001, and the retry never run): escalated at 1.
      expectObservable(result).toBe(
        '-#',
        undefined,
        expect.objectContaining({
          name: 'EscalationError',
          cause: expect.objectContaining({ name: 'DeadlineExceededError', cause: timeoutError }),
        }),
      );
    });
    expect(log.lines().filter((line) => line.includes('recovery_attempt'))).toEqual([]);
  });

  it('unsubscribes an ongoing attempt and errors with DeadlineExceededError when the plan cannot escalate', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const slowAlternative = cold('---------a|');
      const result = cold('-#', undefined, validationError).pipe(
        withRecovery<string>(
          [{ id: 'v', errorType: 'validation', match: /ValidationError/, strategy: 'alternative' }],
          { deadlineMs: 5, alternatives: { v: [() => slowAlternative] } },
        ),
      );
      expectObservable(result).toBe(
        '------#',
        undefined,
        expect.objectContaining({ name: 'DeadlineExceededError', cause: validationError }),
      );
      expectSubscriptions(slowAlternative.subscriptions).toBe('-^----!');
    });
  });

  it('makes a DeadlineExceededError its guard recognises', () => {
    const error = new DeadlineExceededError(5, validationError);
    expect(isDeadlineExceededError(error)).toBe(true);
    expect(isDeadlineExceededError(new Error('late'))).toBe(false);
    expect([error.name, error.deadlineMs, error.cause]).toEqual([
      'DeadlineExceededError',
      5,
      validationError,
    ]);
  });

  it('is cancelled by a recovery that succeeds in time', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      let n = 0;
      const source = defer(() =>
        n++ === 0 ? cold('-#', undefined, timeoutError) : cold('a 20ms b|'),
      );
      const result = source.pipe(
        withRecovery(undefined, { deadlineMs: 5, retry: { baseDelayMs: 2 } }),
      );
      expectObservable(result).toBe('---a 20ms b|');
    });
  });

  // DESIGN: an escalation "keeps the subscription open … and waits"; deadlineMs stops "a
  // recovery that has not succeeded" and "escalates when the plan has escalate". A recovery
  // that has escalated and waits is not escalated a second time by its deadline.
  it('deadlineMs falling during the wait does not escalate the same stream again', () => {
    const hub = createRecoveryHub();
    const signals: RecoverySignal[] = [];
    hub.signals.subscribe((signal) => signals.push(signal));
    let pendingAt50 = -1;
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, quorumError).pipe(
        withRecovery<string>(undefined, {
          hub,
          maxAttempts: 0,
          deadlineMs: 10,
          escalation: { await: true },
        }),
      );
      cold('50ms r').subscribe(() => {
        pendingAt50 = hub.pendingEscalations().length;
        const [record] = hub.pendingEscalations();
        hub.resolveEscalation(record?.id ?? '', { action: 'value', value: 'ok' });
      });
      expectObservable(result).toBe('50ms (o|)', { o: 'ok' });
    });
    expect(pendingAt50).toBe(1);
    expect(signals.filter((s) => s.type === 'escalated')).toHaveLength(1);
  });

  it('is ended by an escalation: what a resolution resumes is not cut by it', () => {
    const hub = createRecoveryHub();
    testScheduler().run(({ cold, expectObservable }) => {
      let n = 0;
      const attempts = [cold('-#', undefined, quorumError), cold('-#', undefined, timeoutError)];
      const source = defer(() => attempts[n++] ?? cold('a|'));
      const result = source.pipe(
        withRecovery<string>(
          [
            { id: 'q', errorType: 'quorum', match: /Quorum/, strategy: 'escalate' },
            { id: 't', errorType: 'timeout', match: /timed out/, strategy: 'retry' },
          ],
          { hub, deadlineMs: 10, retry: { baseDelayMs: 20 }, escalation: { await: true } },
        ),
      );
      // Escalates at 1 (the deadline would fall at 11); retried by a person at 30, the
      // source times out at 31 and its retry, 20 ms later, runs past the old deadline.
      cold('30ms r').subscribe(() => {
        hub.resolveEscalation(hub.pendingEscalations()[0]?.id ?? '', { action: 'retry' });
      });
      expectObservable(result).toBe('51ms a|');
    });
  });
});

describe('withRecovery: deadlineMs on a synchronous scheduler', () => {
  it('a deadline of 0 falls at once, and nothing is thrown into RxJS', () => {
    const unhandled: unknown[] = [];
    const before = config.onUnhandledError;
    config.onUnhandledError = (error) => unhandled.push(error);
    // RxJS reports a subscriber's throw from a timer of its own: fake timers run it here.
    vi.useFakeTimers();
    try {
      const out: unknown[] = [];
      throwError(() => timeoutError)
        .pipe(withRecovery(undefined, { deadlineMs: 0, scheduler: queueScheduler }))
        .subscribe({ next: (value) => out.push(value), error: (error) => out.push(error) });
      expect(out).toHaveLength(1);
      expect(isDeadlineExceededError((out[0] as { cause?: unknown }).cause)).toBe(true);
      vi.runAllTimers();
      // The recovery is whole before its deadline starts: the deadline's synchronous fall
      // reads its classification, and nothing is thrown.
      expect(unhandled).toEqual([]);
    } finally {
      vi.useRealTimers();
      config.onUnhandledError = before;
    }
  });
});

describe('AttemptContext.signal', () => {
  it('aborts when the subscriber unsubscribes during an alternative, so its fetch stops', () => {
    const seen: AttemptContext[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, importError).pipe(
        withRecovery<string>(undefined, {
          alternatives: {
            import_not_found: [
              (context) => {
                seen.push(context);
                return NEVER;
              },
            ],
          },
        }),
      );
      expectObservable(result, '^--!').toBe('---');
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.signal.aborted).toBe(true);
  });

  it('is live while the attempt runs', () => {
    let live: boolean | undefined;
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, importError).pipe(
        withRecovery<string>(undefined, {
          alternatives: {
            import_not_found: [
              (context) =>
                new Observable<string>((subscriber) => {
                  live = !context.signal.aborted;
                  subscriber.next('cached');
                  subscriber.complete();
                }),
            ],
          },
        }),
      );
      expectObservable(result).toBe('-(c|)', { c: 'cached' });
    });
    expect(live).toBe(true);
  });
});
