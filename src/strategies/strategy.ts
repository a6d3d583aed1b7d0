import type { Observable, ObservableInput } from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { RecoveryStrategy } from '../patterns/errorTypes.js';
import type { AttemptContext } from './context.js';
import type { EscalationError, EscalationRecord } from './EscalationError.js';

/** What a strategy hands the engine. */
export type RecoveryStep<T> =
  /** Subscribe `source` after `delayMs` (0: at once). */
  | {
      readonly kind: 'subscribe';
      readonly source: ObservableInput<T>;
      readonly delayMs: number;
      /** The degradation level serving, for the result. */
      readonly degradationLevel?: string | undefined;
    }
  /** End the stream: escalation is terminal. */
  | {
      readonly kind: 'escalate';
      readonly record: EscalationRecord;
      readonly error: EscalationError;
      /** Complete instead of erroring. */
      readonly complete: boolean;
    };

/**
 * What every strategy is given besides the error and the attempt. Read it during the call:
 * the engine reuses one per subscription.
 */
export interface StepInput<T> {
  /**
   * The context of attempt `attempt` (the strategy's third argument), built when asked (a
   * retry never asks): call it as `input.context(attempt)`.
   */
  context(attempt: number): AttemptContext;
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
