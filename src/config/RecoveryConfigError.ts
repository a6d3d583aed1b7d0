/**
 * Thrown when a pattern table or operator options are invalid. Its message has one line
 * per problem, each naming the path that is wrong (`patterns[2].maxRetries: must be ≥ 0`);
 * `issues` holds the same lines as an array.
 *
 * In plain words: a configuration mistake, reported when the classifier or the pipe is
 * built (never at subscribe time), every problem at once. Recognise it with
 * {@link isRecoveryConfigError}, which works across copies of the package.
 *
 * @example
 * ```ts
 * import { RecoveryConfigError } from 'rx-recovery';
 * import { parsePatterns } from 'rx-recovery/files';
 *
 * try {
 *   parsePatterns([
 *     { id: 'slow', errorType: 'timeout', match: 'timed out', strategy: 'retry', maxRetries: -1 },
 *     { id: 'slow', errorType: 'timeout', match: '(unclosed', strategy: 'pray', maxRetry: 2 },
 *   ]);
 * } catch (error) {
 *   if (error instanceof RecoveryConfigError) console.log(error.issues);
 *   // → ['patterns[0].maxRetries: must be ≥ 0',
 *   //    'patterns[1].match: invalid regular expression: /(unclosed/: Unterminated group',
 *   //    'patterns[1].strategy: must be one of retry, alternative, degrade, correct, escalate, got "pray"',
 *   //    'patterns[1].maxRetry: unknown option',
 *   //    'patterns[1].id: duplicate id "slow" (first at patterns[0])']
 * }
 * ```
 */
export class RecoveryConfigError extends Error {
  /** Always `'RecoveryConfigError'`. */
  override readonly name = 'RecoveryConfigError';
  /** Brand: always `true`. What {@link isRecoveryConfigError} checks, across copies of the package. */
  readonly isRecoveryConfigError = true;
  /** One line per problem, `path: what is wrong`. */
  declare readonly issues: readonly string[];

  /**
   * @param issues One line per problem, `path: what is wrong`; the message joins them
   * with newlines.
   */
  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.issues = Object.freeze([...issues]);
  }
}

/**
 * True for a {@link RecoveryConfigError}, also when it comes from another copy of the
 * package (ESM and CJS copies loaded side by side), where `instanceof` fails. It checks
 * the `isRecoveryConfigError` brand.
 *
 * @example
 * ```ts
 * import { isRecoveryConfigError, withRecovery } from 'rx-recovery';
 *
 * try {
 *   generation$.pipe(withRecovery(undefined, { maxAttempts: -1 }));
 * } catch (error) {
 *   if (isRecoveryConfigError(error)) console.error(error.message); // → options.maxAttempts: must be ≥ 0
 *   else throw error;
 * }
 * isRecoveryConfigError(new Error('maxAttempts: must be ≥ 0')); // → false
 * ```
 * @param error Anything thrown.
 * @returns Whether `error` is a `RecoveryConfigError`.
 */
export function isRecoveryConfigError(error: unknown): error is RecoveryConfigError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isRecoveryConfigError?: unknown }).isRecoveryConfigError === true
  );
}
