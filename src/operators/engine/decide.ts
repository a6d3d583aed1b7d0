import { throwError } from 'rxjs';
import type { RecoveryStrategy } from '../../patterns/errorTypes.js';
import type { RecoveryStep, StepInput, StrategySet } from '../../strategies/strategy.js';

/**
 * The engine's choice of the next step, as a function of (state, error) → decision: no
 * subscription, no scheduler, no signal. The operator around it (`engine.ts`) subscribes,
 * waits and publishes; this file decides. Like cockatiel's `backoff.next(context)`, it can
 * be tested with plain values.
 */

/** A step a retry budget may refuse to pay for. */
export type PaidStrategy = 'retry' | 'correct';

/**
 * What decisions of one subscription depend on, born with its first error. {@link decide}
 * only reads it; {@link charge} records a step that was taken.
 */
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
  readonly mayRetry?: ((strategy: PaidStrategy) => boolean) | undefined;
}

/**
 * What is known when an error arrives: the error, and what every strategy is given. The
 * engine passes one object per subscription, updated for each error.
 */
export interface DecisionInput<T> extends StepInput<T> {
  readonly error: unknown;
}

/**
 * What {@link decide} chose: the next step as its strategy gave it — subscribe a source
 * (after a delay), or escalate — with the strategy and its 1-based attempt for the error's
 * pattern; or `step: null`, nothing is left. Either way, the steps a retry budget could not
 * pay for, skipped on the way.
 */
export type Decision<T> =
  | {
      readonly step: RecoveryStep<T>;
      readonly strategy: RecoveryStrategy;
      readonly attempt: number;
      readonly skipped: readonly PaidStrategy[];
    }
  | { readonly step: null; readonly skipped: readonly PaidStrategy[] };

/** No step skipped: one frozen array, not one per decision. */
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
 * The plan's first step that still has budget and something to offer; `step: null` when
 * none has. `escalate` costs nothing and ignores `maxAttempts`. The plan state is only read:
 * the engine {@link charge}s a step it takes. (The strategies asked keep their own memory,
 * as strategies do: an alternative tried is not offered again.)
 */
export function decide<T>(
  state: PlanState<T>,
  limits: PlanLimits,
  input: DecisionInput<T>,
): Decision<T> {
  const { classification, error } = input;
  const { pattern = null } = classification;
  const maxRetries = pattern?.maxRetries ?? limits.unmatchedMaxRetries;
  const row = state.spent.get(pattern);
  let skipped: readonly PaidStrategy[] = NONE;
  for (const strategy of classification.plan) {
    const run = state.strategies[strategy];
    const paid = strategy === 'retry' || strategy === 'correct';
    const attempt = (row?.[strategy] ?? 0) + 1;
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
    if (step.kind === 'subscribe' && paid && limits.mayRetry?.(strategy) === false) {
      skipped = [...skipped, strategy];
      continue;
    }
    return { step, strategy, attempt, skipped };
  }
  return { step: null, skipped };
}

/**
 * Records a step the engine takes: its attempt for the pattern (by identity; `null` for
 * unmatched errors) and one attempt of the subscription. An `escalate` step costs nothing.
 */
export function charge<T>(
  state: PlanState<T>,
  pattern: object | null,
  strategy: RecoveryStrategy,
  attempt: number,
): void {
  let row = state.spent.get(pattern);
  if (row === undefined) {
    row = {};
    state.spent.set(pattern, row);
  }
  row[strategy] = attempt;
  state.attemptsTaken += 1;
}
