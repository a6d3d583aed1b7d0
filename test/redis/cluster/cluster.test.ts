import type { Cluster } from 'ioredis';
import { defer, from, of, Subject, throwError } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { budgetProtocolOf } from '../../../src/fleet/retryBudget.js';
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  circuitBreaker,
  createCircuitBreaker,
  createRecoveryHub,
  createRetryBudget,
  isBrokenCircuitError,
  type RecoveryHub,
  type RecoverySignal,
  withRecovery,
} from '../../../src/index.js';
import {
  createRedisStore,
  type FleetBreakerChange,
  type RedisStoreOptions,
} from '../../../src/redis.js';
import { quorumError } from '../../helpers/errors.js';
import { shiftedClock, uniquePrefix } from '../helpers.js';
import {
  clusterNodes,
  connectCluster,
  LIMIT_MS,
  next,
  Placement,
  ready,
  trackHandles,
  until,
} from './helpers.js';
import { type RedisCluster, startCluster } from './server.js';

/**
 * The Redis store on a real Redis Cluster: three masters (test/redis/cluster/server.ts),
 * each "process" of a fleet an ioredis `Cluster` client and a store of its own, seeded with
 * the first master only. Every object is placed on purpose (its name or prefix chosen by
 * CLUSTER KEYSLOT) and found afterwards on the master it belongs to, and nowhere else.
 * Every timer and socket a test makes must have ended after its cleanup. The last test
 * kills a master for good: it stays last.
 *
 * Like the global setup: when no cluster can be started, CI fails the suite; a local run
 * skips it, saying why.
 */
let cluster: RedisCluster | undefined;
let placement: Placement;
let unavailable = '';
/** The timers and sockets the running test made. */
let made: ReturnType<typeof trackHandles> | undefined;

beforeAll(async () => {
  try {
    cluster = await startCluster(3);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.CI) {
      throw new Error(
        `a Redis Cluster could not be started, and CI runs the cluster suite (test/redis/cluster): ${reason}`,
      );
    }
    unavailable = reason.split('\n')[0] ?? reason;
    console.warn(
      `\n[test/redis/cluster] a Redis Cluster could not be started; the cluster suite is SKIPPED.\n` +
        `  ${unavailable}\n  Install redis-server and redis-cli (apt-get install redis-server), or set REDIS_SERVER and REDIS_CLI to their paths.\n`,
    );
    return;
  }
  placement = await Placement.of(cluster);
}, 30_000);

afterAll(() => cluster?.stop());

beforeEach((context) => {
  if (cluster === undefined) context.skip(`no Redis Cluster: ${unavailable}`);
  made = trackHandles();
});

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  // Every connection closed, every timer ended: nothing a test made outlives it.
  const tracked = made;
  made = undefined;
  if (tracked === undefined) return;
  try {
    await nothingLeft(tracked, 'every timer and socket of the test ended');
  } finally {
    tracked.stop();
  }
});

/** Waits until every timer and socket `tracked` follows has ended, naming those left. */
const nothingLeft = (tracked: ReturnType<typeof trackHandles>, what: string) =>
  until(
    () => tracked.left().length === 0,
    () => `${what} (left: ${tracked.left().join('; ')})`,
  );

/** The cluster, once `beforeAll` started it (tests are skipped otherwise). */
function running(): RedisCluster {
  if (cluster === undefined) throw new Error('no cluster');
  return cluster;
}

/**
 * One "process" of a fleet: its own `Cluster` client and store (`flushMs: 20`,
 * `syncMs: 200` unless `options` say otherwise), closed after the test.
 */
function member(prefix: string, options: Partial<RedisStoreOptions> = {}) {
  const client: Cluster = connectCluster(running());
  const store = createRedisStore({ client, prefix, flushMs: 20, syncMs: 200, ...options });
  cleanup.push(
    () => store.close(),
    () => client.quit().catch(() => client.disconnect()),
  );
  return { client, store };
}

type Outcome = 'ok' | 'failed' | 'refused';

/** One call through `breaker`; resolves how it ended. */
function call(breaker: CircuitBreaker, ok: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    defer(() => (ok ? of('ok') : throwError(() => new Error('HTTP 503 Service Unavailable'))))
      .pipe(circuitBreaker(breaker))
      .subscribe({
        next: () => resolve('ok'),
        error: (error: unknown) => resolve(isBrokenCircuitError(error) ? 'refused' : 'failed'),
      });
  });
}

/** The error a call through `breaker` ends with (the source never errs). */
function refusal(breaker: CircuitBreaker): Promise<unknown> {
  return new Promise((resolve) => {
    of('ok')
      .pipe(circuitBreaker(breaker))
      .subscribe({ complete: () => resolve(undefined), error: resolve });
  });
}

/** `state$` reaching `state`: an event, bounded. */
const reaches = (breaker: CircuitBreaker, state: string, what: string) =>
  next(breaker.state$, (now) => now === state, what);

/** Waits until `n` connections in the cluster listen on the prefix's channel. */
const listening = (prefix: string, n: number) =>
  until(async () => (await placement.subscribers(`${prefix}:events`)) === n, `${n} subscribers`);

describe('a Redis Cluster of three masters', () => {
  it('is what the suite assumes: three connected masters, a third of the slots each, no replica', async () => {
    const { masters } = running();
    for (const { port } of masters) {
      const nodes = await clusterNodes(port);
      expect(
        nodes.map(({ port, flags, link, slots }) => ({
          port,
          master: flags.includes('master'),
          link,
          slots,
        })),
      ).toEqual([
        { port: masters[0]?.port, master: true, link: 'connected', slots: ['0-5460'] },
        { port: masters[1]?.port, master: true, link: 'connected', slots: ['5461-10922'] },
        { port: masters[2]?.port, master: true, link: 'connected', slots: ['10923-16383'] },
      ]);
    }
  });
});

describe('a breaker shared through a Redis Cluster', () => {
  it('opens in another process, heard across masters, and admits exactly one half-open trial in the fleet', async () => {
    const prefix = uniquePrefix();
    // The breaker's hash on the second master; both clients are seeded with the first.
    const name = await placement.nameOn(1, 'api', (n) => `{${prefix}:breaker:${n}}`);
    const clock = shiftedClock();
    const options: CircuitBreakerOptions = {
      name,
      trip: { consecutive: 3 },
      openMs: 60_000,
      scheduler: clock,
    };
    const a = createCircuitBreaker({ ...options, store: member(prefix).store });
    // B refreshes once a minute: what it learns within the test, it learns on the channel.
    const two = member(prefix, { syncMs: 60_000 });
    const b = createCircuitBreaker({ ...options, store: two.store });
    expect(await two.store.sync()).toBe(true);
    await listening(prefix, 2);

    expect(await Promise.all([call(a, false), call(a, false), call(a, false)])).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    expect(a.state).toBe('open');
    await reaches(b, 'open', 'B opens');
    const error = await refusal(b);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'BrokenCircuitError', breakerName: name, state: 'open' });
    const { retryAfterMs } = error as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(50_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);

    // The wait is over in both: each tries two trial calls at once, held open until released.
    clock.advance(60_000);
    const trials = new Subject<string>();
    let admitted = 0;
    let refused = 0;
    const decided = new Subject<void>();
    const outcomes = [a, b, a, b].map(
      (breaker) =>
        new Promise<Outcome>((resolve) => {
          defer(() => {
            admitted++;
            decided.next();
            return trials;
          })
            .pipe(circuitBreaker(breaker))
            .subscribe({
              next: () => resolve('ok'),
              error: (error: unknown) => {
                refused += isBrokenCircuitError(error) ? 1 : 0;
                decided.next();
                resolve(isBrokenCircuitError(error) ? 'refused' : 'failed');
              },
            });
        }),
    );
    await next(decided, () => admitted + refused === 4, 'four trial calls decided');
    expect({ admitted, refused }).toEqual({ admitted: 1, refused: 3 });
    trials.next('fine');
    expect((await Promise.all(outcomes)).sort()).toEqual(['ok', 'refused', 'refused', 'refused']);
    await Promise.all([reaches(a, 'closed', 'A closes'), reaches(b, 'closed', 'B closes')]);

    // The hash lives on the second master, and only there.
    expect(await placement.keysByMaster(prefix)).toEqual([[], [`{${prefix}:breaker:${name}}`], []]);
  });
});

describe('a retry budget shared through a Redis Cluster', () => {
  it("counts both processes' deposits and withdrawals together, to the fleet's bound", async () => {
    const prefix = uniquePrefix();
    const name = await placement.nameOn(2, 'api', (n) => `{${prefix}:budget:${n}}`);
    const options = { name, ratio: 0.5, minPerSecond: 1, ttlMs: 10_000 };
    const processes = [member(prefix), member(prefix)].map(({ store }) => {
      const budget = createRetryBudget({ ...options, store });
      const protocol = budgetProtocolOf(budget);
      if (protocol === undefined) throw new Error('no budget protocol');
      return { budget, protocol, store, paid: 0 };
    });
    // 10 requests in each: the fleet may retry ⌊0.5 × 20 + 1 × 10⌋ = 20 times.
    for (const { protocol } of processes) for (let n = 0; n < 10; n++) protocol.deposit();
    // Two exchanges each: the first tells Redis, the second learns what the other told it.
    for (let round = 0; round < 2; round++) {
      for (const { store } of processes) expect(await store.sync()).toBe(true);
    }
    expect(processes.map(({ budget }) => budget.snapshot().deposits)).toEqual([20, 20]);
    // Each round, each process tries three retries, then exchanges with Redis (no sleep),
    // until the fleet has lent its last token and every lent token is spent.
    const spent = () =>
      processes.every(({ budget }) => {
        const { deposits, withdrawals, balance } = budget.snapshot();
        return deposits === 20 && withdrawals === 20 && balance === 0;
      });
    for (let round = 0; !spent(); round++) {
      if (round === 100) throw new Error('the fleet never spent its budget');
      for (const each of processes) {
        for (let n = 0; n < 3; n++) if (each.protocol.tryWithdraw()) each.paid++;
      }
      for (const { store } of processes) expect(await store.sync()).toBe(true);
    }
    const [one, two] = processes.map(({ paid }) => paid) as [number, number];
    expect(one).toBeGreaterThan(0);
    expect(two).toBeGreaterThan(0);
    expect(one + two).toBe(20);
    for (const { protocol } of processes) expect(protocol.tryWithdraw()).toBe(false);
    for (const { budget } of processes) {
      expect(budget.snapshot()).toEqual({ deposits: 20, withdrawals: 20, balance: 0 });
    }
    // What Redis holds, read by a third process at once, before its client knows the
    // cluster's masters: the read waits for them. The hash lives on the third master only.
    const third = member(prefix);
    const report = await third.store.watchFleet().read();
    expect(report).toMatchObject({ reachable: true, complete: true, truncated: false });
    expect(report.budgets).toEqual([{ name, deposits: 20, withdrawals: 20, balance: 0 }]);
    expect(await placement.keysByMaster(prefix)).toEqual([[], [], [`{${prefix}:budget:${name}}`]]);
  });
});

describe('escalations shared through a Redis Cluster', () => {
  it('lists a waiting escalation in another process, and a resolution from there resumes it', async () => {
    // The escalations' keys (one hash tag) on the third master.
    const prefix = await placement.prefixOn(2, (p) => `{${p}:escalations}`);
    const here = createRecoveryHub({ store: member(prefix).store });
    const there = createRecoveryHub({ store: member(prefix).store });
    const values: string[] = [];
    const completed = new Promise<void>((resolve) => {
      throwError(() => quorumError)
        .pipe(
          withRecovery<string>(undefined, {
            hub: here,
            maxAttempts: 0,
            escalation: { await: true },
          }),
        )
        .subscribe({ next: (value) => values.push(value), complete: resolve });
    });
    const [record] = here.pendingEscalations();
    expect(record?.pending).toBe(true);
    const id = record?.id ?? '';
    await next(there.escalations$, (list) => list.some((r) => r.id === id), 'B lists it');
    expect(there.pendingEscalations()).toHaveLength(1);
    expect(there.pendingEscalations()[0]).toMatchObject({
      id,
      pending: true,
      patternId: 'quorum_consensus_failed',
    });
    expect(await placement.keysByMaster(prefix)).toEqual([
      [],
      [],
      [`{${prefix}:escalations}`, `{${prefix}:escalations}#seq`, `{${prefix}:escalations}:${id}`],
    ]);

    const answer = there.resolveEscalation(id, { action: 'value', value: 'approved' });
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(true);
    await completed;
    expect(values).toEqual(['approved']);
    expect(await there.resolveEscalation(id, { action: 'complete' })).toBe(false);
    expect(await here.resolveEscalation(id, { action: 'complete' })).toBe(false);
    await next(there.escalations$, (list) => list.length === 0, 'B lists nothing');
    expect(here.pendingEscalations()).toEqual([]);
  });
});

describe('store.watchFleet() on a Redis Cluster', () => {
  it('reads the breakers and budgets of every master, not only the one it was seeded with', async () => {
    const prefix = uniquePrefix();
    const breakerKey = (n: string) => `{${prefix}:breaker:${n}}`;
    const budgetKey = (n: string) => `{${prefix}:budget:${n}}`;
    // One breaker and one budget on each master.
    const breakers = [
      await placement.nameOn(0, 'alpha', breakerKey),
      await placement.nameOn(1, 'beta', breakerKey),
      await placement.nameOn(2, 'gamma', breakerKey),
    ] as const;
    const budgets = [
      await placement.nameOn(0, 'alpha', budgetKey),
      await placement.nameOn(1, 'beta', budgetKey),
      await placement.nameOn(2, 'gamma', budgetKey),
    ] as const;
    // Two writing processes and a viewer.
    const [one, two] = [member(prefix), member(prefix)];
    const viewer = member(prefix, { syncMs: 60_000 });
    await ready(viewer.client);
    const view = viewer.store.watchFleet();
    const changes: FleetBreakerChange[] = [];
    view.changes$.subscribe((change) => changes.push(change));
    const heard = next(view.changes$, () => true, 'the view hears alpha open');
    await listening(prefix, 3);

    const options = { trip: { consecutive: 3 }, openMs: 60_000 } as const;
    const [alpha, beta] = [breakers[0], breakers[1]].map((name) =>
      createCircuitBreaker({ ...options, name, store: one.store }),
    ) as [CircuitBreaker, CircuitBreaker];
    const gamma = createCircuitBreaker({ ...options, name: breakers[2], store: two.store });
    const deposit = (name: string, store: typeof one.store, n: number) => {
      const protocol = budgetProtocolOf(
        createRetryBudget({ name, ratio: 0.5, minPerSecond: 1, ttlMs: 10_000, store }),
      );
      for (let k = 0; k < n; k++) protocol?.deposit();
    };
    deposit(budgets[0], two.store, 4);
    deposit(budgets[1], two.store, 6);
    deposit(budgets[2], one.store, 10);

    // alpha opens (first master); beta fails twice of three (second); gamma succeeds (third).
    expect(await Promise.all([call(alpha, false), call(alpha, false), call(alpha, false)])).toEqual(
      ['failed', 'failed', 'failed'],
    );
    expect([await call(beta, true), await call(beta, false), await call(beta, false)]).toEqual([
      'ok',
      'failed',
      'failed',
    ]);
    expect([await call(gamma, true), await call(gamma, true)]).toEqual(['ok', 'ok']);
    // The opening on the first master, heard by a subscriber wherever it is connected.
    await heard;
    expect(changes.map(({ name, from, to }) => ({ name, from, to }))).toEqual([
      { name: breakers[0], from: 'closed', to: 'open' },
    ]);
    // Flushed, and the budgets' lent tokens given back: the writers close.
    await one.store.close();
    await two.store.close();
    expect(await placement.keysByMaster(prefix)).toEqual([
      [breakerKey(breakers[0]), budgetKey(budgets[0])].sort(),
      [breakerKey(breakers[1]), budgetKey(budgets[1])].sort(),
      [breakerKey(breakers[2]), budgetKey(budgets[2])].sort(),
    ]);

    const report = await view.read();
    expect(report).toMatchObject({ prefix, reachable: true, complete: true, truncated: false });
    const quiet = { slow: 0, trialCalls: 0, trialSuccesses: 0, isolations: 0 };
    expect(report.breakers).toEqual([
      {
        name: breakers[0],
        state: 'open',
        generation: 1,
        opens: 1,
        calls: 3,
        failures: 3,
        successes: 0,
        consecutiveFailures: 3,
        retryAfterMs: expect.any(Number),
        ...quiet,
      },
      {
        name: breakers[1],
        state: 'closed',
        generation: 0,
        opens: 0,
        calls: 3,
        failures: 2,
        successes: 1,
        consecutiveFailures: 2,
        retryAfterMs: 0,
        ...quiet,
      },
      {
        name: breakers[2],
        state: 'closed',
        generation: 0,
        opens: 0,
        calls: 2,
        failures: 0,
        successes: 2,
        consecutiveFailures: 0,
        retryAfterMs: 0,
        ...quiet,
      },
    ]);
    expect(report.breakers[0]?.retryAfterMs).toBeGreaterThan(50_000);
    expect(report.breakers[0]?.retryAfterMs).toBeLessThanOrEqual(60_000);
    // ⌊0.5 × deposits + 1 × 10⌋, nothing withdrawn.
    expect(report.budgets).toEqual([
      { name: budgets[0], deposits: 4, withdrawals: 0, balance: 12 },
      { name: budgets[1], deposits: 6, withdrawals: 0, balance: 13 },
      { name: budgets[2], deposits: 10, withdrawals: 0, balance: 15 },
    ]);
  });
});

describe('a master of the cluster killed', () => {
  it('degrades the stores, errs no stream, hangs nothing, and close() leaves no handle', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanup.push(() => process.off('unhandledRejection', onUnhandled));

    const prefix = uniquePrefix();
    // A's breaker and budget on the second master, which dies; B's breaker on the third.
    const doomed = await placement.nameOn(1, 'api', (n) => `{${prefix}:breaker:${n}}`);
    const purse = await placement.nameOn(1, 'api', (n) => `{${prefix}:budget:${n}}`);
    const spared = await placement.nameOn(2, 'db', (n) => `{${prefix}:breaker:${n}}`);
    const fast = { syncMs: 100, flushMs: 20, timeoutMs: 200 };
    const [a, b] = [0, 1].map(() => {
      const hub = createRecoveryHub();
      const signals: RecoverySignal[] = [];
      hub.signals.subscribe((signal) => signals.push(signal));
      return { ...member(prefix, { ...fast, hub }), hub, signals };
    }) as [Member, Member];
    const trip = { trip: { consecutive: 3 }, openMs: 60_000 } as const;
    const api = createCircuitBreaker({ ...trip, name: doomed, store: a.store });
    const budget = createRetryBudget({ name: purse, ratio: 1, store: a.store });
    const db = createCircuitBreaker({ ...trip, name: spared, store: b.store });
    expect(await a.store.sync()).toBe(true);
    expect(await b.store.sync()).toBe(true);
    expect(await Promise.all(times(5, () => recovery(api, budget)))).toEqual(times(5, () => 'ok'));
    // A stream under way when the master dies: its source answers afterwards.
    const late = new Subject<string>();
    const pending = new Promise<string>((resolve, reject) =>
      late.pipe(circuitBreaker(api)).subscribe({ next: resolve, error: reject }),
    );

    const [first, second, third] = running().masters;
    if (first === undefined || second === undefined || third === undefined) {
      throw new Error('three masters');
    }
    // The survivors give up on it after the node timeout: then no slot is served at all.
    const given = Promise.all(
      [first, third].map((node) => node.logs('Cluster state changed: fail', LIMIT_MS)),
    );
    await second.crash();
    await next(a.hub.signals, (s) => s.type === 'store_degraded', 'A degrades');
    expect(a.store.healthy).toBe(false);
    expect(a.signals.filter((s) => s.type === 'store_degraded')).toHaveLength(1);
    expect(a.signals[0]).toMatchObject({
      type: 'store_degraded',
      store: prefix,
      correlationId: `store:${prefix}`,
    });
    // A's streams go on from local state.
    expect(await Promise.all(times(20, () => recovery(api, budget)))).toEqual(
      times(20, () => 'ok'),
    );
    late.next('answered');
    expect(await pending).toBe('answered');
    expect(await Promise.all(times(4, () => call(api, false)))).toEqual([
      'failed',
      'failed',
      'failed',
      'refused',
    ]);

    // The cluster fails: B, whose master lives, degrades too, and goes on alone.
    await given;
    await next(b.hub.signals, (s) => s.type === 'store_degraded', 'B degrades');
    expect(b.store.healthy).toBe(false);
    expect(await Promise.all(times(3, () => call(db, true)))).toEqual(['ok', 'ok', 'ok']);
    expect(await Promise.all(times(4, () => call(db, false)))).toEqual([
      'failed',
      'failed',
      'failed',
      'refused',
    ]);
    expect(await a.store.sync()).toBe(false);

    // Closing waits for nothing that cannot answer; then nothing the stores made is left.
    await next(from(Promise.all([a.store.close(), b.store.close()])), () => true, 'close()');
    for (const { client } of [a, b]) client.disconnect();
    const tracked = made;
    if (tracked === undefined) throw new Error('not tracked');
    await nothingLeft(tracked, 'the handles back to what they were');
    expect(tracked.left()).toEqual([]);
    expect([...a.signals, ...b.signals].map((s) => s.type)).toEqual([
      'store_degraded',
      'store_degraded',
    ]);
    expect(unhandled).toEqual([]);
  }, 20_000);
});

type Member = ReturnType<typeof member> & { hub: RecoveryHub; signals: RecoverySignal[] };

const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

/** One stream through breaker and budget whose first attempt fails: resolves its value. */
function recovery(breaker: CircuitBreaker, budget: ReturnType<typeof createRetryBudget>) {
  let attempts = 0;
  return new Promise<string>((resolve, reject) => {
    defer(() => (attempts++ === 0 ? throwError(() => new Error('Request timed out')) : of('ok')))
      .pipe(withRecovery(undefined, { breaker, budget, retry: { baseDelayMs: 0 } }))
      .subscribe({ next: resolve, error: reject });
  });
}
