import type { Redis as RedisClient } from 'ioredis';
import { type Observable, of } from 'rxjs';
import type { BenchConfig } from '../config.js';
import {
  interleave,
  type ScenarioResult,
  sink,
  type Variant,
  type VariantResult,
} from '../harness.js';
import { type Fleet, fleet, loadRedisStore, type RedisEntry } from '../lib.js';
import { REDIS_BINARY, startRedisServer } from '../redisServer.js';

export const REDIS_CALL_MEMORY = 'circuitBreaker(breaker), in memory (no store)';
export const REDIS_CALL_STORE = 'circuitBreaker(breaker), Redis store';
export const REDIS_RATE_CALLS = 'breaker calls made';
export const REDIS_RATE_OPS = 'Redis operations sent by this process';
export const REDIS_RATE_BOUND = 'flush-rate bound';
/** The target: operations per second ≤ the flush-rate bound × this (see bench/README.md). */
export const REDIS_OPS_FACTOR = 1.5;

/** The store's timers, as createRedisStore's defaults. */
const FLUSH_MS = 250;
const SYNC_MS = 1000;
const TIMEOUT_MS = 1000;
/** Calls per measured call of the per-call table. */
const CALLS = 100;
/** Breaker calls per second of the rate table. */
const RATE = 10_000;
/** The rate table's pause between bursts of calls. */
const TICK_MS = 5;
/** Objects in the store during the rate table (one breaker), and scripts each flush runs. */
const OBJECTS = 1;
const SCRIPTS_PER_FLUSH = 1;

/** Why the redis tables are missing from this run, as a scenario with no rows. */
function skipped(reason: string): ScenarioResult[] {
  return [
    {
      id: 'redis/breaker-call',
      title: 'Redis store — skipped',
      unit: 'ns/call',
      baseline: null,
      variants: [],
      notes: [`Not measured in this run: ${reason}.`],
    },
  ];
}

/** What the store sends, counted on the client: EVALSHA and EVAL (the NOSCRIPT fallback). */
interface Counter {
  evalsha: number;
  eval: number;
}

/**
 * Wraps `client.evalsha` and `client.eval` (own properties over the prototype's methods)
 * so that every script the store runs is counted; nothing else about the client changes.
 */
function counted(client: RedisClient): Counter {
  const counter: Counter = { evalsha: 0, eval: 0 };
  const target = client as unknown as Record<'evalsha' | 'eval', (...args: unknown[]) => unknown>;
  for (const method of ['evalsha', 'eval'] as const) {
    const original = target[method].bind(client);
    target[method] = (...args: unknown[]) => {
      counter[method] += 1;
      return original(...args);
    };
  }
  return counter;
}

/** `INFO commandstats`, as calls per command. */
async function commandCalls(client: RedisClient): Promise<Map<string, number>> {
  const text = await client.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Connection {
  readonly client: RedisClient;
  readonly counter: Counter;
}

type RedisConstructor = typeof import('ioredis').Redis;

/** A new ioredis client on the bench's server, counted, and answering. */
async function connect(Redis: RedisConstructor, port: number): Promise<Connection> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await client.ping();
  return { client, counter: counted(client) };
}

function observerCounting() {
  const state = { completed: 0 };
  const observer = {
    next: (value: number) => {
      sink.value += value;
    },
    complete: () => {
      state.completed += 1;
    },
  };
  return { state, observer };
}

/** A closed breaker's cost per call with the Redis store, next to the same breaker in memory. */
async function perCall(
  api: Fleet,
  redis: RedisEntry,
  Redis: RedisConstructor,
  port: number,
  config: BenchConfig,
): Promise<ScenarioResult> {
  const { client, counter } = await connect(Redis, port);
  const store = redis.createRedisStore({
    client,
    prefix: `bench-call-${process.pid}`,
    syncMs: SYNC_MS,
    flushMs: FLUSH_MS,
    timeoutMs: TIMEOUT_MS,
  });
  const options = { name: 'bench-redis', trip: { consecutive: 5 } } as const;
  const memory = api.createCircuitBreaker(options);
  const shared = api.createCircuitBreaker({ ...options, store });
  try {
    if (!(await store.sync())) throw new Error('redis: the store did not answer its first sync');
    const { state, observer } = observerCounting();
    const subscribeMany = (observable: Observable<number>) => () => {
      for (let i = 0; i < CALLS; i++) observable.subscribe(observer);
    };
    const variants: Variant[] = [
      {
        name: 'of(1) subscribed, no breaker',
        fn: subscribeMany(of(1)),
        units: CALLS,
        note: 'what the subscription alone costs',
      },
      {
        name: REDIS_CALL_MEMORY,
        fn: subscribeMany(of(1).pipe(api.circuitBreaker<number>(memory))),
        units: CALLS,
        note: `createCircuitBreaker({ name, trip: { consecutive: 5 } }), closed, as in the fleet table (loaded from ${api.from})`,
      },
      {
        name: REDIS_CALL_STORE,
        fn: subscribeMany(of(1).pipe(api.circuitBreaker<number>(shared))),
        units: CALLS,
        note: `the same with store: createRedisStore({ client, prefix, syncMs: ${SYNC_MS}, flushMs: ${FLUSH_MS}, timeoutMs: ${TIMEOUT_MS} }) (loaded from ${redis.from})`,
      },
    ];
    for (const variant of variants) await variant.fn();
    if (state.completed !== 3 * CALLS)
      throw new Error('redis: a synchronous call did not complete');
    const before = counter.evalsha + counter.eval;
    const started = performance.now();
    const results = await interleave(variants, REDIS_CALL_MEMORY, config.timing);
    const seconds = (performance.now() - started) / 1000;
    const ops = counter.evalsha + counter.eval - before;
    const states = `in memory ${memory.state}, Redis store ${shared.state} (store ${store.healthy ? 'healthy' : 'degraded'})`;
    if (memory.state !== 'closed' || shared.state !== 'closed') {
      throw new Error(`redis: a breaker left the closed state (${states})`);
    }
    return {
      id: 'redis/breaker-call',
      title: 'Redis store: a closed circuit breaker, per call — ns per call',
      unit: 'ns/call',
      baseline: REDIS_CALL_MEMORY,
      variants: results,
      notes: [
        `Each measured call makes ${CALLS} calls through the breaker, subscribed to completion; ns per call = sample / ${CALLS}. Ratios are to the same breaker without a store. A closed breaker with a store admits and counts locally; the counts go to Redis every flushMs, off the call's path.`,
        `While this table ran (${seconds.toFixed(1)} s) the store sent ${ops} scripts to Redis: tinybench's loop of synchronous calls hardly yields to the event loop, so the flushMs and syncMs timers wait for the gaps between runs. This figure is the hot path alone; what the store sends at a steady call rate is the next table. States after the run: ${states}.`,
      ],
    };
  } finally {
    memory.dispose();
    shared.dispose();
    await store.close();
    client.disconnect();
  }
}

/**
 * Redis operations per second while the process makes {@link RATE} breaker calls per
 * second: they follow the store's timers (flushMs, syncMs), not the calls.
 */
async function operations(
  api: Fleet,
  redis: RedisEntry,
  Redis: RedisConstructor,
  port: number,
  config: BenchConfig,
): Promise<ScenarioResult> {
  const { client, counter } = await connect(Redis, port);
  const store = redis.createRedisStore({
    client,
    prefix: `bench-rate-${process.pid}`,
    syncMs: SYNC_MS,
    flushMs: FLUSH_MS,
    timeoutMs: TIMEOUT_MS,
  });
  const breaker = api.createCircuitBreaker({
    name: 'bench-redis-rate',
    trip: { consecutive: 5 },
    store,
  });
  try {
    if (!(await store.sync())) throw new Error('redis: the store did not answer its first sync');
    const guarded = of(1).pipe(api.circuitBreaker<number>(breaker));
    const { state, observer } = observerCounting();
    const durationMs = config.quick ? 1000 : 5000;
    const total = (RATE * durationMs) / 1000;
    // A burst never makes more than 100 ms of calls, however late a tick comes.
    const maxBurst = RATE / 10;
    const maxTicks = Math.ceil((4 * durationMs) / TICK_MS);
    const statsBefore = await commandCalls(client);
    const sentBefore = { ...counter };
    const started = performance.now();
    let made = 0;
    for (let tick = 0; tick < maxTicks && made < total; tick++) {
      const due = Math.min(total, Math.floor(((performance.now() - started) * RATE) / 1000));
      const burst = Math.min(due - made, maxBurst);
      for (let i = 0; i < burst; i++) guarded.subscribe(observer);
      made += Math.max(0, burst);
      if (made < total) await pause(TICK_MS);
    }
    const seconds = (performance.now() - started) / 1000;
    const sent = {
      evalsha: counter.evalsha - sentBefore.evalsha,
      eval: counter.eval - sentBefore.eval,
    };
    const statsAfter = await commandCalls(client);
    const server = (command: string) =>
      (statsAfter.get(command) ?? 0) - (statsBefore.get(command) ?? 0);
    const scripts = server('evalsha') + server('eval');
    const inScripts = [...statsAfter.keys()]
      .filter((c) => !['evalsha', 'eval', 'info', 'publish', 'subscribe'].includes(c))
      .map((c) => [c, server(c)] as const)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    if (state.completed !== made) throw new Error('redis: a paced call did not complete');
    if (breaker.state !== 'closed') throw new Error(`redis: the breaker is ${breaker.state}`);
    const ops = sent.evalsha + sent.eval;
    const bound = (1000 / FLUSH_MS) * OBJECTS * SCRIPTS_PER_FLUSH;
    const row = (
      name: string,
      perSecond: number,
      count: number | null,
      how: string,
    ): Omit<VariantResult, 'ratio'> => ({
      name,
      median: perSecond,
      min: null,
      max: null,
      // `shown`: the count as the table prints it (a whole number, not three figures).
      extra: { count, shown: count === null ? null : count.toLocaleString('en-US'), how },
    });
    const rows = [
      row(REDIS_RATE_CALLS, made / seconds, made, `paced at ${RATE.toLocaleString('en-US')}/s`),
      row(
        REDIS_RATE_OPS,
        ops / seconds,
        ops,
        `EVALSHA ${sent.evalsha} + EVAL ${sent.eval}, counted on the client (client.evalsha and client.eval wrapped)`,
      ),
      row(
        'scripts run by redis-server',
        scripts / seconds,
        scripts,
        `INFO commandstats: evalsha ${server('evalsha')} + eval ${server('eval')}; publish ${server('publish')}`,
      ),
      row(
        REDIS_RATE_BOUND,
        bound,
        null,
        `1000 / flushMs (${FLUSH_MS}) × objects (${OBJECTS}) × scripts per flush (${SCRIPTS_PER_FLUSH})`,
      ),
      row(
        'syncMs refresh (for information)',
        (1000 / SYNC_MS) * OBJECTS,
        null,
        `1000 / syncMs (${SYNC_MS}) × objects (${OBJECTS}): one exchange per object, on top of the flushes`,
      ),
    ];
    const base = bound;
    return {
      id: 'redis/operations',
      title: `Redis store: operations per second at ${RATE.toLocaleString('en-US')} breaker calls per second`,
      unit: 'per s',
      baseline: REDIS_RATE_BOUND,
      spread: false,
      columns: [
        { key: 'shown', title: 'in the window' },
        { key: 'how', title: 'counted' },
      ],
      variants: rows.map((r) => ({
        ...r,
        ratio: r.median === null ? null : r.median / base,
      })),
      notes: [
        `One process, one breaker (\`createCircuitBreaker({ trip: { consecutive: 5 }, store })\`, closed), calls \`of(1).pipe(circuitBreaker(breaker))\` subscribed to completion, in bursts every ${TICK_MS} ms so that ${RATE.toLocaleString('en-US')} calls are made each second, for ${(durationMs / 1000).toFixed(0)} s (${seconds.toFixed(2)} s measured). Ratios are to the flush-rate bound; the target is operations/s ≤ ${REDIS_OPS_FACTOR}× that bound.`,
        `The scripts run other commands inside them, which INFO commandstats counts too (not round trips): ${inScripts === '' ? 'none' : inScripts}.`,
      ],
    };
  } finally {
    breaker.dispose();
    await store.close();
    client.disconnect();
  }
}

/**
 * The Redis store (`rx-recovery/redis`) against a redis-server of its own: what a closed
 * breaker's call costs with the store next to without, and how many operations the store
 * sends while the process makes {@link RATE} calls a second. Skipped, with a note, when
 * redis-server cannot be started or the store cannot be loaded.
 */
export async function redisScenario(config: BenchConfig): Promise<ScenarioResult[]> {
  if (typeof fleet === 'string') return skipped(fleet);
  const redis = await loadRedisStore();
  if (typeof redis === 'string') return skipped(redis);
  let Redis: RedisConstructor;
  try {
    ({ Redis } = await import('ioredis'));
  } catch (error) {
    return skipped(`ioredis could not be loaded: ${String(error).split('\n')[0]}`);
  }
  const server = await startRedisServer();
  if (server instanceof Error) {
    const missing = (server as NodeJS.ErrnoException).code === 'ENOENT';
    return skipped(
      missing
        ? `${REDIS_BINARY} not found (install Debian's redis-server, or set REDIS_SERVER to its path)`
        : `${REDIS_BINARY} could not be started: ${server.message.replaceAll('\n', ' ')}`,
    );
  }
  try {
    const admin = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    let version = 'unknown';
    try {
      version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? version;
    } finally {
      admin.disconnect();
    }
    const call = await perCall(fleet, redis, Redis, server.port, config);
    const rate = await operations(fleet, redis, Redis, server.port, config);
    const where = `redis-server ${version} on 127.0.0.1:${server.port} (--save '' --appendonly no), started and stopped by the bench.`;
    return [
      { ...call, notes: [...(call.notes ?? []), where] },
      { ...rate, notes: [...(rate.notes ?? []), where] },
    ];
  } finally {
    await server.stop();
  }
}
