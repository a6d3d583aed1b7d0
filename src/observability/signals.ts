import type { Observer } from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { ErrorType, RecoveryStrategy } from '../patterns/errorTypes.js';
import type { EscalationRecord } from '../strategies/escalate.js';

/** How one recovery ended. `durationMs` is scheduler time from its first error to its end. */
export interface RecoveryResult {
  readonly success: boolean;
  /** The last strategy the recovery ran; `'none'` when the plan was spent before any step. */
  readonly strategyUsed: RecoveryStrategy | 'none';
  /** Steps taken (escalation costs none). */
  readonly attempts: number;
  readonly durationMs: number;
  readonly errorType: ErrorType;
  readonly patternId?: string;
  /** The degradation level serving when the recovery ended, if any. */
  readonly degradationLevel?: string;
  /** The text of the last error, when the recovery failed. */
  readonly errorMessage?: string;
  readonly correlationId: string;
}

/** Fields every signal carries. */
export interface SignalBase {
  /** Scheduler time. */
  readonly at: number;
  readonly correlationId: string;
  readonly workflowId?: string;
  readonly nodeName?: string;
}

/** An error reached the operator and was classified. */
export interface ErrorDetectedSignal extends SignalBase {
  readonly type: 'error_detected';
  readonly error: unknown;
  readonly classification: Classification;
  /** CPU time of classification, from the high-resolution `clock`; 0 when nobody listens. */
  readonly analysisMs: number;
}

/** A recovery step starts; emitted before any wait. */
export interface RecoveryAttemptSignal extends SignalBase {
  readonly type: 'recovery_attempt';
  readonly strategy: Exclude<RecoveryStrategy, 'escalate'>;
  /** 1-based count of this step for this pattern. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly errorType: ErrorType;
  readonly patternId?: string;
}

/** A recovery ended, well or not. */
export interface RecoveryCompletedSignal extends SignalBase {
  readonly type: 'recovery_completed';
  readonly result: RecoveryResult;
}

/** A recovery escalated to a human. */
export interface EscalatedSignal extends SignalBase {
  readonly type: 'escalated';
  readonly record: EscalationRecord;
}

/** A side-effect consumer (a signal subscriber, an `onEscalate` handler) threw or rejected. */
export interface ObserverErrorSignal extends SignalBase {
  readonly type: 'observer_error';
  readonly error: unknown;
  /** Which consumer failed. */
  readonly source: 'signals' | 'metrics' | 'statistics' | 'onEscalate';
  /** The escalation record, when `onEscalate` failed: it is never lost. */
  readonly record?: EscalationRecord;
}

/** Every decision the engine makes, discriminated on `type`. */
export type RecoverySignal =
  | ErrorDetectedSignal
  | RecoveryAttemptSignal
  | RecoveryCompletedSignal
  | EscalatedSignal
  | ObserverErrorSignal;

/** Where signals go: a `Subject`, or any `{ next }`. */
export type SignalObserver = Partial<Observer<RecoverySignal>>;

/** True when pushing to `observer` can reach anybody (`Subject.observed`, else present). */
export function isListening(observer: Partial<Observer<never>> | undefined): boolean {
  if (observer === undefined || typeof observer.next !== 'function') return false;
  const { observed } = observer as { observed?: unknown };
  return typeof observed === 'boolean' ? observed : true;
}
