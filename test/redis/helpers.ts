import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, inject } from 'vitest';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/redis.js';

export { shiftedClock } from './clock.js';

/** The shared redis-server's port (global setup); 0 when it could not be started. */
export const redisPort = inject('redisPort');

/**
 * `describe`, skipped (with the global setup's message) when no redis-server could be
 * started, which only happens outside CI: in CI the global setup fails the run instead.
 */
const skipOutsideCi = describe.skipIf(process.env.CI === undefined && redisPort === 0);
export const describeRedis: (name: string, suite: () => void) => void = skipOutsideCi;

/** An ioredis client for a test: quick to reconnect, quiet about connection errors. */
export function connect(port = redisPort): Redis {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    retryStrategy: () => 50,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {});
  return client;
}

/** A prefix of its own for each test: tests never see each other's keys. */
export const uniquePrefix = () => `t${randomUUID().slice(0, 8)}`;

/**
 * Polls `condition` until it holds, at most `timeoutMs` (a bounded loop of short pauses):
 * for effects that cross a process or a socket. Never a fixed sleep.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, everyMs = 5, what = 'condition' } = {},
): Promise<number> {
  const started = performance.now();
  const tries = Math.ceil(timeoutMs / everyMs);
  for (let attempt = 0; attempt <= tries; attempt++) {
    if (await condition()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`waitFor: ${what} did not hold within ${timeoutMs} ms`);
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
