import {
  BehaviorSubject,
  type Observable,
  type Observer,
  Subject,
  Subscription,
  type Subscription as SubscriptionType,
} from 'rxjs';
import { metricsOf, type RecoveryMetric } from './metrics.js';
import type { ObserverErrorSignal, RecoverySignal } from './signals.js';
import { emptyStatistics, type RecoveryStatistics, reduceStatistics } from './statistics.js';

type Consumer = ObserverErrorSignal['source'];
type Report = (error: unknown, consumer: Consumer) => void;

/**
 * Wraps a consumer's callbacks so that a throw is reported instead of reaching RxJS,
 * which would rethrow it asynchronously as an uncaught error. Operator subscribers
 * (piped consumers) pass through as they are: they catch their own consumers' throws.
 */
function guard<T>(
  observerOrNext: Partial<Observer<T>> | ((value: T) => void) | null | undefined,
  report: Report,
  consumer: Consumer,
): Partial<Observer<T>> | ((value: T) => void) | null | undefined {
  if (observerOrNext instanceof Subscription) return observerOrNext;
  const observer: Partial<Observer<T>> =
    typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
  const safely =
    <A extends unknown[]>(call: (...args: A) => void) =>
    (...args: A) => {
      try {
        call(...args);
      } catch (error) {
        report(error, consumer);
      }
    };
  return {
    next: safely((value: T) => observer.next?.(value)),
    error: safely((error: unknown) => observer.error?.(error)),
    complete: safely(() => observer.complete?.()),
  };
}

/** A Subject whose direct subscribers cannot break its other subscribers or the process. */
class ConsumerSubject<T> extends Subject<T> {
  constructor(
    private readonly report: Report,
    private readonly consumer: Consumer,
  ) {
    super();
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
  ): SubscriptionType {
    return super.subscribe(
      guard(observerOrNext, this.report, this.consumer) as Partial<Observer<T>>,
    );
  }
}

/** The same, holding a current value for late subscribers. */
class ConsumerBehaviorSubject<T> extends BehaviorSubject<T> {
  constructor(
    value: T,
    private readonly report: Report,
  ) {
    super(value);
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
  ): SubscriptionType {
    return super.subscribe(
      guard(observerOrNext, this.report, 'statistics') as Partial<Observer<T>>,
    );
  }
}

/** Where many pipelines publish their recovery signals, metrics and statistics. */
export interface RecoveryHub {
  /** Every signal of every pipeline that publishes here, `observer_error` included. */
  readonly signals: Subject<RecoverySignal>;
  /** Metrics derived from the signals; `recovery.success_rate` is the hub's. */
  readonly metrics: Subject<RecoveryMetric>;
  /** The statistics, current value first, then after every change. */
  readonly statistics$: Observable<RecoveryStatistics>;
  /** The statistics now. */
  snapshot(): RecoveryStatistics;
  /** Folds a signal into the statistics and publishes it with its metrics. Operators call this. */
  publish(signal: RecoverySignal): void;
  readonly isRecoveryHub: true;
}

/**
 * Creates a hub: pass it as `withRecovery(patterns, { hub })` (any number of pipelines
 * may share one) and subscribe to `signals`, `metrics` or `statistics$`.
 *
 * A direct subscriber that throws never breaks the pipeline, never starves the other
 * subscribers and never crashes the process: the throw is reported once as an
 * `observer_error` signal, delivered after the signal being delivered, so no subscriber
 * sees signals out of order. Statistics are a running reducer: O(1) memory.
 *
 * @example
 * ```ts
 * import { createRecoveryHub, withRecovery } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * hub.signals.subscribe((signal) => console.log(signal.type));
 * hub.statistics$.subscribe((stats) => console.log(stats.successRate));
 * generation$.pipe(withRecovery(undefined, { hub })).subscribe();
 * // Output: error_detected, recovery_attempt, recovery_completed … and 0, 1 …
 * ```
 */
export function createRecoveryHub(): RecoveryHub {
  let statistics = emptyStatistics;
  let current: RecoverySignal | null = null;
  const queue: RecoverySignal[] = [];
  let draining = false;

  const report: Report = (error, consumer) => {
    if (current === null || current.type === 'observer_error') return;
    const { at, correlationId, workflowId, nodeName } = current;
    queue.push(
      Object.freeze({
        type: 'observer_error',
        at,
        correlationId,
        workflowId,
        nodeName,
        error,
        source: consumer,
      }),
    );
  };
  const signals = new ConsumerSubject<RecoverySignal>(report, 'signals');
  const metrics = new ConsumerSubject<RecoveryMetric>(report, 'metrics');
  const statistics$ = new ConsumerBehaviorSubject<RecoveryStatistics>(statistics, report);

  const deliver = (signal: RecoverySignal) => {
    current = signal;
    const next = reduceStatistics(statistics, signal);
    signals.next(signal);
    if (metrics.observed) {
      for (const metric of metricsOf(signal, next.successRate)) metrics.next(metric);
    }
    if (next !== statistics) {
      statistics = next;
      statistics$.next(next);
    }
    current = null;
  };

  return Object.freeze({
    signals,
    metrics,
    statistics$: statistics$ as Observable<RecoveryStatistics>,
    snapshot: () => statistics,
    publish(signal: RecoverySignal) {
      queue.push(signal);
      if (draining) return;
      draining = true;
      try {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) deliver(next);
      } finally {
        draining = false;
      }
    },
    isRecoveryHub: true as const,
  });
}

/** True for a {@link RecoveryHub}, also one from another copy of the package. */
export function isRecoveryHub(value: unknown): value is RecoveryHub {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isRecoveryHub?: unknown }).isRecoveryHub === true
  );
}
