import { defer, of, throwError } from 'rxjs';
import { eachValueFrom } from 'rxjs-for-await';
import { describe, expect, it } from 'vitest';
import { type ErrorPattern, isEscalationError, withRecovery } from '../../src/index.js';
import { timeoutError } from '../helpers/errors.js';

const instantRetry: ErrorPattern[] = [
  {
    id: 'flaky',
    errorType: 'transient',
    match: /timed out/,
    strategy: ['retry', 'escalate'],
    maxRetries: 2,
  },
];

describe('async iteration over a recovered stream (rxjs-for-await)', () => {
  it('yields every value of a stream recovered by retries', async () => {
    let attempt = 0;
    const source = defer(() =>
      ++attempt < 3 ? throwError(() => timeoutError) : of('a', 'b', 'c'),
    );
    const values: string[] = [];
    for await (const value of eachValueFrom(
      source.pipe(withRecovery(instantRetry, { retry: { baseDelayMs: 0 } })),
    )) {
      values.push(value);
    }
    expect(values).toEqual(['a', 'b', 'c']);
    expect(attempt).toBe(3);
  });

  it('throws the EscalationError out of the loop when recovery gives up', async () => {
    const source = defer(() => throwError(() => timeoutError));
    const values: unknown[] = [];
    let caught: unknown;
    try {
      for await (const value of eachValueFrom(
        source.pipe(withRecovery(instantRetry, { retry: { baseDelayMs: 0 } })),
      )) {
        values.push(value);
      }
    } catch (error) {
      caught = error;
    }
    expect(values).toEqual([]);
    expect(isEscalationError(caught)).toBe(true);
  });
});
