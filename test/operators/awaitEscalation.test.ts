import { defer, mergeMap, of, config as rxConfig, Subject, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  createRecoveryHub,
  ErrorRecoveryOrchestrator,
  type EscalationRecord,
  escalateOn,
  isRecoveryConfigError,
  type RecoverySignal,
  type Resolution,
  withRecovery,
} from '../../src/index.js';
import { quorumError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

// A quorum failure is retried twice, then escalated; with `await` the stream pauses there.
const escalation = expect.objectContaining({ name: 'EscalationError' });
const noRetry = { baseDelayMs: 0 } as const;

function waitingHub() {
  const hub = createRecoveryHub();
  const signals: RecoverySignal[] = [];
  hub.signals.subscribe((signal) => signals.push(signal));
  const pending = () => hub.pendingEscalations();
  return { hub, signals, pending };
}

/** A stream paused on `hub` by an escalation that waits (quorum error, no step left). */
function paused(hub = createRecoveryHub(), escalation: object = {}) {
  const source = new Subject<string>();
  const values: string[] = [];
  const errors: unknown[] = [];
  let completed = false;
  let ended = () => {};
  /** Settles when the stream has completed or errored: an event, not a pause. */
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const subscription = source
    .pipe(
      withRecovery<string>(undefined, {
        hub,
        maxAttempts: 0,
        escalation: { await: true, ...escalation },
      }),
    )
    .subscribe({
      next: (value) => values.push(value),
      error: (error) => {
        errors.push(error);
        ended();
      },
      complete: () => {
        completed = true;
        ended();
      },
    });
  source.error(quorumError);
  return { hub, values, errors, completed: () => completed, done, subscription };
}

describe('escalation that waits for a person (escalation.await)', () => {
  it('pauses without replaying, then emits the value a person gives and completes', () => {
    const { hub, signals, pending } = waitingHub();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#', { a: 'draft' }, quorumError);
      const result = source.pipe(
        withRecovery<string>(undefined, {
          hub,
          retry: noRetry,
          escalation: { await: true },
        }),
      );
      // Errors at 2, 4 (retries at 2 and 4), escalates at 6 and waits; resolved at 50.
      cold('50ms r').subscribe(() => {
        const [record] = pending();
        expect(record).toMatchObject({ pending: true, patternId: 'quorum_consensus_failed' });
        expect(
          hub.resolveEscalation(record?.id ?? '', { action: 'value', value: 'approved' }),
        ).toBe(true);
      });
      expectObservable(result).toBe('a-a-a- 44ms (v|)', { a: 'draft', v: 'approved' });
      expectSubscriptions(source.subscriptions).toBe(['^-!', '--^-!', '----^-!']);
    });
    expect(pending()).toEqual([]);
    const types = signals.map((s) => s.type);
    expect(types.filter((t) => t === 'escalated')).toHaveLength(1);
    expect(signals.find((s) => s.type === 'escalation_resolved')).toMatchObject({
      action: 'value',
      at: 50,
    });
    // Each `a` ended a recovery; the third error's recovery escalated at once (the two
    // retries were spent, as with RxJS retry) and a person resolved it.
    expect(signals.at(-1)).toMatchObject({
      type: 'recovery_completed',
      result: { success: true, strategyUsed: 'escalate', attempts: 0 },
    });
  });

  // prettier-ignore
  it.each([
    [
      'retry',
      { action: 'retry' },
      '- 9ms -a- 20ms #',
      { a: 'draft' },
      escalation,
      ['^!', '10ms ^--!'],
    ],
    [
      'source',
      { action: 'source', source: ['by hand'] },
      '- 9ms (p|)',
      { p: 'by hand' },
      undefined,
      ['^!'],
    ],
    ['complete', { action: 'complete' }, '- 9ms |', {}, undefined, ['^!']],
    ['abort', { action: 'abort', reason: 'not worth it' }, '- 9ms #', {}, escalation, ['^!']],
  ] as const)(
    'resumes on %s as resolved at frame 10',
    (_action, resolution, expected, values, error, subscriptions) => {
      const { hub } = waitingHub();
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        let n = 0;
        const first = cold('-#', undefined, quorumError);
        const again = cold('-a-#', { a: 'draft' }, quorumError);
        const source = cold('(s|)', { s: 0 }).pipe(mergeMap(() => (n++ === 0 ? first : again)));
        const result = source.pipe(
          withRecovery<string>(undefined, {
            hub,
            escalation: { await: { timeoutMs: 20 } },
            maxAttempts: 0, // escalate at the first error
          }),
        );
        cold('10ms r').subscribe(() => {
          const id = hub.pendingEscalations()[0]?.id ?? '';
          expect(hub.resolveEscalation(id, resolution as Resolution<string>)).toBe(true);
        });
        expectObservable(result).toBe(expected, values, error);
        // A retry resubscribes with whole budgets: it fails again, escalates, and the
        // escalation waits anew (here until its 20 ms timeout).
        expectSubscriptions(first.subscriptions).toBe(subscriptions[0]);
        const [, againSubs] = subscriptions as readonly string[];
        if (againSubs !== undefined) expectSubscriptions(again.subscriptions).toBe(againSubs);
      });
    },
  );

  it('ends as a terminal escalation when nobody answers within timeoutMs', () => {
    const { hub, signals, pending } = waitingHub();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, quorumError);
      const result = source.pipe(
        withRecovery<string>(undefined, {
          hub,
          maxAttempts: 0,
          escalation: { await: { timeoutMs: 1000 } },
        }),
      );
      expectObservable(result).toBe('- 1000ms #', undefined, escalation);
    });
    expect(pending()).toEqual([]);
    expect(signals.find((s) => s.type === 'escalation_resolved')).toMatchObject({
      action: 'timeout',
      at: 1001,
    });
  });

  it('refuses a late resolution, and a second one racing the first', () => {
    const { hub, pending } = waitingHub();
    let first: boolean | undefined;
    let second: boolean | undefined;
    let late: boolean | undefined;
    let id = '';
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, quorumError).pipe(
        withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }),
      );
      cold('5ms r').subscribe(() => {
        id = pending()[0]?.id ?? '';
        first = hub.resolveEscalation(id, { action: 'value', value: 'one' });
        second = hub.resolveEscalation(id, { action: 'value', value: 'two' });
      });
      cold('9ms r').subscribe(() => {
        late = hub.resolveEscalation(id, { action: 'complete' });
      });
      expectObservable(result).toBe('5ms (o|)', { o: 'one' });
    });
    expect([first, second, late]).toEqual([true, false, false]);
  });

  it('withdraws the pending record when the subscriber unsubscribes, and leaves no timer', () => {
    const { hub, pending } = waitingHub();
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const source = scheduler.createColdObservable('-#', undefined, quorumError);
    const subscription = source
      .pipe(
        withRecovery<string>(undefined, {
          hub,
          scheduler,
          maxAttempts: 0,
          escalation: { await: { timeoutMs: 60_000 } },
        }),
      )
      .subscribe({ error: () => {} });
    scheduler.flush(); // runs until the escalation waits: the timeout timer is then the only action
    expect(pending()).toHaveLength(1);
    const record = pending()[0] as EscalationRecord;
    subscription.unsubscribe();
    expect(pending()).toEqual([]);
    expect(scheduler.actions).toHaveLength(0);
    expect(hub.resolveEscalation(record.id, { action: 'retry' })).toBe(false);
  });

  it('takes its resolution from escalation.resolve, and ignores an invalid one', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const answers = new Subject<Resolution<string>>();
      cold('3ms b 3ms g').subscribe((tick) => {
        if (tick === 'b') answers.next({ action: 'teleport' } as never);
        else answers.next({ action: 'value', value: 'ok' });
      });
      const result = cold('-#', undefined, quorumError).pipe(
        withRecovery<string>(undefined, {
          maxAttempts: 0,
          escalation: { await: true, resolve: () => answers },
        }),
      );
      expectObservable(result).toBe('7ms (o|)', { o: 'ok' });
    });
  });

  it('refuses an invalid resolution with a reason, without touching the stream', () => {
    const { hub, pending } = waitingHub();
    const values: string[] = [];
    const subscription = new Subject<string>()
      .pipe(withRecovery<string>(undefined, { hub, escalation: { await: true } }))
      .subscribe((value) => values.push(value));
    expect(() => hub.resolveEscalation('nope', { action: 'teleport' } as never)).toThrow(
      'resolution.action: must be one of value, retry, source, complete, abort, got "teleport"',
    );
    expect(hub.resolveEscalation('nope', { action: 'complete' })).toBe(false);
    expect(pending()).toEqual([]);
    subscription.unsubscribe();
  });

  it('needs a hub or resolve, or nobody could end the wait', () => {
    let caught: unknown;
    try {
      withRecovery(undefined, { escalation: { await: true } });
    } catch (error) {
      caught = error;
    }
    expect(isRecoveryConfigError(caught) && caught.issues).toEqual([
      'options.escalation.await: needs a hub (hub.resolveEscalation) or options.escalation.resolve to end the wait',
    ]);
  });

  it('works on escalateOn too', () => {
    const { hub, pending } = waitingHub();
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('a#', { a: 1 }, quorumError).pipe(
        escalateOn<number>({ hub, await: true }),
      );
      cold('4ms r').subscribe(() => {
        hub.resolveEscalation(pending()[0]?.id ?? '', { action: 'value', value: 2 });
      });
      expectObservable(result).toBe('a 3ms (b|)', { a: 1, b: 2 });
    });
  });

  it('keeps ErrorRecoveryOrchestrator.handleError pending until the resolution', async () => {
    const hub = createRecoveryHub();
    const orchestrator = new ErrorRecoveryOrchestrator({
      hub,
      maxAttempts: 0,
      escalation: { await: true },
    });
    await orchestrator.ready(); // so that the error reaches the engine at once
    const handled = orchestrator.handleError({ error: quorumError }, () => 'never called');
    const [record] = hub.pendingEscalations();
    expect(record?.pending).toBe(true);
    hub.resolveEscalation(record?.id ?? '', { action: 'value', value: 'decided by a person' });
    await expect(handled).resolves.toMatchObject({
      success: true,
      strategyUsed: 'escalate',
      value: 'decided by a person',
    });
  });

  // DESIGN: "it publishes `escalated` (the record marked `pending: true`) … and waits for a
  // Resolution … from hub.resolveEscalation(record.id, resolution)": the record is listed
  // before the signal and onEscalate, so either may resolve it.
  it('accepts a resolution given from the `escalated` signal', () => {
    const hub = createRecoveryHub();
    const answers: boolean[] = [];
    hub.signals.subscribe((signal) => {
      if (signal.type === 'escalated') {
        answers.push(
          hub.resolveEscalation(signal.record.id, { action: 'value', value: 'ok' }) as boolean,
        );
      }
    });
    const run = paused(hub);
    expect(answers).toEqual([true]);
    expect(run.values).toEqual(['ok']);
    expect(run.completed()).toBe(true);
    expect(hub.pendingEscalations()).toEqual([]);
  });

  it('accepts a resolution given from onEscalate', () => {
    const hub = createRecoveryHub();
    const answers: boolean[] = [];
    const run = paused(hub, {
      onEscalate: (record: { id: string }) => {
        answers.push(hub.resolveEscalation(record.id, { action: 'complete' }) as boolean);
      },
    });
    expect(answers).toEqual([true]);
    expect(run.completed()).toBe(true);
    expect(hub.pendingEscalations()).toEqual([]);
  });

  it.each([
    ['value', { action: 'value', value: 'ok' }, ['ok'], 'complete'],
    ['retry', { action: 'retry' }, ['again'], 'complete'],
    ['source', { action: 'source', source: ['by hand'] }, ['by hand'], 'complete'],
    ['complete', { action: 'complete' }, [], 'complete'],
    ['abort', { action: 'abort' }, [], 'EscalationError'],
  ] as const)(
    'acts on %s given during the announcement once the announcement is over',
    (_action, resolution, values, end) => {
      const hub = createRecoveryHub();
      const seen: string[] = [];
      const direct: string[] = [];
      const answers: boolean[] = [];
      hub.signals.subscribe((signal) => {
        seen.push(signal.type);
        if (signal.type === 'escalated' && answers.length === 0) {
          answers.push(
            hub.resolveEscalation(signal.record.id, resolution as Resolution<string>) as boolean,
          );
        }
      });
      // The first subscription fails synchronously (inside the engine's subscribe loop); a
      // retry's succeeds.
      let calls = 0;
      const out: string[] = [];
      let ended = '';
      defer(() => (calls++ === 0 ? throwError(() => quorumError) : of('again')))
        .pipe(
          withRecovery<string>(undefined, {
            hub,
            signals: { next: (signal) => direct.push(signal.type) },
            maxAttempts: 0,
            escalation: { await: true, onEscalate: () => void seen.push('onEscalate') },
          }),
        )
        .subscribe({
          next: (value) => out.push(value),
          error: (error: Error) => (ended = error.name),
          complete: () => (ended = 'complete'),
        });
      expect(answers).toEqual([true]);
      expect(out).toEqual(values);
      expect(ended).toBe(end);
      expect(calls).toBe(_action === 'retry' ? 2 : 1);
      // Announced in full (signal, then onEscalate), then resolved, then the recovery ends.
      expect(seen).toEqual([
        'error_detected',
        'escalated',
        'onEscalate',
        'escalation_resolved',
        'recovery_completed',
      ]);
      expect(direct).toEqual([
        'error_detected',
        'escalated',
        'escalation_resolved',
        'recovery_completed',
      ]);
      expect(hub.pendingEscalations()).toEqual([]);
    },
  );

  // Resolution's TSDoc: `abort` "errors with the `EscalationError` (its message carries
  // `reason`)"; `reason`: "Why, for the `escalation_resolved` signal and the logs".
  it("abort's reason reaches the EscalationError's message", () => {
    const run = paused();
    const [record] = run.hub.pendingEscalations();
    run.hub.resolveEscalation(record?.id ?? '', { action: 'abort', reason: 'not worth it' });
    expect(run.errors).toHaveLength(1);
    expect((run.errors[0] as Error).message).toContain('not worth it');
  });

  it("abort's reason reaches the escalation_resolved signal; the error keeps record and cause", () => {
    const { hub, signals } = waitingHub();
    const run = paused(hub);
    const [record] = hub.pendingEscalations();
    hub.resolveEscalation(record?.id ?? '', { action: 'abort', reason: 'not worth it' });
    expect(signals.find((s) => s.type === 'escalation_resolved')).toMatchObject({
      action: 'abort',
      reason: 'not worth it',
    });
    expect(run.errors[0]).toMatchObject({
      name: 'EscalationError',
      message:
        'Escalated to a human: Error: Quorum not reached: 1 of 3 reviewers approved (aborted: not worth it)',
      record: { id: record?.id, patternId: 'quorum_consensus_failed' },
      cause: quorumError,
    });
    // Without a reason: the message of the escalation, and no `reason` on the signal.
    const plain = paused(hub);
    hub.resolveEscalation(hub.pendingEscalations()[0]?.id ?? '', { action: 'abort' });
    expect((plain.errors[0] as Error).message).toBe(
      'Escalated to a human: Error: Quorum not reached: 1 of 3 reviewers approved',
    );
    expect(signals.filter((s) => s.type === 'escalation_resolved').at(-1)).not.toHaveProperty(
      'reason',
    );
  });

  // README: "an invalid one throws a RecoveryConfigError at the caller and never reaches
  // the stream"; the check's own message is "resolution.source: must be an ObservableInput".
  it('a `source` that is not an ObservableInput is refused, not handed to the stream', () => {
    const run = paused();
    const [record] = run.hub.pendingEscalations();
    let thrown: unknown;
    try {
      run.hub.resolveEscalation(record?.id ?? '', { action: 'source', source: {} as never });
    } catch (error) {
      thrown = error;
    }
    expect(isRecoveryConfigError(thrown)).toBe(true);
    expect(run.errors).toEqual([]);
    expect(run.hub.pendingEscalations()).toHaveLength(1);
    run.subscription.unsubscribe();
  });

  it('takes as a `source` what RxJS `from` takes, but a string', async () => {
    const interop = { [Symbol.observable ?? '@@observable']: () => of('interop') };
    async function* generated() {
      yield 'async iterable';
    }
    const accepted: unknown[] = [
      of('observable'),
      interop,
      Promise.resolve('promise'),
      ['array'],
      { length: 1, 0: 'array-like' },
      new Set(['iterable']),
      generated(),
      new ReadableStream({
        start: (controller) => {
          controller.enqueue('stream');
          controller.close();
        },
      }),
    ];
    const values: string[] = [];
    for (const source of accepted) {
      const run = paused();
      const id = run.hub.pendingEscalations()[0]?.id ?? '';
      expect(run.hub.resolveEscalation(id, { action: 'source', source: source as never })).toBe(
        true,
      );
      await run.done; // a promise, an async iterable or a stream answers after microtasks
      expect(run.completed()).toBe(true);
      values.push(...run.values);
    }
    expect(values).toEqual([
      'observable',
      'interop',
      'promise',
      'array',
      'array-like',
      'iterable',
      'async iterable',
      'stream',
    ]);
    for (const source of ['abc', 42, () => of(1), { length: '1' }, null]) {
      const run = paused();
      const id = run.hub.pendingEscalations()[0]?.id ?? '';
      expect(() =>
        run.hub.resolveEscalation(id, { action: 'source', source: source as never }),
      ).toThrow('resolution.source: must be an ObservableInput');
      expect(run.hub.pendingEscalations()).toHaveLength(1);
      run.subscription.unsubscribe();
    }
  });

  // hub.resolveEscalation TSDoc: "@throws RecoveryConfigError for a resolution that is not one".
  it('a resolution whose `action` getter throws is refused with RecoveryConfigError', () => {
    const hub = createRecoveryHub();
    const hostile = {
      get action(): string {
        throw new Error('getter');
      },
    };
    let thrown: unknown;
    try {
      hub.resolveEscalation('x', hostile as never);
    } catch (error) {
      thrown = error;
    }
    expect(isRecoveryConfigError(thrown)).toBe(true);
    expect(isRecoveryConfigError(thrown) && thrown.issues).toEqual([
      'resolution: could not be read (Error: getter)',
    ]);
  });

  it('reads a resolution once: what was checked is what the stream acts on', () => {
    let reads = 0;
    const fickle = {
      get action(): string {
        reads += 1;
        if (reads > 1) throw new Error('read twice');
        return 'complete';
      },
    };
    const run = paused();
    const id = run.hub.pendingEscalations()[0]?.id ?? '';
    expect(run.hub.resolveEscalation(id, fickle as never)).toBe(true);
    expect(run.completed()).toBe(true);
    expect(reads).toBe(1);
  });

  // awaitEscalation: an invalid resolution from `resolve` is reported (observer_error); DESIGN:
  // a consumer's throw must never "crash the process".
  it('a hostile resolution from escalation.resolve is reported, not thrown out of RxJS', async () => {
    const hostile = {
      get action(): string {
        throw new Error('getter');
      },
    };
    const unhandled: unknown[] = [];
    const previous = rxConfig.onUnhandledError;
    rxConfig.onUnhandledError = (error) => unhandled.push(error);
    vi.useFakeTimers(); // RxJS reports an unhandled error from a timer
    const signals: RecoverySignal[] = [];
    try {
      const source = new Subject<string>();
      source
        .pipe(
          withRecovery<string>(undefined, {
            signals: { next: (signal) => signals.push(signal) },
            maxAttempts: 0,
            escalation: {
              await: true,
              resolve: () => of(hostile as unknown as Resolution<string>),
            },
          }),
        )
        .subscribe({ error: () => {} });
      source.error(quorumError);
      await vi.runAllTimersAsync();
    } finally {
      rxConfig.onUnhandledError = previous;
      vi.useRealTimers();
    }
    expect(unhandled).toEqual([]);
    expect(signals.map((s) => s.type)).toContain('observer_error');
  });

  it('does not ask resolve when the hub resolved during the announcement', () => {
    const hub = createRecoveryHub();
    hub.signals.subscribe((signal) => {
      if (signal.type === 'escalated') {
        hub.resolveEscalation(signal.record.id, { action: 'value', value: 'from the hub' });
      }
    });
    const asked: EscalationRecord[] = [];
    const run = paused(hub, {
      resolve: (record: EscalationRecord) => {
        asked.push(record);
        return of({ action: 'value', value: 'from resolve' });
      },
    });
    expect(run.values).toEqual(['from the hub']);
    expect(asked).toEqual([]);
  });
});
