import { Subject, throwError } from 'rxjs';
import { expect, it } from 'vitest';
import { budgetProtocolOf } from '../../src/fleet/retryBudget.js';
import {
  type CircuitBreakerOptions,
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  type RecoveryHub,
  withRecovery,
} from '../../src/index.js';
import { createRedisStore, type FleetBreakerChange } from '../../src/redis.js';
import { quorumError } from '../helpers/errors.js';
import {
  callThrough as call,
  connect,
  describeRedis,
  fleetMembers,
  serverRuns,
  uniquePrefix,
  waitFor,
} from './helpers.js';

/**
 * Stores whose client was made with ioredis's `keyPrefix` (`new Redis({ keyPrefix })`).
 * ioredis puts it before the KEYS of a command only: the store puts it itself where it
 * names keys otherwise (an escalation's item read by the script, the fleet view's SCAN
 * pattern and the keys SCAN answers) and before its channel, so that every `keyPrefix` is
 * a namespace of its own, channel included.
 */
const { cleanup } = fleetMembers();

/** One "process": a client with `keyPrefix`, and a store of its own. */
function keyed(prefix: string, keyPrefix: string) {
  const client = connect(undefined, { keyPrefix });
  const store = createRedisStore({ client, prefix, flushMs: 20, syncMs: 200 });
  cleanup.push(
    () => store.close(),
    () => client.quit(),
  );
  return { client, store };
}

/** A client without `keyPrefix`, that sees the keys as the server names them. */
function observe() {
  const observer = connect();
  cleanup.push(() => observer.quit());
  return observer;
}

/** An escalation that waits on `hub`; `done` emits when the stream completes. */
function waitOn(hub: RecoveryHub) {
  const values: string[] = [];
  const done = new Subject<void>();
  let completed = false;
  throwError(() => quorumError)
    .pipe(withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }))
    .subscribe({
      next: (value) => values.push(value),
      complete: () => {
        completed = true;
        done.next();
      },
    });
  return { values, done, completed: () => completed };
}

describeRedis('a client made with ioredis keyPrefix', () => {
  it('another process keeps listing a waiting escalation, and its resolution resumes it', async () => {
    const prefix = uniquePrefix();
    const observer = observe();
    const hereStore = keyed(prefix, 'app:').store;
    const thereStore = keyed(prefix, 'app:').store;
    const here = createRecoveryHub({ store: hereStore });
    const there = createRecoveryHub({ store: thereStore });
    const stream = waitOn(here);
    const id = here.pendingEscalations()[0]?.id ?? '';
    await waitFor(() => there.pendingEscalations().length === 1, { on: there.escalations$ });
    // The escalation still waits: each refresh, here and there, goes on listing it.
    for (const store of [thereStore, hereStore, thereStore]) {
      expect(await store.sync()).toBe(true);
      expect(there.pendingEscalations().map((record) => record.id)).toEqual([id]);
      expect(here.pendingEscalations().map((record) => record.id)).toEqual([id]);
    }
    // Every key under the keyPrefix, its hash tag still inside braces; none without it.
    expect((await observer.keys(`app:{${prefix}:*`)).sort()).toEqual([
      `app:{${prefix}:escalations}`,
      `app:{${prefix}:escalations}#seq`,
      `app:{${prefix}:escalations}:${id}`,
    ]);
    expect(await observer.keys(`{${prefix}:*`)).toEqual([]);
    expect(await there.resolveEscalation(id, { action: 'value', value: 'approved' })).toBe(true);
    await waitFor(stream.completed, { on: stream.done });
    expect(stream.values).toEqual(['approved']);
    await waitFor(() => there.pendingEscalations().length === 0, { on: there.escalations$ });
    expect(here.pendingEscalations()).toEqual([]);
  });

  it('shares breakers and budgets, which the fleet view reads and hears', async () => {
    const prefix = uniquePrefix();
    const observer = observe();
    const writer = keyed(prefix, 'app:').store;
    const view = keyed(prefix, 'app:').store.watchFleet();
    const changes: FleetBreakerChange[] = [];
    view.changes$.subscribe((change) => changes.push(change));
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 2 },
      openMs: 60_000,
    };
    const breaker = createCircuitBreaker({ ...options, store: writer });
    const budget = createRetryBudget({
      name: 'api',
      ratio: 0.5,
      minPerSecond: 1,
      ttlMs: 10_000,
      store: writer,
    });
    for (let n = 0; n < 10; n++) budgetProtocolOf(budget)?.deposit();
    expect(await writer.sync()).toBe(true);
    expect((await observer.keys(`app:{${prefix}:*`)).sort()).toEqual([
      `app:{${prefix}:breaker:api}`,
      `app:{${prefix}:budget:api}`,
    ]);
    const closed = await view.read();
    expect(closed).toMatchObject({ prefix, reachable: true, complete: true, truncated: false });
    expect(closed.breakers.map(({ name, state }) => ({ name, state }))).toEqual([
      { name: 'api', state: 'closed' },
    ]);
    const { withdrawals } = budget.snapshot();
    expect(closed.budgets).toEqual([
      { name: 'api', deposits: 10, withdrawals, balance: 15 - withdrawals },
    ]);
    // Another process of the keyPrefix hears the opening, as the view does.
    const other = createCircuitBreaker({ ...options, store: keyed(prefix, 'app:').store });
    await call(breaker, false);
    await call(breaker, false);
    await waitFor(() => other.state === 'open', { on: other.state$ });
    await waitFor(() => changes.length === 1, { what: 'the transition heard' });
    expect(changes[0]).toMatchObject({ name: 'api', from: 'closed', to: 'open' });
    expect((await view.read()).breakers.map(({ name, state }) => ({ name, state }))).toEqual([
      { name: 'api', state: 'open' },
    ]);
  });

  it('keeps apart from the same prefix under another keyPrefix, or none', async () => {
    const prefix = uniquePrefix();
    const observer = observe();
    const app = keyed(prefix, 'app:').store;
    const plainClient = connect();
    const plain = createRedisStore({ client: plainClient, prefix, flushMs: 20, syncMs: 200 });
    cleanup.push(
      () => plain.close(),
      () => plainClient.quit(),
    );
    const others = [keyed(prefix, 'other:').store, plain];
    // Each namespace listens on a channel of its own.
    await waitFor(
      async () =>
        (await observer.pubsub('NUMSUB', `app:${prefix}:events`))[1] === 1 &&
        (await observer.pubsub('NUMSUB', `other:${prefix}:events`))[1] === 1 &&
        (await observer.pubsub('NUMSUB', `${prefix}:events`))[1] === 1,
      { on: serverRuns('subscribe'), what: 'three channels' },
    );
    const options: CircuitBreakerOptions = {
      name: 'api',
      trip: { consecutive: 1 },
      openMs: 60_000,
    };
    const breaker = createCircuitBreaker({ ...options, store: app });
    const apart = others.map((store) => createCircuitBreaker({ ...options, store }));
    const views = others.map((store) => store.watchFleet());
    const heard: FleetBreakerChange[] = [];
    for (const view of views) view.changes$.subscribe((change) => heard.push(change));
    const hubs = others.map((store) => createRecoveryHub({ store }));
    const listed: number[] = [];
    for (const hub of hubs) hub.escalations$.subscribe((records) => listed.push(records.length));
    waitOn(createRecoveryHub({ store: app }));
    await call(breaker, false);
    expect(await app.sync()).toBe(true);
    expect(await observer.hget(`app:{${prefix}:breaker:api}`, 'state')).toBe('open');
    for (const store of others) expect(await store.sync()).toBe(true);
    expect(apart.map((other) => other.state)).toEqual(['closed', 'closed']);
    for (const view of views) {
      const report = await view.read();
      expect(report.breakers.map(({ name, state }) => ({ name, state }))).toEqual([
        { name: 'api', state: 'closed' },
      ]);
      expect(report.budgets).toEqual([]);
    }
    expect(heard).toEqual([]);
    expect(hubs.map((hub) => hub.pendingEscalations())).toEqual([[], []]);
    expect(listed.every((length) => length === 0)).toBe(true);
  });
});
