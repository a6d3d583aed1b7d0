import type { Cluster, Redis } from 'ioredis';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  check,
  delay,
  number,
  type Rule,
  satisfies,
  scheduler as schedulerRule,
  shape,
} from '../config/check.js';
import { hubRule } from '../fleet/rules.js';
import { type SharedStore, STORE_PROTOCOL, type StoreProtocol } from '../fleet/store.js';
import type { RecoveryHub } from '../observability/hub.js';
import { type FleetView, type FleetViewOptions, watchFleet } from './fleetView.js';
import { shareBreaker } from './sharedBreaker.js';
import { shareBudget } from './sharedBudget.js';
import { shareEscalations } from './sharedEscalations.js';
import { StoreCore } from './storeCore.js';

/**
 * Options of {@link createRedisStore}. Strict: an unknown key is a `RecoveryConfigError`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisStore, type RedisStoreOptions } from 'rx-recovery/redis';
 *
 * const options: RedisStoreOptions = { client: new Redis(process.env.REDIS_URL ?? ''), prefix: 'codegen' };
 * const store = createRedisStore(options);
 * ```
 */
export interface RedisStoreOptions {
  /**
   * An ioredis client (`new Redis(…)` or `new Cluster(…)`), yours: the store never closes
   * it. The store makes one connection of its own for the channel, `client.duplicate()`.
   * A client made with ioredis's `keyPrefix` works: every key is `<keyPrefix>{<prefix>:…}`
   * (the hash tag still inside the braces) and the channel `<keyPrefix><prefix>:events`, so
   * each `keyPrefix` is a fleet of its own; the store adds the `keyPrefix` itself where
   * ioredis does not (keys a script derives, the fleet view's SCAN).
   */
  client: Redis | Cluster;
  /**
   * What every key starts with, inside a hash tag: `{<prefix>:breaker:<name>}`,
   * `{<prefix>:budget:<name>}`, `{<prefix>:escalations}…`; the channel is
   * `<prefix>:events` (each after the client's `keyPrefix`, when it has one). Processes
   * share what they name alike under one prefix.
   * @default 'rx-recovery'
   */
  prefix?: string | undefined;
  /**
   * How often every object refreshes from Redis (and renews its keys' TTL): how stale a
   * process's view may get when a message on the channel is lost. Also how often a
   * degraded store tries Redis again.
   * @default 1000
   */
  syncMs?: number | undefined;
  /** How often outcome counts and budget deposits are flushed to Redis. @default 250 */
  flushMs?: number | undefined;
  /**
   * How long a request to Redis may take before the store counts Redis as down (and
   * degrades). Only a half-open trial call ever waits for one.
   * @default syncMs
   */
  timeoutMs?: number | undefined;
  /**
   * Where `store_degraded` and `store_recovered` are published, besides the hubs of the
   * breakers and hubs given this store.
   * @default none
   */
  hub?: RecoveryHub | undefined;
  /** Whose clock the flush, sync and timeout timers run on. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
}

/**
 * A store in Redis for breakers, retry budgets and hubs shared by many processes. Frozen;
 * make one with {@link createRedisStore}.
 */
export interface RedisStore extends SharedStore {
  /** The key prefix. */
  readonly prefix: string;
  /**
   * Whether the objects use Redis now: false from a failed or late request (signalled
   * `store_degraded`) until every object has resynchronised (`store_recovered`), and
   * after `close()`.
   */
  readonly healthy: boolean;
  /**
   * Exchanges with Redis now, for every object, as the `syncMs` refresh does (when
   * degraded, the resynchronisation). Useful before reading a fresh list of escalations
   * in a short-lived program.
   * @returns Whether Redis answered every exchange. Never rejects.
   */
  sync(): Promise<boolean>;
  /**
   * Opens a read-only view of the breakers and budgets the fleet shares under this
   * prefix, whichever process made them: what a dashboard or a script shows of the fleet.
   * It reads when asked (`read()`: a bounded SCAN step over the prefix's keys, then one
   * HGETALL per name, at most `maxNames` breakers and as many budgets) and hears the
   * breakers' transitions on the store's channel (`changes$`). It never writes: no
   * breaker or budget is made, counted or renewed by looking at it. A read that fails
   * (Redis down or slow, an ACL that refuses SCAN) resolves a report that says so, with
   * what was last read; the failure is the view's alone: it never degrades the store nor
   * publishes `store_degraded`, and the store's breakers and budgets go on sharing.
   * @param options See {@link FleetViewOptions}.
   * @returns A frozen {@link FleetView}; `close()` it, or `store.close()`, when done.
   * @throws RecoveryConfigError naming every unknown or invalid option.
   *
   * @example
   * ```ts
   * import { Redis } from 'ioredis';
   * import { createRedisStore } from 'rx-recovery/redis';
   *
   * const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
   * const store = createRedisStore({ client, prefix: 'codegen' });
   * const fleet = store.watchFleet();
   * fleet.changes$.subscribe(({ name, from, to }) => console.log(`${name}: ${from} → ${to}`));
   * const { breakers, budgets } = await fleet.read();
   * // breakers: [{ name: 'model-api', state: 'open', opens: 1, failures: 5, calls: 5, … }]
   * // budgets: [{ name: 'model-api', deposits: 240, withdrawals: 31, balance: 27 }]
   * ```
   */
  watchFleet(options?: FleetViewOptions): FleetView;
  /**
   * Flushes what is left (when Redis answers, within `timeoutMs`), withdraws this
   * process's waiting escalations and its breakers' isolations from the store (a closed
   * store can no longer release them: the fleet's breaker stays isolated only while other
   * processes hold handles), then ends every timer, request and subscription the store
   * made and disconnects its own connection. The objects given the store go on with their
   * local state (a breaker isolated here stays isolated here until its handles are
   * released). The client stays yours to `quit()`.
   */
  close(): Promise<void>;
}

const clientRule: Rule = satisfies(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['evalsha', 'eval', 'duplicate'].every(
      (method) => typeof (value as Record<string, unknown>)[method] === 'function',
    ),
  'must be an ioredis client (new Redis(…) or new Cluster(…))',
);

const prefixRule: Rule = (value, path, issues) => {
  if (typeof value !== 'string' || value === '' || /[{}]/.test(value)) {
    issues.push(`${path}: must be a non-empty string without { or }`);
  }
};

const ms = delay(1);

const fleetOptions = shape({ maxNames: number({ int: true, min: 1, max: 100_000 }) });

const storeOptions = shape(
  {
    client: clientRule,
    prefix: prefixRule,
    syncMs: ms,
    flushMs: ms,
    timeoutMs: ms,
    hub: hubRule,
    scheduler: schedulerRule,
  },
  ['client'],
);

/**
 * Creates a store in Redis, so that circuit breakers, retry budgets and hubs given it as
 * `store` are shared by every process that names them alike.
 *
 * In plain words: one breaker, one budget and one list of escalations for a whole fleet,
 * without a network round trip in any call's way.
 *
 * ```text
 * process A ──flush every flushMs (Lua, one key per object)──▶ Redis ──publish──▶ process B
 *    ▲  decides from its own state                               │   learns transitions
 *    └───────────────── refresh every syncMs ◀───────────────────┘   (or at its syncMs refresh)
 * ```
 *
 * - **Breakers**: each process admits closed-state calls from its own state and counts
 *   them; counts are flushed every `flushMs` into the shared window (a breaker tripped by
 *   one process's own calls opens for all at once). Transitions reach every process on the
 *   channel, or at the latest at its next `syncMs` refresh. A half-open permit is the one
 *   decision taken in Redis, atomically: exactly `halfOpenCalls` trials run in the fleet.
 * - **Budgets**: the fleet's deposits and withdrawals are counted in Redis; each process
 *   pays retries from tokens lent to it ahead, so the fleet stays within its bound.
 * - **Escalations** (a hub with this store): waiting escalations are listed in Redis,
 *   `pendingEscalations()` shows the fleet's, and `resolveEscalation` (a
 *   `Promise<boolean>`) resumes the stream wherever it waits.
 * - **Redis down or slow**: every object goes on with its own state, `store_degraded` is
 *   published, nothing reaches any stream; when Redis answers again each object
 *   resynchronises, then `store_recovered`. Every key has a TTL.
 *
 * Key names: `{<prefix>:breaker:<name>}`, `{<prefix>:budget:<name>}` and
 * `{<prefix>:escalations}…`, each after the client's ioredis `keyPrefix` when it has one
 * (a string): processes share what they name alike under the same `keyPrefix` and
 * `prefix`, and the channel, `<keyPrefix><prefix>:events`, is theirs alone too.
 *
 * Time: scripts take `now` from the objects' schedulers; processes that share a store
 * must keep the same wall clock (NTP): a skew shifts when an open breaker turns half-open
 * and which window bucket a count lands in, by the skew.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createCircuitBreaker, createRecoveryHub, createRetryBudget, withRecovery } from 'rx-recovery';
 * import { createRedisStore } from 'rx-recovery/redis';
 *
 * const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * const store = createRedisStore({ client, prefix: 'codegen' });
 * const hub = createRecoveryHub({ store });
 * const breaker = createCircuitBreaker({ name: 'model-api', trip: { consecutive: 5 }, store, hub });
 * const budget = createRetryBudget({ name: 'model-api', store });
 * generate$.pipe(withRecovery(undefined, { breaker, budget, hub })).subscribe(save);
 * // on shutdown:
 * await store.close();
 * await client.quit();
 * ```
 * @param options See {@link RedisStoreOptions}; `client` is required.
 * @returns A frozen {@link RedisStore}, connecting.
 * @throws RecoveryConfigError naming every unknown or invalid option.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  check(storeOptions, options, 'options');
  const syncMs = options.syncMs ?? 1000;
  const core = new StoreCore({
    client: options.client,
    prefix: options.prefix ?? 'rx-recovery',
    syncMs,
    flushMs: options.flushMs ?? 250,
    timeoutMs: options.timeoutMs ?? syncMs,
    scheduler: options.scheduler ?? asyncScheduler,
    hub: options.hub,
  });
  const protocol: StoreProtocol = {
    version: 1,
    breaker: (link) => shareBreaker(core, link),
    budget: (link) => shareBudget(core, link),
    escalations: (link) => shareEscalations(core, link),
  };
  const views = new Set<FleetView>();
  const store: RedisStore = {
    prefix: core.prefix,
    get healthy() {
      return core.healthy;
    },
    sync: () => core.sync(),
    watchFleet(fleet: FleetViewOptions = {}) {
      check(fleetOptions, fleet, 'options');
      const view = watchFleet(core, fleet.maxNames ?? 100);
      views.add(view);
      return Object.freeze({
        ...view,
        close() {
          views.delete(view);
          view.close();
        },
      });
    },
    close: () => {
      for (const view of views) view.close();
      views.clear();
      return core.close();
    },
  };
  Object.defineProperty(store, STORE_PROTOCOL, { value: Object.freeze(protocol) });
  return Object.freeze(store);
}
