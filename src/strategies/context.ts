import type { ObservableInput } from 'rxjs';
import type { ErrorType } from '../patterns/errorTypes.js';

/**
 * Who is recovering, as an operator's `context` option gives it: the one declaration of the
 * context's fields. Every field may be absent (or `undefined`, for
 * `exactOptionalPropertyTypes`).
 *
 * @example
 * ```ts
 * import { type ContextOptions, withRecovery } from 'rx-recovery';
 *
 * const context: ContextOptions = { workflowId: 'codegen-1', nodeName: 'generate_code', state: { code } };
 * code$.pipe(withRecovery(undefined, { context }));
 * ```
 */
export interface ContextOptions {
  /** The workflow the operator works for; on every signal and escalation record. */
  workflowId?: string | undefined;
  /** The step (node) of the workflow; on every signal, and the `nodeName` metric tag. */
  nodeName?: string | undefined;
  /** Which step of the workflow this is (a whole number ≥ 0); on escalation records. */
  stepCount?: number | undefined;
  /**
   * Free-form state handed, by identity (never copied), to alternatives, degradation levels
   * and correction rules: `asyncKeywordCorrection` reads `state.code`.
   */
  state?: object | undefined;
  /**
   * Ties every signal together. When given, every subscription shares it.
   * @default a new UUID per subscription
   */
  correlationId?: string | undefined;
}

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
export interface RecoveryContext extends Readonly<Omit<ContextOptions, 'correlationId'>> {
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
  readonly patternId?: string | undefined;
  /** 1-based count of this step for this pattern. */
  readonly attempt: number;
  /**
   * Aborted when this attempt ends — it failed, a later step took over, it timed out, the
   * deadline fell, or the subscriber unsubscribed — so work started from it (a `fetch`)
   * stops with it.
   */
  readonly signal: AbortSignal;
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

let sequence = 0;

/**
 * A correlation id: a UUID where the platform has one (`crypto.randomUUID`: not in a
 * browser page served over plain HTTP), else a process-unique counter.
 */
export function newCorrelationId(): string {
  sequence += 1;
  return (
    (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.() ??
    `rx-recovery-${sequence}`
  );
}
