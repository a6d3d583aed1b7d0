import { z } from 'zod';
import { functionOption as fn } from '../patterns/RecoveryConfigError.js';
import type { RecoveryStep, StepInput, Strategy } from './context.js';

/**
 * Jitter spreads retries of many clients apart; see {@link backoffDelay} for the formulas.
 *
 * In plain words: `'none'` waits exactly the backoff, `'full'` anywhere from 0 to it,
 * `'equal'` between half of it and all of it, `'decorrelated'` a random step from the
 * previous delay.
 *
 * @example
 * ```ts
 * import { type Jitter, retryBackoff } from 'rx-recovery';
 *
 * const jitter: Jitter = 'equal';
 * request$.pipe(retryBackoff({ baseDelayMs: 1000, jitter }));
 * // Waits 500–1000 ms, then 1000–2000 ms, then 2000–4000 ms
 * ```
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

export const RetryOptionsSchema = z.strictObject({
  /** Delay of the first retry; each later one doubles. @default 1000 */
  baseDelayMs: z.number().min(0).default(1000),
  /** Upper bound of any computed delay. @default 8000 */
  maxDelayMs: z.number().min(0).default(8000),
  /** How retries are spread apart; see {@link Jitter}. @default 'none' */
  jitter: z.enum(['none', 'full', 'equal', 'decorrelated']).default('none'),
  /** Source of randomness in [0, 1) for jitter. @default Math.random */
  random: fn<() => number>('() => number in [0, 1)').optional(),
  /** Reset retry budgets once the source emits again, as RxJS `retry`. @default false */
  resetOnSuccess: z.boolean().default(false),
  /** A delay the error dictates (`retryAfterMs`, a Retry-After header); `undefined` keeps the backoff. */
  delayFromError: fn<(error: unknown, attempt: number) => number | undefined>(
    '(error, attempt) => number | undefined',
  ).optional(),
  /** Return false to skip retrying this error; the plan moves on. @default always */
  shouldRetry: fn<(error: unknown, attempt: number) => boolean>(
    '(error, attempt) => boolean',
  ).optional(),
});

/**
 * Options of the retry strategy (as written by users): the backoff of `retry` steps. The
 * budget is not here: it is the pattern's `maxRetries` (or `retryBackoff`'s).
 *
 * The delay before retry n is `min(baseDelayMs · 2^(n-1), maxDelayMs)`, then jitter; a
 * finite number from `delayFromError` replaces it (negative counts as 0).
 *
 * @example
 * ```ts
 * import { type RetryOptions, withRecovery } from 'rx-recovery';
 *
 * const retry: RetryOptions = {
 *   baseDelayMs: 200,
 *   maxDelayMs: 10_000,
 *   jitter: 'full',
 *   resetOnSuccess: true,
 *   delayFromError: (error) => (error as { retryAfterMs?: number }).retryAfterMs,
 *   // a bad request stays bad: do not retry it
 *   shouldRetry: (error) => (error as { status?: number }).status !== 400,
 * };
 * request$.pipe(withRecovery(undefined, { retry }));
 * ```
 *
 * @interface
 */
export type RetryOptions = z.input<typeof RetryOptionsSchema>;
/**
 * Retry options with defaults applied.
 *
 * @inline
 */
export type ResolvedRetryOptions = z.output<typeof RetryOptionsSchema>;

/** A draw of `random` held to [0, 1], so a faulty source cannot push a delay out of bounds. */
function unit(random: () => number): number {
  const value = random();
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
}

/**
 * The delay before retry number `attempt` (1-based):
 * `d = min(baseDelayMs · 2^(attempt-1), maxDelayMs)`, then jitter —
 * `none`: `d`; `full`: `random·d`; `equal`: `d/2 + random·d/2`;
 * `decorrelated`: `min(maxDelayMs, baseDelayMs + random·(3·previous − baseDelayMs))`,
 * where `previous` is the last delay (the base delay before the first retry).
 * Pure: the same inputs give the same delay.
 *
 * In plain words: the schedule `retry` steps follow, to plot or test yours against.
 *
 * @example
 * ```ts
 * import { backoffDelay } from 'rx-recovery';
 *
 * const options = { baseDelayMs: 1000, maxDelayMs: 8000, jitter: 'none' } as const;
 * [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options));
 * // → [1000, 2000, 4000, 8000, 8000]
 *
 * [1, 2, 3].map((attempt) => backoffDelay(attempt, { ...options, jitter: 'equal' }, () => 0.5));
 * // → [750, 1500, 3000]
 * ```
 * @param attempt The retry's number, from 1.
 * @param options `baseDelayMs`, `maxDelayMs` and `jitter`, as in {@link RetryOptions}
 * (all three required here).
 * @param random Source of randomness in [0, 1) for jitter. Defaults to `Math.random`.
 * @param previousDelayMs The previous delay, for `decorrelated` jitter. Defaults to
 * `options.baseDelayMs`.
 * @returns The delay in milliseconds, never above `maxDelayMs`.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<ResolvedRetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'jitter'>,
  random: () => number = Math.random,
  previousDelayMs: number = options.baseDelayMs,
): number {
  const { baseDelayMs, maxDelayMs, jitter } = options;
  const exponential = Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs);
  switch (jitter) {
    case 'none':
      return exponential;
    case 'full':
      return unit(random) * exponential;
    case 'equal':
      return exponential / 2 + (unit(random) * exponential) / 2;
    case 'decorrelated':
      return Math.min(
        maxDelayMs,
        baseDelayMs + unit(random) * Math.max(0, 3 * previousDelayMs - baseDelayMs),
      );
  }
}

/**
 * Retry: resubscribe the original source after the backoff delay. The engine enforces the
 * budget (the pattern's `maxRetries`); this decides the delay, honours `shouldRetry`, and
 * lets `delayFromError` dictate a delay (never negative).
 */
export function retryStrategy<T>(options: ResolvedRetryOptions): Strategy<T> {
  const random = options.random ?? Math.random;
  let previousDelayMs = options.baseDelayMs;
  return (error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> | null => {
    if (options.shouldRetry !== undefined && !options.shouldRetry(error, attempt)) return null;
    const dictated = options.delayFromError?.(error, attempt);
    const delayMs =
      typeof dictated === 'number' && Number.isFinite(dictated)
        ? Math.max(0, dictated)
        : backoffDelay(attempt, options, random, previousDelayMs);
    previousDelayMs = delayMs;
    return { kind: 'subscribe', source: input.source, delayMs };
  };
}
