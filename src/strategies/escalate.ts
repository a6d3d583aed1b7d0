import { errorText } from '../patterns/errorText.js';
import { newCorrelationId } from './context.js';
import { EscalationError, type EscalationRecord } from './EscalationError.js';
import type { RecoveryStep, StepInput, Strategy } from './strategy.js';

/** How an escalation ends the stream. */
export interface EscalateOptions {
  /** `'error'` ends with an {@link EscalationError}; `'complete'` completes. @default 'error' */
  readonly terminal?: 'error' | 'complete' | undefined;
}

/**
 * Escalate: build the {@link EscalationRecord} and end the stream — with an
 * {@link EscalationError} carrying the record and the original error as `cause`, or by
 * completing. Terminal, and it costs no attempt. The engine notifies `onEscalate`.
 */
export function escalateStrategy<T>({ terminal }: EscalateOptions): Strategy<T> {
  return (error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> => {
    const { errorType, pattern } = input.classification;
    // The subscription's context: the attempt's, less what is the attempt's own.
    const {
      error: _error,
      errorType: _type,
      patternId: _id,
      attempt: _attempt,
      signal: _signal,
      ...context
    } = input.context(attempt);
    const record: EscalationRecord = Object.freeze({
      id: newCorrelationId(),
      createdAt: input.now,
      context: Object.freeze(context),
      errorType,
      ...(pattern && { patternId: pattern.id }),
      message: errorText(error),
      attempts: input.recoveryAttempts,
      ...(pattern?.metadata && { metadata: pattern.metadata }),
    });
    return {
      kind: 'escalate',
      complete: terminal === 'complete',
      error: new EscalationError(record, error),
      record,
    };
  };
}
