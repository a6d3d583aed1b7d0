import { boolean, delay, fn, MAX_TIMER_MS, oneOf, type Rule, satisfies } from '../config/check.js';
import { dictatedDelay, retryAfterDelay } from './retryAfter.js';
import type { RecoveryStep, StepInput, Strategy } from './strategy.js';

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

/**
 * Options of the retry strategy: the backoff of `retry` steps. The budget is not here: it
 * is the pattern's `maxRetries` (or `retryBackoff`'s).
 *
 * The delay before retry n is `min(baseDelayMs · 2^(n-1), maxDelayMs)`, then jitter; a
 * delay the error dictates (`delayFromError`, by default {@link retryAfterDelay}) replaces
 * it, clamped to `[0, maxDictatedDelayMs]`.
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
 *   // a bad request stays bad: do not retry it
 *   shouldRetry: (error) => (error as { status?: number }).status !== 400,
 * };
 * request$.pipe(withRecovery(undefined, { retry }));
 * ```
 */
export interface RetryOptions {
  /** Delay of the first retry; each later one doubles. @default 1000 */
  baseDelayMs?: number | undefined;
  /** Upper bound of any computed delay; at least `baseDelayMs`. @default 8000 */
  maxDelayMs?: number | undefined;
  /** How retries are spread apart; see {@link Jitter}. @default 'none' */
  jitter?: Jitter | undefined;
  /** Source of randomness in [0, 1) for jitter. @default Math.random */
  random?: (() => number) | undefined;
  /** Reset retry budgets once the source emits again, as RxJS `retry`. @default false */
  resetOnSuccess?: boolean | undefined;
  /**
   * A delay the error dictates, called as `(error, attempt, now)` with `now` the
   * scheduler's time; `undefined` (or `NaN`, `Infinity`, a non-number) keeps the backoff.
   * `null` turns dictated delays off.
   * @default retryAfterDelay (`error.retryAfterMs`, then the `retry-after-ms` and `retry-after` headers)
   */
  delayFromError?: ((error: unknown, attempt: number, now: number) => number | undefined) | null;
  /** The longest delay an error may dictate; longer ones are cut to it. @default 60000 */
  maxDictatedDelayMs?: number | undefined;
  /** Return false to skip retrying this error; the plan moves on. @default always */
  shouldRetry?: ((error: unknown, attempt: number) => boolean) | undefined;
}

/**
 * Retry options with defaults applied.
 *
 * @inline
 */
export interface ResolvedRetryOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: Jitter;
  readonly random: () => number;
  readonly resetOnSuccess: boolean;
  readonly delayFromError:
    | ((error: unknown, attempt: number, now: number) => number | undefined)
    | null;
  readonly maxDictatedDelayMs: number;
  readonly shouldRetry?: ((error: unknown, attempt: number) => boolean) | undefined;
}

/** Checks of every {@link RetryOptions} field, for the operators' option shapes. */
export const retryOptionRules: Readonly<Record<keyof RetryOptions, Rule>> =
  /* @__PURE__ */ Object.freeze({
    baseDelayMs: /* @__PURE__ */ delay(),
    maxDelayMs: /* @__PURE__ */ delay(),
    jitter: /* @__PURE__ */ oneOf(['none', 'full', 'equal', 'decorrelated']),
    random: /* @__PURE__ */ fn('() => number in [0, 1)'),
    resetOnSuccess: boolean,
    delayFromError: /* @__PURE__ */ satisfies(
      (value) => value === null || typeof value === 'function',
      'must be a function (error, attempt, now) => number | undefined, or null',
    ),
    maxDictatedDelayMs: /* @__PURE__ */ delay(),
    shouldRetry: /* @__PURE__ */ fn('(error, attempt) => boolean'),
  });

/**
 * Applies the defaults to retry options already checked field by field, and checks what
 * involves two fields: `maxDelayMs ≥ baseDelayMs`.
 */
export function resolveRetryOptions(
  options: RetryOptions,
  path: string,
  issues: string[],
): ResolvedRetryOptions {
  const baseDelayMs = options.baseDelayMs ?? 1000;
  // Only numbers are compared: any other value has its own line already (and a symbol or a
  // bigint would throw in arithmetic).
  const numbers = typeof baseDelayMs === 'number';
  const maxDelayMs = options.maxDelayMs ?? (numbers ? Math.max(8000, baseDelayMs) : 8000);
  // Only between two valid values: a bad one has its own line already.
  if (
    numbers &&
    typeof maxDelayMs === 'number' &&
    baseDelayMs <= MAX_TIMER_MS &&
    maxDelayMs >= 0 &&
    maxDelayMs < baseDelayMs
  ) {
    issues.push(`${path}.maxDelayMs: must be ≥ baseDelayMs (${baseDelayMs})`);
  }
  return {
    baseDelayMs,
    maxDelayMs,
    jitter: options.jitter ?? 'none',
    random: options.random ?? Math.random,
    resetOnSuccess: options.resetOnSuccess ?? false,
    delayFromError: options.delayFromError === undefined ? retryAfterDelay : options.delayFromError,
    maxDictatedDelayMs: options.maxDictatedDelayMs ?? 60_000,
    shouldRetry: options.shouldRetry,
  };
}

/** `2 ** n` for n in 0–63. */
const POWERS: readonly number[] = /* @__PURE__ */ Object.freeze(
  Array.from({ length: 64 }, (_, n) => 2 ** n),
);

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
  // A table of powers of two: `2 ** n` with a variable `n` costs more than a retry loop turn
  // (~35 ns). Past the table the delay has long reached maxDelayMs, unless baseDelayMs is 0
  // (then it stays 0, where 0 × 2 ** 1024 would be NaN) or absurdly small (then `**`).
  const last = POWERS[63] as number;
  const power =
    attempt <= 64
      ? (POWERS[attempt - 1] as number)
      : baseDelayMs === 0 || baseDelayMs * last >= maxDelayMs
        ? last
        : 2 ** (attempt - 1);
  const exponential = Math.min(baseDelayMs * power, maxDelayMs);
  if (jitter === 'none') return exponential;
  // A draw held to [0, 1], so a faulty source cannot push a delay out of bounds.
  const drawn = random();
  const unit = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 0;
  return jitter === 'full'
    ? unit * exponential
    : jitter === 'equal'
      ? exponential / 2 + (unit * exponential) / 2
      : // decorrelated
        Math.min(maxDelayMs, baseDelayMs + unit * Math.max(0, 3 * previousDelayMs - baseDelayMs));
}

/**
 * Retry: resubscribe the original source after the backoff delay. The engine enforces the
 * budget (the pattern's `maxRetries`); this decides the delay, honours `shouldRetry`, and
 * lets the error dictate a delay (`delayFromError`), clamped to `[0, maxDictatedDelayMs]`
 * (and never beyond what a timer can hold); `NaN`, `Infinity` or a non-number keeps the
 * backoff.
 */
export function retryStrategy<T>(options: ResolvedRetryOptions): Strategy<T> {
  const { shouldRetry, delayFromError, maxDictatedDelayMs } = options;
  let previousDelayMs = options.baseDelayMs;
  return (error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> | null => {
    if (shouldRetry !== undefined && !shouldRetry(error, attempt)) return null;
    const dictated =
      delayFromError === retryAfterDelay
        ? dictatedDelay(error, input)
        : delayFromError?.(error, attempt, input.now);
    previousDelayMs = Number.isFinite(dictated)
      ? Math.min(Math.max(0, dictated as number), maxDictatedDelayMs, MAX_TIMER_MS)
      : backoffDelay(attempt, options, options.random, previousDelayMs);
    return { kind: 'subscribe', source: input.source, delayMs: previousDelayMs };
  };
}
