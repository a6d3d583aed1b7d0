import { describe, expect, it } from 'vitest';
import {
  type ErrorPattern,
  type RecoverySignal,
  retryBackoff,
  withRecovery,
} from '../../src/index.js';
import { quorumError, validationError } from '../helpers/errors.js';
import { testScheduler } from '../helpers/marbles.js';

const levels = [
  { name: 'full', value: 'full' },
  { name: 'reduced', value: 'reduced' },
  { name: 'minimal', value: 'minimal' },
];

describe('pattern metadata', () => {
  it.each([
    ['fallbackLevel', { fallbackLevel: 'minimal' }],
    ['fallback_level (the Python design)', { fallback_level: 'minimal' }],
  ])('%s makes a degrade step start at the named level', (_name, metadata) => {
    const patterns: ErrorPattern[] = [
      {
        id: 'custom_validation_error',
        errorType: 'validation',
        match: /ValidationError/,
        strategy: 'degrade',
        metadata,
      },
    ];
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('--#', undefined, validationError).pipe(
        withRecovery<string>(patterns, { degradation: { levels } }),
      );
      expectObservable(result).toBe('--(m|)', { m: 'minimal' });
    });
  });

  it('starts at the first level when the named level does not exist', () => {
    const patterns: ErrorPattern[] = [
      {
        id: 'v',
        errorType: 'validation',
        match: /ValidationError/,
        strategy: 'degrade',
        metadata: { fallbackLevel: 'nowhere' },
      },
    ];
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, validationError).pipe(
        withRecovery<string>(patterns, { degradation: { levels } }),
      );
      expectObservable(result).toBe('-(f|)', { f: 'full' });
    });
  });

  it('reaches the escalation record and the recovery result', () => {
    const signals: RecoverySignal[] = [];
    const metadata = { owner: 'review-team', runbook: 'https://runbooks/quorum' };
    const patterns: ErrorPattern[] = [
      {
        id: 'quorum',
        errorType: 'quorum',
        match: /Quorum not reached/,
        strategy: ['retry', 'escalate'],
        maxRetries: 1,
        metadata,
      },
    ];
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, quorumError).pipe(
        withRecovery<string>(patterns, {
          retry: { baseDelayMs: 1 },
          signals: { next: (signal) => signals.push(signal) },
        }),
      );
      expectObservable(result).toBe(
        '---#',
        undefined,
        expect.objectContaining({ name: 'EscalationError' }),
      );
    });
    const escalated = signals.find((s) => s.type === 'escalated');
    const completed = signals.find((s) => s.type === 'recovery_completed');
    expect(escalated?.type === 'escalated' && escalated.record.metadata).toEqual(metadata);
    expect(completed?.type === 'recovery_completed' && completed.result.metadata).toEqual(metadata);
  });
});

describe('delays an error dictates', () => {
  it('are clamped to maxDictatedDelayMs (default 60 s), so a huge one cannot overflow the timer', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, quorumError);
      const result = source.pipe(retryBackoff({ maxRetries: 1, delayFromError: () => 1e12 }));
      expectObservable(result).toBe('- 60000ms -#', undefined, quorumError);
      expectSubscriptions(source.subscriptions).toBe(['^!', '60001ms ^!']);
    });
  });

  it('honour Retry-After out of the box, and NaN, Infinity or a non-number keep the backoff', () => {
    const limited = Object.assign(new Error('HTTP 429'), { headers: { 'retry-after': '7' } });
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, limited);
      expectObservable(source.pipe(retryBackoff({ maxRetries: 1 }))).toBe(
        '- 7000ms -#',
        undefined,
        limited,
      );
      expectSubscriptions(source.subscriptions).toBe(['^!', '7001ms ^!']);
    });
    for (const dictated of [Number.NaN, Number.POSITIVE_INFINITY, '5' as never]) {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-#', undefined, quorumError);
        const result = source.pipe(
          retryBackoff({ maxRetries: 1, baseDelayMs: 10, delayFromError: () => dictated }),
        );
        expectObservable(result).toBe('- 10ms -#', undefined, quorumError);
      });
    }
  });

  it('can be turned off with delayFromError: null', () => {
    const limited = Object.assign(new Error('HTTP 429'), { retryAfterMs: 7000 });
    testScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, limited).pipe(
        retryBackoff({ maxRetries: 1, baseDelayMs: 10, delayFromError: null }),
      );
      expectObservable(result).toBe('- 10ms -#', undefined, limited);
    });
  });
});
