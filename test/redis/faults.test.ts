import { defer, of, Subject, throwError } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { budgetProtocolOf } from '../../src/fleet/retryBudget.js';
import {
  type CircuitBreaker,
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  isBrokenCircuitError,
  type RecoverySignal,
  withRecovery,
} from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { quorumError } from '../helpers/errors.js';
import { connect, describeRedis, shiftedClock, uniquePrefix, waitFor } from './helpers.js';
import { freePort, type RedisServer, startRedis } from './server.js';

/**
 * Redis failing under a running fleet object: a private redis-server per test (the shared
 * one must stay up), killed, paused (SIGSTOP: it accepts connections and answers nothing)
 * and restarted on the same port.
 */
const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup() {
  let server: RedisServer = await startRedis();
  cleanup.push(() => server.stop());
  const client = connect(server.port);
  const prefix = uniquePrefix();
  const clock = shiftedClock();
  // The store's own hub hears of the store too (a budget has no hub of its own).
  const storeHub = createRecoveryHub();
  const storeSignals: string[] = [];
  storeHub.signals.subscribe((signal) => storeSignals.push(signal.type));
  const store = createRedisStore({
    client,
    prefix,
    syncMs: 100,
    flushMs: 20,
    timeoutMs: 200,
    hub: storeHub,
  });
  cleanup.push(
    () => store.close(),
    () => client.disconnect(),
  );
  const hub = createRecoveryHub({ store });
  const signals: RecoverySignal[] = [];
  hub.signals.subscribe((signal) => signals.push(signal));
  const breaker = createCircuitBreaker({
    name: 'api',
    trip: { consecutive: 3 },
    openMs: 60_000,
    store,
    hub,
    scheduler: clock,
  });
  const budget = createRetryBudget({ name: 'api', ratio: 1, store, scheduler: clock });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  cleanup.push(() => process.off('unhandledRejection', onUnhandled));
  await store.sync();
  const types = () => signals.map((signal) => signal.type);
  return {
    server: () => server,
    async restart() {
      server = await startRedis(server.port);
    },
    client,
    prefix,
    clock,
    store,
    hub,
    breaker,
    budget,
    signals,
    types,
    storeSignals,
    unhandled,
  };
}

/** One stream through breaker and budget whose first attempt fails: resolves its value. */
function recovery(breaker: CircuitBreaker, budget: ReturnType<typeof createRetryBudget>) {
  let attempts = 0;
  return new Promise<string>((resolve, reject) => {
    defer(() => (attempts++ === 0 ? throwError(() => new Error('Request timed out')) : of('ok')))
      .pipe(withRecovery(undefined, { breaker, budget, retry: { baseDelayMs: 0 } }))
      .subscribe({ next: resolve, error: reject });
  });
}

const sync = (n: number, make: () => unknown) => Array.from({ length: n }, make);

describeRedis('Redis failing', () => {
  it('killed mid-run: streams recover on local state, store_degraded; restarted: resynchronised, store_recovered', async () => {
    const fleet = await setup();
    const { breaker, budget, hub, store, types } = fleet;
    expect(await Promise.all(sync(5, () => recovery(breaker, budget)))).toEqual(
      sync(5, () => 'ok'),
    );
    // A waiting escalation, listed in Redis.
    const values: string[] = [];
    throwError(() => quorumError)
      .pipe(withRecovery<string>(undefined, { hub, maxAttempts: 0, escalation: { await: true } }))
      .subscribe((value) => values.push(value));
    const [waiting] = hub.pendingEscalations();

    await fleet.server().crash();
    // Recovering goes on, from local state: every stream gets its value.
    expect(await Promise.all(sync(20, () => recovery(breaker, budget)))).toEqual(
      sync(20, () => 'ok'),
    );
    await waitFor(() => types().includes('store_degraded'), {
      on: hub.signals,
      what: 'store_degraded',
    });
    expect(store.healthy).toBe(false);
    const degraded = fleet.signals.find((signal) => signal.type === 'store_degraded');
    expect(degraded).toMatchObject({ store: fleet.prefix, correlationId: `store:${fleet.prefix}` });
    // The breaker trips here, on its own; a resolution reaches the stream that waits here.
    const refusals = await Promise.all(
      sync(
        4,
        () =>
          new Promise<boolean>((resolve) =>
            throwError(() => new Error('HTTP 503'))
              .pipe(circuitBreaker(breaker))
              .subscribe({ error: (error: unknown) => resolve(isBrokenCircuitError(error)) }),
          ),
      ),
    );
    expect(refusals).toEqual([false, false, false, true]);
    expect(breaker.state).toBe('open');
    expect(
      await hub.resolveEscalation(waiting?.id ?? '', { action: 'value', value: 'local' }),
    ).toBe(true);
    expect(values).toEqual(['local']);

    await fleet.restart(); // same port, empty: no persistence
    await waitFor(() => types().includes('store_recovered'), {
      on: hub.signals,
      what: 'store_recovered',
      timeoutMs: 5000,
    });
    expect(store.healthy).toBe(true);
    expect(types().filter((type) => type === 'store_degraded')).toHaveLength(1);
    // Resynchronised: the restarted Redis learnt the opening, and a newcomer sees it.
    const newcomer = connect(fleet.server().port);
    const other = createRedisStore({ client: newcomer, prefix: fleet.prefix });
    cleanup.push(
      () => other.close(),
      () => newcomer.quit(),
    );
    const seen = createCircuitBreaker({ name: 'api', trip: { consecutive: 3 }, store: other });
    await waitFor(() => seen.state === 'open', {
      on: seen.state$,
      what: 'the newcomer sees the breaker open',
    });
    expect(await newcomer.hget(`{${fleet.prefix}:breaker:api}`, 'state')).toBe('open');
    expect(fleet.unhandled).toEqual([]);
  }, 20_000);

  it('paused (SIGSTOP): no call waits for it; a half-open trial waits at most timeoutMs, then store_degraded; resumed: store_recovered', async () => {
    const fleet = await setup();
    const { breaker, budget, hub, store, types } = fleet;
    const purse = budgetProtocolOf(budget);
    if (purse === undefined) throw new Error('no budget protocol');
    // Open in Redis before it stops answering.
    for (let n = 0; n < 3; n++) {
      throwError(() => new Error('HTTP 503'))
        .pipe(circuitBreaker(breaker))
        .subscribe({ error: () => {} });
    }
    expect(await store.sync()).toBe(true);
    process.kill(fleet.server().pid, 'SIGSTOP');
    cleanup.push(() => process.kill(fleet.server().pid, 'SIGCONT'));

    // 1,000 budget decisions, all taken synchronously: none waits for Redis.
    let decided = 0;
    for (let n = 0; n < 1000; n++) {
      purse.deposit();
      if (typeof purse.tryWithdraw() === 'boolean') decided++;
    }
    expect(decided).toBe(1000);
    // A half-open trial asks Redis for its permit: no answer within timeoutMs (200 ms),
    // so it is decided here, and the store degrades.
    fleet.clock.advance(60_000);
    let admitted = false;
    const admissions = new Subject<void>();
    of('trial')
      .pipe(circuitBreaker(breaker))
      .subscribe(() => {
        admitted = true;
        admissions.next();
      });
    expect(admitted).toBe(false);
    await waitFor(() => admitted, { on: admissions, what: 'the trial admitted', timeoutMs: 2000 });
    expect(types()).toContain('store_degraded');
    expect(fleet.storeSignals).toEqual(['store_degraded']);
    expect(breaker.state).toBe('closed');
    // Closed: 1,000 calls complete synchronously, Redis still paused.
    let completed = 0;
    for (let n = 0; n < 1000; n++) {
      of(n)
        .pipe(circuitBreaker(breaker))
        .subscribe({ complete: () => completed++ });
    }
    expect(completed).toBe(1000);

    process.kill(fleet.server().pid, 'SIGCONT');
    await waitFor(() => types().includes('store_recovered'), {
      on: hub.signals,
      what: 'store_recovered',
    });
    expect(fleet.storeSignals).toEqual(['store_degraded', 'store_recovered']);
    expect(store.healthy).toBe(true);
    expect(fleet.unhandled).toEqual([]);
  }, 20_000);

  it('unreachable from the start: objects work alone, store_degraded once, close() ends it all', async () => {
    const client = connect(await freePort()); // nobody listens there
    cleanup.push(() => client.disconnect());
    const hub = createRecoveryHub();
    const types: string[] = [];
    hub.signals.subscribe((signal) => types.push(signal.type));
    const store = createRedisStore({ client, prefix: uniquePrefix(), syncMs: 50, timeoutMs: 100 });
    const shared = createRecoveryHub({ store });
    const breaker = createCircuitBreaker({ name: 'api', trip: { consecutive: 5 }, store, hub });
    const budget = createRetryBudget({ name: 'api', store });
    expect(await recovery(breaker, budget)).toBe('ok');
    await waitFor(() => types.includes('store_degraded'), { on: hub.signals });
    expect(await store.sync()).toBe(false);
    const values: string[] = [];
    throwError(() => quorumError)
      .pipe(
        withRecovery<string>(undefined, {
          hub: shared,
          maxAttempts: 0,
          escalation: { await: true },
        }),
      )
      .subscribe((value) => values.push(value));
    const id = shared.pendingEscalations()[0]?.id ?? '';
    expect(await shared.resolveEscalation(id, { action: 'value', value: 'here' })).toBe(true);
    expect(values).toEqual(['here']);
    await store.close();
    expect(types.filter((type) => type === 'store_degraded')).toHaveLength(1);
    expect(types).not.toContain('store_recovered');
  });
});
