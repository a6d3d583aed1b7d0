import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createCircuitBreaker,
  createRecoveryHub,
  type EscalationRecord,
  isRecoveryConfigError,
  withRecovery,
} from '../../src/index.js';
import { timeoutError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

describe('review: deadlineMs while an escalation waits for a person', () => {
  it('does not escalate the same recovery a second time', () => {
    const hub = createRecoveryHub();
    const told: EscalationRecord[] = [];
    let pending: number | undefined;
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const result = cold('-#', undefined, timeoutError).pipe(
        withRecovery(undefined, {
          hub,
          deadlineMs: 100,
          retry: { baseDelayMs: 1 },
          escalation: { await: true, onEscalate: (record) => void told.push(record) },
        }),
      );
      // Three retries (1, 2, 4 ms), then at 11 the plan escalates and waits for a person.
      expectObservable(result, '^ 200ms !').toBe('');
      asyncScheduler.schedule(() => {
        pending = hub.pendingEscalations().length;
      }, 150);
      flush();
    });
    // today: at 101 the deadline escalates again: onEscalate is called a second time (with
    // the DeadlineExceededError) and two records of one subscription wait
    expect(told.map((record) => record.message)).toEqual(['Error: Request timed out']);
    expect(pending).toBe(1);
  });
});

describe('review: a large trip count is accepted by the checks, then throws a RangeError', () => {
  it.each([
    { consecutive: 2 ** 31 },
    { consecutive: Number.MAX_SAFE_INTEGER },
    { rate: 0.5, minimumCalls: 10, window: { calls: 2 ** 32 } },
  ])('createCircuitBreaker({ trip: %j }) makes a breaker or throws RecoveryConfigError', (trip) => {
    let thrown: unknown;
    try {
      createCircuitBreaker({ trip }).dispose();
    } catch (error) {
      thrown = error;
    }
    // today: RangeError: Invalid typed array length
    if (thrown !== undefined) expect(isRecoveryConfigError(thrown)).toBe(true);
  });
});
