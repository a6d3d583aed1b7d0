import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createRecoveryHub, type EscalationRecord, withRecovery } from '../../src/index.js';
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
