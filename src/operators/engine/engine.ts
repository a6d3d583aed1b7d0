import {
  from,
  type MonoTypeOperatorFunction,
  Observable,
  type ObservableInput,
  type Observer,
  type SchedulerLike,
  type Subscriber,
  Subscription,
  timer,
  type Unsubscribable,
} from 'rxjs';
import { hubListening, publishTo, type RecoveryHub } from '../../observability/hub.js';
import { metricsOf, type RecoveryMetric } from '../../observability/metrics.js';
import {
  errorDetectedSignal,
  isListening,
  observerErrorSignal,
  type RecoveryResult,
  type RecoverySignal,
  recoveryAttemptSignal,
  recoveryCompletedSignal,
  type SignalObserver,
} from '../../observability/signals.js';
import type { Classification, Classifier } from '../../patterns/classifier.js';
import { errorText } from '../../patterns/errorText.js';
import type { RecoveryStrategy } from '../../patterns/errorTypes.js';
import {
  type AttemptContext,
  type ContextOptions,
  newCorrelationId,
  type RecoveryContext,
} from '../../strategies/context.js';
import { isEscalationError } from '../../strategies/EscalationError.js';
import type { RecoveryStep, StrategySet } from '../../strategies/strategy.js';
import {
  charge,
  type DecisionInput,
  decide,
  newPlanState,
  type PaidStrategy,
  type PlanLimits,
  type PlanState,
  resetBudgets,
} from './decide.js';

/** What the engine asks of a classifier: `createClassifier`'s, or an operator's constant one. */
export type ClassifyFn = Pick<Classifier, 'classify'>;

/** Everything the engine needs, checked and with defaults applied. */
export interface EngineConfig<T> extends PlanLimits {
  readonly classifier: ClassifyFn;
  /** The `context` option, frozen; the correlation id is made per subscription when absent. */
  readonly context: Readonly<ContextOptions>;
  /** The strategies of one subscription, made when its first error arrives. */
  readonly strategies: () => Partial<StrategySet<T>>;
  /** Whether a value or completion after a recovery resets the budgets (`retry.resetOnSuccess`). */
  readonly resetOnSuccess: boolean;
  readonly signals?: SignalObserver | undefined;
  readonly metrics?: Partial<Observer<RecoveryMetric>> | undefined;
  readonly hub?: RecoveryHub | undefined;
  readonly scheduler: SchedulerLike;
  readonly clock: () => number;
  /**
   * Applied once to the source the operator is given: what the engine subscribes and
   * retries (a circuit breaker's calls). Alternatives, levels and corrections are not guarded.
   */
  readonly guard?: ((source: Observable<T>) => Observable<T>) | undefined;
  // The parts below are given by the operators that offer them, so the others never carry them.
  /**
   * Builds the {@link AttemptContext} a strategy asks for (`attemptContext` of
   * `./attemptContext.js`): given by every operator whose strategies read it (all but
   * `retryBackoff`).
   */
  readonly attemptContext?: ((run: Run<T>, attempt: number) => AttemptContext) | undefined;
  /** Prepares each attempt's subscriber before it subscribes (`attemptTimeoutMs`). */
  readonly attach?:
    | ((run: Run<T>, inner: SourceSubscriber<T>, next: ObservableInput<T>) => void)
    | undefined;
  /**
   * Takes an `escalate` decision: tells whom it must, and ends the stream or waits
   * (`escalation.await`). Given by the operators whose plans escalate.
   */
  readonly escalate?:
    | ((run: Run<T>, decision: EscalateDecision<T>, error: unknown) => void)
    | undefined;
  /** A recovery must succeed within a time (`deadlineMs`). */
  readonly deadline?:
    | {
        /** A recovery starts: arm its deadline. */
        start(run: Run<T>, recovery: Recovery, now: number): void;
        /** Whether a wait ending at `end` passes the deadline; if so, it has ended the recovery. */
        passes(run: Run<T>, recovery: Recovery, end: number): boolean;
      }
    | undefined;
  /**
   * A subscription of the operator: a shared retry budget's deposit, unless `cover` is on
   * (an operator downstream has deposited for this request already).
   */
  readonly subscribed?: (() => void) | undefined;
  /** A shared retry budget's {@link Cover}. */
  readonly cover?: Cover | undefined;
  /** Steps a shared retry budget could not pay for (`mayRetry` said no). */
  readonly skipped?: ((run: Run<T>, skipped: readonly PaidStrategy[]) => void) | undefined;
}

/**
 * A shared retry budget's cover: whether the subscriptions made now belong to a request
 * deposited already. On while an operator that deposited subscribes its source (a retry,
 * any step, a hedge), so that a `hedge` or another engine upstream sharing the budget does
 * not deposit again; off while an event goes downstream, where a new request may start.
 * Whoever sets it puts it back as it found it, within one synchronous call, so pipelines
 * that share the budget never see another's. A field, not a call: a value going
 * downstream pays one read for it.
 */
export interface Cover {
  on: boolean;
}

/** An `escalate` decision of {@link decide}. */
export type EscalateDecision<T> = Extract<RecoveryStep<T>, { kind: 'escalate' }>;

/**
 * The subscriber of one source subscription. A `Subscription` with `next`/`error`/
 * `complete` is used by RxJS as the subscriber itself, so unsubscribing it — which the
 * engine does when its downstream unsubscribes — stops even a synchronous source at once
 * (as `take(1)` after `range` expects). It finalizes the source before passing an error on,
 * so the source's teardown runs before the next cycle.
 */
export class SourceSubscriber<T> extends Subscription implements Observer<T> {
  /** The attempt's timeout (`attemptTimeoutMs`), disarmed by its first value or completion. */
  declare timeout: Subscription | undefined;
  declare private readonly run: Run<T>;

  constructor(run: Run<T>) {
    super();
    this.run = run;
  }

  // Each event goes on with a shared budget's cover lifted ({@link Cover}), then put back.
  next(value: T): void {
    if (this.closed) return;
    this.timeout?.unsubscribe();
    const lifted = this.lift();
    this.run.healthy().next(value);
    if (lifted) lifted.on = true;
  }

  error(error: unknown): void {
    if (this.closed) return;
    this.unsubscribe();
    const lifted = this.lift();
    this.run.recover(error);
    if (lifted) lifted.on = true;
  }

  complete(): void {
    if (this.closed) return;
    this.unsubscribe();
    const lifted = this.lift();
    this.run.healthy().complete();
    if (lifted) lifted.on = true;
  }

  /** Lifts the budget's cover when it is on, and returns it, to be put back. */
  private lift(): Cover | undefined {
    const { cover } = this.run.config;
    if (!cover?.on) return undefined;
    cover.on = false;
    return cover;
  }
}

/** One recovery: from the first error after a healthy moment to the next healthy moment. */
export interface Recovery {
  readonly startedAt: number;
  /** The type of the error that started the recovery: the result's `errorType`. */
  readonly startedBy: Classification['errorType'];
  /** The last error of the recovery, and its classification (whose plan ran last). */
  lastError: unknown;
  classification: Classification;
  attempts: number;
  strategyUsed: RecoveryResult['strategyUsed'];
  degradationLevel?: string | undefined;
  /** When the deadline (`deadlineMs`) falls, and its timer: ended with the recovery. */
  deadlineAt?: number | undefined;
  timer?: Subscription | undefined;
}

/**
 * One subscription of an rx-recovery operator. Shaped like RxJS's `retry`: subscribe the
 * source; on an error, ask {@link decide} for the next step, publish what was decided, and
 * subscribe the step's source (after its delay). Synchronous failures are turns of a loop,
 * not stack frames. It is also the {@link StepInput} strategies read (one object per
 * subscription: nothing is allocated per attempt for it), and what the engine's optional
 * parts (escalation, deadlines, timeouts, attempt contexts), given by the operators that
 * offer them in {@link EngineConfig}, work on.
 */
export class Run<T> implements DecisionInput<T> {
  /** Who is recovering ({@link subscriptionContext}): born with the first error. */
  private ctx: RecoveryContext | null = null;
  /** The plan's memory (budgets, strategies' state): born with the first error. */
  plan: PlanState<T> | null = null;
  /**
   * The recovery under way. Its last error and classification are also a memory: a retry
   * that fails with the same error object is recalled, not classified again.
   */
  recovery: Recovery | null = null;
  /**
   * The attempt under way, or the backoff wait (never both): what the downstream's
   * unsubscribe, or a deadline, ends.
   */
  private live: Unsubscribable | null = null;
  /**
   * The end of the next step's context (its `signal`), set by `attemptContext`: tied to the
   * attempt subscribed next, or ended at once when no step is taken.
   */
  abort: Unsubscribable | null = null;
  /** The message, name and code of the last error (see {@link sameFace}). */
  private readonly face: unknown[] = [undefined, undefined, undefined];
  /** Whether {@link subscribeTo}'s loop is running: a step taken meanwhile is queued. */
  private subscribing = false;
  /** The source to subscribe next, queued by a step taken while a subscribe was under way. */
  private queued: ObservableInput<T> | null = null;
  /** Recoveries finished, and succeeded: the success-rate gauge of `metrics` without a hub. */
  private finished = 0;
  private succeeded = 0;
  /** What the strategies read ({@link StepInput}): the error being decided. */
  declare error: unknown;
  declare classification: Classification;
  /** Scheduler time of the error being decided, read when first needed. */
  private time: number | undefined;
  declare readonly config: EngineConfig<T>;
  declare readonly subscriber: Subscriber<T>;
  declare readonly source: Observable<T>;
  /** Whether anybody takes signals: only then are they built. */
  declare readonly publishing: boolean;

  constructor(config: EngineConfig<T>, subscriber: Subscriber<T>, source: Observable<T>) {
    this.config = config;
    this.subscriber = subscriber;
    this.source = source;
    this.publishing = !!(config.signals || config.metrics || config.hub);
  }

  /**
   * Scheduler time of the error being decided ({@link StepInput}), read once, when first
   * needed: a retry loop nobody watches reads no clock unless its strategy asks.
   */
  get now(): number {
    this.time ??= this.config.scheduler.now();
    return this.time;
  }

  /** Forgets the time read: the next error (or the deadline) is decided at its own time. */
  tick(): void {
    this.time = undefined;
  }

  /** Steps the current recovery has taken so far ({@link StepInput}). */
  get recoveryAttempts(): number {
    return this.recovery?.attempts ?? 0;
  }

  /** The context of a step's attempt ({@link StepInput}); built by the operator's `attemptContext`. */
  context(attempt: number): AttemptContext {
    return (this.config.attemptContext as NonNullable<EngineConfig<T>['attemptContext']>)(
      this,
      attempt,
    );
  }

  /** The subscription's context, made with its first error (and the plan's state with it). */
  get subscriptionContext(): RecoveryContext {
    if (!this.ctx) {
      const { context, strategies } = this.config;
      this.ctx = Object.freeze({
        ...context,
        correlationId: context.correlationId ?? newCorrelationId(),
      });
      this.plan = newPlanState(strategies());
    }
    return this.ctx;
  }

  /**
   * Ends the attempt or the wait under way: the downstream unsubscribed (or the stream
   * ended), or a deadline fell.
   */
  unsubscribe(): void {
    this.live?.unsubscribe();
  }

  /** A value or the completion of the current attempt: a recovery under way has succeeded. */
  healthy(): Subscriber<T> {
    // Checked here, not only in `finish`: the happy path pays one field read per value.
    if (this.recovery) this.finish(true);
    return this.subscriber;
  }

  /** Publishes `signal` to the hub, the `signals` observer and the `metrics` observer. */
  emit(signal: RecoverySignal): void {
    const { hub, signals, metrics } = this.config;
    // The hub first: a throwing `signals` observer's report then follows the signal there too.
    if (hub) publishTo(hub, signal);
    if (signals) this.tell(signals, signal, signal, 'signals');
    if (!metrics) return;
    // The success-rate gauge (of a recovery_completed): the hub's rate, with a hub (the same
    // figure its own metrics carry); else this subscription's.
    const rate =
      signal.type !== 'recovery_completed'
        ? 0
        : hub
          ? hub.snapshot().successRate
          : this.succeeded / (this.finished || 1);
    for (const metric of metricsOf(signal, rate)) {
      if (!this.tell(metrics, metric, signal, 'metrics')) break;
    }
  }

  /**
   * Hands `value` (`signal`, or one of its metrics) to a consumer. One that throws is
   * reported in an `observer_error` signal (but not about such a signal itself): false.
   */
  private tell<V>(
    consumer: Partial<Observer<V>>,
    value: V,
    signal: RecoverySignal,
    name: 'signals' | 'metrics',
  ): boolean {
    try {
      consumer.next?.(value);
      return true;
    } catch (error) {
      if (signal.type !== 'observer_error') this.emit(observerErrorSignal(signal, error, name));
      return false;
    }
  }

  /** Ends the ongoing recovery, if any, well or not, and publishes how. */
  finish(success: boolean, lastError?: unknown): void {
    const ended = this.recovery;
    if (!ended) return;
    this.recovery = null;
    ended.timer?.unsubscribe();
    if (success && this.config.resetOnSuccess) resetBudgets(this.plan as PlanState<T>);
    if (!this.publishing) return;
    this.finished += 1;
    if (success) this.succeeded += 1;
    const { pattern } = ended.classification;
    const now = this.config.scheduler.now();
    const context = this.ctx as RecoveryContext;
    // Optional fields are left out, not set to undefined; the key order is the type's.
    const { degradationLevel } = ended;
    const result: RecoveryResult = Object.freeze({
      success,
      strategyUsed: ended.strategyUsed,
      attempts: ended.attempts,
      durationMs: now - ended.startedAt,
      errorType: ended.startedBy,
      ...(pattern && {
        patternId: pattern.id,
        ...(pattern.metadata && { metadata: pattern.metadata }),
      }),
      ...(degradationLevel && { degradationLevel }),
      ...(!success && { errorMessage: errorText(lastError) }),
      correlationId: context.correlationId,
    });
    this.emit(recoveryCompletedSignal(context, now, result));
  }

  /** Ends the recovery as failed, for `lastError`, and the stream with `error`. */
  fail(lastError: unknown, error: unknown = lastError): void {
    this.finish(false, lastError);
    this.subscriber.error(error);
  }

  /** Subscribes `first`, and again whatever fails synchronously meanwhile: a loop, not recursion. */
  subscribeTo(first: ObservableInput<T>): void {
    const { cover } = this.config;
    let next: ObservableInput<T> | null = first;
    this.subscribing = true;
    while (next != null && !this.subscriber.closed) {
      const inner = new SourceSubscriber(this);
      this.live = inner;
      // The step's context ends with its attempt.
      inner.add(this.abort as Unsubscribable); // nothing, when null
      this.abort = null;
      this.config.attach?.(this, inner, next);
      this.queued = null;
      let input: Observable<T> | undefined;
      try {
        input = from(next);
      } catch (notObservable) {
        // A strategy or user callback handed back something that is not an ObservableInput.
        inner.error(notObservable);
      }
      if (cover === undefined) {
        input?.subscribe(inner);
      } else {
        // Under a shared budget's cover: part of the request the engine deposited for.
        const was = cover.on;
        cover.on = true;
        try {
          input?.subscribe(inner);
        } finally {
          cover.on = was;
        }
      }
      next = this.queued;
    }
    this.subscribing = false;
    this.queued = null;
  }

  /** An error from the current attempt: classify it, publish it, and act on it. */
  recover(error: unknown): void {
    // Escalated by an inner pipeline: terminal here too, never wrapped again.
    if (isEscalationError(error)) {
      this.fail(error);
      return;
    }
    const { config, subscriber, publishing } = this;
    const context = this.subscriptionContext;
    this.tick();
    const ongoing = this.recovery;
    let classification: Classification;
    let analysisMs = 0;
    // The same error object again, its message, name and code unchanged (what its text is
    // made of): its classification is recalled. Anything else is classified afresh.
    if (sameFace(error, this.face) && ongoing && error === ongoing.lastError) {
      classification = ongoing.classification;
    } else {
      const { clock, signals, metrics, hub } = config;
      // Classification is timed only for somebody who can see `analysisMs`.
      const timed =
        publishing &&
        (isListening(signals) || isListening(metrics) || (!!hub && hubListening(hub)));
      const started = timed ? clock() : 0;
      classification = config.classifier.classify(error);
      if (timed) analysisMs = clock() - started;
    }
    if (publishing) {
      this.emit(errorDetectedSignal(context, this.now, error, classification, analysisMs));
      // A consumer may have unsubscribed from inside that signal: decide nothing more.
      if (subscriber.closed) return;
    }
    if (!this.recovery) {
      // Unmatched and rethrown: not a recovery.
      if (!classification.plan.length) {
        subscriber.error(error);
        return;
      }
      // `act` records its error and classification.
      // Whole before the deadline starts: a deadline of 0 on a synchronous scheduler reads it.
      this.recovery = {
        startedAt: this.now,
        startedBy: classification.errorType,
        attempts: 0,
        strategyUsed: 'none',
        classification,
        lastError: error,
      };
      config.deadline?.start(this, this.recovery, this.now);
    }
    this.act(error, classification);
  }

  /** Asks for the next step of the ongoing recovery, publishes it, and takes it. */
  act(error: unknown, classification: Classification): void {
    const { config } = this;
    const plan = this.plan as PlanState<T>;
    const ongoing = this.recovery as Recovery;
    ongoing.classification = this.classification = classification;
    ongoing.lastError = this.error = error;
    const decision = decide(plan, config, this);
    if (decision.skipped.length) config.skipped?.(this, decision.skipped);
    if (decision.step === null || decision.step.kind !== 'subscribe') {
      // A strategy that was asked but declined may have made a context: it ends here.
      (this.abort as Unsubscribable | null)?.unsubscribe();
      this.abort = null;
      if (decision.step === null) {
        this.fail(error);
        return;
      }
      ongoing.strategyUsed = 'escalate';
      // Only the operators whose plans escalate give `escalate`.
      config.escalate?.(this, decision.step, error);
      return;
    }
    const { step, attempt } = decision;
    const strategy = decision.strategy as Exclude<RecoveryStrategy, 'escalate'>;
    charge(plan, classification.pattern ?? null, strategy, attempt);
    const { delayMs, source, degradationLevel } = step;
    if (delayMs > 0 && config.deadline?.passes(this, ongoing, this.now + delayMs)) return;
    ongoing.strategyUsed = strategy;
    ongoing.attempts += 1;
    if (degradationLevel) ongoing.degradationLevel = degradationLevel;
    if (this.publishing) {
      this.emit(
        recoveryAttemptSignal(
          this.ctx as RecoveryContext,
          this.now,
          strategy,
          attempt,
          delayMs,
          classification,
        ),
      );
    }
    // Unsubscribed meanwhile — by a consumer of that signal, or by a user callback the step
    // ran (shouldRetry, delayFromError, random…): take no step, leave no timer.
    if (this.subscriber.closed) {
      (this.abort as Unsubscribable | null)?.unsubscribe();
      this.abort = null;
      return;
    }
    if (delayMs > 0) {
      this.live = timer(delayMs, config.scheduler).subscribe(() => this.subscribeTo(source));
    } else if (!this.subscribing) {
      this.subscribeTo(source);
    } else {
      this.queued = source;
    }
  }
}

/**
 * Whether `error`'s message, name and code are those `face` holds, which then holds
 * `error`'s: an error object met again with the same ones reads as the same text. Read
 * without letting a throwing getter through (none of them, then), and without allocating.
 */
function sameFace(error: unknown, face: unknown[]): boolean {
  let message: unknown;
  let name: unknown;
  let code: unknown;
  if ((typeof error === 'object' || typeof error === 'function') && error !== null) {
    try {
      ({ message, name } = error as Error);
      code = (error as { code?: unknown }).code;
    } catch {
      message = name = code = {}; // a getter that throws: never the same
    }
  }
  const same = face[0] === message && face[1] === name && face[2] === code;
  face[0] = message;
  face[1] = name;
  face[2] = code;
  return same;
}

/**
 * The engine: what every rx-recovery operator runs, once its configuration is resolved.
 * See {@link Run}.
 */
export function recoveryOperator<T>(config: EngineConfig<T>): MonoTypeOperatorFunction<T> {
  return (given) => {
    const source = config.guard?.(given) ?? given;
    return new Observable<T>((subscriber) => {
      const run = new Run(config, subscriber, source);
      // Before the first subscribe: a synchronous source must see an unsubscribe at once.
      subscriber.add(run);
      config.subscribed?.();
      run.subscribeTo(source);
    });
  };
}
