import { type Observable, type ObservableInput, throwError } from 'rxjs';
import type { Classification } from '../../patterns/classifier.js';
import type { RecoveryStrategy } from '../../patterns/errorTypes.js';
import type { AttemptContext } from '../../strategies/context.js';
import type { EscalationError, EscalationRecord } from '../../strategies/EscalationError.js';
import type { RecoveryStep, StrategySet } from '../../strategies/strategy.js';

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
  /** Steps spent, per pattern (by identity; unmatched errors share one row) and strategy. */
  readonly spent: Map<object, number[]>;
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
  readonly mayRetry?: (strategy: 'retry' | 'correct') => boolean;
}

/** What is known when an error arrives. */
export interface DecisionInput<T> {
  readonly error: unknown;
  readonly classification: Classification;
  /** The source the operator was applied to: what a retry resubscribes. */
  readonly source: Observable<T>;
  /** Scheduler time now. */
  readonly now: number;
  /** Steps the current recovery has taken so far. */
  readonly recoveryAttempts: number;
  /** The attempt's context, built for a strategy that reads it (retry does not). */
  readonly context: (attempt: number) => AttemptContext;
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
      readonly degradationLevel?: string;
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

/** Index of each strategy in a budget row. */
const SLOT: Readonly<Record<RecoveryStrategy, number>> = /* @__PURE__ */ Object.freeze({
  retry: 0,
  alternative: 1,
  degrade: 2,
  correct: 3,
  escalate: 4,
});
/** The budget row of errors no pattern matched. */
const UNMATCHED = /* @__PURE__ */ Object.freeze({});
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
  const { pattern, plan } = classification;
  const maxRetries = pattern?.maxRetries ?? limits.unmatchedMaxRetries;
  const row = state.spent.get(pattern ?? UNMATCHED);
  let skipped: ('retry' | 'correct')[] | undefined;
  for (const strategy of plan) {
    const run = state.strategies[strategy];
    if (run === undefined) continue;
    const escalating = strategy === 'escalate';
    if (!escalating && state.attemptsTaken >= limits.maxAttempts) continue;
    const used = row?.[SLOT[strategy]] ?? 0;
    const paid = strategy === 'retry' || strategy === 'correct';
    if (paid && used >= maxRetries) continue;
    const attempt = used + 1;
    let step: RecoveryStep<T> | null;
    try {
      step = run(
        error,
        {
          context: () => input.context(attempt),
          classification,
          source: input.source,
          now: input.now,
          recoveryAttempts: input.recoveryAttempts,
        },
        attempt,
      );
    } catch (thrown) {
      // A user callback (shouldRetry, delayFromError…) threw: the step fails with it.
      step = { kind: 'subscribe', source: throwError(() => thrown), delayMs: 0 };
    }
    if (step === null) continue;
    if (step.kind === 'escalate') {
      return { ...step, skipped: skipped ?? NONE };
    }
    if (paid && limits.mayRetry !== undefined && !limits.mayRetry(strategy)) {
      (skipped ??= []).push(strategy);
      continue;
    }
    charge(state, pattern ?? UNMATCHED, SLOT[strategy], attempt);
    return {
      kind: 'step',
      strategy: strategy as Exclude<RecoveryStrategy, 'escalate'>,
      attempt,
      source: step.source,
      delayMs: step.delayMs,
      ...(step.degradationLevel === undefined ? {} : { degradationLevel: step.degradationLevel }),
      skipped: skipped ?? NONE,
    };
  }
  return { kind: 'spent', skipped: skipped ?? NONE };
}

function charge<T>(state: PlanState<T>, key: object, slot: number, attempt: number): void {
  let row = state.spent.get(key);
  if (row === undefined) {
    row = [0, 0, 0, 0, 0];
    state.spent.set(key, row);
  }
  row[slot] = attempt;
  state.attemptsTaken += 1;
}
