import {
  from,
  type MonoTypeOperatorFunction,
  Observable,
  type ObservableInput,
  type Observer,
  type Subscriber,
  Subscription,
  TimeoutError,
  throwError,
  timer,
} from 'rxjs';
import { hubListening, publishTo } from '../../observability/hub.js';
import { metricsOf } from '../../observability/metrics.js';
import {
  errorDetectedSignal,
  escalatedSignal,
  isListening,
  observerErrorSignal,
  type RecoveryResult,
  type RecoverySignal,
  recoveryAttemptSignal,
  recoveryCompletedSignal,
  retryBudgetExhaustedSignal,
} from '../../observability/signals.js';
import type { Classification } from '../../patterns/classifier.js';
import { errorText } from '../../patterns/errorText.js';
import {
  type AttemptContext,
  newCorrelationId,
  type RecoveryContext,
} from '../../strategies/context.js';
import { type EscalationRecord, isEscalationError } from '../../strategies/EscalationError.js';
import type { EngineConfig } from './config.js';
import {
  type Decision,
  decide,
  newPlanState,
  type PlanLimits,
  type PlanState,
  resetBudgets,
} from './decide.js';

/**
 * The subscriber of one source subscription. A `Subscription` with `next`/`error`/
 * `complete` is used by RxJS as the subscriber itself, so unsubscribing it — or the
 * downstream it is added to — stops even a synchronous source at once (as `take(1)`
 * after `range` expects). It finalizes the source before passing an error on, so the
 * source's teardown runs before the next cycle.
 */
class SourceSubscriber<T> extends Subscription implements Observer<T> {
  /** The attempt's timeout, disarmed by its first value or completion. */
  timeout: Subscription | undefined;

  constructor(private readonly handlers: Observer<T>) {
    super();
  }

  next(value: T): void {
    if (this.closed) return;
    this.timeout?.unsubscribe();
    this.handlers.next(value);
  }

  error(error: unknown): void {
    if (this.closed) return;
    this.unsubscribe();
    this.handlers.error(error);
  }

  complete(): void {
    if (this.closed) return;
    this.unsubscribe();
    this.handlers.complete();
  }
}

/** One recovery: from the first error after a healthy moment to the next healthy moment. */
interface Recovery {
  readonly startedAt: number;
  /** The deadline's timer (`deadlineMs`), and when it falls. */
  deadline?: Subscription;
  deadlineAt?: number;
  /** The last error of the recovery: the `cause` of a deadline's error. */
  lastError: unknown;
  /** The type of the error that started the recovery: the result's `errorType`. */
  readonly startedBy: Classification['errorType'];
  attempts: number;
  strategyUsed: RecoveryResult['strategyUsed'];
  classification: Classification;
  degradationLevel?: string;
}

/** What a subscription needs once an error arrives, and not before. */
interface ErrorState<T> {
  readonly context: RecoveryContext;
  readonly plan: PlanState<T>;
  /** Recoveries finished and succeeded, for the success-rate gauge of `metrics` without a hub. */
  finished: number;
  succeeded: number;
}

/**
 * The engine: what every rx-recovery operator runs, once its configuration is resolved.
 * Shaped like RxJS's `retry`: subscribe the source; on an error, ask {@link decide} for the
 * next step, publish what was decided, and subscribe the step's source (after its delay).
 * Synchronous failures are turns of a loop, not stack frames.
 */
export function recoveryOperator<T>(config: EngineConfig<T>): MonoTypeOperatorFunction<T> {
  const { classifier, scheduler, signals, metrics, hub, clock, budget } = config;
  /** The plan's bounds; a shared budget pays for retry and correct steps. */
  const limits: PlanLimits =
    budget === undefined ? config : { ...config, mayRetry: () => budget.tryWithdraw() };
  /** Whether anybody takes signals: only then are they built. */
  const publishing = signals !== undefined || metrics !== undefined || hub !== undefined;
  /** Classification is timed only for somebody who can see `analysisMs`. */
  const timed = () =>
    isListening(signals) || isListening(metrics) || (hub !== undefined && hubListening(hub));

  return (given) => {
    const source = config.guard === undefined ? given : config.guard(given);
    return new Observable<T>((subscriber: Subscriber<T>) => {
      let state: ErrorState<T> | null = null;
      let recovery: Recovery | null = null;
      /** The source to subscribe next, set when an error arrives while a subscribe is under way. */
      let pending: ObservableInput<T> | null = null;
      let subscribing = false;
      /** The attempt under way, and the backoff wait, which a deadline ends. */
      let current: SourceSubscriber<T> | null = null;
      let waiting: Subscription | null = null;
      /** The abort controller of the next step's context, aborted when that attempt ends. */
      let stepAbort: AbortController | null = null;

      const errorState = (): ErrorState<T> => {
        state ??= {
          context: Object.freeze({
            ...config.context,
            correlationId: config.context.correlationId ?? newCorrelationId(),
          }),
          plan: newPlanState(config.strategies()),
          finished: 0,
          succeeded: 0,
        };
        return state;
      };

      const reportObserverError = (
        failed: RecoverySignal,
        error: unknown,
        consumer: 'signals' | 'metrics',
      ) => {
        if (failed.type !== 'observer_error') emit(observerErrorSignal(failed, error, consumer));
      };

      function emit(signal: RecoverySignal): void {
        // The hub first: a throwing `signals` observer's report then follows the signal there too.
        if (hub !== undefined) publishTo(hub, signal);
        if (signals !== undefined) {
          try {
            signals.next?.(signal);
          } catch (error) {
            reportObserverError(signal, error, 'signals');
          }
        }
        if (metrics !== undefined) {
          const counts = errorState();
          if (signal.type === 'recovery_completed') {
            counts.finished += 1;
            if (signal.result.success) counts.succeeded += 1;
          }
          const rate = counts.finished === 0 ? 0 : counts.succeeded / counts.finished;
          for (const metric of metricsOf(signal, rate)) {
            try {
              metrics.next?.(metric);
            } catch (error) {
              reportObserverError(signal, error, 'metrics');
              break;
            }
          }
        }
      }

      const finish = (success: boolean, lastError?: unknown) => {
        const ended = recovery;
        if (ended === null) return;
        recovery = null;
        ended.deadline?.unsubscribe();
        const state = errorState();
        if (success && config.resetOnSuccess) resetBudgets(state.plan);
        if (!publishing) return;
        const { pattern } = ended.classification;
        const now = scheduler.now();
        const result: RecoveryResult = Object.freeze({
          success,
          strategyUsed: ended.strategyUsed,
          attempts: ended.attempts,
          durationMs: now - ended.startedAt,
          errorType: ended.startedBy,
          ...(pattern === undefined ? {} : { patternId: pattern.id }),
          ...(pattern?.metadata === undefined ? {} : { metadata: pattern.metadata }),
          ...(ended.degradationLevel === undefined
            ? {}
            : { degradationLevel: ended.degradationLevel }),
          ...(success ? {} : { errorMessage: errorText(lastError) }),
          correlationId: state.context.correlationId,
        });
        emit(recoveryCompletedSignal(state.context, now, result));
      };

      const handlers: Observer<T> = {
        next: (value) => {
          if (recovery !== null) finish(true);
          subscriber.next(value);
        },
        complete: () => {
          if (recovery !== null) finish(true);
          subscriber.complete();
        },
        error: (error) => recover(error),
      };

      /** Subscribes `first`, and again whatever fails synchronously meanwhile: a loop, not recursion. */
      const subscribeTo = (first: ObservableInput<T>) => {
        let next: ObservableInput<T> | null = first;
        while (next !== null && !subscriber.closed) {
          const inner = new SourceSubscriber(handlers);
          subscriber.add(inner);
          current = inner;
          if (stepAbort !== null) {
            const controller = stepAbort;
            stepAbort = null;
            inner.add(() => controller.abort());
          }
          if (
            config.attemptTimeoutMs !== undefined &&
            (config.sourceTimed !== true || next !== source)
          ) {
            inner.timeout = timer(config.attemptTimeoutMs, scheduler).subscribe(() =>
              inner.error(new TimeoutError()),
            );
            inner.add(inner.timeout);
          }
          pending = null;
          subscribing = true;
          let input: Observable<T>;
          try {
            input = from(next);
          } catch (notObservable) {
            // A strategy or user callback handed back something that is not an ObservableInput.
            input = throwError(() => notObservable);
          }
          input.subscribe(inner);
          subscribing = false;
          next = pending;
        }
        pending = null;
      };

      const escalate = (record: EscalationRecord, context: RecoveryContext, now: number) => {
        // Reported even after the stream has ended (escalation ends it at once): the
        // record must reach somebody.
        const report = (error: unknown) =>
          emit(
            observerErrorSignal({ ...context, at: scheduler.now() }, error, 'onEscalate', record),
          );
        if (publishing) emit(escalatedSignal(context, now, record));
        if (config.onEscalate === undefined) return;
        try {
          const returned: unknown = config.onEscalate(record);
          if (returned !== null && typeof (returned as PromiseLike<unknown>)?.then === 'function') {
            (returned as PromiseLike<unknown>).then(undefined, report);
          }
        } catch (error) {
          report(error);
        }
      };

      const classify = (error: unknown): { classification: Classification; analysisMs: number } => {
        if (!publishing || !timed()) {
          return { classification: classifier.classify(error), analysisMs: 0 };
        }
        const started = clock();
        const classification = classifier.classify(error);
        return { classification, analysisMs: clock() - started };
      };

      /** The deadline fell: stop the attempt or the wait, then escalate (if the plan can) or end. */
      const deadlineReached = (ongoing: Recovery) => {
        if (recovery !== ongoing || config.deadline === undefined) return;
        current?.unsubscribe();
        waiting?.unsubscribe();
        const { classification } = ongoing;
        const escalates = classification.plan.includes('escalate');
        act(config.deadline.error(ongoing.lastError), {
          ...classification,
          plan: escalates ? ['escalate'] : [],
        });
      };

      function recover(error: unknown): void {
        if (isEscalationError(error)) {
          // Escalated by an inner pipeline: terminal here too, never wrapped again.
          finish(false, error);
          subscriber.error(error);
          return;
        }
        const { context } = errorState();
        const now = scheduler.now();
        const { classification, analysisMs } = classify(error);
        if (publishing) {
          emit(errorDetectedSignal(context, now, error, classification, analysisMs));
          // A consumer may have unsubscribed from inside that signal: decide nothing more.
          if (subscriber.closed) return;
        }
        if (recovery === null && classification.plan.length === 0) {
          subscriber.error(error); // unmatched and rethrown: not a recovery
          return;
        }
        if (recovery === null) {
          const started: Recovery = {
            startedAt: now,
            startedBy: classification.errorType,
            attempts: 0,
            strategyUsed: 'none',
            classification,
            lastError: error,
          };
          recovery = started;
          if (config.deadline !== undefined) {
            started.deadlineAt = now + config.deadline.ms;
            started.deadline = timer(config.deadline.ms, scheduler).subscribe(() =>
              deadlineReached(started),
            );
            subscriber.add(started.deadline);
          }
        }
        act(error, classification);
      }

      /** Asks for the next step of the ongoing recovery, publishes it, and takes it. */
      function act(error: unknown, classification: Classification): void {
        const ongoing = recovery as Recovery;
        const state = errorState();
        const { context } = state;
        const now = scheduler.now();
        ongoing.classification = classification;
        ongoing.lastError = error;
        stepAbort = null;
        const decision: Decision<T> = decide(state.plan, limits, {
          error,
          classification,
          source,
          now,
          recoveryAttempts: ongoing.attempts,
          context: (attempt): AttemptContext => {
            stepAbort ??= new AbortController();
            return Object.freeze({
              ...context,
              error,
              errorType: classification.errorType,
              ...(classification.pattern === undefined
                ? {}
                : { patternId: classification.pattern.id }),
              attempt,
              signal: stepAbort.signal,
            });
          },
        });
        if (publishing && budget !== undefined) {
          for (const skipped of decision.skipped) {
            emit(retryBudgetExhaustedSignal(context, now, budget.name, skipped, classification));
          }
        }
        if (decision.kind !== 'step') {
          (stepAbort as AbortController | null)?.abort(); // set by a strategy that declined
          stepAbort = null;
        }
        switch (decision.kind) {
          case 'spent':
            finish(false, error);
            subscriber.error(error);
            return;
          case 'escalate': {
            ongoing.strategyUsed = 'escalate';
            const end = () => {
              finish(false, error);
              if (decision.complete) subscriber.complete();
              else subscriber.error(decision.error);
            };
            if (config.pause === undefined) {
              escalate(decision.record, context, now);
              end();
              return;
            }
            const record: EscalationRecord = Object.freeze({ ...decision.record, pending: true });
            escalate(record, context, now);
            subscriber.add(
              config.pause({
                record,
                ...(hub === undefined ? {} : { hub }),
                scheduler,
                emit,
                resume: {
                  value: (value) => {
                    finish(true);
                    subscriber.next(value);
                    subscriber.complete();
                  },
                  retry: () => {
                    resetBudgets(state.plan);
                    subscribeTo(source);
                  },
                  source: (next) => subscribeTo(next),
                  complete: () => {
                    finish(true);
                    subscriber.complete();
                  },
                  abort: () => {
                    finish(false, error);
                    subscriber.error(decision.error);
                  },
                  timeout: end,
                },
              }),
            );
            return;
          }
          case 'step':
            break;
        }
        const { strategy, attempt, delayMs } = decision;
        if (delayMs > 0 && ongoing.deadlineAt !== undefined && now + delayMs > ongoing.deadlineAt) {
          // A backoff that would end past the deadline is not waited.
          deadlineReached(ongoing);
          return;
        }
        ongoing.strategyUsed = strategy;
        ongoing.attempts += 1;
        if (decision.degradationLevel !== undefined) {
          ongoing.degradationLevel = decision.degradationLevel;
        }
        if (publishing) {
          emit(recoveryAttemptSignal(context, now, strategy, attempt, delayMs, classification));
        }
        if (delayMs > 0) {
          waiting = timer(delayMs, scheduler).subscribe(() => {
            waiting = null;
            subscribeTo(decision.source);
          });
          subscriber.add(waiting);
        } else if (subscribing) {
          pending = decision.source;
        } else {
          subscribeTo(decision.source);
        }
      }

      budget?.deposit();
      subscribeTo(source);
    });
  };
}
