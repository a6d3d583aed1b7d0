import { concat, defer, EMPTY, NEVER, type Observable, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createCircuitBreaker,
  defaultPatterns,
  ErrorRecoveryOrchestrator,
  type HandledError,
  isRecoveryConfigError,
  RecoveryConfigError,
} from '../src/index.js';
import {
  importError,
  missingAsyncError,
  quorumError,
  templateError,
  timeoutError,
  unknownError,
  validationError,
} from './helpers/errors.js';
import { testScheduler } from './helpers/marbles.js';

/** An operation that fails `failures` times with `error`, then emits `value`. */
function flaky<T>(failures: number, error: unknown, value: T) {
  let calls = 0;
  return (): Observable<T> =>
    defer(() => (calls++ < failures ? throwError(() => error) : of(value)));
}

describe('ErrorRecoveryOrchestrator: the original design', () => {
  it('recovers with a custom pattern that overrides the default one, then reports statistics', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({
      degradation: { levels: [{ name: 'reduced schema', value: { fields: ['name'] } }] },
    });
    orchestrator.addErrorPattern({
      id: 'custom_validation_error',
      errorType: 'validation',
      match: 'ValidationError.*missing.*field',
      strategy: 'degrade',
      maxRetries: 2,
      metadata: { description: 'Generated model misses a required field', owner: 'codegen' },
      priority: 9,
    });
    await orchestrator.ready(); // virtual time below cannot wait for the code repair to load
    const context = {
      workflowId: 'codegen-1',
      nodeName: 'model_generator',
      stepCount: 5,
      state: { contract: 'UserService', code: '' },
    };
    let handled: Promise<HandledError<unknown>> | undefined;
    // Virtual time, so that durations are exact.
    testScheduler().run(() => {
      try {
        throw new Error('ValidationError: missing required field "email"');
      } catch (error) {
        handled = orchestrator.handleError({ ...context, error }, () => of('never called'));
      }
    });
    const result = await handled;
    expect(result).toEqual({
      success: true,
      strategyUsed: 'degrade',
      attempts: 1,
      durationMs: 0,
      errorType: 'validation',
      patternId: 'custom_validation_error',
      degradationLevel: 'reduced schema',
      metadata: { description: 'Generated model misses a required field', owner: 'codegen' },
      correlationId: expect.any(String),
      value: { fields: ['name'] },
    });
    expect(orchestrator.patterns.map((p) => p.id).slice(0, 3)).toEqual([
      'missing_async_keyword',
      'custom_validation_error', // priority 9: above the default validation_failed (6)
      'import_not_found',
    ]);
    expect(orchestrator.getStatistics()).toEqual({
      totalRecoveries: 1,
      successful: 1,
      failed: 0,
      successRate: 1,
      averageDurationMs: 0,
      strategiesUsed: { degrade: 1 },
      stepsByStrategy: { degrade: 1 },
      byErrorType: { validation: 1 },
      escalations: 0,
      retryBudgetExhausted: 0,
    });
  });

  it('aggregates a scripted day of recoveries into statistics computed by hand', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({
      retry: { baseDelayMs: 100 },
      alternatives: { import_not_found: [() => of('alternative import')] },
      degradation: { levels: [{ name: 'stub', value: 'stub' }] },
    });
    orchestrator.addErrorPattern({
      id: 'custom_validation_error',
      errorType: 'validation',
      match: 'ValidationError.*missing.*field',
      strategy: 'degrade',
      priority: 9,
    });
    await orchestrator.ready(); // virtual time below cannot wait for the code repair to load
    const repairable = 'function build() {\n  await render();\n}';
    const hopeless = 'await render();';
    const runs: Array<[unknown, () => Observable<unknown>, Record<string, unknown>?]> = [
      [timeoutError, flaky(0, timeoutError, 'ok')], //                   1. retry ×1, 100 ms
      [timeoutError, flaky(2, timeoutError, 'ok')], //                   2. retry ×3, 100+200+400 ms
      [timeoutError, flaky(9, timeoutError, 'ok')], //                   3. retry ×3, then escalate at 700 ms
      [importError, flaky(9, importError, 'x')], //                      4. alternative
      [importError, flaky(9, importError, 'x')], //                      5. alternative (new subscription)
      [templateError, flaky(9, templateError, 'x')], //                  6. no alternative: degrade
      [validationError, flaky(9, validationError, 'x')], //              7. degrade
      [new Error('ValidationError: missing field "id"'), flaky(9, validationError, 'x')], // 8. custom: degrade
      [missingAsyncError(repairable), flaky(9, timeoutError, 'x')], //  9. correct
      [missingAsyncError(hopeless), flaky(9, timeoutError, 'x')], //    10. cannot correct: escalate
      [quorumError, flaky(0, quorumError, 'ok')], //                    11. retry ×1, 100 ms
      [quorumError, flaky(9, quorumError, 'ok')], //                    12. retry ×2, then escalate at 300 ms
      [unknownError, flaky(0, unknownError, 'ok')], //                  13. unmatched: rethrown, not a recovery
    ];
    let results: Promise<HandledError<unknown>[]> = Promise.resolve([]);
    testScheduler().run(() => {
      results = Promise.all(
        runs.map(([error, operation]) => orchestrator.handleError({ error }, operation)),
      );
    });
    const outcomes = (await results).map((r) => [
      r.success,
      r.strategyUsed,
      r.attempts,
      r.durationMs,
    ]);
    expect(outcomes).toEqual([
      [true, 'retry', 1, 100],
      [true, 'retry', 3, 700],
      [false, 'escalate', 3, 700],
      [true, 'alternative', 1, 0],
      [true, 'alternative', 1, 0],
      [true, 'degrade', 1, 0],
      [true, 'degrade', 1, 0],
      [true, 'degrade', 1, 0],
      [true, 'correct', 1, 0],
      [false, 'escalate', 0, 0],
      [true, 'retry', 1, 100],
      [false, 'escalate', 2, 300],
      [false, 'none', 0, 0],
    ]);
    expect((await results)[8]?.value).toBe(`async ${repairable}`);
    // 12 recoveries (the unmatched error is none): 9 succeeded, 3 escalated.
    expect(orchestrator.getStatistics()).toEqual({
      totalRecoveries: 12,
      successful: 9,
      failed: 3,
      successRate: 0.75,
      averageDurationMs: (100 + 700 + 700 + 100 + 300) / 12,
      // By how each recovery ended (runs 3, 10 and 12 escalated): they add up to 12.
      strategiesUsed: { retry: 3, escalate: 3, alternative: 2, degrade: 3, correct: 1 },
      stepsByStrategy: { retry: 1 + 3 + 3 + 1 + 2, alternative: 2, degrade: 3, correct: 1 },
      byErrorType: { timeout: 3, import: 2, template: 1, validation: 2, syntax: 2, quorum: 2 },
      escalations: 3,
      retryBudgetExhausted: 0,
    });
  });
});

describe('ErrorRecoveryOrchestrator', () => {
  it('runs the operation first when no error is given', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 0 } });
    const result = await orchestrator.handleError(
      { nodeName: 'render' },
      flaky(1, timeoutError, 'rendered'),
    );
    expect(result).toMatchObject({
      success: true,
      strategyUsed: 'retry',
      attempts: 1,
      value: 'rendered',
    });
    const clean = await orchestrator.handleError({}, () => of('first time'));
    expect(clean).toMatchObject({
      success: true,
      strategyUsed: 'none',
      attempts: 0,
      value: 'first time',
    });
  });

  it("still tells the options' signals observer of what handleError does", async () => {
    const types: string[] = [];
    const orchestrator = new ErrorRecoveryOrchestrator({
      retry: { baseDelayMs: 0 },
      signals: { next: (signal) => types.push(signal.type) },
    });
    const result = await orchestrator.handleError({ error: timeoutError }, () => of('done'));
    expect(result.success).toBe(true);
    expect(types).toEqual(['error_detected', 'recovery_attempt', 'recovery_completed']);
  });

  it('hands the state to the operation on every attempt', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 0 } });
    const seen: unknown[] = [];
    const result = await orchestrator.handleError(
      { state: { prompt: 'p' }, error: timeoutError },
      (state) => {
        seen.push(state);
        return of('done');
      },
    );
    expect(result.value).toBe('done');
    expect(seen).toEqual([{ prompt: 'p' }]);
  });

  it('resolves success: false with the last error when recovery fails, and rejects only on misuse', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({
      maxAttempts: 0,
      escalation: { terminal: 'complete' },
    });
    const failed = await orchestrator.handleError({ error: timeoutError }, () => of(1));
    expect(failed).toMatchObject({
      success: false,
      strategyUsed: 'escalate',
      errorMessage: 'Error: Request timed out',
    });
    const unmatched = await orchestrator.handleError({ error: 'disk on fire' }, () => of(1));
    expect(unmatched).toMatchObject({
      success: false,
      strategyUsed: 'none',
      errorMessage: 'disk on fire',
    });

    await expect(orchestrator.handleError({ stepCount: -1 }, () => of(1))).rejects.toThrow(
      'context.stepCount: must be ≥ 0',
    );
    await expect(orchestrator.handleError({}, 'not a function' as never)).rejects.toBeInstanceOf(
      RecoveryConfigError,
    );
  });

  it('resolves success: false when an error nothing recovers ends the call after a recovery succeeded', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({ builtInCorrections: false });
    const fatal = new Error('disk on fire'); // no pattern matches: rethrown, not recovered
    let handled: Promise<HandledError<string>> | undefined;
    testScheduler().run(() => {
      // The retry (after 1000 ms) emits — the recovery has succeeded — and then fails.
      handled = orchestrator.handleError({ error: timeoutError }, () =>
        concat(
          of('partial'),
          throwError(() => fatal),
        ),
      );
    });
    // The call's last recovery as it was (a retry of the timeout, 1000 ms), ended by `fatal`.
    expect(await handled).toEqual({
      success: false,
      strategyUsed: 'retry',
      attempts: 1,
      durationMs: 1000,
      errorType: 'timeout',
      patternId: 'operation_timeout',
      errorMessage: 'Error: disk on fire',
      correlationId: expect.any(String),
    });
    // The hub counted the recovery as it ended: a success.
    expect(orchestrator.getStatistics()).toMatchObject({ successful: 1, failed: 0 });
  });

  it('resolves the value of the attempt that succeeded, not of one that failed', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({
      builtInCorrections: false,
      retry: { baseDelayMs: 0 },
    });
    let calls = 0;
    // The first attempt emits, then times out; the retry completes without a value.
    const result = await orchestrator.handleError({}, () =>
      calls++ === 0
        ? concat(
            of('partial'),
            throwError(() => timeoutError),
          )
        : EMPTY,
    );
    expect(result).toMatchObject({ success: true, strategyUsed: 'retry', attempts: 1 });
    expect('value' in result).toBe(false);
    calls = 0;
    const again = await orchestrator.handleError({}, () =>
      calls++ === 0
        ? concat(
            of('partial'),
            throwError(() => timeoutError),
          )
        : of('whole'),
    );
    expect(again).toMatchObject({ success: true, value: 'whole' });
    // Resumed by a person after an escalation (escalation.await): the same.
    const escalating = new ErrorRecoveryOrchestrator({
      builtInCorrections: false,
      maxAttempts: 0,
      escalation: { await: true, resolve: () => of({ action: 'complete' as const }) },
    });
    const resumed = await escalating.handleError({}, () =>
      concat(
        of('partial'),
        throwError(() => timeoutError),
      ),
    );
    expect(resumed).toMatchObject({ success: true, strategyUsed: 'escalate' });
    expect('value' in resumed).toBe(false);
  });

  it("resolves no value with success: false, even when the stream completes (terminal: 'complete')", async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({
      builtInCorrections: false,
      maxAttempts: 0,
      escalation: { terminal: 'complete' },
    });
    const result = await orchestrator.handleError({}, () =>
      concat(
        of('partial'),
        throwError(() => timeoutError),
      ),
    );
    expect(result).toMatchObject({
      success: false,
      strategyUsed: 'escalate',
      errorMessage: 'Error: Request timed out',
    });
    expect('value' in result).toBe(false);
  });

  it('shares patterns and hub between handleError and its operators, live', async () => {
    const orchestrator = new ErrorRecoveryOrchestrator({
      degradation: { levels: [{ name: 'stub', value: 0 }] },
    });
    await orchestrator.ready(); // virtual time below cannot wait for the code repair to load
    const operator = orchestrator.operator<string | number>({ nodeName: 'pipe' });
    const quotaError = new Error('quota exhausted');
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-#', undefined, quotaError).pipe(operator)).toBe(
        '-#',
        undefined,
        quotaError,
      );
    });
    orchestrator.addErrorPattern({
      id: 'quota',
      errorType: 'transient',
      match: /quota/,
      strategy: 'degrade',
    });
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-#', undefined, quotaError).pipe(operator)).toBe('-(0|)', { 0: 0 });
    });
    expect(orchestrator.getStatistics()).toMatchObject({
      totalRecoveries: 1,
      strategiesUsed: { degrade: 1 },
    });
    expect(orchestrator.removeErrorPattern('quota')).toBe(true);
    expect(orchestrator.removeErrorPattern('quota')).toBe(false);
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-#', undefined, quotaError).pipe(operator)).toBe(
        '-#',
        undefined,
        quotaError,
      );
    });
  });

  it('names no table position in a duplicate-id error: the table order is not the order of patterns', () => {
    const orchestrator = new ErrorRecoveryOrchestrator({ builtInCorrections: false });
    const custom = {
      id: 'custom_validation_error',
      errorType: 'validation',
      match: 'ValidationError.*missing.*field',
      strategy: 'degrade',
      priority: 9,
    } as const;
    orchestrator.addErrorPattern(custom);
    expect(orchestrator.patterns.map((pattern) => pattern.id).indexOf(custom.id)).toBe(1);
    expect(() => orchestrator.addErrorPattern({ ...custom, match: 'x' })).toThrow(
      /^pattern\.id: duplicate id "custom_validation_error" \(a pattern of the table has it\)$/,
    );
  });

  it('validates added patterns against the whole table', () => {
    const orchestrator = new ErrorRecoveryOrchestrator();
    expect(() =>
      orchestrator.addErrorPattern({
        id: 'operation_timeout',
        errorType: 'timeout',
        match: /x/,
        strategy: 'retry',
      }),
    ).toThrow('pattern.id: duplicate id "operation_timeout" (a pattern of the table has it)');
    let caught: unknown;
    try {
      orchestrator.addErrorPattern({
        id: 'bad',
        errorType: 'timeout',
        match: /x/,
        strategy: 'retry',
        maxRetries: -2,
      });
    } catch (error) {
      caught = error;
    }
    expect(isRecoveryConfigError(caught)).toBe(true);
    expect(orchestrator.patterns).toHaveLength(defaultPatterns.length);
  });

  it('keeps the circuit_open pattern of its breaker after the table changes', async () => {
    const breaker = createCircuitBreaker({ trip: { consecutive: 5 } });
    breaker.isolate();
    const orchestrator = new ErrorRecoveryOrchestrator({
      breaker,
      builtInCorrections: false,
      degradation: { levels: [{ name: 'cached', value: 'cached' }] },
    });
    const degraded = {
      success: true,
      strategyUsed: 'degrade',
      patternId: 'circuit_open',
      value: 'cached',
    };
    const run = () => orchestrator.handleError({ workflowId: 'w' }, () => 'fresh');
    expect(await run()).toMatchObject(degraded);
    orchestrator.addErrorPattern({
      id: 'custom',
      errorType: 'validation',
      match: /nope/,
      strategy: 'degrade',
    });
    expect(await run()).toMatchObject(degraded);
    expect(orchestrator.removeErrorPattern('custom')).toBe(true);
    expect(await run()).toMatchObject(degraded);
    breaker.dispose();
  });

  it('names a corrections option that is not an array, built-in corrections or not', () => {
    for (const builtInCorrections of [true, false]) {
      expect(
        () =>
          new ErrorRecoveryOrchestrator({
            builtInCorrections,
            corrections: 'fix it' as unknown as [],
          }),
      ).toThrow(/^options\.corrections: expected array, got "fix it"$/m);
    }
  });
});

describe('handleError takes what people write', () => {
  const orchestrator = () => new ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 0 } });

  it('resolves a returned string, array or number as the value itself, never iterated', async () => {
    expect((await orchestrator().handleError({}, () => 'hello world')).value).toBe('hello world');
    expect((await orchestrator().handleError({}, () => ['a.ts', 'b.ts'])).value).toEqual([
      'a.ts',
      'b.ts',
    ]);
    const number = await orchestrator().handleError({}, () => 42);
    expect(number).toMatchObject({ success: true, strategyUsed: 'none', value: 42 });
    expect((await orchestrator().handleError({}, () => undefined)).value).toBeUndefined();
  });

  it('awaits a PromiseLike, and takes the last value of an Observable or InteropObservable', async () => {
    const thenable: PromiseLike<string> = {
      // biome-ignore lint/suspicious/noThenProperty: a PromiseLike on purpose
      then: (resolve) => Promise.resolve('from a thenable').then(resolve),
    };
    expect((await orchestrator().handleError({}, () => thenable)).value).toBe('from a thenable');
    expect((await orchestrator().handleError({}, () => of(1, 2, 3))).value).toBe(3);
    const interop = { [Symbol.observable ?? '@@observable']: () => of('interop') };
    const result = await orchestrator().handleError({}, () => interop as never);
    expect(result.value).toBe('interop');
  });

  it('retries a string-returning operation after a timeout and resolves the whole string', async () => {
    let calls = 0;
    const result = await orchestrator().handleError({}, () => {
      calls += 1;
      if (calls === 1) throw timeoutError;
      return 'generated code';
    });
    expect(result).toMatchObject({ success: true, strategyUsed: 'retry', value: 'generated code' });
  });

  it("hands context.state to every call by identity, so mutations are the caller's", async () => {
    class WorkflowState {
      tries = 0;
      readonly log: string[] = [];
    }
    const state = new WorkflowState();
    const seen: WorkflowState[] = [];
    const result = await orchestrator().handleError({ state }, (st) => {
      seen.push(st);
      st.tries += 1;
      st.log.push(`try ${st.tries}`);
      if (st.tries < 3) throw timeoutError;
      return st.tries;
    });
    expect(result.value).toBe(3);
    expect(state.tries).toBe(3);
    expect(state.log).toEqual(['try 1', 'try 2', 'try 3']);
    expect(seen.every((st) => st === state)).toBe(true);
  });

  it("tells the operation its attempt and aborts each attempt's signal when it ends", async () => {
    const attempts: Array<{ attempt: number; signal: AbortSignal }> = [];
    const result = await orchestrator().handleError({}, (_state, attempt) => {
      attempts.push(attempt);
      if (attempt.attempt < 3) throw timeoutError;
      return 'ok';
    });
    expect(result.value).toBe('ok');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts.map((a) => a.signal.aborted)).toEqual([true, true, true]);
  });

  it('is cancelled by options.signal: rejects with its reason, aborts the attempt, leaves no timer', async () => {
    const controller = new AbortController();
    let attemptSignal: AbortSignal | undefined;
    const pending = orchestrator().handleError(
      {},
      (_state, { signal }) => {
        attemptSignal = signal;
        return NEVER;
      },
      { signal: controller.signal },
    );
    expect(attemptSignal?.aborted).toBe(false);
    controller.abort(new Error('user cancelled'));
    await expect(pending).rejects.toThrow('user cancelled');
    expect(attemptSignal?.aborted).toBe(true);
  });

  it('is cancelled by an operation that aborts the signal itself: no retry follows', async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = orchestrator().handleError(
      {},
      () => {
        calls += 1;
        controller.abort(new Error('gave up'));
        throw timeoutError; // retried by default, were the recovery still running
      },
      { signal: controller.signal },
    );
    await expect(pending).rejects.toThrow('gave up');
    expect(calls).toBe(1);
  });

  it('is cancelled during a backoff wait, and the operation is not called again', async () => {
    const controller = new AbortController();
    let calls = 0;
    const slow = new ErrorRecoveryOrchestrator({ retry: { baseDelayMs: 3_600_000 } });
    const pending = slow.handleError(
      {},
      () => {
        calls += 1;
        throw timeoutError;
      },
      { signal: controller.signal },
    );
    controller.abort('stop');
    await expect(pending).rejects.toBe('stop');
    expect(calls).toBe(1);
  });

  it('rejects at once for a signal that is already aborted, without calling the operation', async () => {
    let calls = 0;
    const pending = orchestrator().handleError(
      {},
      () => {
        calls += 1;
      },
      { signal: AbortSignal.abort('too late') },
    );
    await expect(pending).rejects.toBe('too late');
    expect(calls).toBe(0);
  });

  it('refuses a state that is not an object, naming the path', async () => {
    await expect(orchestrator().handleError({ state: 'nope' as never }, () => 1)).rejects.toThrow(
      'context.state: must be an object',
    );
  });
});
