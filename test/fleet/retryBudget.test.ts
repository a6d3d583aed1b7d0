import { timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  type BudgetProtocol,
  budgetProtocolOf,
  createRetryBudget,
  isRetryBudget,
  type RetryBudgetOptions,
} from '../../src/fleet/retryBudget.js';
import { withRecovery } from '../../src/operators/withRecovery.js';
import { thrownBy } from '../helpers/capture.js';

/** A clock the tests move by hand, that refuses to schedule anything: the budget has no timer. */
function manualClock() {
  const clock = {
    t: 0,
    now: () => clock.t,
    schedule: () => {
      throw new Error('the budget scheduled something');
    },
  };
  return clock;
}

function budgetOn(options: RetryBudgetOptions) {
  const clock = manualClock();
  const budget = createRetryBudget({ ...options, scheduler: clock });
  const protocol = budgetProtocolOf(budget);
  if (protocol === undefined) throw new Error('no protocol');
  return { clock, budget, protocol };
}

/** Withdraws until refused; returns how many were paid. */
function drain(protocol: { tryWithdraw(): boolean }): number {
  let paid = 0;
  while (protocol.tryWithdraw()) paid++;
  return paid;
}

describe('createRetryBudget', () => {
  it('defaults: ratio 0.2, 10 per second over 10 s — 100 retries with no traffic', () => {
    const { budget, protocol } = budgetOn({});
    expect(budget.snapshot()).toEqual({ deposits: 0, withdrawals: 0, balance: 100 });
    expect(budget.name).toMatch(/^budget-\d+$/);
    expect(Object.isFrozen(budget)).toBe(true);
    expect(Object.keys(budget).sort()).toEqual(['name', 'snapshot']);
    for (let i = 0; i < 1000; i++) protocol.deposit();
    expect(budget.snapshot().balance).toBe(300);
    expect(drain(protocol)).toBe(300);
    expect(budget.snapshot()).toEqual({ deposits: 1000, withdrawals: 300, balance: 0 });
  });

  it('refuses past ratio × deposits, and a refusal records nothing', () => {
    const { budget, protocol } = budgetOn({ ratio: 0.2, minPerSecond: 0 });
    for (let i = 0; i < 10; i++) protocol.deposit();
    expect([protocol.tryWithdraw(), protocol.tryWithdraw(), protocol.tryWithdraw()]).toEqual([
      true,
      true,
      false,
    ]);
    expect(budget.snapshot()).toEqual({ deposits: 10, withdrawals: 2, balance: 0 });
    for (let i = 0; i < 5; i++) protocol.deposit(); // 15 × 0.2 = 3
    expect(drain(protocol)).toBe(1);
  });

  it('recovers as the window rolls: withdrawals and deposits are forgotten after ttlMs', () => {
    const { clock, budget, protocol } = budgetOn({ ratio: 0, minPerSecond: 2, ttlMs: 1000 });
    expect(drain(protocol)).toBe(2); // the reserve: 2/s × 1 s
    clock.t = 500;
    expect(protocol.tryWithdraw()).toBe(false);
    clock.t = 999;
    expect(protocol.tryWithdraw()).toBe(false);
    clock.t = 1000; // the bucket of 0–99 ms leaves the window
    expect(budget.snapshot()).toEqual({ deposits: 0, withdrawals: 0, balance: 2 });
    expect(protocol.tryWithdraw()).toBe(true);
  });

  it('deposits leave the window too, in buckets of ttlMs / 10', () => {
    const { clock, budget, protocol } = budgetOn({ ratio: 1, minPerSecond: 0, ttlMs: 1000 });
    protocol.deposit(); // bucket 0
    clock.t = 150;
    protocol.deposit(); // bucket 1
    clock.t = 1099;
    expect(budget.snapshot()).toEqual({ deposits: 1, withdrawals: 0, balance: 1 });
    clock.t = 1100;
    expect(budget.snapshot()).toEqual({ deposits: 0, withdrawals: 0, balance: 0 });
    expect(protocol.tryWithdraw()).toBe(false);
  });

  it('is exact for ratios that binary floating point cannot hold', () => {
    const ledger = budgetOn({ ratio: 0.29, minPerSecond: 0, ttlMs: 10_000 });
    for (let i = 0; i < 100; i++) ledger.protocol.deposit();
    expect(ledger.budget.snapshot().balance).toBe(29);
    expect(drain(ledger.protocol)).toBe(29);
    const fractional = budgetOn({ ratio: 0.5, minPerSecond: 0.15, ttlMs: 10_000 }); // reserve 1.5
    fractional.protocol.deposit();
    expect(fractional.budget.snapshot().balance).toBe(2);
    expect(drain(fractional.protocol)).toBe(2);
  });

  it('allows ratio above 1 and a budget that never pays', () => {
    const generous = budgetOn({ ratio: 3, minPerSecond: 0 });
    generous.protocol.deposit();
    expect(drain(generous.protocol)).toBe(3);
    const none = budgetOn({ ratio: 0, minPerSecond: 0 });
    none.protocol.deposit();
    expect(none.protocol.tryWithdraw()).toBe(false);
  });

  it('names every bad option at once', () => {
    const error = thrownBy(() =>
      createRetryBudget({
        ratio: -1,
        minPerSecond: 'x',
        ttlMs: 0,
        name: 3,
        store: {},
        ttl: 5,
      } as never),
    );
    expect((error as Error).message).toMatchInlineSnapshot(`
      "options.name: expected string, got 3
      options.ratio: must be ≥ 0
      options.minPerSecond: expected number, got "x"
      options.ttlMs: must be ≥ 1
      options.store: must be a shared store (createRedisStore from rx-recovery/redis)
      options.ttl: unknown option"
    `);
  });

  it('refuses a ttlMs below 1 ms, whose buckets no clock could step through', () => {
    expect(thrownBy(() => createRetryBudget({ ttlMs: 5e-324 }))).toMatchObject({
      issues: ['options.ttlMs: must be ≥ 1'],
    });
    expect(createRetryBudget({ ttlMs: 1 }).snapshot()).toEqual({
      deposits: 0,
      withdrawals: 0,
      balance: 0,
    });
  });

  it('is recognised across copies of the package, by its registered symbol', () => {
    const budget = createRetryBudget();
    expect(isRetryBudget(budget)).toBe(true);
    expect(isRetryBudget({ [Symbol.for('rx-recovery.budget')]: budgetProtocolOf(budget) })).toBe(
      true,
    );
    expect(isRetryBudget({ ratio: 0.2 })).toBe(false);
    expect(isRetryBudget(null)).toBe(false);
    // An older copy's protocol carries no engine parts: refused by the checks, where the
    // engine would otherwise ignore it and retry unpaid.
    const { hooks: _, ...older } = budgetProtocolOf(budget) as BudgetProtocol & { hooks: unknown };
    const old = { [Symbol.for('rx-recovery.budget')]: older };
    expect(isRetryBudget(old)).toBe(false);
    expect(thrownBy(() => withRecovery(undefined, { budget: old as never }))).toMatchObject({
      issues: ['options.budget: must be a RetryBudget (createRetryBudget)'],
    });
  });

  it('uses its scheduler: an explicit TestScheduler outside run()', () => {
    const scheduler = new TestScheduler(() => {});
    const budget = createRetryBudget({ ratio: 0, minPerSecond: 10, ttlMs: 100, scheduler });
    const protocol = budgetProtocolOf(budget);
    const paid: string[] = [];
    for (const ms of [0, 40, 99, 100]) {
      timer(ms, scheduler).subscribe(() => paid.push(`${ms} ${protocol?.tryWithdraw()}`));
    }
    scheduler.flush();
    expect(paid).toEqual(['0 true', '40 false', '99 false', '100 true']);
    expect(scheduler.actions).toHaveLength(0);
  });
});
