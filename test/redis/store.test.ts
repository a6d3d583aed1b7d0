import { Redis } from 'ioredis';
import { defer, fromEvent, NEVER, of, Subject, throwError } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { budgetProtocolOf } from '../../src/fleet/retryBudget.js';
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  isBrokenCircuitError,
  isRecoveryConfigError,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { thrownBy } from '../helpers/capture.js';
import { quorumError } from '../helpers/errors.js';
import {
  connect,
  describeRedis,
  fleetMembers,
  keysWithTtl,
  redisEvents,
  serverRuns,
  shiftedClock,
  uniquePrefix,
  waitFor,
} from './helpers.js';

/**
 * One test process, several "processes" of a fleet: each with its own ioredis client and
 * its own store, as separate processes would have (the multi-process suite does the same
 * with real child processes). Clocks are driven by the tests (`shiftedClock`).
 */
const { cleanup, member } = fleetMembers();

type Outcome = 'ok' | 'failed' | 'refused';
const unavailable = () => throwError(() => new Error('HTTP 503 Service Unavailable'));

/** One call through `breaker`; resolves how it ended. */
function call(breaker: CircuitBreaker, ok: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    defer(() => (ok ? of('ok') : unavailable()))
      .pipe(circuitBreaker(breaker))
      .subscribe({
        next: () => resolve('ok'),
        error: (error: unknown) => resolve(isBrokenCircuitError(error) ? 'refused' : 'failed'),
      });
  });
}

/**
 * A call through `breaker` that never ends, unsubscribed as soon as the breaker has decided
 * on it: resolves whether it started (a refused call ends unstarted).
 */
async function trialStarts(breaker: CircuitBreaker): Promise<boolean> {
  let decide: (started: boolean) => void = () => {};
  const decided = new Promise<boolean>((resolve) => {
    decide = resolve;
  });
  const running = defer(() => {
    decide(true);
    return NEVER;
  })
    .pipe(circuitBreaker(breaker))
    .subscribe({ error: () => decide(false) });
  const started = await decided;
  running.unsubscribe();
  return started;
}

describe('createRedisStore options', () => {
  it('names every bad option at once', () => {
    const error = thrownBy(() =>
      createRedisStore({
        client: {},
        prefix: 'a{b}',
        syncMs: 0,
        flushMs: 'fast',
        hub: {},
        sync: 1,
      } as never),
    );
    expect(isRecoveryConfigError(error)).toBe(true);
    expect((error as Error).message).toMatchInlineSnapshot(`
      "options.client: must be an ioredis client (new Redis(…) or new Cluster(…))
      options.prefix: must be a non-empty string without { or }
      options.syncMs: must be ≥ 1
      options.flushMs: expected number, got "fast"
      options.hub: must be a RecoveryHub (createRecoveryHub)
      options.sync: unknown option"
    `);
    expect((thrownBy(() => createRedisStore(undefined as never)) as Error).message).toBe(
      'options: expected object, got nothing',
    );
  });

  it('is what store options accept, and nothing else is', () => {
    expect(
      (thrownBy(() => createRecoveryHub({ store: { close: async () => {} } as never })) as Error)
        .message,
    ).toBe('options.store: must be a shared store (createRedisStore from rx-recovery/redis)');
  });
});

describeRedis('a breaker shared through Redis', () => {
  it('requires a name with a store', () => {
    const { store } = member(uniquePrefix());
    const error = thrownBy(() => createCircuitBreaker({ trip: { consecutive: 1 }, store }));
    expect(isRecoveryConfigError(error)).toBe(true);
    expect((error as Error).message).toBe('options.name: required with a store');
    expect((thrownBy(() => createRetryBudget({ store })) as Error).message).toBe(
      'options.name: required with a store',
    );
  });

  it("opens in every process when one process's failures trip it", async () => {
    const prefix = uniquePrefix();
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 3 },
      openMs: 60_000,
    };
    const a = createCircuitBreaker({ ...options, store: member(prefix).store });
    const b = createCircuitBreaker({ ...options, store: member(prefix).store });
    await waitFor(async () => (await call(b, true)) === 'ok', { on: redisEvents(prefix) });
    expect(await Promise.all([call(a, false), call(a, false), call(a, false)])).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    expect(a.state).toBe('open');
    const elapsed = await waitFor(() => b.state === 'open', { on: b.state$, what: 'b opens' });
    expect(elapsed).toBeLessThan(200); // syncMs: the channel brings it sooner
    expect(await call(b, true)).toBe('refused');
  });

  it("trips on the fleet's window: failures split between processes count together", async () => {
    const prefix = uniquePrefix();
    const clock = shiftedClock();
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { rate: 0.5, minimumCalls: 4, window: { ms: 10_000 } },
      scheduler: clock,
    };
    const [one, two, three] = [member(prefix), member(prefix), member(prefix)];
    const a = createCircuitBreaker({ ...options, store: one.store });
    const b = createCircuitBreaker({ ...options, store: two.store });
    const c = createCircuitBreaker({ ...options, store: three.store });
    // Two failures in A, then, 20 s later (the window has moved on), two in B: no trip.
    await call(a, false);
    await call(a, false);
    expect(await one.store.sync()).toBe(true);
    clock.advance(20_000);
    await call(b, false);
    await call(b, false);
    expect(await two.store.sync()).toBe(true);
    expect(await three.store.sync()).toBe(true);
    expect([a.state, b.state, c.state]).toEqual(['closed', 'closed', 'closed']);
    // Two more in A, within the window of B's: four calls, all failed, though no process
    // saw four: every process opens.
    await call(a, false);
    await call(a, false);
    // A learns it from its flush's answer, B and C on the channel: in no set order.
    const breakers = [a, b, c];
    await waitFor(() => breakers.every((breaker) => breaker.state === 'open'), {
      on: breakers.map((breaker) => breaker.state$),
      what: 'every process opens',
    });
    expect([a.state, b.state]).toEqual(['open', 'open']);
  });
});

describeRedis('a breaker whose shared state is lost', () => {
  it('puts back what this process knows when its key disappears (expired, Redis restarted)', async () => {
    const prefix = uniquePrefix();
    const one = member(prefix);
    const two = member(prefix);
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
    };
    const a = createCircuitBreaker({ ...options, store: one.store });
    const handle = a.isolate();
    expect(await one.store.sync()).toBe(true);
    const key = `{${prefix}:breaker:api}`;
    expect(await one.client.hget(key, 'state')).toBe('isolated');
    await one.client.del(key);
    // The next exchange finds a new hash: the isolation goes back, and others see it.
    const b = createCircuitBreaker({ ...options, store: two.store });
    expect(await one.store.sync()).toBe(true);
    await waitFor(async () => (await one.client.hget(key, 'state')) === 'isolated', {
      on: redisEvents(prefix),
    });
    await waitFor(() => b.state === 'isolated', { on: b.state$ });
    expect(a.state).toBe('isolated');
    handle.release();
    await waitFor(() => b.state === 'closed' && a.state === 'closed', {
      on: [a.state$, b.state$],
    });
  });

  it('stops following the store once disposed', async () => {
    const prefix = uniquePrefix();
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
    };
    const a = createCircuitBreaker({ ...options, store: member(prefix).store });
    const b = createCircuitBreaker({ ...options, store: member(prefix).store });
    const c = createCircuitBreaker({ ...options, store: member(prefix).store });
    b.dispose();
    await call(a, false);
    await waitFor(() => c.state === 'open', { on: c.state$ });
    expect(b.state).toBe('closed');
    expect(await call(b, true)).toBe('ok');
  });
});

describeRedis('half-open across processes', () => {
  it('admits exactly halfOpenCalls trial calls in the fleet, then closes everywhere', async () => {
    const prefix = uniquePrefix();
    const clock = shiftedClock();
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 30_000,
      halfOpenCalls: 2,
      scheduler: clock,
    };
    const breakers = [member(prefix), member(prefix), member(prefix)].map(({ store }) =>
      createCircuitBreaker({ ...options, store }),
    );
    const [a, b, c] = breakers as [CircuitBreaker, CircuitBreaker, CircuitBreaker];
    await call(a, false);
    await waitFor(() => b.state === 'open' && c.state === 'open', { on: [b.state$, c.state$] });
    clock.advance(30_000);
    // Every process tries three trial calls at once, each held open until released.
    const trials = new Subject<string>();
    let admitted = 0;
    let settled = 0;
    const ends = new Subject<void>();
    const outcomes = breakers.flatMap((breaker) =>
      [1, 2, 3].map(
        () =>
          new Promise<Outcome>((resolve) => {
            const end = (outcome: Outcome) => {
              settled++;
              ends.next();
              resolve(outcome);
            };
            defer(() => {
              admitted++;
              return trials;
            })
              .pipe(circuitBreaker(breaker))
              .subscribe({
                next: () => end('ok'),
                error: (error: unknown) => end(isBrokenCircuitError(error) ? 'refused' : 'failed'),
              });
          }),
      ),
    );
    // Seven are refused; two run, and wait for `trials`.
    await waitFor(() => settled === 7, { on: ends });
    expect(admitted).toBe(2);
    trials.next('fine');
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    expect(results.filter((r) => r === 'refused')).toHaveLength(7);
    await waitFor(() => breakers.every((breaker) => breaker.state === 'closed'), {
      on: breakers.map((breaker) => breaker.state$),
    });
  });

  it('gives the permit back when the trial call is unsubscribed before it starts', async () => {
    const prefix = uniquePrefix();
    const clock = shiftedClock();
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 1000,
      scheduler: clock,
    };
    const a = createCircuitBreaker({ ...options, store: member(prefix).store });
    const b = createCircuitBreaker({ ...options, store: member(prefix).store });
    await call(a, false);
    await waitFor(() => b.state === 'open', { on: b.state$ });
    clock.advance(1000);
    // Unsubscribed at once: the permit, if the store grants it, goes back.
    NEVER.pipe(circuitBreaker(a)).subscribe().unsubscribe();
    // Unsubscribed while running: the permit goes back too. B tries again each time the
    // breaker's key changes (A's permit given back), until its trial starts.
    await waitFor(() => trialStarts(b), { on: redisEvents(prefix) });
    expect(
      await waitFor(async () => (await call(a, true)) === 'ok', { on: redisEvents(prefix) }),
    ).toBeGreaterThanOrEqual(0);
    await waitFor(() => b.state === 'closed', { on: b.state$ });
  });
});

describeRedis('a retry budget shared through Redis', () => {
  it("holds the fleet's retries to ratio × the fleet's requests + one reserve", async () => {
    const prefix = uniquePrefix();
    const options = { name: 'api', ratio: 0.5, minPerSecond: 1, ttlMs: 10_000 };
    const budgets = [member(prefix), member(prefix), member(prefix)].map(({ store }) => {
      const budget = createRetryBudget({ ...options, store });
      return {
        budget,
        protocol: budgetProtocolOf(budget) as NonNullable<ReturnType<typeof budgetProtocolOf>>,
        store,
      };
    });
    for (const { store } of budgets) await store.sync();
    // 10 requests in each process: the fleet may retry ⌊0.5 × 30 + 1 × 10⌋ = 25 times.
    for (const { protocol } of budgets) for (let n = 0; n < 10; n++) protocol.deposit();
    let paid = 0;
    for (let round = 0; round < 40; round++) {
      for (const { protocol } of budgets)
        for (let n = 0; n < 3; n++) if (protocol.tryWithdraw()) paid++;
      // Each round, every process exchanges with Redis (no sleep): it borrows as it refreshes.
      await Promise.all(budgets.map(({ store }) => store.sync()));
    }
    for (const { store } of budgets) await store.sync();
    expect(paid).toBeLessThanOrEqual(25);
    expect(paid).toBeGreaterThanOrEqual(20);
    const { deposits, withdrawals } = budgets[0]?.budget.snapshot() ?? {};
    expect(deposits).toBe(30);
    expect(withdrawals).toBeLessThanOrEqual(25);
  });
});

describeRedis('escalations shared through Redis', () => {
  it('lists a waiting escalation in every process, and a resolution from another resumes it', async () => {
    const prefix = uniquePrefix();
    const here = createRecoveryHub({ store: member(prefix).store });
    const there = createRecoveryHub({ store: member(prefix).store });
    const values: string[] = [];
    let completed = false;
    const completes = new Subject<void>();
    throwError(() => quorumError)
      .pipe(
        withRecovery<string>(undefined, { hub: here, maxAttempts: 0, escalation: { await: true } }),
      )
      .subscribe({
        next: (value) => values.push(value),
        complete: () => {
          completed = true;
          completes.next();
        },
      });
    const [record] = here.pendingEscalations();
    expect(record?.pending).toBe(true);
    await waitFor(() => there.pendingEscalations().some((r) => r.id === record?.id), {
      on: there.escalations$,
    });
    const id = record?.id ?? '';
    expect(there.pendingEscalations()[0]).toMatchObject({
      id,
      patternId: 'quorum_consensus_failed',
    });
    expect(() => there.resolveEscalation(id, { action: 'source', source: of('x') })).toThrow(
      'resolution.source: cannot reach another process',
    );
    const answer = there.resolveEscalation(id, { action: 'value', value: 'approved' });
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(true);
    await waitFor(() => completed, { on: completes });
    expect(values).toEqual(['approved']);
    expect(await there.resolveEscalation(id, { action: 'complete' })).toBe(false);
    expect(await here.resolveEscalation(id, { action: 'complete' })).toBe(false);
    expect(await there.resolveEscalation('nobody', { action: 'complete' })).toBe(false);
    await waitFor(() => there.pendingEscalations().length === 0, { on: there.escalations$ });
    expect(here.pendingEscalations()).toEqual([]);
  });

  it('resolves in the same process too, keeping a source resolution local', async () => {
    const prefix = uniquePrefix();
    const hub = createRecoveryHub({ store: member(prefix).store });
    const values: string[] = [];
    throwError(() => quorumError)
      .pipe(withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }))
      .subscribe((value) => values.push(value));
    const id = hub.pendingEscalations()[0]?.id ?? '';
    expect(await hub.resolveEscalation(id, { action: 'source', source: of('by hand') })).toBe(true);
    expect(values).toEqual(['by hand']);
    expect(await hub.resolveEscalation(id, { action: 'complete' })).toBe(false);
  });

  it('withdraws it everywhere when the waiting subscriber unsubscribes', async () => {
    const prefix = uniquePrefix();
    const here = createRecoveryHub({ store: member(prefix).store });
    const there = createRecoveryHub({ store: member(prefix).store });
    const lists: number[] = [];
    there.escalations$.subscribe((list) => lists.push(list.length));
    const subscription = throwError(() => quorumError)
      .pipe(
        withRecovery<string>(undefined, { hub: here, maxAttempts: 0, escalation: { await: true } }),
      )
      .subscribe();
    const id = here.pendingEscalations()[0]?.id ?? '';
    await waitFor(() => there.pendingEscalations().length === 1, { on: there.escalations$ });
    subscription.unsubscribe();
    await waitFor(() => there.pendingEscalations().length === 0, { on: there.escalations$ });
    expect(lists).toEqual([0, 1, 0]);
    expect(await there.resolveEscalation(id, { action: 'complete' })).toBe(false);
  });
});

describeRedis('keys and teardown', () => {
  it('gives every key a TTL', async () => {
    const prefix = uniquePrefix();
    const { store, client } = member(prefix);
    const clock = shiftedClock();
    const breaker = createCircuitBreaker({
      name: 'api',
      trip: { rate: 0.5, minimumCalls: 2, window: { ms: 5000 } },
      store,
      scheduler: clock,
    });
    const budget = budgetProtocolOf(createRetryBudget({ name: 'api', store }));
    const hub = createRecoveryHub({ store });
    await call(breaker, false);
    budget?.deposit();
    throwError(() => quorumError)
      .pipe(withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }))
      .subscribe();
    await store.sync();
    const ttls = await keysWithTtl(client, prefix);
    expect([...ttls.keys()].sort()).toEqual([
      `{${prefix}:breaker:api}`,
      `{${prefix}:budget:api}`,
      `{${prefix}:escalations}`,
      `{${prefix}:escalations}#seq`,
      `{${prefix}:escalations}:${hub.pendingEscalations()[0]?.id}`,
    ]);
    for (const [key, ttl] of ttls) {
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(60_000);
    }
  });

  // DESIGN: "Keys expire: nothing grows without bound." A breaker's hash lives as long as
  // any process refreshes it: a field per process that ever isolated (or resynchronised)
  // would grow with every process that came and went.
  /** A prefix of its own, a client to read Redis with, the breaker `api`'s key and its `i:` fields. */
  function breakerHash() {
    const prefix = uniquePrefix();
    const observer = connect();
    cleanup.push(() => observer.quit());
    const key = `{${prefix}:breaker:api}`;
    const isolationFields = async () =>
      (await observer.hkeys(key)).filter((field) => field.startsWith('i:'));
    return { prefix, observer, key, isolationFields };
  }

  it('a disposed breaker has left the store: isolating it by hand stays local', async () => {
    const { prefix, observer, key, isolationFields } = breakerHash();
    const options = { name: 'api', trip: { consecutive: 3 } } as const;
    const { store: here } = member(prefix);
    const { store: there } = member(prefix);
    const mine = createCircuitBreaker({ ...options, store: here });
    const theirs = createCircuitBreaker({ ...options, store: there });
    await here.sync();
    await there.sync();
    mine.dispose();
    const handle = mine.isolate();
    expect(mine.state).toBe('isolated');
    await here.sync();
    await there.sync();
    expect(await isolationFields()).toEqual([]);
    expect(await observer.hget(key, 'state')).toBe('closed');
    expect(theirs.state).toBe('closed');
    handle.release();
    expect(mine.state).toBe('closed');
  });

  it('keeps no isolation field in the breaker hash for a process that holds none', async () => {
    const { prefix, observer, key, isolationFields } = breakerHash();
    // One long-lived process keeps the key alive.
    const { store: keeper } = member(prefix);
    createCircuitBreaker({ name: 'api', trip: { consecutive: 3 }, store: keeper });
    await keeper.sync();
    for (let n = 0; n < 20; n++) {
      const { store } = member(prefix);
      const breaker = createCircuitBreaker({ name: 'api', trip: { consecutive: 3 }, store });
      await store.sync();
      breaker.isolate().release();
      await store.sync();
      await store.close();
    }
    await keeper.sync();
    expect(await observer.hget(key, 'state')).toBe('closed');
    expect(await isolationFields()).toEqual([]);
    // The key lost (expired, Redis restarted): the resynchronisation sends this process's
    // isolations, none.
    const id = await observer.hget(key, 'id');
    await observer.del(key);
    await keeper.sync();
    await waitFor(async () => ![null, id].includes(await observer.hget(key, 'id')), {
      on: redisEvents(prefix),
    });
    expect(await keeper.sync()).toBe(true);
    expect(await observer.hget(key, 'state')).toBe('closed');
    expect(await isolationFields()).toEqual([]);
  });

  // A closed store can no longer release its handles in Redis: left there, they would hold
  // the fleet's breaker isolated until a reset().
  it("close() withdraws this process's isolations; its handles still hold its own breaker", async () => {
    const { prefix, observer, key, isolationFields } = breakerHash();
    const options: CircuitBreakerOptions = { name: 'api', trip: { consecutive: 3 } };
    const leaving = member(prefix);
    const a = createCircuitBreaker({ ...options, store: leaving.store });
    const b = createCircuitBreaker({ ...options, store: member(prefix).store });
    const c = createCircuitBreaker({ ...options, store: member(prefix).store });
    const handlesA = [a.isolate(), a.isolate()];
    const handleC = c.isolate();
    await waitFor(async () => (await isolationFields()).length === 2, { on: redisEvents(prefix) });
    await waitFor(() => b.state === 'isolated', { on: b.state$ });
    await leaving.store.close();
    // C still holds the fleet's breaker.
    expect(await isolationFields()).toHaveLength(1);
    expect(await observer.hget(key, 'state')).toBe('isolated');
    handleC.release();
    await waitFor(() => b.state === 'closed' && c.state === 'closed', {
      on: [b.state$, c.state$],
    });
    expect(await observer.hget(key, 'state')).toBe('closed');
    expect(await isolationFields()).toEqual([]);
    // A goes on alone, isolated until both its handles are released.
    expect(a.state).toBe('isolated');
    expect(a.snapshot().isolations).toBe(2);
    handlesA[0]?.release();
    expect(a.state).toBe('isolated');
    handlesA[1]?.release();
    expect(a.state).toBe('closed');
    expect(await isolationFields()).toEqual([]);
  });

  it('close() ends its subscription and connection, withdraws its escalations, and leaves objects working locally', async () => {
    const prefix = uniquePrefix();
    // The store's own connection (client.duplicate()), to hear it end.
    const duplicate = vi.spyOn(Redis.prototype, 'duplicate');
    const { store, client } = member(prefix);
    const own = duplicate.mock.results[0]?.value as Redis;
    duplicate.mockRestore();
    const observer = connect();
    cleanup.push(() => observer.quit());
    const signals: RecoverySignal[] = [];
    const hub = createRecoveryHub({ store });
    hub.signals.subscribe((signal) => signals.push(signal));
    const breaker = createCircuitBreaker({ name: 'api', trip: { consecutive: 2 }, store, hub });
    throwError(() => quorumError)
      .pipe(withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }))
      .subscribe();
    await store.sync();
    const channel = `${prefix}:events`;
    const subscribers = async () => (await observer.pubsub('NUMSUB', channel))[1];
    // No notification tells of a SUBSCRIBE: the server's MONITOR feed does.
    await waitFor(async () => (await subscribers()) === 1, { on: serverRuns('subscribe') });
    const ended = fromEvent(own, 'end');
    await store.close();
    expect(store.healthy).toBe(false);
    // The store's own connection is gone: it ends once the server has closed its side,
    // which the server does after dropping the connection's subscription.
    await waitFor(async () => (await subscribers()) === 0, { on: ended });
    expect(await observer.zcard(`{${prefix}:escalations}`)).toBe(0);
    expect(client.status).toBe('ready'); // the client is the caller's
    // The breaker goes on alone, and no store signal was published by closing.
    expect([
      await call(breaker, false),
      await call(breaker, false),
      await call(breaker, true),
    ]).toEqual(['failed', 'failed', 'refused']);
    expect(signals.map((signal) => signal.type)).not.toContain('store_degraded');
    await store.close(); // twice is fine
  });
});
