import { safely } from './safely.js';

/**
 * The error a stream ends with when a recovery did not succeed within `deadlineMs` of its
 * first error (and its plan had no `escalate` step). `cause` is the recovery's last error.
 *
 * In plain words: "recovery took too long; here is what it was fighting". Recognise it with
 * {@link isDeadlineExceededError}, which works across copies of the package.
 *
 * @example
 * ```ts
 * import { isDeadlineExceededError, withRecovery } from 'rx-recovery';
 *
 * request$.pipe(withRecovery(undefined, { deadlineMs: 10_000 })).subscribe({
 *   error: (error: unknown) => {
 *     if (isDeadlineExceededError(error)) console.log(error.message, error.deadlineMs, error.cause);
 *     // Recovery did not succeed within 10000 ms  10000  Error: Request timed out
 *   },
 * });
 * ```
 */
export class DeadlineExceededError extends Error {
  /** Always `'DeadlineExceededError'`. */
  override readonly name = 'DeadlineExceededError';
  /** Brand: always `true`. What {@link isDeadlineExceededError} checks, across copies of the package. */
  readonly isDeadlineExceededError = true;
  /** The deadline that fell, in ms from the recovery's first error. */
  readonly deadlineMs: number;

  /**
   * @param deadlineMs The deadline, in ms.
   * @param cause The recovery's last error, kept as `cause`.
   */
  constructor(deadlineMs: number, cause: unknown) {
    super(`Recovery did not succeed within ${deadlineMs} ms`, { cause });
    this.deadlineMs = deadlineMs;
  }
}

/**
 * True for a {@link DeadlineExceededError}, also from another copy of the package. Never
 * throws.
 *
 * @example
 * ```ts
 * import { isDeadlineExceededError } from 'rx-recovery';
 *
 * isDeadlineExceededError(new Error('timeout')); // → false
 * ```
 * @param error Anything thrown.
 * @returns Whether `error` is a `DeadlineExceededError`.
 */
export function isDeadlineExceededError(error: unknown): error is DeadlineExceededError {
  return safely(error, 'isDeadlineExceededError') === true;
}
