import {
  BehaviorSubject,
  type Observable,
  type Observer,
  Subject,
  Subscription,
  type Subscription as SubscriptionType,
} from 'rxjs';
import { metricsOf, type RecoveryMetric } from './metrics.js';
import { type ObserverErrorSignal, observerErrorSignal, type RecoverySignal } from './signals.js';
import { type RecoveryStatistics, StatisticsAccumulator } from './statistics.js';

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
  /**
   * @param refresh The current value when it changed while nobody subscribed (the hub
   *   skips building it then), else `undefined`.
   */
  constructor(
    value: T,
    private readonly report: Report,
    private readonly refresh: () => T | undefined,
  ) {
    super(value);
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
  ): SubscriptionType {
    const current = this.refresh();
    if (current !== undefined) super.next(current);
    return super.subscribe(
      guard(observerOrNext, this.report, 'statistics') as Partial<Observer<T>>,
    );
  }
}

/**
 * Where many pipelines publish their recovery signals, metrics and statistics. Frozen;
 * make one with {@link createRecoveryHub}.
 *
 * In plain words: one place to watch every recovery of an application.
 *
 * @example
 * ```ts
 * import { createRecoveryHub, type RecoveryHub, withRecovery } from 'rx-recovery';
 *
 * const hub: RecoveryHub = createRecoveryHub();
 * hub.signals.subscribe((signal) => logger.info(signal.type, signal.correlationId));
 * hub.metrics.subscribe(({ name, value, tags }) => statsd.gauge(name, value, tags));
 * hub.statistics$.subscribe((stats) => dashboard.update(stats));
 *
 * const at = (nodeName: string) => withRecovery(undefined, { hub, context: { nodeName } });
 * contracts$.pipe(at('generate_code')).subscribe();
 * reviews$.pipe(at('quorum_review')).subscribe();
 * // later:
 * hub.snapshot().successRate; // → e.g. 0.75, over the recoveries of both pipelines
 * ```
 */
export interface RecoveryHub {
  /** Every signal of every pipeline that publishes here, `observer_error` included. */
  readonly signals: Subject<RecoverySignal>;
  /** Metrics derived from the signals; `recovery.success_rate` is the hub's. */
  readonly metrics: Subject<RecoveryMetric>;
  /** The statistics, current value first, then after every change. */
  readonly statistics$: Observable<RecoveryStatistics>;
  /** The statistics now. */
  snapshot(): RecoveryStatistics;
  /**
   * Folds a signal into the statistics and publishes it with its metrics. Operators call
   * this; a signal published while another is being delivered waits its turn.
   */
  publish(signal: RecoverySignal): void;
  /** Brand: always `true`. What {@link isRecoveryHub} checks, across copies of the package. */
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
 * In plain words: a shared notice board for every recovery.
 *
 * Metrics are computed only while somebody subscribes to `metrics`. The hub holds no
 * timers and needs no disposal: it is garbage once nobody references it.
 *
 * @example
 * ```ts
 * import { defer } from 'rxjs';
 * import { createRecoveryHub, withRecovery } from 'rx-recovery';
 *
 * const hub = createRecoveryHub();
 * hub.signals.subscribe((signal) => console.log(signal.type));
 * hub.statistics$.subscribe((stats) => console.log(stats.totalRecoveries, stats.successRate));
 *
 * let calls = 0;
 * defer(async () => {
 *   calls += 1;
 *   if (calls === 1) throw new Error('Request timed out');
 *   return 'generated';
 * })
 *   .pipe(withRecovery(undefined, { hub, retry: { baseDelayMs: 10 } }))
 *   .subscribe((value) => console.log(value));
 * // Output:
 * // 0 0                  (statistics$: the current value first)
 * // error_detected
 * // recovery_attempt
 * // 0 0                  (strategiesUsed changed: { retry: 1 })
 * // recovery_completed
 * // 1 1
 * // generated
 * ```
 * @returns A new, frozen hub with no subscribers and empty statistics.
 * @see isRecoveryHub, asyncSignals
 */
export function createRecoveryHub(): RecoveryHub {
  const statistics = new StatisticsAccumulator();
  /** The statistics changed while nobody watched `statistics$`: refresh it on the next subscribe. */
  let stale = false;
  let current: RecoverySignal | null = null;
  const queue: RecoverySignal[] = [];
  let draining = false;

  const report: Report = (error, consumer) => {
    if (current === null || current.type === 'observer_error') return;
    queue.push(observerErrorSignal(current, error, consumer));
  };
  const signals = new ConsumerSubject<RecoverySignal>(report, 'signals');
  const metrics = new ConsumerSubject<RecoveryMetric>(report, 'metrics');
  const statistics$ = new ConsumerBehaviorSubject<RecoveryStatistics>(
    statistics.snapshot(),
    report,
    () => {
      if (stale) {
        stale = false;
        return statistics.snapshot();
      }
      return undefined;
    },
  );

  const deliver = (signal: RecoverySignal) => {
    current = signal;
    const changed = statistics.add(signal);
    if (signals.observed) signals.next(signal);
    if (metrics.observed) {
      for (const metric of metricsOf(signal, statistics.successRate)) metrics.next(metric);
    }
    if (changed) {
      if (statistics$.observed) statistics$.next(statistics.snapshot());
      else stale = true;
    }
    current = null;
  };

  return Object.freeze({
    signals,
    metrics,
    statistics$: statistics$ as Observable<RecoveryStatistics>,
    snapshot: () => statistics.snapshot(),
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

/**
 * True for a {@link RecoveryHub}, also one from another copy of the package (ESM and CJS
 * copies loaded side by side), where `instanceof` could not tell. It checks the
 * `isRecoveryHub` brand.
 *
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { createRecoveryHub, isRecoveryHub } from 'rx-recovery';
 *
 * isRecoveryHub(createRecoveryHub()); // → true
 * isRecoveryHub({ signals: new Subject() }); // → false
 * ```
 * @param value Anything.
 * @returns Whether `value` is a hub.
 */
export function isRecoveryHub(value: unknown): value is RecoveryHub {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isRecoveryHub?: unknown }).isRecoveryHub === true
  );
}
