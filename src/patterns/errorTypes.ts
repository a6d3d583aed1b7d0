import { freeze } from './freeze.js';

/**
 * A frozen const object of `values`, each under its upper-cased name: `constants(['a'])` is
 * `{ A: 'a' }`.
 */
const constants = <T>(values: readonly string[]): T =>
  freeze(Object.fromEntries(values.map((value) => [value.toUpperCase(), value]))) as T;

/** The values of {@link ErrorType}, in order. */
export const ERROR_TYPES: readonly ErrorType[] = /* @__PURE__ */ freeze(
  /* @__PURE__ */ 'syntax import validation template quorum timeout transient unknown'.split(
    ' ',
  ) as ErrorType[],
);

/** The values of {@link RecoveryStrategy}, in order. */
export const STRATEGIES: readonly RecoveryStrategy[] = /* @__PURE__ */ freeze(
  /* @__PURE__ */ 'retry alternative degrade correct escalate'.split(' ') as RecoveryStrategy[],
);

/**
 * The kinds of failure rx-recovery knows how to route. A string union, with a frozen
 * const object of the same name so both `'timeout'` and `ErrorType.TIMEOUT` read well.
 *
 * In plain words: the label a pattern puts on an error. Six of them have a built-in
 * pattern (see {@link defaultPatterns}); `transient` is for your own patterns, and
 * `unknown` is what an error no pattern matches gets.
 *
 * @example
 * ```ts
 * import { classify, ErrorType } from 'rx-recovery';
 *
 * ErrorType.TIMEOUT; // → 'timeout'
 * classify(new Error('upstream timed out')).errorType === ErrorType.TIMEOUT; // → true
 * Object.values(ErrorType);
 * // → ['syntax', 'import', 'validation', 'template', 'quorum', 'timeout', 'transient', 'unknown']
 * ```
 */
export const ErrorType: Readonly<{
  /** Code that does not parse, such as `await` outside an async function (`missing_async_keyword`). */
  SYNTAX: 'syntax';
  /** A module that cannot be found or loaded (`import_not_found`). */
  IMPORT: 'import';
  /** Output that fails a schema or validation check (`validation_failed`). */
  VALIDATION: 'validation';
  /** A template that fails to render (`template_rendering_error`). */
  TEMPLATE: 'template';
  /** Reviewers or replicas that do not reach consensus (`quorum_consensus_failed`). */
  QUORUM: 'quorum';
  /** An operation that ran out of time (`operation_timeout`). */
  TIMEOUT: 'timeout';
  /** A passing failure: a rate limit, an overloaded service, a dropped connection, an open circuit. */
  TRANSIENT: 'transient';
  /** No pattern matched: the type of every unmatched error. */
  UNKNOWN: 'unknown';
}> = /* @__PURE__ */ constants(ERROR_TYPES);

/**
 * `'syntax' | 'import' | 'validation' | 'template' | 'quorum' | 'timeout' | 'transient' | 'unknown'`:
 * the type of {@link ErrorType}'s values, and of every `errorType` field.
 *
 * @example
 * ```ts
 * import { classify, type ErrorType } from 'rx-recovery';
 *
 * function isRetryWorthy(type: ErrorType): boolean {
 *   return type === 'timeout' || type === 'transient' || type === 'quorum';
 * }
 * isRetryWorthy(classify(new Error('connect ETIMEDOUT 10.0.0.7:443')).errorType); // → true
 * ```
 */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/**
 * The steps a recovery plan is made of: retry the source, switch to an alternative,
 * degrade to a fallback level, correct a known error, or escalate to a human.
 *
 * In plain words: a pattern's `strategy` is one of these or a list of them; the first
 * step that still has budget runs.
 *
 * @example
 * ```ts
 * import { createClassifier, RecoveryStrategy } from 'rx-recovery';
 *
 * const classifier = createClassifier([
 *   {
 *     id: 'rate_limit',
 *     errorType: 'transient',
 *     match: /\b429\b/,
 *     strategy: [RecoveryStrategy.RETRY, RecoveryStrategy.ESCALATE],
 *   },
 * ]);
 * classifier.classify(new Error('HTTP 429 Too Many Requests')).plan; // → ['retry', 'escalate']
 * Object.values(RecoveryStrategy);
 * // → ['retry', 'alternative', 'degrade', 'correct', 'escalate']
 * ```
 */
export const RecoveryStrategy: Readonly<{
  /** Resubscribe to the source after a backoff; budget: the pattern's `maxRetries`. */
  RETRY: 'retry';
  /** Subscribe to the next untried alternative registered for the pattern id, then for the error type. */
  ALTERNATIVE: 'alternative';
  /** Serve the next degradation level (a fallback source or value). */
  DEGRADE: 'degrade';
  /** Ask the correction rules, in order, for a repaired source; budget: `maxRetries`. */
  CORRECT: 'correct';
  /** Record, notify `onEscalate`, then end with an `EscalationError` (or complete). Terminal. */
  ESCALATE: 'escalate';
}> = /* @__PURE__ */ constants(STRATEGIES);

/**
 * `'retry' | 'alternative' | 'degrade' | 'correct' | 'escalate'`: the type of
 * {@link RecoveryStrategy}'s values, and of each step of a plan.
 *
 * @example
 * ```ts
 * import { classify, type RecoveryStrategy } from 'rx-recovery';
 *
 * const ends = (plan: readonly RecoveryStrategy[]) => plan.at(-1) ?? 'rethrow';
 * ends(classify(new Error('Quorum not reached')).plan); // → 'escalate'
 * ends(classify(new Error('disk full')).plan); // → 'rethrow'
 * ```
 */
export type RecoveryStrategy = (typeof RecoveryStrategy)[keyof typeof RecoveryStrategy];
