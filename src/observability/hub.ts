import { BehaviorSubject, type Observable, Subject } from 'rxjs';
import { check, shape, string } from '../config/check.js';
import { RecoveryConfigError } from '../config/RecoveryConfigError.js';
import { type SharedStore, storeOf, storeRule } from '../fleet/store.js';
import type { EscalationRecord } from '../strategies/EscalationError.js';
import { type Resolution, readResolution } from '../strategies/resolution.js';
import { guarded } from './guarded.js';
import { metricsOf, type RecoveryMetric } from './metrics.js';
import { type ObserverErrorSignal, observerErrorSignal, type RecoverySignal } from './signals.js';
import { type RecoveryStatistics, StatisticsAccumulator } from './statistics.js';

type Consumer = ObserverErrorSignal['source'];

/**
 * The library's side of a hub: how operators and fleet objects publish to it. Kept under a
 * registered symbol, so a hub made by another copy of the package (ESM beside CJS) still
 * works, and out of the hub's public type, so no consumer can forge a signal.
 */
interface HubChannel {
  /** Folds a signal into the statistics and delivers it; re-entrant calls wait their turn. */
  publish(signal: RecoverySignal): void;
  /** Whether anybody reads signals or metrics: only then is classification timed. */
  readonly listening: boolean;
  /**
   * Lists `record` as waiting until `settle` accepts a resolution (it returns whether it
   * did); the returned function withdraws it (the subscription ended). `now` is the
   * waiting stream's clock: when an `escalations$` subscriber throws on the change.
   */
  awaitResolution(
    record: EscalationRecord,
    settle: (resolution: Resolution<unknown>) => boolean,
    now: () => number,
  ): () => void;
}

const CHANNEL: unique symbol = Symbol.for('rx-recovery.hub-channel') as never;

/** Publishes `signal` on `hub`: for operators and fleet objects, never for consumers. */
export function publishTo(hub: RecoveryHub, signal: RecoverySignal): void {
  (hub as unknown as { [CHANNEL]: HubChannel })[CHANNEL].publish(signal);
}

/** Lists a waiting escalation on `hub`; see {@link HubChannel.awaitResolution}. */
export function awaitResolution(
  hub: RecoveryHub,
  record: EscalationRecord,
  settle: (resolution: Resolution<unknown>) => boolean,
  now: () => number,
): () => void {
  return (hub as unknown as { [CHANNEL]: HubChannel })[CHANNEL].awaitResolution(
    record,
    settle,
    now,
  );
}

/** Whether anybody reads `hub`'s signals or metrics. */
export function hubListening(hub: RecoveryHub): boolean {
  return (hub as unknown as { [CHANNEL]: HubChannel })[CHANNEL].listening;
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
export interface RecoveryHub<
  Answer extends boolean | Promise<boolean> = boolean | Promise<boolean>,
> {
  /** The hub's name: the `hub` attribute of its OpenTelemetry instruments. */
  readonly name: string;
  /**
   * Every signal of every pipeline that publishes here, `observer_error` included. An
   * Observable: publishing is the library's, so no consumer can forge or end it.
   */
  readonly signals: Observable<RecoverySignal>;
  /** Metrics derived from the signals; `recovery.success_rate` is the hub's. */
  readonly metrics: Observable<RecoveryMetric>;
  /** The statistics, current value first, then after every change. */
  readonly statistics$: Observable<RecoveryStatistics>;
  /** The statistics now. */
  snapshot(): RecoveryStatistics;
  /**
   * The escalations waiting for a person (`escalation.await`), oldest first, each with
   * `pending: true`. With a store, those of every process that shares it (as of the last
   * news from the store: at most `syncMs` old).
   */
  pendingEscalations(): readonly EscalationRecord[];
  /** The waiting escalations: the current list first, then after every change. */
  readonly escalations$: Observable<readonly EscalationRecord[]>;
  /**
   * Resolves a waiting escalation: its stream resumes as `resolution` says. The first valid
   * resolution wins.
   *
   * With a store, the escalation may wait in any process that shares it, and the answer
   * needs the store: a `Promise<boolean>`. A resolution for another process must travel:
   * a `value` that JSON can carry, `retry`, `complete` or `abort` (a `source` only reaches
   * the process that holds it).
   *
   * @param id The record's `id`.
   * @param resolution What to do; see {@link Resolution}.
   * @returns `true` when it resumed a waiting stream (with a store: when it was the first
   * resolution of an escalation that waited); `false` when nothing waits under `id` (never
   * did, already resolved, timed out, or unsubscribed).
   * @throws RecoveryConfigError for a resolution that is not one (it never reaches the stream).
   */
  resolveEscalation(id: string, resolution: Resolution<unknown>): Answer;
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
 * sees signals out of order. A throw on a value no signal brought — an `escalations$`
 * change, the current value a subscriber gets when it subscribes — is reported at once: an
 * `escalations$` change is about the record it lists or withdraws (the record's context,
 * `record`, the waiting stream's time); anything else has the correlation id
 * `hub:<name>` and the `at` of the hub's last signal (0 before any). Statistics are a
 * running reducer: O(1) memory.
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
 * @param options See {@link RecoveryHubOptions}.
 * @returns A new, frozen hub with no subscribers and empty statistics.
 * @throws RecoveryConfigError for an unknown or invalid option.
 * @see isRecoveryHub, asyncSignals
 */
export function createRecoveryHub<O extends RecoveryHubOptions = Record<never, never>>(
  options: O = {} as O,
): RecoveryHub<HubAnswer<O>> {
  // Built here, not at module level: a program that never makes a hub does not ship it.
  check(shape({ name: string(true), store: storeRule }), options, 'options');
  const name = options.name ?? nextHubName();
  const statistics = new StatisticsAccumulator();
  /** The statistics changed while nobody watched `statistics$`: refresh it on the next subscribe. */
  let stale = false;
  let current: RecoverySignal | null = null;
  /** The `at` of the last signal delivered: the hub has no clock of its own. */
  let lastAt = 0;
  /** The record whose listing or withdrawal `escalations$` is telling, and its stream's clock. */
  let changing: { record: EscalationRecord; now: () => number } | null = null;
  const queue: RecoverySignal[] = [];
  let draining = false;

  /**
   * What consumers get of one of the hub's subjects ({@link guarded}: an Observable no
   * consumer can end or forge for the others): a direct subscriber's throw is reported,
   * once, as an `observer_error` — about the record an `escalations$` change lists or
   * withdraws, else about the signal being delivered (queued behind it), else about the
   * hub (`hub:<name>`, at its last signal's time). `before` lets `statistics$` refresh a
   * stale current value.
   */
  const expose = <T>(subject: Subject<T>, consumer: Consumer, before?: () => void) =>
    guarded(
      subject,
      (error) => {
        // A consumer that throws on the report too is reported once. (`now?.()`: an engine
        // of another copy of the package may list a record without its clock.)
        if (current?.type === 'observer_error') return;
        channel.publish(
          changing !== null
            ? observerErrorSignal(
                { ...changing.record.context, at: changing.now?.() ?? lastAt },
                error,
                consumer,
                changing.record,
              )
            : observerErrorSignal(
                current ?? { correlationId: `hub:${name}`, at: lastAt },
                error,
                consumer,
              ),
        );
      },
      before,
    );
  const signals = new Subject<RecoverySignal>();
  const metrics = new Subject<RecoveryMetric>();
  const statistics$ = new BehaviorSubject<RecoveryStatistics>(statistics.snapshot());

  const deliver = (signal: RecoverySignal) => {
    current = signal;
    lastAt = signal.at;
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

  const waiting = new Map<
    string,
    { record: EscalationRecord; settle: (resolution: Resolution<unknown>) => boolean }
  >();
  const escalations$ = new BehaviorSubject<readonly EscalationRecord[]>(Object.freeze([]));
  const waitingChanged = () =>
    escalations$.next(
      shared?.list() ?? Object.freeze([...waiting.values()].map((entry) => entry.record)),
    );
  /** `escalations$` tells of `record`, listed or withdrawn (see {@link changing}). */
  const recordChanged = (record: EscalationRecord, now: () => number) => {
    const outer = changing;
    changing = { record, now };
    try {
      waitingChanged();
    } finally {
      changing = outer;
    }
  };

  const channel: HubChannel = {
    publish(signal: RecoverySignal) {
      // A signal published while another is being delivered waits its turn in the queue;
      // otherwise it is delivered at once (then whatever its delivery queued).
      if (draining) {
        queue.push(signal);
        return;
      }
      draining = true;
      try {
        deliver(signal);
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) deliver(next);
      } finally {
        draining = false;
      }
    },
    get listening() {
      return signals.observed || metrics.observed;
    },
    awaitResolution(record, settle, now) {
      waiting.set(record.id, { record, settle });
      shared?.add(record);
      recordChanged(record, now);
      return () => {
        if (waiting.get(record.id)?.settle === settle && waiting.delete(record.id)) {
          shared?.remove(record.id);
          recordChanged(record, now);
        }
      };
    },
  };

  const hub = {
    name,
    signals: expose(signals, 'signals'),
    metrics: expose(metrics, 'metrics'),
    statistics$: expose(statistics$, 'statistics', () => {
      if (!stale) return;
      stale = false;
      statistics$.next(statistics.snapshot());
    }),
    snapshot: () => statistics.snapshot(),
    pendingEscalations: () => escalations$.getValue(),
    escalations$: expose(escalations$, 'escalations'),
    resolveEscalation(id: string, resolution: Resolution<unknown>) {
      // A copy, read once: a getter that throws is refused here, not met by the stream.
      const read = readResolution(resolution);
      if (typeof read === 'string') throw new RecoveryConfigError([read]);
      // The stream withdraws the record itself when it accepts (and the subscription ends).
      return shared?.resolve(id, read) ?? settle(id, read);
    },
    isRecoveryHub: true as const,
  };
  const settle = (id: string, resolution: Resolution<unknown>) =>
    waiting.get(id)?.settle(resolution) ?? false;
  const shared = storeOf(options.store)?.escalations({ hub, settle, changed: waitingChanged });
  Object.defineProperty(hub, CHANNEL, { value: channel });
  return Object.freeze(hub) as unknown as RecoveryHub<HubAnswer<O>>;
}

/**
 * What `resolveEscalation` answers on a hub made with options `O`: a `boolean`, or a
 * `Promise<boolean>` when the hub has a store.
 */
export type HubAnswer<O> = 'store' extends keyof O
  ? O extends {
      /** A shared store: the answer needs it. */
      store: SharedStore;
    }
    ? Promise<boolean>
    : O extends {
          /** No store. */
          store?: undefined;
        }
      ? boolean
      : boolean | Promise<boolean>
  : boolean;

/**
 * `hub-<n>`, numbered in creation order across every copy of the package in the process
 * (ESM beside CJS): the count lives under a registered symbol, so two default names never
 * collide on one meter.
 */
function nextHubName(): string {
  const counts = globalThis as unknown as Record<symbol, number | undefined>;
  const n = (counts[HUB_COUNT] ?? 0) + 1;
  counts[HUB_COUNT] = n;
  return `hub-${n}`;
}

const HUB_COUNT: unique symbol = Symbol.for('rx-recovery.hub-count') as never;

/**
 * Options of {@link createRecoveryHub}.
 *
 * @example
 * ```ts
 * import { createRecoveryHub, type RecoveryHubOptions } from 'rx-recovery';
 *
 * const options: RecoveryHubOptions = { name: 'codegen-service' };
 * const hub = createRecoveryHub(options);
 * hub.name; // → 'codegen-service'
 * ```
 */
export interface RecoveryHubOptions {
  /**
   * The hub's name: the `hub` attribute of its OpenTelemetry instruments, so two hubs
   * bridged to one meter stay apart.
   * @default `hub-<n>`, numbered in creation order
   */
  name?: string | undefined;
  /**
   * A store shared by many processes (`createRedisStore` from `rx-recovery/redis`): the
   * escalations that wait (`escalation.await`) are listed there, with a TTL, so that
   * `pendingEscalations()` shows every process's and `resolveEscalation` resumes a stream
   * wherever it waits (then it answers with a `Promise<boolean>`). `store_degraded` and
   * `store_recovered` signals are published here.
   * @default none: escalations wait in this process only
   */
  store?: SharedStore | undefined;
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
