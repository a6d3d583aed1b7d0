import type { Observer } from 'rxjs';
import type { Classification } from '../patterns/classifier.js';
import type { ErrorType, RecoveryStrategy } from '../patterns/errorTypes.js';
import type { RecoveryContext } from '../strategies/context.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';

/**
 * How one recovery ended: carried by the `recovery_completed` signal and, with the last
 * value, resolved by {@link ErrorRecoveryOrchestrator.handleError}. Frozen.
 *
 * A recovery starts at the first error of a subscription (or the first after the last
 * recovery ended) and ends when the source emits or completes again (success), or when
 * the plan is spent or escalates (failure).
 *
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { type RecoverySignal, withRecovery } from 'rx-recovery';
 *
 * const signals = new Subject<RecoverySignal>();
 * signals.subscribe((signal) => {
 *   if (signal.type === 'recovery_completed') console.log(signal.result);
 * });
 * review$.pipe(withRecovery(undefined, { signals })).subscribe();
 * // Output, for a quorum failure retried twice and then escalated:
 * // { success: false, strategyUsed: 'escalate', attempts: 2, durationMs: 3000,
 * //   errorType: 'quorum', patternId: 'quorum_consensus_failed',
 * //   errorMessage: 'Error: Quorum not reached: 1 of 3 reviewers approved', correlationId: '…' }
 * ```
 */
export interface RecoveryResult {
  /**
   * `true` when the source emitted or completed after the recovery began; `false` when
   * the plan was spent, the recovery escalated, or an inner pipeline escalated.
   */
  readonly success: boolean;
  /** The last strategy the recovery ran; `'none'` when the plan was spent before any step. */
  readonly strategyUsed: RecoveryStrategy | 'none';
  /** Steps taken (escalation costs none). */
  readonly attempts: number;
  /** Scheduler time, in ms, from the recovery's first error to its end (waits included). */
  readonly durationMs: number;
  /** The type of the error that started the recovery (later errors may differ). */
  readonly errorType: ErrorType;
  /**
   * The pattern that matched the last error (whose plan ran last); absent when none did
   * (the `unmatched` plan).
   * The standalone operators use their own name (`'retryBackoff'`, `'escalateOn'`…).
   */
  readonly patternId?: string | undefined;
  /** The degradation level serving when the recovery ended, if any. */
  readonly degradationLevel?: string | undefined;
  /** The `metadata` of the pattern that matched the last error, when it has any. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** The text of the last error, when the recovery failed. */
  readonly errorMessage?: string | undefined;
  /** The subscription the recovery belongs to; the same as on its signals. */
  readonly correlationId: string;
}

/**
 * Fields every signal carries: when, and for whom.
 *
 * @example
 * ```ts
 * import { createRecoveryHub, type SignalBase } from 'rx-recovery';
 *
 * const describe = ({ at, correlationId, workflowId, nodeName }: SignalBase) =>
 *   `${new Date(at).toISOString()} ${workflowId ?? '-'}/${nodeName ?? '-'} ${correlationId}`;
 *
 * createRecoveryHub().signals.subscribe((signal) => console.log(signal.type, describe(signal)));
 * // Output: error_detected 2024-05-29T16:00:00.000Z codegen-1/generate_code 3f0c…
 * ```
 */
export interface SignalBase {
  /** Scheduler time (`scheduler.now()`, ms) when the signal was emitted. */
  readonly at: number;
  /**
   * Ties every signal of one subscription together: the `context.correlationId` given,
   * else a UUID generated per subscription.
   */
  readonly correlationId: string;
  /** The `context.workflowId` of the operator; absent when not given. */
  readonly workflowId?: string | undefined;
  /** The `context.nodeName` of the operator; absent when not given. */
  readonly nodeName?: string | undefined;
}

/**
 * An error reached the operator and was classified. Emitted for every error, also those
 * no pattern matches and those that end the stream; only an `EscalationError` from an
 * inner pipeline skips classification (it ends the stream as it is).
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type !== 'error_detected') return;
 *   const { classification, analysisMs } = signal;
 *   console.log(classification.pattern?.id ?? 'unmatched', classification.plan, analysisMs);
 * });
 * // Output: operation_timeout [ 'retry', 'escalate' ] 0.012
 * ```
 */
export interface ErrorDetectedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'error_detected';
  /** The error as the source sent it: anything can be thrown, hence `unknown`. */
  readonly error: unknown;
  /** The classifier's decision: the matching pattern (if any), the error type and the plan. */
  readonly classification: Classification;
  /**
   * CPU time of classification, from the high-resolution `clock`; 0 when nobody listens, and
   * when the error is the recovery's last one again, unchanged (its classification recalled).
   */
  readonly analysisMs: number;
}

/**
 * A recovery step starts; emitted before any wait, so `delayMs` says how long the wait
 * will be. Escalation is not a step: it emits {@link EscalatedSignal} instead.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'recovery_attempt') {
 *     const { strategy, attempt, delayMs, patternId } = signal;
 *     console.log(`${strategy} #${attempt} in ${delayMs} ms (${patternId})`);
 *   }
 * });
 * // Output: retry #1 in 1000 ms (operation_timeout)
 * //         retry #2 in 2000 ms (operation_timeout)
 * ```
 */
export interface RecoveryAttemptSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'recovery_attempt';
  /** The step taken: `retry`, `alternative`, `degrade` or `correct`. */
  readonly strategy: Exclude<RecoveryStrategy, 'escalate'>;
  /** 1-based count of this step for this pattern. */
  readonly attempt: number;
  /** The wait before the step's source is subscribed: the retry backoff, 0 for other steps. */
  readonly delayMs: number;
  /** The type of the error that caused this step. */
  readonly errorType: ErrorType;
  /** The pattern whose plan runs; absent for an error no pattern matched. */
  readonly patternId?: string | undefined;
}

/**
 * A recovery ended, well or not; `result` says how.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'recovery_completed' && !signal.result.success) {
 *     alerts.warn(`${signal.nodeName}: ${signal.result.errorMessage}`);
 *   }
 * });
 * ```
 */
export interface RecoveryCompletedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'recovery_completed';
  /** How the recovery ended. */
  readonly result: RecoveryResult;
}

/**
 * A recovery escalated to a human. Emitted before `onEscalate` is called and before the
 * stream ends with an `EscalationError` (or completes, with `terminal: 'complete'`).
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'escalated') tickets.open(signal.record);
 * });
 * ```
 */
export interface EscalatedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'escalated';
  /** What a human needs to pick the failure up. */
  readonly record: EscalationRecord;
}

/**
 * A side-effect consumer (a signal subscriber, an `onEscalate` handler) threw or rejected.
 * It was caught, and the pipeline went on; this signal is how you hear of it.
 *
 * Its context is that of the signal the consumer was taking, or of the escalation
 * record it concerns (`onEscalate`; an `escalations$` change, which lists or withdraws a
 * record). A hub subscriber's throw on a value no signal or record brought (the current
 * value it gets when it subscribes, a shared store's news) has the correlation id
 * `hub:<name>` and the `at` of the hub's last signal.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * hub.signals.subscribe((signal) => {
 *   if (signal.type === 'observer_error') console.error(`${signal.source} failed`, signal.error);
 * });
 * hub.metrics.subscribe(() => {
 *   throw new Error('statsd is down');
 * });
 * // Output, once per failed metric: metrics failed Error: statsd is down
 * ```
 */
export interface ObserverErrorSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'observer_error';
  /** What the consumer threw, or the reason its promise rejected with. */
  readonly error: unknown;
  /**
   * Which consumer failed: a `signals` or `metrics` observer or hub subscriber, a hub's
   * `statistics$` or `escalations$` subscriber, `onEscalate` (or `escalation.resolve`),
   * or a subscriber of a circuit breaker's `state$`.
   */
  readonly source: 'signals' | 'metrics' | 'statistics' | 'escalations' | 'onEscalate' | 'state$';
  /**
   * The escalation record, when `onEscalate` (or `escalation.resolve`) failed — it is never
   * lost — or when an `escalations$` subscriber threw on the change that listed or withdrew it.
   */
  readonly record?: EscalationRecord | undefined;
}

/**
 * Every decision the engine makes, discriminated on `type`:
 *
 * | type | extra fields | when |
 * |---|---|---|
 * | `error_detected` | `error`, `classification`, `analysisMs` | every error that reaches the operator |
 * | `recovery_attempt` | `strategy`, `attempt`, `delayMs`, `errorType`, `patternId?` | a step starts, before any wait |
 * | `recovery_completed` | `result` | a recovery ends, well or not |
 * | `escalated` | `record` | a recovery escalates |
 * | `observer_error` | `error`, `source`, `record?` | a signal consumer, `onEscalate` or a breaker's `state$` subscriber threw or rejected |
 *
 * Every signal is a frozen object with the {@link SignalBase} fields.
 *
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { type RecoverySignal, withRecovery } from 'rx-recovery';
 *
 * const signals = new Subject<RecoverySignal>();
 * signals.subscribe((signal) => {
 *   switch (signal.type) {
 *     case 'error_detected':
 *       return log.warn(signal.classification.errorType);
 *     case 'recovery_attempt':
 *       return log.info(`${signal.strategy} in ${signal.delayMs} ms`);
 *     case 'recovery_completed':
 *       return log.info(signal.result.success ? 'recovered' : 'gave up');
 *     case 'escalated':
 *       return tickets.open(signal.record);
 *     case 'observer_error':
 *       return log.error(signal.source, signal.error);
 *   }
 * });
 * source$.pipe(withRecovery(undefined, { signals })).subscribe();
 * ```
 */
export type RecoverySignal =
  | ErrorDetectedSignal
  | RecoveryAttemptSignal
  | RecoveryCompletedSignal
  | EscalatedSignal
  | ObserverErrorSignal
  | CircuitStateChangedSignal
  | RetryBudgetExhaustedSignal
  | EscalationResolvedSignal
  | StoreDegradedSignal
  | StoreRecoveredSignal;

/** Every `type` a {@link RecoverySignal} can have. */
export type RecoverySignalType = RecoverySignal['type'];

/**
 * Where signals go: a `Subject`, or any `{ next }`. A `next` that throws is caught and
 * reported as an `observer_error` signal; it never breaks the pipeline. (A throwing
 * subscriber of your own `Subject` is caught by RxJS, which rethrows it asynchronously:
 * subscribe through a {@link RecoveryHub} to have those isolated too.)
 *
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { type RecoverySignal, type SignalObserver, withRecovery } from 'rx-recovery';
 *
 * const toLog: SignalObserver = { next: (signal) => console.log(signal.type) };
 * const toSubject: SignalObserver = new Subject<RecoverySignal>();
 * source$.pipe(withRecovery(undefined, { signals: toLog })).subscribe();
 * ```
 */
export type SignalObserver = Partial<Observer<RecoverySignal>>;

/** True when pushing to `observer` can reach anybody (`Subject.observed`, else present). */
export function isListening(observer: Partial<Observer<never>> | undefined): boolean {
  if (observer === undefined) return false;
  try {
    if (typeof observer.next !== 'function') return false;
    const { observed } = observer as { observed?: unknown };
    return typeof observed !== 'boolean' || observed;
  } catch {
    return true; // a throwing getter: let the guarded push find out and report it
  }
}

/**
 * The states of a circuit breaker: `closed` (calls pass), `open` (calls are refused with a
 * `BrokenCircuitError`), `half_open` (a few trial calls pass), `isolated` (opened by hand
 * with `isolate()`, until released).
 *
 * @example
 * ```ts
 * import type { CircuitState } from 'rx-recovery';
 *
 * const lamp: Record<CircuitState, string> = { closed: '🟢', half_open: '🟡', open: '🔴', isolated: '⛔' };
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half_open' | 'isolated';

/**
 * A circuit breaker changed state. Its `correlationId` is `circuit:<breakerName>`: a
 * transition belongs to the breaker, not to one subscription.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'circuit_state_changed') console.log(`${signal.breakerName}: ${signal.from} → ${signal.to}`);
 * });
 * // Output: model-api: closed → open
 * ```
 */
export interface CircuitStateChangedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'circuit_state_changed';
  /** The breaker's `name`. */
  readonly breakerName: string;
  /** The state it left. */
  readonly from: CircuitState;
  /** The state it entered. */
  readonly to: CircuitState;
}

/**
 * A retry budget could not pay for a step: the step was skipped and the plan moved on.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'retry_budget_exhausted') console.log(`no ${signal.strategy}: budget ${signal.budgetName} is spent`);
 * });
 * ```
 */
export interface RetryBudgetExhaustedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'retry_budget_exhausted';
  /** The budget's `name`. */
  readonly budgetName: string;
  /** The step the budget could not pay for. */
  readonly strategy: 'retry' | 'correct' | 'hedge';
  /** The type of the error being recovered, when a step of a plan was skipped. */
  readonly errorType?: ErrorType | undefined;
  /** The pattern whose step was skipped. */
  readonly patternId?: string | undefined;
}

/**
 * A waiting escalation was resolved (by a person, a `resolve` function, or its timeout).
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'escalation_resolved') console.log(signal.record.id, signal.action);
 * });
 * ```
 */
export interface EscalationResolvedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'escalation_resolved';
  /** The record that was waiting. */
  readonly record: EscalationRecord;
  /** What the resolution did; `timeout` when nobody answered in time. */
  readonly action: 'value' | 'retry' | 'source' | 'complete' | 'abort' | 'timeout';
  /** Why the person aborted: the `reason` of an `abort` resolution, when it gives one. */
  readonly reason?: string | undefined;
}

/**
 * A shared-state store (Redis) stopped answering: fleet objects decide from local state.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'store_degraded') console.warn(`store ${signal.store}: local state only`);
 * });
 * ```
 */
export interface StoreDegradedSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'store_degraded';
  /** The store's prefix. */
  readonly store: string;
  /** What the store's client reported. */
  readonly error: unknown;
}

/**
 * A shared-state store answers again, and local state was resynchronised with it.
 *
 * @example
 * ```ts
 * import { createRecoveryHub } from 'rx-recovery';
 *
 * createRecoveryHub().signals.subscribe((signal) => {
 *   if (signal.type === 'store_recovered') console.info(`store ${signal.store} is back`);
 * });
 * ```
 */
export interface StoreRecoveredSignal extends SignalBase {
  /** Discriminant. */
  readonly type: 'store_recovered';
  /** The store's prefix. */
  readonly store: string;
}

/**
 * A signal of `type` about the subscription of `context` at `at`, with `fields`: the one
 * place the fields every signal carries are read. Frozen.
 */
function signal<S extends RecoverySignal>(
  type: S['type'],
  context: Pick<SignalBase, 'correlationId' | 'workflowId' | 'nodeName'>,
  at: number,
  fields: Omit<S, keyof SignalBase | 'type'>,
): S {
  const { correlationId, workflowId, nodeName } = context;
  return Object.freeze({ type, at, correlationId, workflowId, nodeName, ...fields }) as S;
}

/** Builds an `error_detected` signal. */
export function errorDetectedSignal(
  context: RecoveryContext,
  at: number,
  error: unknown,
  classification: Classification,
  analysisMs: number,
): ErrorDetectedSignal {
  // Written out: one per error, on the path a failing retry loop takes.
  return Object.freeze({
    type: 'error_detected',
    at,
    correlationId: context.correlationId,
    workflowId: context.workflowId,
    nodeName: context.nodeName,
    error,
    classification,
    analysisMs,
  });
}

/** Builds a `recovery_attempt` signal. */
export function recoveryAttemptSignal(
  context: RecoveryContext,
  at: number,
  strategy: RecoveryAttemptSignal['strategy'],
  attempt: number,
  delayMs: number,
  classification: Classification,
): RecoveryAttemptSignal {
  // Written out: one per step, on the path a failing retry loop takes.
  const built: { -readonly [K in keyof RecoveryAttemptSignal]: RecoveryAttemptSignal[K] } = {
    type: 'recovery_attempt',
    at,
    correlationId: context.correlationId,
    workflowId: context.workflowId,
    nodeName: context.nodeName,
    strategy,
    attempt,
    delayMs,
    errorType: classification.errorType,
  };
  if (classification.pattern !== undefined) built.patternId = classification.pattern.id;
  return Object.freeze(built);
}

/** Builds a `recovery_completed` signal. */
export function recoveryCompletedSignal(
  context: RecoveryContext,
  at: number,
  result: RecoveryResult,
): RecoveryCompletedSignal {
  return signal('recovery_completed', context, at, { result });
}

/** Builds an `escalated` signal. */
export function escalatedSignal(
  context: RecoveryContext,
  at: number,
  record: EscalationRecord,
): EscalatedSignal {
  return signal('escalated', context, at, { record });
}

/**
 * The `observer_error` signal reporting that `consumer` failed while taking something
 * about the subscription of `about` (a signal, or the fields every signal carries).
 */
export function observerErrorSignal(
  about: SignalBase,
  error: unknown,
  consumer: ObserverErrorSignal['source'],
  record?: EscalationRecord,
): ObserverErrorSignal {
  return signal('observer_error', about, about.at, {
    error,
    source: consumer,
    ...(record === undefined ? {} : { record }),
  });
}

/** Builds a `circuit_state_changed` signal; its correlation id is `circuit:<name>`. */
export function circuitStateChangedSignal(
  at: number,
  breakerName: string,
  from: CircuitState,
  to: CircuitState,
): CircuitStateChangedSignal {
  return signal('circuit_state_changed', { correlationId: `circuit:${breakerName}` }, at, {
    breakerName,
    from,
    to,
  });
}

/** Builds a `retry_budget_exhausted` signal. */
export function retryBudgetExhaustedSignal(
  context: RecoveryContext,
  at: number,
  budgetName: string,
  strategy: RetryBudgetExhaustedSignal['strategy'],
  classification?: Classification,
): RetryBudgetExhaustedSignal {
  const pattern = classification?.pattern;
  return signal('retry_budget_exhausted', context, at, {
    budgetName,
    strategy,
    ...(classification === undefined ? {} : { errorType: classification.errorType }),
    ...(pattern === undefined ? {} : { patternId: pattern.id }),
  });
}

/** Builds an `escalation_resolved` signal. */
export function escalationResolvedSignal(
  at: number,
  record: EscalationRecord,
  action: EscalationResolvedSignal['action'],
  reason?: string,
): EscalationResolvedSignal {
  return signal('escalation_resolved', record.context, at, {
    record,
    action,
    ...(reason === undefined ? {} : { reason }),
  });
}

/** Builds a `store_degraded` signal; its correlation id is `store:<prefix>`. */
export function storeDegradedSignal(
  at: number,
  store: string,
  error: unknown,
): StoreDegradedSignal {
  return signal('store_degraded', { correlationId: `store:${store}` }, at, { store, error });
}

/** Builds a `store_recovered` signal; its correlation id is `store:<prefix>`. */
export function storeRecoveredSignal(at: number, store: string): StoreRecoveredSignal {
  return signal('store_recovered', { correlationId: `store:${store}` }, at, { store });
}
