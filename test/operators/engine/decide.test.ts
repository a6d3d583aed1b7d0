import { EMPTY, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  charge,
  decide,
  newPlanState,
  type PlanLimits,
  type PlanState,
  resetBudgets,
} from '../../../src/operators/engine/decide.js';
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
const limits: PlanLimits = { maxAttempts: 10, unmatchedMaxRetries: 3 };
const fallback = of('cached');

function fresh() {
  return newPlanState<string>({
    retry: retryStrategy(retry),
    alternative: alternativeStrategy({ slow: [() => fallback] }),
    escalate: escalateStrategy({ terminal: 'error' }),
  });
}

/**
 * A decision as plain values: what `decide` returned, charged to the state as the engine
 * charges a step it takes.
 */
function decideNow(state: PlanState<string>, planLimits: PlanLimits, given = input()) {
  const decision = decide(state, planLimits, given);
  const { step } = decision;
  if (decision.step !== null && decision.step.kind === 'subscribe') {
    charge(state, given.classification.pattern ?? null, decision.strategy, decision.attempt);
  }
  return {
    kind: step === null ? 'spent' : step.kind,
    strategy: decision.step === null ? undefined : decision.strategy,
    attempt: decision.step === null ? undefined : decision.attempt,
    delayMs: step?.kind === 'subscribe' ? step.delayMs : undefined,
    record: step?.kind === 'escalate' ? step.record : undefined,
    skipped: decision.skipped,
  };
}

describe('decide: (state, error) → the next step', () => {
  it('walks the plan: retries within budget with backoff, then the alternative, then escalation', () => {
    const state = fresh();
    const steps = [1, 2, 3, 4].map((n) => decideNow(state, limits, input(n * 1000, n - 1)));
    expect(steps.map((d) => d.kind)).toEqual(['subscribe', 'subscribe', 'subscribe', 'escalate']);
    expect(steps.slice(0, 3).map((d) => [d.strategy, d.attempt, d.delayMs])).toEqual([
      ['retry', 1, 100],
      ['retry', 2, 200],
      ['alternative', 1, 0],
    ]);
    const escalation = steps[3];
    expect(escalation?.strategy).toBe('escalate');
    expect(escalation?.record).toMatchObject({
      createdAt: 4000,
      errorType: 'timeout',
      patternId: 'slow',
      attempts: 3,
    });
    expect(state.attemptsTaken).toBe(3); // escalation costs no step
  });

  it('moves past steps once maxAttempts is spent, to escalate only', () => {
    const state = fresh();
    const decision = decideNow(state, { ...limits, maxAttempts: 0 });
    expect(decision.kind).toBe('escalate');
  });

  it('says "spent" (null) when the plan has nothing left', () => {
    const state = newPlanState<string>({ retry: retryStrategy(retry) });
    expect(decideNow(state, limits).kind).toBe('subscribe');
    expect(decideNow(state, limits).kind).toBe('subscribe');
    expect(decide(state, limits, input())).toEqual({ step: null, skipped: [] });
  });

  it('skips a retry a shared budget will not pay for, and says so', () => {
    const state = fresh();
    const decision = decideNow(state, { ...limits, mayRetry: () => false });
    expect(decision).toMatchObject({
      kind: 'subscribe',
      strategy: 'alternative',
      skipped: ['retry'],
    });
  });

  it('fails the step with what a throwing strategy threw, instead of throwing', () => {
    const state = newPlanState<string>({
      retry: () => {
        throw new Error('shouldRetry blew up');
      },
    });
    const decision = decideNow(state, limits);
    expect(decision).toMatchObject({ kind: 'subscribe', strategy: 'retry', delayMs: 0 });
  });

  it('makes every budget whole again on reset', () => {
    const state = fresh();
    decideNow(state, limits);
    decideNow(state, limits);
    expect(decideNow(state, limits)).toMatchObject({ strategy: 'alternative', attempt: 1 });
    resetBudgets(state);
    expect(state.attemptsTaken).toBe(0);
    expect(decideNow(state, limits)).toMatchObject({ strategy: 'retry', attempt: 1 });
  });

  it('only reads the plan state: a step costs budget when the engine charges it', () => {
    const state = fresh();
    const first = decide(state, limits, input());
    const again = decide(state, limits, input());
    expect([first.step?.kind, again.step?.kind]).toEqual(['subscribe', 'subscribe']);
    expect(first).toMatchObject({ strategy: 'retry', attempt: 1 });
    expect(again).toMatchObject({ strategy: 'retry', attempt: 1 }); // nothing was charged
    expect(state.attemptsTaken).toBe(0);
    expect(state.spent.size).toBe(0);
    charge(state, input().classification.pattern ?? null, 'retry', 1);
    expect(decide(state, limits, input())).toMatchObject({ strategy: 'retry', attempt: 2 });
    expect(state.attemptsTaken).toBe(1);
  });
});
