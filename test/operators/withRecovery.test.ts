import { defer, finalize, from, map, Observable, of, Subject, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { asyncKeywordCorrection } from '../../src/codegen.js';
import {
  createCircuitBreaker,
  type ErrorPattern,
  EscalationError,
  type EscalationRecord,
  isEscalationError,
  isRecoveryConfigError,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { issuesOf } from '../helpers/capture.js';
import {
  importError,
  missingAsyncError,
  quorumError,
  templateError,
  timeoutError,
  unknownError,
  validationError,
} from '../helpers/errors.js';
import { signalLog, testScheduler } from '../helpers/marbles.js';

const ctx = { correlationId: 'run-1', workflowId: 'codegen-1', nodeName: 'model_generator' };
const escalation = (cause: unknown) =>
  expect.objectContaining({ name: 'EscalationError', isEscalationError: true, cause });

describe('withRecovery: retry', () => {
  it('retries a timeout after 1 s, 2 s and 4 s, then escalates', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a--#', undefined, timeoutError);
      const result = source.pipe(withRecovery(undefined, { context: ctx }));
      // biome-ignore format: aligned marbles
      expectObservable(result).toBe('--a 1004ms a 2004ms a 4004ms a--#', undefined, escalation(timeoutError));
      // biome-ignore format: aligned marbles
      expectSubscriptions(source.subscriptions).toBe([
        '^----!',
        '1005ms ^----!',
        '3010ms ^----!',
        '7015ms ^----!',
      ]);
    });
  });

  it('caps the backoff at 8 s and rethrows the last error when the budget is spent', () => {
    const patterns: ErrorPattern[] = [
      { id: 'slow', errorType: 'timeout', match: /timed out/, strategy: 'retry', maxRetries: 5 },
    ];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, timeoutError);
      expectObservable(source.pipe(withRecovery(patterns))).toBe(
        '23006ms #',
        undefined,
        timeoutError,
      );
      // biome-ignore format: aligned marbles
      expectSubscriptions(source.subscriptions).toBe([
        '^!',
        '1001ms ^!',
        '3002ms ^!',
        '7003ms ^!',
        '15004ms ^!',
        '23005ms ^!',
      ]);
    });
  });

  it('emits the signals of each decision at scheduler time', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      const first = cold('-#', undefined, timeoutError);
      const second = cold('-a|');
      let subscriptions = 0;
      const source = defer(() => (subscriptions++ === 0 ? first : second));
      const result = source.pipe(withRecovery(undefined, { context: ctx, signals: log.observer }));
      expectObservable(result).toBe('- 1000ms -a|');
    });
    expect(log.lines()).toEqual([
      '1 error_detected operation_timeout',
      '1 recovery_attempt retry #1 1000ms',
      '1002 recovery_completed success retry x1 1001ms',
    ]);
    const [detected, , completed] = log.signals;
    expect(detected).toMatchObject({
      correlationId: 'run-1',
      workflowId: 'codegen-1',
      nodeName: 'model_generator',
    });
    expect(completed).toEqual({
      type: 'recovery_completed',
      at: 1002,
      ...ctx,
      result: {
        success: true,
        strategyUsed: 'retry',
        attempts: 1,
        durationMs: 1001,
        errorType: 'timeout',
        patternId: 'operation_timeout',
        correlationId: 'run-1',
      },
    });
    expect(Object.isFrozen(completed)).toBe(true);
  });

  it('counts one recovery of three steps: three errors, three retries, then a value', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      const failing = cold('#', undefined, timeoutError);
      const healthy = cold('(a|)');
      let n = 0;
      const source = defer(() => (n++ < 3 ? failing : healthy));
      const result = source.pipe(
        withRecovery(undefined, { retry: { baseDelayMs: 10 }, signals: log.observer }),
      );
      expectObservable(result).toBe('70ms (a|)');
    });
    expect(log.lines().filter((line) => line.includes('recovery_'))).toEqual([
      '0 recovery_attempt retry #1 10ms',
      '10 recovery_attempt retry #2 20ms',
      '30 recovery_attempt retry #3 40ms',
      '70 recovery_completed success retry x3 70ms',
    ]);
  });

  it('carries budgets over to later recoveries, as RxJS retry does', () => {
    const patterns: ErrorPattern[] = [
      { id: 't', errorType: 'timeout', match: /timed out/, strategy: 'retry', maxRetries: 1 },
    ];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a#', undefined, timeoutError);
      const result = source.pipe(withRecovery(patterns, { retry: { baseDelayMs: 10 } }));
      expectObservable(result).toBe('a 10ms a#', undefined, timeoutError);
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!']);
    });
  });

  it('resets budgets after a value with resetOnSuccess', () => {
    const patterns: ErrorPattern[] = [
      { id: 't', errorType: 'timeout', match: /timed out/, strategy: 'retry', maxRetries: 1 },
    ];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const flaky = cold('a#', undefined, timeoutError);
      const healthy = cold('b|');
      let n = 0;
      const source = defer(() => (n++ < 3 ? flaky : healthy));
      const result = source.pipe(
        withRecovery(patterns, { retry: { baseDelayMs: 10, resetOnSuccess: true } }),
      );
      expectObservable(result).toBe('a 10ms a 10ms a 10ms b|');
      expectSubscriptions(flaky.subscriptions).toBe(['^!', '11ms ^!', '22ms ^!']);
      expectSubscriptions(healthy.subscriptions).toBe(['33ms ^!']);
    });
  });

  it('lets the error dictate the delay (delayFromError) and skip retries (shouldRetry)', () => {
    const rateLimited = Object.assign(new Error('Request timed out'), { retryAfterMs: 250 });
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, rateLimited);
      const result = source.pipe(
        withRecovery(undefined, {
          retry: {
            delayFromError: (error) => (error as { retryAfterMs?: number }).retryAfterMs,
            shouldRetry: (_error, attempt) => attempt < 3,
          },
          escalation: { terminal: 'complete' },
        }),
      );
      // Two retries 250 ms apart; the third is refused, so the plan moves on to escalate.
      expectObservable(result).toBe('503ms |');
      expectSubscriptions(source.subscriptions).toBe(['^!', '251ms ^!', '502ms ^!']);
    });
  });

  it('retries a hot source without replaying the values it already delivered', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--a--^--b--c--d--|');
      const failing = source.pipe(
        map((x) => {
          if (x === 'c') throw timeoutError;
          return x;
        }),
      );
      const result = failing.pipe(withRecovery(undefined, { retry: { baseDelayMs: 2 } }));
      expectObservable(result).toBe('---b-----d--|');
      expectSubscriptions(source.subscriptions).toBe(['^-----!', '--------^---!']);
    });
  });
});

describe('withRecovery: plans', () => {
  it('moves from retry to escalate when the retries run out', () => {
    const records: EscalationRecord[] = [];
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, quorumError);
      const result = source.pipe(
        withRecovery(undefined, {
          context: ctx,
          signals: log.observer,
          escalation: { onEscalate: (record) => void records.push(record) },
        }),
      );
      expectObservable(result).toBe('3003ms #', undefined, escalation(quorumError));
      expectSubscriptions(source.subscriptions).toBe(['^!', '1001ms ^!', '3002ms ^!']);
    });
    expect(records).toEqual([
      {
        id: expect.any(String),
        createdAt: 3003,
        context: ctx,
        errorType: 'quorum',
        patternId: 'quorum_consensus_failed',
        message: 'Error: Quorum not reached: 1 of 3 reviewers approved',
        attempts: 2,
      },
    ]);
    expect(log.lines()).toEqual([
      '1 error_detected quorum_consensus_failed',
      '1 recovery_attempt retry #1 1000ms',
      '1002 error_detected quorum_consensus_failed',
      '1002 recovery_attempt retry #2 2000ms',
      '3003 error_detected quorum_consensus_failed',
      '3003 escalated quorum_consensus_failed',
      '3003 recovery_completed failure escalate x2 3002ms',
    ]);
  });

  it('completes instead of erroring with terminal: complete', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-#', undefined, quorumError);
      const result = source.pipe(
        withRecovery(undefined, {
          retry: { baseDelayMs: 1 },
          escalation: { terminal: 'complete' },
        }),
      );
      expectObservable(result).toBe('-a---a----a-|');
    });
  });

  it('classifies a second, different error by its own pattern', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const timingOut = cold('-#', undefined, timeoutError);
      const invalid = cold('-#', undefined, validationError);
      let n = 0;
      const source = defer(() => (n++ === 0 ? timingOut : invalid));
      const result = source.pipe(
        withRecovery(undefined, {
          signals: log.observer,
          degradation: { levels: [{ name: 'stub', value: 'stub' }] },
        }),
      );
      expectObservable(result).toBe('1002ms (s|)', { s: 'stub' });
      expectSubscriptions(invalid.subscriptions).toBe(['1001ms ^!']);
    });
    expect(log.lines()).toEqual([
      '1 error_detected operation_timeout',
      '1 recovery_attempt retry #1 1000ms',
      '1002 error_detected validation_failed',
      '1002 recovery_attempt degrade #1 0ms',
      '1002 recovery_completed success degrade x2 1001ms',
    ]);
    // The result names the type that started the recovery, and the pattern whose plan ran last.
    expect(log.signals.at(-1)).toMatchObject({
      result: { errorType: 'timeout', patternId: 'validation_failed', degradationLevel: 'stub' },
    });
  });

  it('tries alternatives in order, by pattern id then by error type, each once', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, importError);
      const byId1 = cold('--#', undefined, importError);
      const byId2 = cold(' -#', undefined, importError);
      const byType = cold('--x|');
      const result = source.pipe(
        withRecovery(undefined, {
          alternatives: { import_not_found: [() => byId1, () => byId2], import: [() => byType] },
        }),
      );
      expectObservable(result).toBe('-------x|');
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(byId1.subscriptions).toBe(' --^-!');
      expectSubscriptions(byId2.subscriptions).toBe(' ----^!');
      expectSubscriptions(byType.subscriptions).toBe('-----^--!');
    });
  });

  it('escalates once every alternative has been tried', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, importError);
      const alternative = cold('-#', undefined, importError);
      const result = source.pipe(
        withRecovery(undefined, { alternatives: { import: [() => alternative] } }),
      );
      expectObservable(result).toBe('--#', undefined, escalation(importError));
      expectSubscriptions(alternative.subscriptions).toBe('-^!');
    });
  });

  it('degrades level by level down to the value level', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, validationError);
      const reduced = cold('-#', undefined, validationError);
      const result = source.pipe(
        withRecovery<string>(undefined, {
          signals: log.observer,
          degradation: {
            levels: [
              { name: 'reduced model', source: () => reduced },
              { name: 'stub', value: '// TODO' },
            ],
          },
        }),
      );
      expectObservable(result).toBe('---(s|)', { s: '// TODO' });
      expectSubscriptions(reduced.subscriptions).toBe('--^!');
    });
    expect(log.signals.at(-1)).toMatchObject({
      type: 'recovery_completed',
      result: { success: true, strategyUsed: 'degrade', attempts: 2, degradationLevel: 'stub' },
    });
  });

  it('goes from alternative to degrade for a template error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, templateError);
      const simpler = cold('-#', undefined, templateError);
      const result = source.pipe(
        withRecovery<string>(undefined, {
          alternatives: { template_rendering_error: [() => simpler] },
          degradation: { levels: [{ name: 'plain', value: 'plain' }] },
        }),
      );
      expectObservable(result).toBe('--(p|)', { p: 'plain' });
    });
  });

  it('corrects a missing async keyword with the correction it lists, then succeeds', () => {
    const broken = 'function load(url) {\n  const res = await fetch(url);\n  return res.json();\n}';
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('--#', undefined, missingAsyncError(broken));
      const corrections = [asyncKeywordCorrection];
      expectObservable(source.pipe(withRecovery<string>(undefined, { corrections }))).toBe(
        '--(c|)',
        { c: `async ${broken}` },
      );
    });
  });

  it('has no hidden correction: a missing async with no rule listed escalates', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('--#', undefined, missingAsyncError('function f() { await g(); }'));
      expectObservable(source.pipe(withRecovery<string>())).toBe(
        '--#',
        undefined,
        expect.objectContaining({ name: 'EscalationError' }),
      );
    });
  });

  it('asks the correction rules in order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('--#', undefined, missingAsyncError('function f() { await g(); }'));
      const corrected = cold('--c|');
      const result = source.pipe(
        withRecovery<string>(undefined, {
          corrections: [
            { id: 'declines', correct: () => undefined },
            { id: 'fixes', match: /await/, correct: () => corrected },
          ],
        }),
      );
      expectObservable(result).toBe('----c|');
    });
  });

  it('escalates a correction it cannot make', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const topLevel = missingAsyncError('const x = await load();');
      const source = cold('-#', undefined, topLevel);
      expectObservable(source.pipe(withRecovery())).toBe('-#', undefined, escalation(topLevel));
    });
  });

  it('ends an endless failure after maxAttempts steps', () => {
    const patterns: ErrorPattern[] = [
      {
        id: 'flaky',
        errorType: 'transient',
        match: /timed out/,
        strategy: 'retry',
        maxRetries: 100,
      },
    ];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, timeoutError);
      const result = source.pipe(
        withRecovery(patterns, { maxAttempts: 4, retry: { baseDelayMs: 0 } }),
      );
      expectObservable(result).toBe('-----#', undefined, timeoutError);
      expectSubscriptions(source.subscriptions).toBe(['^!', '-^!', '--^!', '---^!', '----^!']);
    });
  });

  it('still escalates after maxAttempts is spent', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, timeoutError);
      const result = source.pipe(
        withRecovery(undefined, { maxAttempts: 1, retry: { baseDelayMs: 1 } }),
      );
      expectObservable(result).toBe('---#', undefined, escalation(timeoutError));
    });
  });

  it('rethrows an unmatched error untouched, signalled but not a recovery', () => {
    const log = signalLog();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('--a--#', undefined, unknownError);
      expectObservable(source.pipe(withRecovery(undefined, { signals: log.observer }))).toBe(
        '--a--#',
        undefined,
        unknownError,
      );
    });
    expect(log.lines()).toEqual(['5 error_detected unmatched']);
  });

  it('keeps the identity of thrown values that are not Errors', () => {
    for (const thrown of ['boom', 42, undefined, { reason: 'x' }]) {
      let caught: unknown = 'nothing';
      throwError(() => thrown)
        .pipe(withRecovery())
        .subscribe({ error: (error: unknown) => (caught = error) });
      expect(caught).toBe(thrown);
    }
  });

  it('recovers unmatched errors with the unmatched plan', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, unknownError);
      const fallback = cold('-f|');
      const result = source.pipe(
        withRecovery(undefined, {
          unmatched: ['alternative'],
          alternatives: { unknown: [() => fallback] },
        }),
      );
      expectObservable(result).toBe('--f|');
    });
  });

  it('turns a step whose source is not an ObservableInput into an error it classifies', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, missingAsyncError('function f() { await g(); }'));
      const result = source.pipe(
        withRecovery(undefined, { corrections: [{ id: 'bad', correct: () => 42 as never }] }),
      );
      expectObservable(result).toBe('-#', undefined, expect.any(TypeError));
    });
  });

  it('passes an EscalationError from an inner pipeline through untouched', () => {
    const inner = throwError(() => timeoutError).pipe(withRecovery(undefined, { maxAttempts: 0 }));
    let caught: unknown;
    inner.pipe(withRecovery()).subscribe({ error: (error: unknown) => (caught = error) });
    expect(isEscalationError(caught)).toBe(true);
    expect(caught).toBeInstanceOf(EscalationError);
    expect((caught as EscalationError).cause).toBe(timeoutError);
  });
});

describe('withRecovery: subscriptions and teardown', () => {
  it('passes values and completion through untouched', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|');
      expectObservable(source.pipe(withRecovery())).toBe('-a-b-c-|');
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('mirrors an empty and a never source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const empty = cold('|');
      const never = cold('-');
      expectObservable(empty.pipe(withRecovery())).toBe('|');
      expectObservable(never.pipe(withRecovery()), '^ 100ms !').toBe('-');
      expectSubscriptions(never.subscriptions).toBe('^ 100ms !');
    });
  });

  it('tears the backoff wait down on unsubscribe: no later resubscription', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, timeoutError);
      expectObservable(source.pipe(withRecovery()), '^ 500ms !').toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('unsubscribes from an alternative in use', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, importError);
      const alternative = cold('----a|');
      const result = source.pipe(
        withRecovery(undefined, { alternatives: { import: [() => alternative] } }),
      );
      expectObservable(result, '^---!').toBe('-');
      expectSubscriptions(alternative.subscriptions).toBe('--^-!');
    });
  });

  it('keeps the unsubscription chain unbroken through a hot source', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-d-|');
      expectObservable(source.pipe(withRecovery()), '^----!').toBe('-a-b-');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('finalizes the source before the next cycle, even when it fails synchronously', () => {
    const events: string[] = [];
    let n = 0;
    const source = defer(() => {
      const id = ++n;
      events.push(`subscribe ${id}`);
      return (id < 3 ? throwError(() => timeoutError) : of('ok')).pipe(
        finalize(() => events.push(`finalize ${id}`)),
      );
    });
    source
      .pipe(withRecovery(undefined, { retry: { baseDelayMs: 0 } }))
      .subscribe((value) => events.push(value));
    expect(events).toEqual([
      'subscribe 1',
      'finalize 1',
      'subscribe 2',
      'finalize 2',
      'subscribe 3',
      'ok',
      'finalize 3',
    ]);
  });

  it('stops a synchronous source as soon as the downstream unsubscribes', () => {
    let produced = 0;
    const endless = new Observable<number>((subscriber) => {
      while (!subscriber.closed) subscriber.next(produced++);
    });
    const seen: number[] = [];
    endless.pipe(withRecovery(), take(3)).subscribe((value) => seen.push(value));
    expect(seen).toEqual([0, 1, 2]);
    expect(produced).toBe(3);
  });

  it('stops a synchronous source at once through a breaker too, as without one', () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 3 } });
    let pulled = 0;
    function* values() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    from(values()).pipe(withRecovery(undefined, { breaker }), take(1)).subscribe();
    expect(pulled).toBe(1); // not 1000: the breaker's call is chained to the engine's subscriber
  });

  it('keeps independent state for two subscriptions and for one operator on two sources', () => {
    const patterns: ErrorPattern[] = [
      { id: 't', errorType: 'timeout', match: /timed out/, strategy: 'retry', maxRetries: 1 },
    ];
    const operator = withRecovery(patterns, { retry: { baseDelayMs: 10 } });
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const one = cold('-#', undefined, timeoutError);
      const two = cold('--#', undefined, timeoutError);
      const result = one.pipe(operator);
      expectObservable(result).toBe('12ms #', undefined, timeoutError);
      expectObservable(result).toBe('12ms #', undefined, timeoutError);
      expectObservable(two.pipe(operator)).toBe('14ms #', undefined, timeoutError);
      expectSubscriptions(one.subscriptions).toBe(['^!', '^!', '11ms ^!', '11ms ^!']);
      expectSubscriptions(two.subscriptions).toBe(['^-!', '12ms ^-!']);
    });
  });

  it('resubscribes 100,000 synchronous failures in a loop, without growing the stack', () => {
    const patterns: ErrorPattern[] = [
      {
        id: 'flaky',
        errorType: 'transient',
        match: /timed out/,
        strategy: 'retry',
        maxRetries: 100_000,
      },
    ];
    let subscriptions = 0;
    const source = defer(() =>
      ++subscriptions <= 100_000 ? throwError(() => timeoutError) : of('done'),
    );
    const values: string[] = [];
    source
      .pipe(withRecovery(patterns, { maxAttempts: 100_000, retry: { baseDelayMs: 0 } }))
      .subscribe((value) => values.push(value));
    expect(values).toEqual(['done']);
    expect(subscriptions).toBe(100_001);
  });

  it('threads the scheduler option through every wait (outside run())', () => {
    // Outside run(), a marble frame is 10 virtual ms and flush() stops at maxFrames.
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const source = scheduler.createColdObservable('-#', undefined, timeoutError);
    const events: string[] = [];
    const subscription = source
      .pipe(withRecovery(undefined, { scheduler, escalation: { terminal: 'complete' } }))
      .subscribe({ complete: () => events.push(`complete at ${scheduler.now()}`) });
    scheduler.flush();
    expect(events).toEqual(['complete at 7040']);
    expect(source.subscriptions.map((s) => s.subscribedFrame)).toEqual([0, 1010, 3020, 7030]);
    subscription.unsubscribe();
  });

  it('leaves no scheduled action behind after unsubscribing mid-backoff', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const source = scheduler.createColdObservable('-#', undefined, timeoutError);
    const subscription = source
      .pipe(withRecovery(undefined, { scheduler }))
      .subscribe({ error: () => {} });
    scheduler.flush();
    expect(scheduler.actions).toHaveLength(0);
    expect(source.subscriptions).toHaveLength(4);

    const pending = scheduler.createColdObservable('-#', undefined, timeoutError);
    const scheduler2Sub = pending
      .pipe(withRecovery(undefined, { scheduler }))
      .subscribe({ error: () => {} });
    scheduler.schedule(() => scheduler2Sub.unsubscribe(), 500);
    scheduler.flush();
    expect(pending.subscriptions).toHaveLength(1);
    expect(scheduler.actions).toHaveLength(0);
    subscription.unsubscribe();
  });
});

describe('withRecovery: escalation handlers', () => {
  it('reports a throwing onEscalate and keeps the record', () => {
    const log = signalLog();
    const failure = new Error('pager down');
    throwError(() => quorumError)
      .pipe(
        withRecovery(undefined, {
          maxAttempts: 0,
          signals: log.observer,
          escalation: {
            onEscalate: () => {
              throw failure;
            },
          },
        }),
      )
      .subscribe({ error: () => {} });
    const reported = log.signals.find((s) => s.type === 'observer_error');
    expect(reported).toMatchObject({
      source: 'onEscalate',
      error: failure,
      record: { patternId: 'quorum_consensus_failed' },
    });
    expect(log.signals.map((s) => s.type)).toEqual([
      'error_detected',
      'escalated',
      'observer_error',
      'recovery_completed',
    ]);
  });

  it('reports a rejecting onEscalate after the stream has ended, without waiting for it', async () => {
    const log = signalLog();
    let reject: (error: unknown) => void = () => {};
    const errors: unknown[] = [];
    throwError(() => quorumError)
      .pipe(
        withRecovery(undefined, {
          maxAttempts: 0,
          signals: log.observer,
          escalation: { onEscalate: () => new Promise<void>((_, r) => (reject = r)) },
        }),
      )
      .subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toHaveLength(1);
    expect(log.signals.map((s) => s.type)).toEqual([
      'error_detected',
      'escalated',
      'recovery_completed',
    ]);
    reject(new Error('webhook 500'));
    await Promise.resolve();
    expect(log.signals.at(-1)).toMatchObject({ type: 'observer_error', source: 'onEscalate' });
  });

  it('isolates a signal consumer that throws', () => {
    const seen: string[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, timeoutError);
      const signals = {
        next(signal: { type: string }) {
          seen.push(signal.type);
          if (signal.type === 'recovery_attempt') throw new Error('consumer bug');
        },
      };
      const result = source.pipe(
        withRecovery(undefined, { retry: { baseDelayMs: 1 }, signals, maxAttempts: 1 }),
      );
      expectObservable(result).toBe('---#', undefined, escalation(timeoutError));
    });
    expect(seen).toEqual([
      'error_detected',
      'recovery_attempt',
      'observer_error',
      'error_detected',
      'escalated',
      'recovery_completed',
    ]);
  });
});

describe('withRecovery: configuration', () => {
  it('classifies each error afresh, also the same error object with a changed message', () => {
    const signals: RecoverySignal[] = [];
    const error = new Error('Request timed out');
    let calls = 0;
    let ticks = 0;
    const out: unknown[] = [];
    defer(() => {
      calls += 1;
      if (calls === 2) error.message = "Cannot find module './renderer'";
      return throwError(() => error);
    })
      .pipe(
        withRecovery<string>(undefined, {
          retry: { baseDelayMs: 0 },
          alternatives: { import_not_found: [() => of('alternative')] },
          signals: { next: (signal) => signals.push(signal) },
          clock: () => (ticks += 5), // 5 ms per timed classification
        }),
      )
      .subscribe({ next: (value) => out.push(value), error: (thrown) => out.push(thrown) });
    const detected = signals.flatMap((signal) =>
      signal.type === 'error_detected'
        ? [[signal.classification.pattern?.id, signal.analysisMs]]
        : [],
    );
    // Both classified (and timed); the same object unchanged would be recalled (0 ms).
    expect(detected).toEqual([
      ['operation_timeout', 5],
      ['import_not_found', 5],
    ]);
    expect(out).toEqual(['alternative']);
  });

  it('names a bad unmatched plan once (the classifier checks it again)', () => {
    expect(issuesOf(() => withRecovery(undefined, { unmatched: ['retyr' as 'retry'] }))).toEqual([
      'options.unmatched[0]: must be one of retry, alternative, degrade, correct, escalate, got "retyr"',
    ]);
  });

  it('refuses a maxDelayMs below baseDelayMs, an alternatives key the table cannot reach, a typo in a level', () => {
    expect(
      issuesOf(() =>
        withRecovery(undefined, {
          retry: { baseDelayMs: 2000, maxDelayMs: 500 },
          alternatives: { operation_timout: [() => of(1)], timeout: [() => of(2)] },
          degradation: { levels: [{ name: 'stub', value: 1, sorce: () => of(3) } as never] },
        }),
      ),
    ).toEqual([
      'options.degradation.levels[0].sorce: unknown option',
      'options.retry.maxDelayMs: must be ≥ baseDelayMs (2000)',
      'options.alternatives.operation_timout: names neither a pattern id of the table nor an error type',
    ]);
  });

  it('keeps the default maxDelayMs at least as long as a larger baseDelayMs', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      let n = 0;
      const source = defer(() => (n++ === 0 ? cold('#', undefined, timeoutError) : cold('a|')));
      expectObservable(
        source.pipe(withRecovery(undefined, { retry: { baseDelayMs: 10_000 } })),
      ).toBe('10000ms a|');
    });
  });

  it('accepts maxRetries: Infinity as "unlimited"', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      let n = 0;
      const source = defer(() => (n++ < 50 ? cold('#', undefined, timeoutError) : cold('a|')));
      const unlimited = [
        {
          id: 't',
          errorType: 'timeout',
          match: /timed out/,
          strategy: 'retry',
          maxRetries: Infinity,
        },
      ] as const;
      expectObservable(
        source.pipe(
          withRecovery(unlimited, {
            maxAttempts: 100,
            retry: { baseDelayMs: 0, delayFromError: null },
          }),
        ),
      ).toBe('a|');
    });
    expect(
      issuesOf(() =>
        withRecovery([
          { id: 't', errorType: 'timeout', match: /x/, strategy: 'retry', maxRetries: 1.5 },
        ]),
      ),
    ).toEqual(['patterns[0].maxRetries: must be a whole number']);
  });

  it('rejects bad patterns and options together, when the pipe is built', () => {
    let caught: unknown;
    try {
      withRecovery(
        [{ id: 'x', errorType: 'timeout', match: '(', strategy: 'retry' }],
        // @ts-expect-error: maxAttempt is a typo
        { maxAttempt: 3, retry: { baseDelayMs: -1, jitter: 'some' } },
      );
    } catch (error) {
      caught = error;
    }
    expect(isRecoveryConfigError(caught)).toBe(true);
    expect((caught as Error).message).toMatchInlineSnapshot(`
      "patterns[0].match: invalid regular expression: /(/: Unterminated group
      options.retry.baseDelayMs: must be ≥ 0
      options.retry.jitter: must be one of none, full, equal, decorrelated, got "some"
      options.maxAttempt: unknown option"
    `);
  });

  // withRecovery.ts: "Copies: what the options hold now is what every subscription gets"
  // (and the options are validated when the pipe is built): the lists are copied too.
  it('an alternative added to the options after the pipe is built is not used', () => {
    const templateError = new Error('TemplateError: boom');
    const list: Array<() => unknown> = [() => of('first')];
    const recovered = withRecovery<string>(undefined, {
      alternatives: { template_rendering_error: list as never },
    });
    list.unshift(() => of('added later'));
    const out: string[] = [];
    const source = new Subject<string>();
    source.pipe(recovered).subscribe({ next: (v) => out.push(v) });
    source.error(templateError);
    expect(out).toEqual(['first']);
  });
});
