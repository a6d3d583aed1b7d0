import { identity, type MonoTypeOperatorFunction } from 'rxjs';
import { isEmptyOptions, number, shape, throwIfAny } from '../config/check.js';
import {
  type BudgetProtocol,
  budgetProtocolOf,
  budgetRule,
  type RetryBudget,
} from '../fleet/retryBudget.js';
import {
  type RetryOptions,
  resolveRetryOptions,
  retryOptionRules,
  retryStrategy,
} from '../strategies/retry.js';
import {
  type CommonOptions,
  commonRules,
  constantClassifier,
  engineConfig,
  UNBOUNDED_ATTEMPTS,
} from './engine/config.js';
import { recoveryOperator } from './engine/engine.js';
import { budgetOf } from './engine/fleetOptions.js';

/**
 * Options of {@link retryBackoff}: the retry options, a budget, and the common ones.
 *
 * @example
 * ```ts
 * import { retryBackoff, type RetryBackoffOptions } from 'rx-recovery';
 *
 * const options: RetryBackoffOptions = {
 *   maxRetries: 5,
 *   baseDelayMs: 200,
 *   maxDelayMs: 5000,
 *   jitter: 'full',
 *   shouldRetry: (error) => (error as { status?: number }).status !== 404, // missing stays missing
 *   delayFromError: (error) => (error as { retryAfterMs?: number }).retryAfterMs,
 * };
 * request$.pipe(retryBackoff(options));
 * ```
 */
export interface RetryBackoffOptions extends RetryOptions, CommonOptions {
  /**
   * Retries per subscription before the error goes through (with `resetOnSuccess`, after
   * each value the budget is whole again). `0` returns the source untouched when no
   * `signals`, `metrics`, `hub` or `budget` is given; `Infinity` retries for ever.
   * @default 3
   */
  maxRetries?: number | undefined;
  /**
   * A retry budget shared with other pipelines: each subscription deposits one request
   * (unless an operator downstream sharing the budget did for it), each retry withdraws one; a retry the budget cannot pay is skipped (a
   * `retry_budget_exhausted` signal) and the error goes through.
   */
  budget?: RetryBudget | undefined;
}

const retryBackoffRules = /* @__PURE__ */ shape({
  ...retryOptionRules,
  ...commonRules,
  maxRetries: /* @__PURE__ */ number({ min: 0, int: true, infinite: true }),
  budget: budgetRule,
});

/**
 * Retries the source with exponential backoff: `min(baseDelayMs · 2^(n-1), maxDelayMs)`,
 * with optional jitter, up to `maxRetries` times, then lets the error through untouched.
 * Every error is retried, whatever its type, unless `shouldRetry` says no.
 *
 * In plain words: RxJS `retry` with a schedule, a budget and signals.
 *
 * ```text
 * source:  --a--#
 * result:  --a-- 1s --a-- 2s --a-- 4s --a--#     (defaults: 3 retries, 1 s, 2 s, 4 s)
 * ```
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { retryBackoff } from 'rx-recovery';
 *
 * defer(() => fetch('/api/contracts')).pipe(retryBackoff({ maxRetries: 5, baseDelayMs: 200, jitter: 'full' }))
 *   .subscribe((response) => console.log(response.status));
 * // Output: 200 (after as many as 5 retries spaced 0–200, 0–400, 0–800 ms…)
 * ```
 * @param options See {@link RetryBackoffOptions}.
 * @returns An operator that retries the source.
 * @throws RecoveryConfigError, when the pipe is built, naming every bad option.
 * @see withRecovery
 */
export function retryBackoff<T>(options: RetryBackoffOptions = {}): MonoTypeOperatorFunction<T> {
  if (isEmptyOptions(options)) {
    // Nothing varies: one operator serves every call (its state is born per subscription).
    defaultOperator ??= build({});
    return defaultOperator as MonoTypeOperatorFunction<T>;
  }
  return build(options);
}

let defaultOperator: unknown;

function build<T>(options: RetryBackoffOptions): MonoTypeOperatorFunction<T> {
  const issues: string[] = [];
  retryBackoffRules(options, 'options', issues);
  const { maxRetries = 3, signals, metrics, hub, budget } = options;
  const retry = resolveRetryOptions(options, 'options', issues);
  throwIfAny(issues);
  if (
    maxRetries === 0 &&
    signals === undefined &&
    metrics === undefined &&
    hub === undefined &&
    budget === undefined // its requests still count
  ) {
    return identity;
  }
  return recoveryOperator<T>(
    engineConfig(options, {
      classifier: constantClassifier('retryBackoff', ['retry'], maxRetries),
      strategies: () => ({ retry: retryStrategy<T>(retry) }),
      resetOnSuccess: retry.resetOnSuccess,
      unmatchedMaxRetries: 0,
      maxAttempts: UNBOUNDED_ATTEMPTS,
      ...(budget && budgetOf<T>(budgetProtocolOf(budget) as BudgetProtocol)),
    }),
  );
}
