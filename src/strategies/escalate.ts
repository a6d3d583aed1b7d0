import { errorText } from '../patterns/errorText.js';
import type { ErrorType } from '../patterns/errorTypes.js';
import {
  newCorrelationId,
  type RecoveryContext,
  type RecoveryStep,
  type StepInput,
  type Strategy,
} from './context.js';

/** What a human needs to pick up an escalated failure. Frozen. */
export interface EscalationRecord {
  readonly id: string;
  /** Scheduler time of the escalation. */
  readonly createdAt: number;
  readonly context: RecoveryContext;
  readonly errorType: ErrorType;
  readonly patternId?: string;
  /** The error's text, as the classifier read it. */
  readonly message: string;
  /** Recovery steps taken before escalating. */
  readonly attempts: number;
}

/** The error a stream ends with when recovery escalates. `cause` is the original error. */
export class EscalationError extends Error {
  override readonly name = 'EscalationError';
  readonly isEscalationError = true;
  readonly record: EscalationRecord;

  constructor(record: EscalationRecord, cause: unknown) {
    super(`Escalated to a human: ${record.message.split('\n')[0]}`, { cause });
    this.record = record;
  }
}

/** True for an {@link EscalationError}, also when it comes from another copy of the package. */
export function isEscalationError(error: unknown): error is EscalationError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isEscalationError?: unknown }).isEscalationError === true
  );
}

/** How an escalation ends the stream. */
export interface EscalateOptions {
  /** `'error'` ends with an {@link EscalationError}; `'complete'` completes. @default 'error' */
  readonly terminal: 'error' | 'complete';
}

/**
 * Escalate: build the {@link EscalationRecord} and end the stream — with an
 * {@link EscalationError} carrying the record and the original error as `cause`, or by
 * completing. Terminal, and it costs no attempt. The engine notifies `onEscalate`.
 */
export function escalateStrategy<T>(options: EscalateOptions): Strategy<T> {
  return (error: unknown, input: StepInput<T>): RecoveryStep<T> => {
    const { context, classification } = input;
    const {
      error: _error,
      errorType: _type,
      patternId: _id,
      attempt: _attempt,
      ...recovery
    } = context;
    const record: EscalationRecord = Object.freeze({
      id: newCorrelationId(),
      createdAt: input.now,
      context: Object.freeze(recovery),
      errorType: classification.errorType,
      ...(classification.pattern === undefined ? {} : { patternId: classification.pattern.id }),
      message: errorText(error),
      attempts: input.recoveryAttempts,
    });
    return {
      kind: 'escalate',
      complete: options.terminal === 'complete',
      error: new EscalationError(record, error),
      record,
    };
  };
}
