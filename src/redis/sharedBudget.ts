import type { BudgetProtocol } from '../fleet/protocols.js';
import type { BudgetCounts, BudgetLink, SharedBudget } from '../fleet/store.js';
import { budgetScript } from './scripts.js';
import { requireName } from './sharedBreaker.js';
import { FAILED, type Member, type Message, type StoreCore } from './storeCore.js';

/**
 * Shares a retry budget through the store. Deposits are counted here and flushed every
 * `flushMs`; withdrawals are paid from tokens the store lends this process ahead of time
 * (taken from the fleet's balance, atomically, at each exchange), so a retry never waits
 * for Redis and the fleet never pays more than its bound. When it holds fewer tokens than
 * twice what it spent (or was refused) since its last exchange (at least one), a process
 * borrows that many, or {@link SHARE} of the fleet's remaining balance when that is more;
 * a refusal with no token left asks at once (the refused step is skipped all the same).
 * Tokens older than a tenth of `ttlMs` go back, so that a withdrawal is counted in the
 * window it happens in. While the store is degraded, the budget is the budget it would be
 * without a store.
 */
export function shareBudget(core: StoreCore, link: BudgetLink): SharedBudget {
  const member = new BudgetMember(core, link, requireName(link.name));
  core.add(member);
  return Object.freeze({ protocol: member.protocol, snapshot: () => member.snapshot() });
}

/** The part of the fleet's remaining balance a process borrows at least, when it borrows. */
export const SHARE = 0.25;

class BudgetMember implements Member {
  readonly hub = undefined;
  readonly protocol: BudgetProtocol;
  private readonly key: string;
  private readonly ttl: number;
  private readonly bucketMs: number;
  /** Tokens lent by the store and not spent yet, the oldest lent at `leaseAt`. */
  private lease = 0;
  private leaseAt = 0;
  // Since the last exchange.
  private deposits = 0;
  private used = 0;
  private refused = 0;
  /** The exchange in flight. */
  private inflight: Promise<boolean> | undefined;
  /** The store has answered once: before that, and while degraded, the budget decides alone. */
  private synced = false;
  private fleetDeposits = 0;
  private fleetWithdrawals = 0;

  constructor(
    private readonly core: StoreCore,
    private readonly link: BudgetLink,
    name: string,
  ) {
    this.key = `{${core.prefix}:budget:${name}}`;
    const { ttlMs } = link.ledger;
    this.ttl = Math.max(60_000, 10 * core.syncMs, ttlMs);
    this.bucketMs = ttlMs / 10;
    const { local, ledger } = link;
    this.protocol = Object.freeze({
      version: 1 as const,
      name,
      deposit: () => {
        local.deposit();
        this.deposits++;
      },
      tryWithdraw: () => {
        if (!this.synced || !core.healthy) return local.tryWithdraw();
        if (this.lease >= 1) {
          this.lease--;
          this.used++;
          ledger.tryWithdraw(link.now()); // kept here too, for when the store fails
          return true;
        }
        this.refused++;
        if (this.inflight === undefined) void this.exchange(false, false);
        return false;
      },
    });
  }

  snapshot(): BudgetCounts {
    if (!this.synced || !this.core.healthy) return this.link.snapshot();
    return Object.freeze({
      deposits: this.fleetDeposits + this.deposits,
      withdrawals: this.fleetWithdrawals,
      balance: this.lease,
    });
  }

  flush(): void {
    if (this.inflight !== undefined || !this.core.healthy) return;
    const aged = this.lease > 0 && this.link.now() - this.leaseAt >= this.bucketMs;
    if (this.deposits > 0 || this.used > 0 || this.refused > 0 || aged) {
      void this.exchange(false, false);
    }
  }

  sync(recover: boolean): Promise<boolean> {
    return (this.inflight ?? Promise.resolve(true)).then(() => this.exchange(recover, false));
  }

  message(_message: Message): void {}

  close(): Promise<unknown> {
    return (this.inflight ?? Promise.resolve(true)).then(() => this.exchange(false, true));
  }

  /**
   * Flushes the deposits, gives back aged tokens (every token when `closing`) and borrows
   * more. After an outage (`recover`), the tokens held and the deposits counted meanwhile
   * are forgotten: the store still counts the tokens as spent, and the deposits are old.
   */
  private exchange(recover: boolean, closing: boolean): Promise<boolean> {
    const { link } = this;
    const now = link.now();
    if (recover) {
      this.lease = 0;
      this.deposits = 0;
    }
    const returning = closing || (this.lease > 0 && now - this.leaseAt >= this.bucketMs);
    const returned = returning ? this.lease : 0;
    const returnedAt = this.leaseAt;
    if (returning) this.lease = 0;
    const want = closing
      ? 0
      : Math.max(0, Math.max(1, 2 * (this.used + this.refused)) - this.lease);
    const deposits = this.deposits;
    this.deposits = 0;
    this.used = 0;
    this.refused = 0;
    const { ratio, reserve, ttlMs } = link.ledger;
    const args = [
      now,
      this.ttl,
      ttlMs,
      ratio,
      reserve,
      deposits,
      returned,
      returnedAt,
      want,
      SHARE,
    ];
    const take = (reply: unknown) => {
      const [lent = 0, fleetDeposits = 0, fleetWithdrawals = 0] = (reply as unknown[]).map(Number);
      if (lent > 0) {
        if (this.lease === 0) this.leaseAt = now;
        this.lease += lent;
      }
      this.fleetDeposits = fleetDeposits;
      this.fleetWithdrawals = fleetWithdrawals;
    };
    const inflight = this.core.run(budgetScript, [this.key], args, take).then((reply) => {
      if (this.inflight === inflight) this.inflight = undefined;
      if (reply === FAILED || !Array.isArray(reply)) return false;
      take(reply);
      this.synced = true;
      return true;
    });
    this.inflight = inflight;
    return inflight;
  }
}
