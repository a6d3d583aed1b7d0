import { type ObservableInput, throwError } from 'rxjs';
import type { RecoveryStrategy } from '../../patterns/errorTypes.js';
import type { EscalationError, EscalationRecord } from '../../strategies/EscalationError.js';
import type { RecoveryStep, StepInput, StrategySet } from '../../strategies/strategy.js';

/**
 * The engine's choice of the next step, as a function of (state, error) → decision: no
 * subscription, no scheduler, no signal. The operator around it (`engine.ts`) subscribes,
 * waits and publishes; this file decides. Like cockatiel's `backoff.next(context)`, it can
 * be tested with plain values.
 */

/** What decisions of one subscription depend on; born with its first error. */
export interface PlanState<T> {
  /** The strategies of this subscription (they keep their own memory: alternatives tried…). */
  readonly strategies: Partial<StrategySet<T>>;
  /**
   * Steps spent, per pattern (by identity; unmatched errors share the row of `null`) and
   * strategy.
   */
  readonly spent: Map<object | null, Partial<Record<RecoveryStrategy, number>>>;
  /** Steps taken by this subscription, all patterns together. */
  attemptsTaken: number;
}

/** The bounds a plan runs within. */
export interface PlanLimits {
  /** Steps per subscription; then only `escalate` may run. */
  readonly maxAttempts: number;
  /** Budget of `retry` and `correct` steps for errors no pattern matched. */
  readonly unmatchedMaxRetries: number;
  /**
   * Asked before a `retry` or `correct` step runs (a shared retry budget): `false` skips
   * the step, and the plan moves on.
   */
  readonly mayRetry?: ((strategy: 'retry' | 'correct') => boolean) | undefined;
}

/**
 * What is known when an error arrives: the error, and what every strategy is given. The
 * engine passes one object per subscription, updated for each error.
 */
export interface DecisionInput<T> extends StepInput<T> {
  readonly error: unknown;
}

/** The next step: subscribe a source (after a delay), escalate, or nothing is left. */
export type Decision<T> =
  | {
      readonly kind: 'step';
      readonly strategy: Exclude<RecoveryStrategy, 'escalate'>;
      /** 1-based count of this step for this pattern. */
      readonly attempt: number;
      readonly source: ObservableInput<T>;
      readonly delayMs: number;
      /** The degradation level serving, for a `degrade` step. */
      readonly degradationLevel: string | undefined;
      /** Steps a retry budget could not pay for before this one. */
      readonly skipped: readonly ('retry' | 'correct')[];
    }
  | {
      readonly kind: 'escalate';
      readonly record: EscalationRecord;
      readonly error: EscalationError;
      readonly complete: boolean;
      readonly skipped: readonly ('retry' | 'correct')[];
    }
  | { readonly kind: 'spent'; readonly skipped: readonly ('retry' | 'correct')[] };

/** What `decide` returns when no budget skipped a step: one frozen array, not one per call. */
const NONE: readonly never[] = /* @__PURE__ */ Object.freeze([]);

/** A fresh state for a subscription that has just met its first error. */
export function newPlanState<T>(strategies: Partial<StrategySet<T>>): PlanState<T> {
  return { strategies, spent: new Map(), attemptsTaken: 0 };
}

/** Every budget whole again (`resetOnSuccess`, or a person's "retry"). */
export function resetBudgets<T>(state: PlanState<T>): void {
  state.spent.clear();
  state.attemptsTaken = 0;
}

/**
 * The plan's first step that still has budget and something to offer, charged to the
 * budgets; `spent` when none has. `escalate` costs nothing and ignores `maxAttempts`.
 */
export function decide<T>(
  state: PlanState<T>,
  limits: PlanLimits,
  input: DecisionInput<T>,
): Decision<T> {
  const { classification, error } = input;
  const { pattern = null } = classification;
  const maxRetries = pattern?.maxRetries ?? limits.unmatchedMaxRetries;
  let row = state.spent.get(pattern);
  if (row === undefined) {
    row = {};
    state.spent.set(pattern, row);
  }
  let skipped: readonly ('retry' | 'correct')[] = NONE;
  for (const strategy of classification.plan) {
    const run = state.strategies[strategy];
    const paid = strategy === 'retry' || strategy === 'correct';
    const attempt = (row[strategy] ?? 0) + 1;
    if (
      run === undefined ||
      (strategy !== 'escalate' && state.attemptsTaken >= limits.maxAttempts) ||
      (paid && attempt > maxRetries)
    ) {
      continue;
    }
    let step: RecoveryStep<T> | null;
    try {
      step = run(error, input, attempt);
    } catch (thrown) {
      // A user callback (shouldRetry, delayFromError…) threw: the step fails with it.
      step = { kind: 'subscribe', source: throwError(() => thrown), delayMs: 0 };
    }
    if (step === null) continue;
    if (step.kind === 'escalate') return { ...step, skipped };
    if (paid && limits.mayRetry?.(strategy) === false) {
      skipped = [...skipped, strategy];
      continue;
    }
    row[strategy] = attempt;
    state.attemptsTaken += 1;
    return {
      kind: 'step',
      strategy: strategy as Exclude<RecoveryStrategy, 'escalate'>,
      attempt,
      source: step.source,
      delayMs: step.delayMs,
      degradationLevel: step.degradationLevel,
      skipped,
    };
  }
  return { kind: 'spent', skipped };
}
