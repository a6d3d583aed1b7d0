import { expect, it } from 'vitest';
import { budgetProtocolOf } from '../../src/fleet/retryBudget.js';
import {
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  isRecoveryConfigError,
} from '../../src/index.js';
import { createRedisStore, type FleetBreakerChange, type FleetView } from '../../src/redis.js';
import { thrownBy } from '../helpers/capture.js';
import {
  callThrough as call,
  connect,
  describeRedis,
  fleetMembers,
  uniquePrefix,
  waitFor,
} from './helpers.js';
import { freePort, startRedis } from './server.js';

/**
 * `store.watchFleet()`: a read-only view of the breakers and budgets a fleet shares under
 * one prefix, read by a store of its own (as `rx-recovery dashboard --redis` reads it)
 * while other stores — other processes — make, trip and count them.
 */
const { cleanup, member } = fleetMembers();

/** The view's transitions, as they come. */
function heard(view: FleetView): FleetBreakerChange[] {
  const changes: FleetBreakerChange[] = [];
  view.changes$.subscribe((change) => changes.push(change));
  return changes;
}

/** Every key under `prefix` with its hash and its PTTL. */
async function contents(prefix: string) {
  const client = connect();
  try {
    const keys = (await client.keys(`{${prefix}:*`)).sort();
    return await Promise.all(
      keys.map(async (key) => ({
        key,
        hash: await client.hgetall(key),
        pttl: await client.pttl(key),
      })),
    );
  } finally {
    await client.quit();
  }
}

describeRedis('store.watchFleet(): the fleet as Redis holds it', () => {
  it("reports another process's breaker opening (heard on the channel) and its budget, writing nothing", async () => {
    const prefix = uniquePrefix();
    const writer = member(prefix);
    const viewer = member(prefix);
    const view = viewer.store.watchFleet();
    const changes = heard(view);
    const breaker = createCircuitBreaker({
      name: 'model-api',
      trip: { consecutive: 3 },
      openMs: 60_000,
      store: writer.store,
    });
    const budget = createRetryBudget({
      name: 'model-api',
      ratio: 0.5,
      minPerSecond: 1,
      ttlMs: 10_000,
      store: writer.store,
    });
    const protocol = budgetProtocolOf(budget);
    for (let n = 0; n < 10; n++) protocol?.deposit();
    expect(await writer.store.sync()).toBe(true);

    // The view finds both under the prefix, closed and counted.
    await waitFor(async () => (await view.read()).breakers.length === 1, { what: 'the breaker' });
    const before = await view.read();
    expect(before).toMatchObject({ prefix, reachable: true, complete: true, truncated: false });
    expect(before.breakers[0]).toMatchObject({ name: 'model-api', state: 'closed', opens: 0 });

    // Process A's failures open it: the view hears the transition at once.
    await Promise.all([call(breaker, false), call(breaker, false), call(breaker, false)]);
    expect(breaker.state).toBe('open');
    await waitFor(() => changes.length === 1, { what: 'the transition heard' });
    expect(changes[0]).toMatchObject({ name: 'model-api', from: 'closed', to: 'open' });
    expect(await writer.store.sync()).toBe(true);

    const report = await view.read();
    const local = breaker.snapshot();
    expect(report.breakers).toEqual([
      {
        name: 'model-api',
        state: 'open',
        generation: 1,
        opens: 1,
        calls: 3,
        failures: 3,
        successes: 0,
        slow: 0,
        consecutiveFailures: 3,
        trialCalls: 0,
        trialSuccesses: 0,
        isolations: 0,
        retryAfterMs: expect.any(Number),
      },
    ]);
    expect(report.breakers[0]).toMatchObject({
      state: local.state,
      opens: local.opens,
      failures: local.failures,
      calls: local.calls,
      consecutiveFailures: local.consecutiveFailures,
    });
    expect(report.breakers[0]?.retryAfterMs).toBeGreaterThan(50_000);
    expect(report.breakers[0]?.retryAfterMs).toBeLessThanOrEqual(60_000);
    // The fleet's budget: 10 requests, what it lent, and ⌊0.5 × 10 + 1 × 10⌋ − lent left.
    const { withdrawals } = budget.snapshot();
    expect(report.budgets).toEqual([
      { name: 'model-api', deposits: 10, withdrawals, balance: 15 - withdrawals },
    ]);

    // Looking writes nothing: no key made, no field changed, no TTL renewed.
    await writer.store.close();
    const still = await contents(prefix);
    await view.read();
    await view.read();
    const after = await contents(prefix);
    expect(after.map(({ key, hash }) => ({ key, hash }))).toEqual(
      still.map(({ key, hash }) => ({ key, hash })),
    );
    after.forEach(({ pttl }, index) => {
      expect(pttl).toBeLessThanOrEqual(still[index]?.pttl ?? 0);
    });
  });

  it('follows the transitions: open, half-open when the wait is over, closed by a reset elsewhere', async () => {
    const prefix = uniquePrefix();
    const writer = member(prefix);
    const view = member(prefix).store.watchFleet();
    const changes = heard(view);
    const breaker = createCircuitBreaker({
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 300,
      store: writer.store,
    });
    expect(await writer.store.sync()).toBe(true);
    await view.read();
    await call(breaker, false);
    await waitFor(() => changes.length === 1, { what: 'closed → open' });
    // Nobody calls: Redis still says open, and the view reads half-open once the wait is over.
    await waitFor(async () => (await view.read()).breakers[0]?.state === 'half_open', {
      what: 'half-open',
    });
    breaker.reset();
    await waitFor(() => changes.length === 3, { what: 'half-open → closed' });
    expect(changes.map(({ name, from, to }) => `${name}: ${from} → ${to}`)).toEqual([
      'api: closed → open',
      'api: open → half_open',
      'api: half_open → closed',
    ]);
    expect((await view.read()).breakers[0]).toMatchObject({ state: 'closed', opens: 0 });
  });

  it('holds at most maxNames breakers, skips keys that are not its hashes, and stays healthy', async () => {
    const prefix = uniquePrefix();
    const { client } = member(prefix);
    for (let n = 0; n < 5; n++) {
      await client.hset(`{${prefix}:breaker:b${n}}`, { id: 'x@1', gen: '0', state: 'closed' });
    }
    await client.set(`{${prefix}:breaker:text}`, 'not a hash');
    await client.hset(`{${prefix}:budget:other}`, { note: 'not a budget' });
    await client.hset(`{${prefix}:escalations}:e1`, { r: '{}' });
    const { store } = member(prefix);
    const all = await store.watchFleet().read();
    expect(all.breakers.map((b) => b.name)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    expect(all.budgets).toEqual([]);
    expect(all).toMatchObject({ reachable: true, truncated: false });
    // A key that is not one of its hashes takes a place until the read that finds it out.
    const bounded = store.watchFleet({ maxNames: 3 });
    expect((await bounded.read()).breakers.length).toBeLessThanOrEqual(3);
    const few = await bounded.read();
    expect(few.breakers).toHaveLength(3);
    expect(few).toMatchObject({ reachable: true, truncated: true });
    expect(store.healthy).toBe(true);
    expect(isRecoveryConfigError(thrownBy(() => store.watchFleet({ maxName: 3 } as never)))).toBe(
      true,
    );
    expect((thrownBy(() => store.watchFleet({ maxNames: 0 })) as Error).message).toBe(
      'options.maxNames: must be ≥ 1',
    );
  });

  it('says Redis is down without throwing, keeps what it last read, and reads again once it is back', async () => {
    const server = await startRedis();
    cleanup.push(() => server.stop());
    const prefix = uniquePrefix();
    const client = connect(server.port);
    const hub = createRecoveryHub();
    const store = createRedisStore({
      client,
      prefix,
      syncMs: 100,
      flushMs: 20,
      timeoutMs: 200,
      hub,
    });
    cleanup.push(
      () => store.close(),
      () => client.disconnect(),
    );
    const breaker = createCircuitBreaker({
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
      store,
    });
    const view = store.watchFleet();
    await call(breaker, false);
    await waitFor(async () => (await view.read()).breakers[0]?.state === 'open');
    await server.crash();
    const down = await view.read();
    expect(down.reachable).toBe(false);
    expect(down.error).toMatch(/\S/);
    expect(down.breakers.map(({ name, state }) => `${name} ${state}`)).toEqual(['api open']);
    // The store degrades by its own exchanges (Redis is down for them too), not by the view.
    await waitFor(() => !store.healthy, { on: hub.signals, what: 'the store degraded' });

    // Back, empty (no persistence): the breaker puts its opening back, and the view reads it.
    const again = await startRedis(server.port);
    cleanup.push(() => again.stop());
    await waitFor(
      async () => {
        const report = await view.read();
        return report.reachable && report.breakers[0]?.state === 'open';
      },
      { what: 'read again' },
    );

    // Never reachable at all: an empty report, no rejection.
    const nowhere = connect(await freePort());
    const lonely = createRedisStore({ client: nowhere, prefix, timeoutMs: 200 });
    cleanup.push(
      () => lonely.close(),
      () => nowhere.disconnect(),
    );
    const empty = await lonely.watchFleet().read();
    expect(empty).toMatchObject({ reachable: false, breakers: [], budgets: [], complete: false });
  });

  it('ends with the store: changes$ completes, and a read says the store is closed', async () => {
    const { store } = member(uniquePrefix());
    const view = store.watchFleet();
    let completed = false;
    view.changes$.subscribe({ complete: () => (completed = true) });
    const other = store.watchFleet();
    let otherCompleted = false;
    other.changes$.subscribe({ complete: () => (otherCompleted = true) });
    other.close();
    expect(otherCompleted).toBe(true);
    await store.close();
    expect(completed).toBe(true);
    expect(await view.read()).toMatchObject({ reachable: false, error: 'the store is closed' });
  });
});
