/**
 * The kinds of failure rx-recovery knows how to route. A string union, with a frozen
 * const object of the same name so both `'timeout'` and `ErrorType.TIMEOUT` read well.
 */
export const ErrorType = Object.freeze({
  SYNTAX: 'syntax',
  IMPORT: 'import',
  VALIDATION: 'validation',
  TEMPLATE: 'template',
  QUORUM: 'quorum',
  TIMEOUT: 'timeout',
  TRANSIENT: 'transient',
  UNKNOWN: 'unknown',
} as const);

/** `'syntax' | 'import' | 'validation' | 'template' | 'quorum' | 'timeout' | 'transient' | 'unknown'` */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Every error type, in declaration order. */
export const ERROR_TYPES: readonly ErrorType[] = Object.freeze(Object.values(ErrorType));

/**
 * The steps a recovery plan is made of: retry the source, switch to an alternative,
 * degrade to a fallback level, correct a known error, or escalate to a human.
 */
export const RecoveryStrategy = Object.freeze({
  RETRY: 'retry',
  ALTERNATIVE: 'alternative',
  DEGRADE: 'degrade',
  CORRECT: 'correct',
  ESCALATE: 'escalate',
} as const);

/** `'retry' | 'alternative' | 'degrade' | 'correct' | 'escalate'` */
export type RecoveryStrategy = (typeof RecoveryStrategy)[keyof typeof RecoveryStrategy];

/** Every strategy, in declaration order. */
export const RECOVERY_STRATEGIES: readonly RecoveryStrategy[] = Object.freeze(
  Object.values(RecoveryStrategy),
);
