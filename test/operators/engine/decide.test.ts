import { EMPTY, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { decide, newPlanState, resetBudgets } from '../../../src/operators/engine/decide.js';
import { createClassifier } from '../../../src/patterns/classifier.js';
import { alternativeStrategy } from '../../../src/strategies/alternative.js';
import type { AttemptContext } from '../../../src/strategies/context.js';
import { escalateStrategy } from '../../../src/strategies/escalate.js';
import { resolveRetryOptions, retryStrategy } from '../../../src/strategies/retry.js';

// The engine's decisions as plain values: no scheduler, no subscription.
const classifier = createClassifier([
  {
    id: 'slow',
    errorType: 'timeout',
    match: /timed out/,
    strategy: ['retry', 'alternative', 'escalate'],
    maxRetries: 2,
  },
]);
const timeout = new Error('timed out');
const retry = resolveRetryOptions({ baseDelayMs: 100 }, 'retry', []);
const context = (attempt: number): AttemptContext =>
  Object.freeze({
    correlationId: 'c',
    error: timeout,
    errorType: 'timeout',
    patternId: 'slow',
    attempt,
    signal: new AbortController().signal,
  });
const input = (now = 0, recoveryAttempts = 0) => ({
  error: timeout,
  classification: classifier.classify(timeout),
  source: EMPTY,
  now,
  recoveryAttempts,
  context,
});
const limits = { maxAttempts: 10, unmatchedMaxRetries: 3 };
const fallback = of('cached');

function fresh() {
  return newPlanState<string>({
    retry: retryStrategy(retry),
    alternative: alternativeStrategy({ slow: [() => fallback] }),
    escalate: escalateStrategy({ terminal: 'error' }),
  });
}

describe('decide: (state, error) → the next step', () => {
  it('walks the plan: retries within budget with backoff, then the alternative, then escalation', () => {
    const state = fresh();
    const steps = [1, 2, 3, 4].map((n) => decide(state, limits, input(n * 1000, n - 1)));
    expect(steps.map((d) => d.kind)).toEqual(['step', 'step', 'step', 'escalate']);
    expect(
      steps.slice(0, 3).map((d) => d.kind === 'step' && [d.strategy, d.attempt, d.delayMs]),
    ).toEqual([
      ['retry', 1, 100],
      ['retry', 2, 200],
      ['alternative', 1, 0],
    ]);
    const escalation = steps[3];
    expect(escalation?.kind === 'escalate' && escalation.record).toMatchObject({
      createdAt: 4000,
      errorType: 'timeout',
      patternId: 'slow',
      attempts: 3,
    });
    expect(state.attemptsTaken).toBe(3); // escalation costs no step
  });

  it('moves past steps once maxAttempts is spent, to escalate only', () => {
    const state = fresh();
    const decision = decide(state, { ...limits, maxAttempts: 0 }, input());
    expect(decision.kind).toBe('escalate');
  });

  it('says "spent" when the plan has nothing left', () => {
    const state = newPlanState<string>({ retry: retryStrategy(retry) });
    expect(decide(state, limits, input()).kind).toBe('step');
    expect(decide(state, limits, input()).kind).toBe('step');
    expect(decide(state, limits, input())).toEqual({ kind: 'spent', skipped: [] });
  });

  it('skips a retry a shared budget will not pay for, and says so', () => {
    const state = fresh();
    const decision = decide(state, { ...limits, mayRetry: () => false }, input());
    expect(decision).toMatchObject({ kind: 'step', strategy: 'alternative', skipped: ['retry'] });
  });

  it('fails the step with what a throwing strategy threw, instead of throwing', () => {
    const state = newPlanState<string>({
      retry: () => {
        throw new Error('shouldRetry blew up');
      },
    });
    const decision = decide(state, limits, input());
    expect(decision).toMatchObject({ kind: 'step', strategy: 'retry', delayMs: 0 });
  });

  it('makes every budget whole again on reset', () => {
    const state = fresh();
    decide(state, limits, input());
    decide(state, limits, input());
    resetBudgets(state);
    expect(state.attemptsTaken).toBe(0);
    expect(decide(state, limits, input())).toMatchObject({ strategy: 'retry', attempt: 1 });
  });
});
