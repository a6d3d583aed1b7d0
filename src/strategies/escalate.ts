import { errorText } from '../patterns/errorText.js';
import { newCorrelationId } from './context.js';
import { EscalationError, type EscalationRecord } from './EscalationError.js';
import type { RecoveryStep, StepInput, Strategy } from './strategy.js';

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
  return (error: unknown, input: StepInput<T>, attempt: number): RecoveryStep<T> => {
    const { classification } = input;
    const context = input.context(attempt);
    const {
      error: _error,
      errorType: _type,
      patternId: _id,
      attempt: _attempt,
      signal: _signal,
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
      ...(classification.pattern?.metadata === undefined
        ? {}
        : { metadata: classification.pattern.metadata }),
    });
    return {
      kind: 'escalate',
      complete: options.terminal === 'complete',
      error: new EscalationError(record, error),
      record,
    };
  };
}
