import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { defer, Observable, of, Subscription, throwError } from 'rxjs';
import { afterEach, describe, inject } from 'vitest';
import { type CircuitBreaker, circuitBreaker } from '../../src/index.js';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/redis.js';
import { runningPorts } from './server.js';

export { shiftedClock } from './clock.js';

/** The shared redis-server's port (global setup); 0 when it could not be started. */
export const redisPort = inject('redisPort');

/**
 * `describe`, skipped (with the global setup's message) when no redis-server could be
 * started, which only happens outside CI: in CI the global setup fails the run instead.
 */
const skipOutsideCi = describe.skipIf(process.env.CI === undefined && redisPort === 0);
export const describeRedis: (name: string, suite: () => void) => void = skipOutsideCi;

/**
 * An ioredis client for a test: quick to reconnect, quiet about connection errors;
 * `options` (ioredis's) go over these.
 */
export function connect(port = redisPort, options: RedisOptions = {}): Redis {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    retryStrategy: () => 50,
    maxRetriesPerRequest: 1,
    ...options,
  });
  client.on('error', () => {});
  return client;
}

/** A prefix of its own for each test: tests never see each other's keys. */
export const uniquePrefix = () => `t${randomUUID().slice(0, 8)}`;

/** What a wait looks again on: each value it emits means "something happened, check again". */
export type Recheck = Observable<unknown>;

export interface WaitForOptions {
  /**
   * The events behind the condition (a breaker's `state$`, a hub's `signals`, a worker's
   * `events$`, {@link redisEvents} of the test's prefix…): the condition is checked at
   * once, then again each time one of them emits.
   * @default anything written or published on the servers of the test (the shared one, and
   * those the file started): the fallback for a caller that names no event
   */
  on?: Recheck | readonly Recheck[];
  /** How long it may take before the test fails: a failure bound, never a pause. @default 5000 */
  timeoutMs?: number;
  /** What is waited for, in the failure's message. */
  what?: string;
}

/**
 * Resolves when `condition` holds — checked at once, then each time an event of `on`
 * comes (one check at a time: events during a check ask for one more) — with the time it
 * took, in ms. Rejects when a check throws, or when it has not held within `timeoutMs`:
 * the only timer, which fails the test and decides nothing else. Never a fixed sleep.
 */
export function waitFor(
  condition: () => boolean | Promise<boolean>,
  { on = anyRedisEvent(), timeoutMs = 5000, what = 'condition' }: WaitForOptions = {},
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const events = new Subscription();
    let done = false;
    let checking = false;
    let again = false;
    const end = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      events.unsubscribe();
      settle();
    };
    const fail = (error: unknown) => end(() => reject(error));
    const check = async () => {
      again = true;
      if (checking) return;
      checking = true;
      try {
        while (again && !done) {
          again = false;
          if (await condition()) end(() => resolve(performance.now() - started));
        }
      } catch (error) {
        fail(error);
      } finally {
        checking = false;
      }
    };
    const limit = setTimeout(
      () => fail(new Error(`waitFor: ${what} did not hold within ${timeoutMs} ms`)),
      timeoutMs,
    );
    for (const source of [on].flat()) events.add(source.subscribe({ next: check, error: fail }));
    void check();
  });
}

/**
 * Anything written or published on the shared server and on the servers this test file
 * started (test/redis/server.ts): {@link waitFor}'s fallback.
 */
const anyRedisEvent = (): Recheck[] =>
  [...new Set([redisPort, ...runningPorts()])]
    .filter((port) => port !== 0)
    .map((port) => published('*', port));

/**
 * Keyspace notifications of every write under `prefix` on the server at `port` (the
 * shared one by default): emits once when it listens — what happened before is seen by
 * that check — then once per notification.
 */
export const redisEvents = (prefix: string, port = redisPort): Observable<string> =>
  published(`__keyspace@0__:{${prefix}:*`, port);

/**
 * Messages on the channels matching `pattern` on the server at `port`, on a connection of
 * its own made at subscription. Keyspace notifications are off in a fresh redis-server: at
 * each (re)connection it turns them on for the whole server (`CONFIG SET
 * notify-keyspace-events KEA`), subscribes, then emits once ("listening"), and then each
 * message's channel.
 */
function published(pattern: string, port: number): Observable<string> {
  return new Observable<string>((subscriber) => {
    // Subscribed by hand at each `ready`: a restarted server needs the CONFIG SET again.
    const listener = connect(port, { autoResubscribe: false });
    listener.on('pmessage', (_pattern: string, channel: string) => subscriber.next(channel));
    listener.on('ready', () => {
      listener
        .config('SET', 'notify-keyspace-events', 'KEA')
        .then(() => listener.psubscribe(pattern))
        .then(
          () => subscriber.next('listening'),
          () => {}, // down again: the next `ready` tries again
        );
    });
    return () => listener.disconnect();
  });
}

/**
 * Each command the server at `port` runs whose name is `command` (MONITOR, on a connection
 * of its own): for what no keyspace notification reports, such as a SUBSCRIBE. Emits once
 * when it starts monitoring, then the command's arguments each time.
 */
export function serverRuns(command: string, port = redisPort): Observable<string[]> {
  return new Observable<string[]>((subscriber) => {
    const monitor = connect(port, { monitor: true });
    monitor.on('monitoring', () => subscriber.next([]));
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === command) subscriber.next(args);
    });
    return () => monitor.disconnect();
  });
}

/** Every key under `prefix`, with its PTTL. */
export async function keysWithTtl(client: Redis, prefix: string): Promise<Map<string, number>> {
  const keys = await client.keys(`{${prefix}:*`);
  const ttls = new Map<string, number>();
  for (const key of keys) ttls.set(key, await client.pttl(key));
  return ttls;
}

/**
 * Teardown for the calling test file — steps pushed on `cleanup` run in reverse after each
 * test — and `member(prefix)`: one "process" of a fleet, an ioredis client and a store of
 * its own (`flushMs: 20`, `syncMs: 200` unless `options` say otherwise), closed after the
 * test. Call it once, at the top of a file.
 */
export function fleetMembers(): {
  cleanup: Array<() => Promise<unknown> | unknown>;
  member(
    prefix: string,
    options?: Partial<RedisStoreOptions>,
  ): { client: Redis; store: RedisStore };
} {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const member = (prefix: string, options: Partial<RedisStoreOptions> = {}) => {
    const client = connect();
    const store = createRedisStore({ client, prefix, flushMs: 20, syncMs: 200, ...options });
    cleanup.push(
      () => store.close(),
      () => client.quit().catch(() => client.disconnect()),
    );
    return { client, store };
  };
  return { cleanup, member };
}

/**
 * One call through `breaker` (a 503 when not `ok`); resolves when it has ended, however it
 * ended (refused included).
 */
export function callThrough(breaker: CircuitBreaker, ok: boolean): Promise<void> {
  return new Promise((resolve) => {
    defer(() => (ok ? of('ok') : throwError(() => new Error('HTTP 503 Service Unavailable'))))
      .pipe(circuitBreaker(breaker))
      .subscribe({ complete: resolve, error: () => resolve() });
  });
}
