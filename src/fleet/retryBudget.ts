import { asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  check,
  number,
  type Rule,
  satisfies,
  scheduler as schedulerRule,
  shape,
} from '../config/check.js';
import { retryBudgetExhaustedSignal } from '../observability/signals.js';
import type { Cover, EngineConfig } from '../operators/engine/engine.js';
import { type BudgetProtocol, protocolUnder, withProtocol } from './protocols.js';
import { nameRule, nonNegative } from './rules.js';
import { safely } from './safely.js';
import { type SharedStore, storeOf, storeRule } from './store.js';
import { ring } from './windows.js';

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
  const protocol = protocolUnder<BudgetProtocol>(value, PROTOCOL);
  // A budget of an older copy, whose protocol carries no engine parts (or no `cover`),
  // would be misused: refused by the option checks instead.
  const cover = safely(safely(protocol, 'hooks'), 'cover');
  return typeof cover === 'object' && cover !== null ? protocol : undefined;
}

/** The engine's parts of a budget (of any copy of the package): what `hedge` uses. */
export function budgetHooksOf(value: unknown): BudgetHooks | undefined {
  return (budgetProtocolOf(value) as { hooks: BudgetHooks } | undefined)?.hooks;
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

/**
 * The engine's parts for a budget: a request deposits once (`subscribed`, unless under
 * `cover`), `retry` and `correct` steps (and hedges) withdraw, and a step it cannot pay for
 * is skipped with a `retry_budget_exhausted` signal. The protocol of every budget
 * {@link createRetryBudget} makes carries them (`hooks`), so that a program that makes no
 * budget does not carry them.
 */
export type BudgetHooks = {
  readonly [K in 'mayRetry' | 'subscribed' | 'cover' | 'skipped']-?: NonNullable<
    EngineConfig<unknown>[K]
  >;
};

/** A `budget` option, for the option checks of `hedge` and the engine. */
export const budgetRule: Rule = /* @__PURE__ */ satisfies(
  isRetryBudget,
  'must be a RetryBudget (createRetryBudget)',
);

/** The counters of a budget's window. */
const DEPOSITS = 0;
const WITHDRAWALS = 1;
/** Absorbs binary rounding in `ratio × deposits` (0.29 × 100 is 28.999…). */
const EPSILON = 1e-9;

const budgetOptions = /* @__PURE__ */ shape({
  name: nameRule,
  ratio: nonNegative,
  minPerSecond: nonNegative,
  // At least 1 ms: its buckets (ttlMs / 10) must be numbers a clock can step through.
  ttlMs: /* @__PURE__ */ number({ min: 1 }),
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
  const now = () => scheduler.now();
  const ratio = options.ratio ?? 0.2;
  const ttlMs = options.ttlMs ?? 10_000;
  /** Withdrawals allowed whatever the traffic: `minPerSecond × ttlMs / 1000`. */
  const reserve = ((options.minPerSecond ?? 10) * ttlMs) / 1000;
  // The accounts, with no clock of their own: Finagle's `TokenRetryBudget` over a
  // `LeakyBucket`. Deposits and withdrawals of the last `ttlMs` are kept in time buckets;
  // a withdrawal is paid while `withdrawals < ⌊ratio × deposits + reserve⌋`.
  const window = ring(2, ttlMs);
  const { totals } = window;
  /** Withdrawals that would be paid at `at`. */
  const balance = (at: number) => {
    window.advance(at);
    const allowed = Math.floor(ratio * (totals[DEPOSITS] as number) + reserve + EPSILON);
    return Math.max(0, allowed - (totals[WITHDRAWALS] as number));
  };
  const ledger = {
    ratio,
    reserve,
    ttlMs,
    tryWithdraw(at: number) {
      if (balance(at) < 1) return false;
      window.add(at, WITHDRAWALS);
      return true;
    },
  };
  const local: BudgetProtocol = {
    version: 1,
    name,
    deposit: () => window.add(now(), DEPOSITS),
    tryWithdraw: () => ledger.tryWithdraw(now()),
  };
  const snapshot = (): RetryBudgetSnapshot => {
    const paid = balance(now());
    return Object.freeze({
      deposits: totals[DEPOSITS] as number,
      withdrawals: totals[WITHDRAWALS] as number,
      balance: paid,
    });
  };
  const shared = storeOf(options.store)?.budget({
    name: options.name,
    local,
    ledger,
    snapshot,
    now,
  });
  const budget: RetryBudget = { name, snapshot: shared?.snapshot ?? snapshot };
  /** Whether a subscription made now belongs to a request deposited already (see `Cover`). */
  const cover: Cover = { on: false };
  /** What pays: the store's protocol when there is one; either way with the engine's parts. */
  const hooks: BudgetHooks = {
    mayRetry: () => protocol.tryWithdraw(),
    subscribed() {
      if (!cover.on) protocol.deposit();
    },
    cover,
    skipped(run, skipped) {
      if (!run.publishing) return;
      for (const strategy of skipped) {
        run.emit(
          retryBudgetExhaustedSignal(
            run.subscriptionContext,
            run.now,
            name,
            strategy,
            run.classification,
          ),
        );
      }
    },
  };
  const protocol = { ...(shared?.protocol ?? local), hooks };
  return withProtocol(budget, PROTOCOL, protocol);
}
