import { expect, it } from 'vitest';
import { DashboardModel } from '../../src/dashboard/model.js';
import { budgetProtocolOf } from '../../src/fleet/retryBudget.js';
import { createCircuitBreaker, createRecoveryHub, createRetryBudget } from '../../src/index.js';
import { callThrough as call, describeRedis, fleetMembers, uniquePrefix } from './helpers.js';

/**
 * Hashes written by an older version of the scripts, which did not record a breaker's
 * window (`win`) nor a budget's `win`, `ratio` and `reserve`: the view reports what it
 * cannot tell as unknown (`NaN`), never a made-up number, and the rest as read. Made here
 * by real stores, then stripped of the fields the older scripts did not write.
 */
const { member } = fleetMembers();

/** Trips on nothing these tests do: the window only counts. */
const counting = (window: { ms: number } | { calls: number }) =>
  ({ rate: 0.9, minimumCalls: 50, window }) as const;

describeRedis('store.watchFleet() on hashes written by older scripts', () => {
  it('reports what it cannot tell as NaN, the rest as read, and the dashboard model folds it in', async () => {
    const prefix = uniquePrefix();
    const writer = member(prefix);
    const { store } = writer;
    const timed = createCircuitBreaker({ name: 'timed', trip: counting({ ms: 10_000 }), store });
    const counted = createCircuitBreaker({ name: 'counted', trip: counting({ calls: 50 }), store });
    for (const breaker of [timed, counted]) {
      await call(breaker, true);
      await call(breaker, false);
      await call(breaker, false);
    }
    const budget = (name: string) =>
      createRetryBudget({ name, ratio: 0.5, minPerSecond: 1, ttlMs: 10_000, store });
    for (const name of ['old', 'half', 'new']) {
      for (let n = 0; n < 10; n++) budgetProtocolOf(budget(name))?.deposit();
    }
    expect(await store.sync()).toBe(true);
    await store.close();
    const { client } = writer;
    const key = (kind: string, name: string) => `{${prefix}:${kind}:${name}}`;
    expect(await client.hget(key('breaker', 'timed'), 'win')).toBe('t10000');
    expect(await client.hdel(key('breaker', 'timed'), 'win')).toBe(1);
    expect(await client.hdel(key('breaker', 'counted'), 'win')).toBe(1);
    expect(await client.hdel(key('budget', 'old'), 'win', 'ratio', 'reserve')).toBe(3);
    expect(await client.hdel(key('budget', 'half'), 'ratio', 'reserve')).toBe(2);

    const report = await member(prefix).store.watchFleet().read();
    expect(report.reachable).toBe(true);
    const common = {
      state: 'closed',
      generation: 0,
      opens: 0,
      consecutiveFailures: 2,
      trialCalls: 0,
      trialSuccesses: 0,
      isolations: 0,
      retryAfterMs: 0,
    };
    expect(report.breakers).toEqual([
      // A calls window keeps totals: they need no window to be read.
      { name: 'counted', ...common, calls: 3, failures: 2, successes: 1, slow: 0 },
      // A time window's buckets: which are current is unknown without `win`.
      {
        name: 'timed',
        ...common,
        calls: Number.NaN,
        failures: Number.NaN,
        successes: Number.NaN,
        slow: Number.NaN,
      },
    ]);
    const { withdrawals } = budget('new').snapshot();
    expect(report.budgets).toEqual([
      // Without ratio and reserve: the counts, not the balance.
      { name: 'half', deposits: 10, withdrawals: expect.any(Number), balance: Number.NaN },
      { name: 'new', deposits: 10, withdrawals, balance: 15 - withdrawals },
      // Without the window: nothing.
      { name: 'old', deposits: Number.NaN, withdrawals: Number.NaN, balance: Number.NaN },
    ]);

    // The dashboard's model takes the report as it is.
    const model = new DashboardModel('ops', createRecoveryHub().snapshot(), {
      breakers: [],
      budgets: [],
    });
    model.fleetReport(report, 1000);
    const { breakers = [], budgets = [] } = model.full(1000);
    expect(breakers.map(({ name, shared }) => `${name} ${shared}`)).toEqual([
      'counted true',
      'timed true',
    ]);
    expect(budgets.find(({ name }) => name === 'old')).toMatchObject({ shared: true });
  });
});
