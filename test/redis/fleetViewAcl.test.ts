import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createCircuitBreaker, createRecoveryHub, type RecoverySignal } from '../../src/index.js';
import { createRedisStore, type FleetBreakerChange, type FleetView } from '../../src/redis.js';
import {
  callThrough as call,
  connect,
  describeRedis,
  fleetMembers,
  redisPort,
  uniquePrefix,
  waitFor,
} from './helpers.js';

/**
 * A fleet view whose reads Redis refuses — its user may not run SCAN, as an ACL for a
 * dashboard may well say — fails on its own: the store that opened it stays healthy, and
 * its breakers go on sharing. It still reads the names it holds, so that a breaker heard
 * on the channel leaves the view once its key is gone.
 */
const { cleanup, member } = fleetMembers();

/**
 * A client of the test server logged in as a user of its own that may do everything but
 * run `denied`; the user is removed after the test.
 */
async function restricted(denied: readonly string[]): Promise<Redis> {
  const admin = connect();
  const username = `fleetview-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  await admin.call(
    'ACL',
    'SETUSER',
    username,
    'on',
    `>${password}`,
    '~*',
    '&*',
    '+@all',
    ...denied.map((command) => `-${command}`),
  );
  cleanup.push(async () => {
    await admin.call('ACL', 'DELUSER', username);
    await admin.quit();
  });
  const client = new Redis({
    port: redisPort,
    host: '127.0.0.1',
    username,
    password,
    retryStrategy: () => 50,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {});
  cleanup.push(() => client.quit().catch(() => client.disconnect()));
  return client;
}

/** Waits until `count` connections listen on the store's channel: a message sent before is lost. */
async function listening(prefix: string, count: number): Promise<void> {
  const client = connect();
  try {
    await waitFor(
      async () => {
        const [, listeners] = (await client.call('PUBSUB', 'NUMSUB', `${prefix}:events`)) as [
          string,
          number,
        ];
        return listeners >= count;
      },
      { what: `${count} listeners on the channel` },
    );
  } finally {
    await client.quit();
  }
}

function heard(view: FleetView): FleetBreakerChange[] {
  const changes: FleetBreakerChange[] = [];
  view.changes$.subscribe((change) => changes.push(change));
  return changes;
}

describeRedis('store.watchFleet() when Redis refuses its reads', () => {
  it('a view that may not SCAN reports it, and leaves its store healthy and its breakers shared', async () => {
    const prefix = uniquePrefix();
    const client = await restricted(['scan']);
    const signals: RecoverySignal[] = [];
    const hub = createRecoveryHub({ name: 'viewer' });
    hub.signals.subscribe((signal) => signals.push(signal));
    const store = createRedisStore({ client, prefix, flushMs: 20, syncMs: 200, hub });
    cleanup.push(() => store.close());
    const here = createCircuitBreaker({
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
      store,
    });
    const there = createCircuitBreaker({
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
      store: member(prefix).store,
    });
    expect(await store.sync()).toBe(true);

    const view = store.watchFleet();
    const report = await view.read();
    expect(report).toMatchObject({ prefix, reachable: false, complete: false, breakers: [] });
    expect(report.error).toMatch(/NOPERM/);
    // The view's failure is its own: the store is not degraded, and says nothing.
    expect(store.healthy).toBe(true);
    // A dashboard reads on: each read fails alike, the store stays as it was.
    for (let n = 0; n < 3; n++) expect((await view.read()).reachable).toBe(false);
    expect(store.healthy).toBe(true);

    // This process's breaker opens in Redis for the other process, as it would without a view.
    await call(here, false);
    expect(here.state).toBe('open');
    await waitFor(() => there.state === 'open', { what: 'the opening shared' });
    expect(store.healthy).toBe(true);
    expect(await store.sync()).toBe(true);
    expect(signals.map(({ type }) => type)).not.toContain('store_degraded');
  });

  it('forgets a breaker heard on the channel once its key is gone, though it may not SCAN', async () => {
    const prefix = uniquePrefix();
    const store = createRedisStore({
      client: await restricted(['scan']),
      prefix,
      flushMs: 20,
      syncMs: 200,
    });
    cleanup.push(() => store.close());
    const view = store.watchFleet();
    const changes = heard(view);
    const writer = member(prefix);
    const breaker = createCircuitBreaker({
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
      store: writer.store,
    });
    await listening(prefix, 2);
    await call(breaker, false);
    await waitFor(() => changes.length === 1, { what: 'the opening heard' });
    const before = await view.read();
    expect(before.reachable).toBe(false);
    expect(before.breakers.map(({ name, state }) => `${name} ${state}`)).toEqual(['api open']);

    // The breaker's key goes (deleted here; expired alike): the next read drops it.
    await writer.store.close();
    expect(await writer.client.del(`{${prefix}:breaker:api}`)).toBe(1);
    const after = await view.read();
    expect(after).toMatchObject({ reachable: false, breakers: [] });
    expect(after.error).toMatch(/NOPERM/);
    expect(store.healthy).toBe(true);
  });

  it('forgets a breaker heard on the channel once its key is gone, and holds at most maxNames heard', async () => {
    const prefix = uniquePrefix();
    const writer = member(prefix);
    const view = member(prefix).store.watchFleet({ maxNames: 1 });
    const changes = heard(view);
    const open = async (name: string) => {
      const breaker = createCircuitBreaker({
        name,
        trip: { consecutive: 1 },
        openMs: 60_000,
        store: writer.store,
      });
      await call(breaker, false);
    };
    await listening(prefix, 2);
    await open('a');
    await waitFor(() => changes.length === 1, { what: 'a heard' });
    await open('b');
    // b is published too, but the view holds one name: it says truncated.
    await writer.store.sync();
    const full = await view.read();
    expect(full.breakers.map(({ name }) => name)).toEqual(['a']);
    expect(full.truncated).toBe(true);

    await writer.store.close();
    expect(await writer.client.del(`{${prefix}:breaker:a}`, `{${prefix}:breaker:b}`)).toBe(2);
    expect(await view.read()).toMatchObject({ reachable: true, breakers: [] });
  });
});
