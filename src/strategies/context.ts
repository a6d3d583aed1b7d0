import type { Observable, ObservableInput } from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { ErrorType, RecoveryStrategy } from '../patterns/errorTypes.js';
import type { EscalationError, EscalationRecord } from './escalate.js';

/**
 * Who is recovering: the workflow, node and step an operator works for. Frozen; the same
 * object is handed to every strategy, alternative, degradation level and escalation
 * record of one subscription.
 */
export interface RecoveryContext {
  readonly workflowId?: string;
  readonly nodeName?: string;
  readonly stepCount?: number;
  /** Free-form state, such as the `code` a correction repairs. */
  readonly state?: Readonly<Record<string, unknown>>;
  /** Ties every signal of one subscription together; generated when not given. */
  readonly correlationId: string;
}

/** The context of one recovery step: the {@link RecoveryContext} plus the error at hand. */
export interface AttemptContext extends RecoveryContext {
  readonly error: unknown;
  readonly errorType: ErrorType;
  readonly patternId?: string;
  /** 1-based count of this step for this pattern. */
  readonly attempt: number;
}

/** A recovery source built from the context: an alternative, a degradation level. */
export type SourceFactory<T> = (context: AttemptContext) => ObservableInput<T>;

/** What a strategy hands the engine. */
export type RecoveryStep<T> =
  /** Subscribe `source` after `delayMs` (0: at once). */
  | {
      readonly kind: 'subscribe';
      readonly source: ObservableInput<T>;
      readonly delayMs: number;
      /** The degradation level serving, for the result. */
      readonly degradationLevel?: string;
    }
  /** End the stream: escalation is terminal. */
  | {
      readonly kind: 'escalate';
      readonly record: EscalationRecord;
      readonly error: EscalationError;
      /** Complete instead of erroring. */
      readonly complete: boolean;
    };

/** What every strategy is given besides the error and the attempt. */
export interface StepInput<T> {
  readonly context: AttemptContext;
  readonly classification: Classification;
  /** The source the operator was applied to: what a retry resubscribes. */
  readonly source: Observable<T>;
  /** Scheduler time now. */
  readonly now: number;
  /** Steps the current recovery has taken so far. */
  readonly recoveryAttempts: number;
}

/**
 * A strategy decides the next source for an error, or returns `null` when it has nothing
 * (more) to offer and the plan moves on. It never subscribes: the engine does.
 * A strategy function is made per subscription, so any memory it keeps (alternatives
 * already tried, the degradation level reached) is born and dies with that subscription.
 */
export type Strategy<T> = (
  error: unknown,
  input: StepInput<T>,
  attempt: number,
) => RecoveryStep<T> | null;

/** The strategies of one subscription, by name. */
export type StrategySet<T> = Readonly<Record<RecoveryStrategy, Strategy<T>>>;

let sequence = 0;

/** A correlation id: a UUID where the platform has one, else a process-unique counter. */
export function newCorrelationId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID;
  if (typeof uuid === 'function') return uuid.call(globalThis.crypto);
  sequence += 1;
  return `rx-recovery-${sequence}`;
}
