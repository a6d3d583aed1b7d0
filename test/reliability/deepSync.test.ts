import {
  defer,
  type MonoTypeOperatorFunction,
  type Observable,
  observeOn,
  of,
  queueScheduler,
  scheduled,
  subscribeOn,
  throwError,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type ErrorPattern, type WithRecoveryOptions, withRecovery } from '../../src/index.js';

/**
 * 100,000 synchronous failures in a row under zero-delay, unlimited plans: each one is a
 * turn of the engine's loop, not a stack frame (RxJS `retry` overflows near 7,000), and
 * `queueScheduler` keeps working however the stream is scheduled on it.
 */

const FAILURES = 100_000;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

const flaky = (strategy: ErrorPattern['strategy'], maxRetries = UNLIMITED): ErrorPattern[] => [
  { id: 'flaky', errorType: 'transient', match: /flaky/, strategy, maxRetries },
];

/** Frames on the stack right now. */
function stackDepth(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.POSITIVE_INFINITY;
  const depth = (new Error().stack ?? '').split('\n').length;
  Error.stackTraceLimit = limit;
  return depth;
}

/**
 * A source whose first `failures` subscriptions throw a fresh error synchronously, and whose
 * next one emits 'done'. It records the stack depth at its 2nd and last failing subscription.
 */
function failing(failures: number) {
  const state = { subscriptions: 0, depths: [] as number[], last: undefined as unknown };
  const source = defer(() => {
    state.subscriptions += 1;
    if (state.subscriptions === 2 || state.subscriptions === failures)
      state.depths.push(stackDepth());
    if (state.subscriptions > failures) return of('done');
    state.last = new Error(`flaky #${state.subscriptions}`);
    return throwError(() => state.last);
  });
  return { source, state };
}

/** Subscribes and returns what arrived, synchronously. */
function outcome<T>(stream: Observable<T>) {
  const result = { values: [] as T[], error: undefined as unknown, completed: false };
  stream.subscribe({
    next: (value) => result.values.push(value),
    error: (error: unknown) => (result.error = error),
    complete: () => (result.completed = true),
  });
  return result;
}

/** queueScheduler still runs work at once, and trampolines nested work after it, in order. */
function expectQueueSchedulerUsable() {
  const log: string[] = [];
  queueScheduler.schedule(() => {
    log.push('outer start');
    queueScheduler.schedule(() => log.push('nested'));
    log.push('outer end');
  });
  expect(log).toEqual(['outer start', 'outer end', 'nested']);
  const values: number[] = [];
  scheduled([1, 2, 3], queueScheduler).subscribe((v) => values.push(v));
  expect(values).toEqual([1, 2, 3]);
}

const zeroDelay = <T = never>(extra: WithRecoveryOptions<T> = {}): WithRecoveryOptions<T> => ({
  maxAttempts: UNLIMITED,
  retry: { baseDelayMs: 0 },
  ...extra,
});

describe('100,000 synchronous failures', () => {
  it('retries each at once and emits the value after them, with no deeper stack at the last', () => {
    const { source, state } = failing(FAILURES);
    const result = outcome(source.pipe(withRecovery(flaky('retry'), zeroDelay())));
    expect(result).toEqual({ values: ['done'], error: undefined, completed: true });
    expect(state.subscriptions).toBe(FAILURES + 1);
    const [second, last] = state.depths;
    expect(last).toBe(second);
  });

  it('ends with the last error, untouched, when a budget of exactly 100,000 runs out', () => {
    const { source, state } = failing(FAILURES + 1);
    const result = outcome(source.pipe(withRecovery(flaky('retry', FAILURES), zeroDelay())));
    expect(result.values).toEqual([]);
    expect(result.error).toBe(state.last);
    expect((result.error as Error).message).toBe(`flaky #${FAILURES + 1}`);
    expect(state.subscriptions).toBe(FAILURES + 1);
  });

  it('escalates after maxAttempts of 100,000 steps', () => {
    const { source, state } = failing(FAILURES + 1);
    const result = outcome(
      source.pipe(
        withRecovery(flaky(['retry', 'escalate']), { ...zeroDelay(), maxAttempts: FAILURES }),
      ),
    );
    expect(result.error).toMatchObject({ name: 'EscalationError', cause: state.last });
    expect(state.subscriptions).toBe(FAILURES + 1);
  });

  it.each<[string, MonoTypeOperatorFunction<string>]>([
    ['subscribeOn(queueScheduler)', subscribeOn(queueScheduler)],
    ['observeOn(queueScheduler)', observeOn(queueScheduler)],
  ])('finishes when the source is scheduled with %s, and queueScheduler still works', (_, on) => {
    const { source, state } = failing(FAILURES);
    const result = outcome(source.pipe(on, withRecovery(flaky('retry'), zeroDelay())));
    expect(result).toEqual({ values: ['done'], error: undefined, completed: true });
    expect(state.subscriptions).toBe(FAILURES + 1);
    expect(state.depths[1]).toBe(state.depths[0]);
    expectQueueSchedulerUsable();
  });

  it('finishes inside a queueScheduler action, trampolined, and queueScheduler still works', () => {
    const { source, state } = failing(FAILURES);
    const log: string[] = [];
    let result: ReturnType<typeof outcome<string>> | undefined;
    queueScheduler.schedule(() => {
      log.push('action start');
      result = outcome(
        source.pipe(subscribeOn(queueScheduler), withRecovery(flaky('retry'), zeroDelay())),
      );
      // Inside an action the subscription is queued: nothing has run yet.
      expect(state.subscriptions).toBe(0);
      log.push('action end');
    });
    expect(log).toEqual(['action start', 'action end']);
    expect(result).toEqual({ values: ['done'], error: undefined, completed: true });
    expect(state.subscriptions).toBe(FAILURES + 1);
    // Each failure is one queued action, run by the queue's loop: the stack stays flat.
    expect(state.depths[1]).toBe(state.depths[0]);
    expectQueueSchedulerUsable();
  });

  it('ends with the last error inside a queueScheduler action too', () => {
    const { source, state } = failing(FAILURES + 1);
    let result: ReturnType<typeof outcome<string>> | undefined;
    queueScheduler.schedule(() => {
      result = outcome(
        source.pipe(observeOn(queueScheduler), withRecovery(flaky('retry', FAILURES), zeroDelay())),
      );
    });
    expect(result?.error).toBe(state.last);
    expect(state.subscriptions).toBe(FAILURES + 1);
    expectQueueSchedulerUsable();
  });

  it('runs 100,000 synchronously failing alternatives in a loop', () => {
    const count = 100_000;
    let calls = 0;
    const alternatives = Array.from({ length: count }, (_, i) => () => {
      calls += 1;
      return i === count - 1 ? of('alternative') : throwError(() => new Error(`flaky alt ${i}`));
    });
    const { source } = failing(1);
    const result = outcome(
      source.pipe(
        withRecovery(flaky('alternative'), zeroDelay({ alternatives: { flaky: alternatives } })),
      ),
    );
    expect(result).toEqual({ values: ['alternative'], error: undefined, completed: true });
    expect(calls).toBe(count);
  });

  it('runs 100,000 synchronously failing degradation levels in a loop, down to the value level', () => {
    const levels = [
      ...Array.from({ length: FAILURES }, (_, i) => ({
        name: `level ${i}`,
        source: () => throwError(() => new Error(`flaky level ${i}`)),
      })),
      { name: 'stub', value: 'stub' },
    ];
    const { source } = failing(1);
    const result = outcome(
      source.pipe(withRecovery(flaky('degrade'), zeroDelay({ degradation: { levels } }))),
    );
    expect(result).toEqual({ values: ['stub'], error: undefined, completed: true });
  });

  it('runs 100,000 synchronously failing corrections in a loop', () => {
    let calls = 0;
    const corrections = [
      {
        id: 'stubborn',
        correct: () =>
          ++calls < FAILURES ? throwError(() => new Error(`flaky fix ${calls}`)) : of('fixed'),
      },
    ];
    const { source } = failing(1);
    const result = outcome(source.pipe(withRecovery(flaky('correct'), zeroDelay({ corrections }))));
    expect(result).toEqual({ values: ['fixed'], error: undefined, completed: true });
    expect(calls).toBe(FAILURES);
  });
});
