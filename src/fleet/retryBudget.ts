import { asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  check,
  number,
  type Rule,
  scheduler as schedulerRule,
  shape,
  string,
} from '../config/check.js';
import { type BudgetProtocol, protocolUnder } from './protocols.js';
import { positive } from './rules.js';
import { type SharedStore, storeOf, storeRule } from './store.js';
import { TimeBuckets } from './windows.js';

export type { BudgetProtocol } from './protocols.js';

/**
 * Options of {@link createRetryBudget}. Strict: an unknown key is a `RecoveryConfigError`.
 *
 * @example
 * ```ts
 * import { createRetryBudget, type RetryBudgetOptions } from 'rx-recovery';
 *
 * // Retries may add at most 10 % to the load, plus 5 retries a second when traffic is low.
 * const options: RetryBudgetOptions = { name: 'model-api', ratio: 0.1, minPerSecond: 5 };
 * const budget = createRetryBudget(options);
 * ```
 */
export interface RetryBudgetOptions {
  /**
   * The budget's name, in `retry_budget_exhausted` signals; with a `store`, its key there
   * (required then).
   * @default `budget-<n>`, numbered in creation order
   */
  name?: string | undefined;
  /**
   * Retries allowed per request, over the last `ttlMs`: 0.2 lets retries add at most 20 %
   * to the load a dependency sees. May exceed 1.
   * @default 0.2
   */
  ratio?: number | undefined;
  /**
   * Retries allowed per second whatever the traffic, so that a quiet client can still
   * retry: the window holds `minPerSecond × ttlMs / 1000` of them.
   * @default 10
   */
  minPerSecond?: number | undefined;
  /**
   * How long a request or a retry is remembered, in ms. Kept in 10 buckets of
   * `ttlMs / 10`: an entry is forgotten between 0.9·`ttlMs` and `ttlMs` after it was made.
   * @default 10_000
   */
  ttlMs?: number | undefined;
  /** Whose clock `ttlMs` is measured on. @default asyncScheduler */
  scheduler?: SchedulerLike | undefined;
  /**
   * A store shared by many processes (`createRedisStore` from `rx-recovery/redis`): the
   * budgets of every process with the same `name` are one budget, so the fleet's retries
   * stay within `ratio` of the fleet's requests (and one `minPerSecond`). No call waits
   * for the store: each process pays from tokens the store lends it ahead of time.
   * @default none: the budget is this process's
   */
  store?: SharedStore | undefined;
}

/**
 * The budget's counters over the last `ttlMs`. Frozen.
 *
 * @example
 * ```ts
 * const { deposits, withdrawals, balance } = budget.snapshot();
 * console.log(`${withdrawals} retries for ${deposits} requests; ${balance} more allowed now`);
 * ```
 */
export interface RetryBudgetSnapshot {
  /** Requests made (first subscriptions). */
  readonly deposits: number;
  /** Retries, corrections and hedges paid for. */
  readonly withdrawals: number;
  /** How many more withdrawals would be paid now: `⌊ratio × deposits + minPerSecond × ttlMs / 1000⌋ − withdrawals`, at least 0. */
  readonly balance: number;
}

/**
 * A retry budget: state that many subscriptions share on purpose, so that retries across
 * a fleet of pipelines stay a fraction of the requests. Make one with
 * {@link createRetryBudget}; pass it as `withRecovery({ budget })` or `hedge({ budget })`.
 *
 * @example
 * ```ts
 * import { createRetryBudget, type RetryBudget, withRecovery } from 'rx-recovery';
 *
 * const budget: RetryBudget = createRetryBudget({ name: 'model-api' });
 * const guarded = withRecovery(undefined, { budget });
 * budget.snapshot(); // → { deposits: 0, withdrawals: 0, balance: 100 }
 * ```
 */
export interface RetryBudget {
  /** The budget's name. */
  readonly name: string;
  /**
   * The counters over the last `ttlMs`, now. With a store: the fleet's deposits and
   * withdrawals as of this process's last exchange with it (tokens lent to processes count
   * as withdrawn), and as `balance` what this process can pay without asking the store.
   */
  snapshot(): RetryBudgetSnapshot;
}

const PROTOCOL: unique symbol = Symbol.for('rx-recovery.budget') as never;

/** The protocol of `value`, when it is a retry budget (of any copy of the package). */
export function budgetProtocolOf(value: unknown): BudgetProtocol | undefined {
  return protocolUnder<BudgetProtocol>(value, PROTOCOL);
}

/**
 * True for a budget made by {@link createRetryBudget}, also by another copy of the
 * package. Never throws.
 *
 * @example
 * ```ts
 * import { createRetryBudget, isRetryBudget } from 'rx-recovery';
 *
 * isRetryBudget(createRetryBudget()); // → true
 * isRetryBudget({ ratio: 0.2 }); // → false
 * ```
 * @param value Anything.
 * @returns Whether `value` is a retry budget.
 */
export function isRetryBudget(value: unknown): value is RetryBudget {
  return budgetProtocolOf(value) !== undefined;
}

/** A `budget` option, for the option checks of `hedge` and the engine. */
export const budgetRule: Rule = (value, path, issues) => {
  if (!isRetryBudget(value)) {
    issues.push(`${path}: must be a RetryBudget (createRetryBudget)`);
  }
};

const DEPOSITS = 0;
const WITHDRAWALS = 1;
/** Absorbs binary rounding in `ratio × deposits` (0.29 × 100 is 28.999…). */
const EPSILON = 1e-9;

/**
 * The budget's accounts, with no clock of its own: Finagle's `TokenRetryBudget` over a
 * `LeakyBucket`. Deposits and withdrawals of the last `ttlMs` are kept in time buckets;
 * a withdrawal is paid while `withdrawals < ⌊ratio × deposits + reserve⌋`, `reserve`
 * being `minPerSecond × ttlMs / 1000`.
 */
export class BudgetLedger {
  private readonly buckets: TimeBuckets;
  /** Withdrawals allowed whatever the traffic: `minPerSecond × ttlMs / 1000`. */
  readonly reserve: number;

  constructor(
    readonly ratio: number,
    minPerSecond: number,
    readonly ttlMs: number,
  ) {
    this.buckets = new TimeBuckets(ttlMs, 2);
    this.reserve = (minPerSecond * ttlMs) / 1000;
  }

  deposit(now: number): void {
    this.buckets.add(now, DEPOSITS, 1);
  }

  tryWithdraw(now: number): boolean {
    if (this.balance(now) < 1) return false;
    this.buckets.add(now, WITHDRAWALS, 1);
    return true;
  }

  /** Withdrawals that would be paid now. */
  balance(now: number): number {
    this.buckets.advance(now);
    const allowed = Math.floor(this.ratio * this.deposits + this.reserve + EPSILON);
    return Math.max(0, allowed - this.withdrawals);
  }

  get deposits(): number {
    return this.buckets.totals[DEPOSITS] ?? 0;
  }

  get withdrawals(): number {
    return this.buckets.totals[WITHDRAWALS] ?? 0;
  }
}

const budgetOptions = /* @__PURE__ */ shape({
  name: string(true),
  ratio: number({ min: 0 }),
  minPerSecond: number({ min: 0 }),
  ttlMs: positive,
  scheduler: schedulerRule,
  store: storeRule,
});

let budgets = 0;

/**
 * Creates a retry budget (Finagle's design): every request deposits one token, every
 * retry, correct step or hedge withdraws one, and over the last `ttlMs` at most
 * `ratio × requests + minPerSecond × ttlMs / 1000` withdrawals are paid. A step the
 * budget cannot pay is **skipped**, and the plan moves on (alternative, degrade,
 * escalate). Retries do not deposit.
 *
 * In plain words: retries may add a fifth to the load, never multiply it — so that when a
 * dependency falls over, a fleet of clients does not retry it to death.
 *
 * The budget sets no timer: old entries are forgotten when it is next used or read, from
 * `scheduler.now()`. Its memory is 20 numbers, whatever the traffic.
 *
 * @example
 * ```ts
 * import { createRetryBudget, withRecovery } from 'rx-recovery';
 *
 * const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 });
 * const recover = withRecovery(undefined, { budget }); // share it between every pipeline
 * // 1 000 requests in 10 s allow 0.2 × 1 000 + 10 × 10 = 300 retries in those 10 s;
 * // the 301st is skipped, and the plan escalates instead.
 * budget.snapshot(); // → { deposits: 1000, withdrawals: 300, balance: 0 }
 * ```
 * @param options See {@link RetryBudgetOptions}. Defaults to `{}`.
 * @returns A frozen {@link RetryBudget}, empty.
 * @throws RecoveryConfigError naming every unknown or invalid option.
 * @see withRecovery (its `budget` option), hedge
 */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  check(budgetOptions, options, 'options');
  const name = options.name ?? `budget-${++budgets}`;
  const scheduler = options.scheduler ?? asyncScheduler;
  const ledger = new BudgetLedger(
    options.ratio ?? 0.2,
    options.minPerSecond ?? 10,
    options.ttlMs ?? 10_000,
  );
  const protocol: BudgetProtocol = Object.freeze({
    version: 1 as const,
    name,
    deposit: () => ledger.deposit(scheduler.now()),
    tryWithdraw: () => ledger.tryWithdraw(scheduler.now()),
  });
  const snapshot = (): RetryBudgetSnapshot => {
    const balance = ledger.balance(scheduler.now());
    return Object.freeze({
      deposits: ledger.deposits,
      withdrawals: ledger.withdrawals,
      balance,
    });
  };
  const shared = storeOf(options.store)?.budget({
    name: options.name,
    local: protocol,
    ledger,
    snapshot,
    now: () => scheduler.now(),
  });
  const budget: RetryBudget = { name, snapshot: shared?.snapshot ?? snapshot };
  Object.defineProperty(budget, PROTOCOL, { value: shared?.protocol ?? protocol });
  return Object.freeze(budget);
}
