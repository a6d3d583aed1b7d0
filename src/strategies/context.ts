import type { Observable, ObservableInput } from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { ErrorType, RecoveryStrategy } from '../patterns/errorTypes.js';
import type { EscalationError, EscalationRecord } from './escalate.js';

/**
 * Who is recovering: the workflow, node and step an operator works for. Frozen; made once
 * per subscription from the operator's `context` option (plus a generated
 * `correlationId`), it is what alternatives, degradation levels and correction rules
 * receive (as an {@link AttemptContext}) and what an {@link EscalationRecord} carries.
 *
 * @example
 * ```ts
 * import { escalateOn, type RecoveryContext } from 'rx-recovery';
 *
 * const where = (context: RecoveryContext) =>
 *   `${context.workflowId}/${context.nodeName} #${context.stepCount} (${context.correlationId})`;
 *
 * review$
 *   .pipe(escalateOn({
 *     context: { workflowId: 'codegen-1', nodeName: 'quorum_review', stepCount: 4 },
 *     onEscalate: (record) => console.log(where(record.context)),
 *   }))
 *   .subscribe();
 * // Output: codegen-1/quorum_review #4 (6f1d…)
 * ```
 */
export interface RecoveryContext {
  /** The workflow the operator works for, from `context.workflowId`. */
  readonly workflowId?: string;
  /** The step (node) of the workflow, from `context.nodeName`. */
  readonly nodeName?: string;
  /** Which step of the workflow this is, from `context.stepCount`. */
  readonly stepCount?: number;
  /** Free-form state, such as the `code` a correction repairs. */
  readonly state?: Readonly<Record<string, unknown>>;
  /** Ties every signal of one subscription together; generated when not given. */
  readonly correlationId: string;
}

/**
 * The context of one recovery step: the {@link RecoveryContext} plus the error at hand.
 * Frozen. Alternatives, degradation levels and correction rules receive it.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { type AttemptContext, switchToAlternative } from 'rx-recovery';
 *
 * const simplerTemplate = (context: AttemptContext) => {
 *   console.log(`${context.errorType} (${context.patternId}), attempt ${context.attempt}`);
 *   return defer(() => render('service.simple.j2', context.state));
 * };
 * template$.pipe(switchToAlternative([simplerTemplate])).subscribe(save);
 * // Output: unknown (switchToAlternative), attempt 1
 * ```
 */
export interface AttemptContext extends RecoveryContext {
  /** The error being recovered from, as the source sent it. */
  readonly error: unknown;
  /** The error's type, as classified. */
  readonly errorType: ErrorType;
  /** The pattern that matched the error; absent when none did. */
  readonly patternId?: string;
  /** 1-based count of this step for this pattern. */
  readonly attempt: number;
}

/**
 * A recovery source built from the context: an alternative, a degradation level. Called
 * lazily, when its step runs; a factory that throws fails its step with what it threw,
 * which is classified like any other error.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { type SourceFactory, withRecovery } from 'rx-recovery';
 *
 * // A factory may return a Promise, an observable or any ObservableInput.
 * const fromCache: SourceFactory<string> = (context) => cache.get(`code:${context.workflowId}`);
 * const simpler: SourceFactory<string> = () => defer(() => render('service.simple.j2'));
 *
 * code$.pipe(withRecovery(undefined, { alternatives: { import: [fromCache, simpler] } }));
 * ```
 * @typeParam T The type of the values the source emits.
 */
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
  /** The attempt's context, built on first call (a retry never needs it). */
  readonly context: () => AttemptContext;
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
